"""What a built package holds: every data file of the package, the licence, and its type information."""

from __future__ import annotations

import configparser
import fnmatch
import tomllib

from conftest import ROOT


def _setup_cfg() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    return config


def test_every_data_file_of_the_package_is_declared_package_data():
    declared = {package: [pattern.strip() for pattern in patterns.split(",")]
                for package, patterns in _setup_cfg()["options.package_data"].items()}
    package_root = ROOT / "newsearch"
    for path in package_root.rglob("*"):
        if not path.is_file() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
            continue
        relative = path.relative_to(package_root)
        owners = [(package, path.relative_to(ROOT / package.replace(".", "/")).as_posix())
                  for package in declared if (ROOT / package.replace(".", "/")) in path.parents]
        assert any(fnmatch.fnmatch(name, pattern) for package, name in owners for pattern in declared[package]), (
            f"newsearch/{relative} would be left out of the wheel: add it to [options.package_data] in setup.cfg")


def test_licence_type_information_and_build_backend_are_declared():
    metadata = _setup_cfg()["metadata"]
    assert metadata["license"] == "MIT" and metadata["license_files"].strip() == "LICENSE"
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License") and "the newsearch authors" in licence
    assert (ROOT / "newsearch" / "py.typed").is_file()
    assert "Typing :: Typed" in metadata["classifiers"] and "Operating System :: POSIX" in metadata["classifiers"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["build-system"]["build-backend"] == "setuptools.build_meta"
    assert project["tool"]["mypy"]["check_untyped_defs"] is True
    assert not (ROOT / "setup.py").exists()


def test_supported_pythons_are_those_declared():
    options = _setup_cfg()["options"]
    lowest = options["python_requires"].strip().removeprefix(">=")
    classified = [line.rsplit("::", 1)[1].strip() for line in _setup_cfg()["metadata"]["classifiers"].splitlines()
                  if line.startswith("Programming Language :: Python :: 3.")]
    assert classified[0] == lowest, "python_requires and the classifiers disagree on the oldest Python"
    minors = [int(version.split(".")[1]) for version in classified]
    assert minors == list(range(minors[0], minors[0] + len(minors))), classified

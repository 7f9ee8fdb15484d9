"""Shared fixtures: small real indexes built in tmp_path, never mocks."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsearch import Index

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"
SEED_ID = "000_fdb48ad2d1f0ca55.txt"


def shared_path(*parts: str) -> Path:
    """A path in ../shared/corpora, or skip the test with a reason when it is not there."""
    path = SHARED.joinpath("corpora", *parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared corpora sit beside the repository only in the project's workspace")
    return path


@contextlib.contextmanager
def index_holding(folder: Path, records: Iterable) -> Iterator[Index]:
    """An index in ``folder`` holding ``records`` (dicts or Articles), open while the block runs."""
    with Index.create(folder) as index:
        index.add(records)
    with Index.open(folder) as index:
        yield index


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    """A copy of the bundled corpus that a test may change."""
    return Path(shutil.copytree(CORPUS, tmp_path / "corpus"))


@pytest.fixture
def built_index(tmp_path: Path, tiny_corpus: Path) -> Path:
    """The folder of an index built from the bundled corpus."""
    folder = tmp_path / "index"
    with Index.create(folder) as ix:
        report = ix.update(tiny_corpus)
    assert report.ok, report.failed
    return folder


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()

"""The README and --help tell the truth, and `import newsearch` stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

from newsearch.cli import cli

from conftest import ROOT

pytestmark = pytest.mark.engine_free


def test_every_command_has_help_with_an_example_and_is_in_the_readme(runner):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    for name in cli.commands:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, result.output
        assert "Example:" in result.output, name
        assert f"`{name}" in readme, f"command {name} is missing from README.md"


def test_import_newsearch_does_not_load_click_or_the_html_parser():
    code = "import sys, newsearch; print(sorted({'click', 'lxml', 'charset_normalizer'} & set(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_query_command_does_not_load_the_html_parser():
    code = "import sys, newsearch.cli; print('lxml' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "False"


def test_every_command_with_machine_readable_output_follows_the_one_convention():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Machine-readable output", 1)[1].split("\n#", 1)[0]
    helps = {}
    for name, command in cli.commands.items():
        options = {option: param.help for param in command.params for option in param.opts
                   if option.startswith("--json")}
        if options:
            assert "--json" in options, f"{name} has --jsonl without --json"
            assert f"| `{name}" in section or f", `{name}`" in section, f"{name} is missing from the README's table"
            helps.setdefault("--json", set()).add(options["--json"])
    assert len(helps["--json"]) == 1, helps  # the same words, so the same meaning, everywhere
    assert {"query", "similar", "show", "stats", "timeline", "update", "check", "extract"} <= {
        name for name, command in cli.commands.items() if any("--json" in param.opts for param in command.params)}

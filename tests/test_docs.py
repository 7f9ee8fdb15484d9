"""The README and --help tell the truth, and `import newsearch` stays light."""

from __future__ import annotations

import subprocess
import sys

from newsearch.cli import cli
from conftest import ROOT
import pytest

pytestmark = pytest.mark.engine_free


def test_every_command_has_help_with_an_example_and_is_in_the_readme(runner):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    for name, command in cli.commands.items():
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

"""Hostile text is just text: undecodable arguments and ids with control characters give one-line errors."""

from __future__ import annotations

import json

import pytest

from newsearch import ArticleNotFound, Index, NewsearchError, QuerySyntaxError
from newsearch.cli import cli

from conftest import SEED_ID

# What Python hands on for a command-line argument holding the byte 0xff, which is not UTF-8.
UNDECODABLE = "Mariupol \udcff"


@pytest.mark.parametrize("command", [["query", UNDECODABLE], ["show", UNDECODABLE], ["similar", UNDECODABLE],
                                     ["query", "corridor", "--source", UNDECODABLE]])
def test_undecodable_arguments_are_one_line_errors(runner, built_index, command):
    result = runner.invoke(cli, [*command, "--index", str(built_index)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.count("\n") == 1 and "'Mariupol \\xff'" in result.stderr and "UTF-8" in result.stderr


def test_the_library_refuses_undecodable_ids_and_queries(built_index):
    with Index.open(built_index) as ix:
        for call in (lambda: ix.get("\udcff"), lambda: ix.similar("\udcff"), lambda: ix.mark("\udcff", "storm"),
                     lambda: ix.get("\ud800")):
            with pytest.raises(ArticleNotFound, match="not valid UTF-8"):
                call()
        for call in (lambda: ix.query(UNDECODABLE), lambda: ix.timeline(UNDECODABLE),
                     lambda: ix.mark(SEED_ID, UNDECODABLE)):
            with pytest.raises(QuerySyntaxError, match="not valid UTF-8"):
                call()
        assert ix.get(SEED_ID).id == SEED_ID


def test_ids_with_control_characters_are_refused_at_indexing(tmp_path, tiny_corpus):
    seed = (tiny_corpus / SEED_ID).read_bytes()
    (tiny_corpus / "line\nbreak.txt").write_bytes(seed)
    (tiny_corpus / "records.jsonl").write_text(
        json.dumps({"id": "cr\rid", "title": "Ferry timetable", "body": "The ferry sails at noon."}) + "\n"
        + json.dumps({"id": "plain-id", "title": "Ferry timetable", "body": "The ferry sails at noon."}) + "\n")
    with Index.create(tmp_path / "index") as ix:
        report = ix.update(tiny_corpus)
        failed = dict(report.failed)
        assert failed[str(tiny_corpus / "line\nbreak.txt")] == (
            "the id 'line\\nbreak.txt' holds the control character U+000A, so it could not be asked for; "
            "rename the file")
        assert any("'cr\\rid' holds the control character U+000D" in reason for reason in failed.values())
        assert len(failed) == 2
        assert ix.get("plain-id").title == "Ferry timetable"
        with pytest.raises(NewsearchError):
            ix.add([{"id": "tab\tid", "title": "Ferry", "body": "The ferry."}])

"""Exports: every match of a query as JSON Lines or CSV, past any page cap, from the CLI and the HTTP API."""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
from pathlib import Path

import pytest

from newsearch import Index, QuerySyntaxError
from newsearch.cli import cli

from conftest import shared_path

QUERY = "said"  # in most Reuters stories: well over 1,000 matches in the first 4,000


@pytest.fixture(scope="module")
def reuters_index(tmp_path_factory) -> Path:
    with gzip.open(shared_path("reuters", "reuters.jsonl.gz"), "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in itertools.islice(lines, 4000)]
    folder = tmp_path_factory.mktemp("export") / "index"
    with Index.create(folder) as ix:
        ix.add(records)
    return folder


def export(runner, index: Path, *options: str) -> str:
    result = runner.invoke(cli, ["query", QUERY, "--all", *options, "--index", str(index)])
    assert result.exit_code == 0, result.output[-2000:]
    return result.output


def test_all_gives_every_match_as_jsonl_and_csv(reuters_index, runner):
    with Index.open(reuters_index) as ix:
        results = ix.query(QUERY, limit=1)
        top = [hit.to_dict() for hit in ix.query(QUERY, limit=3)]
    assert results.total > 1000
    every_copy = [json.loads(line)
                  for line in export(runner, reuters_index, "--format", "jsonl", "--no-collapse").splitlines()]
    assert len(every_copy) == results.total == len({row["id"] for row in every_copy})
    stories = [json.loads(line) for line in export(runner, reuters_index).splitlines()]
    assert len(stories) == (results.stories or results.total) and stories[:3] == top  # the query's order and shape
    table = list(csv.DictReader(io.StringIO(export(runner, reuters_index, "--format", "csv", "--no-collapse"))))
    assert len(table) == results.total
    assert {row["id"] for row in table} == {row["id"] for row in every_copy}
    assert table[0]["title"] == every_copy[0]["title"] and "[" not in table[0]["snippet"]


def test_filters_apply_to_the_export(reuters_index, runner):
    with Index.open(reuters_index) as ix:
        expected = ix.query(QUERY, since="1987-03-05", until="1987-03-06", collapse=False, limit=1).total
    rows = export(runner, reuters_index, "--since", "1987-03-05", "--until", "1987-03-06", "--no-collapse").splitlines()
    assert 0 < len(rows) == expected
    assert all(json.loads(row)["published"][:10] in ("1987-03-05", "1987-03-06") for row in rows)


def test_bad_export_options_are_refused(reuters_index, runner):
    wrong = runner.invoke(cli, ["query", QUERY, "--format", "csv", "--index", str(reuters_index)])
    assert wrong.exit_code == 2 and "--format goes with --all" in wrong.output
    with Index.open(reuters_index) as ix:
        with pytest.raises(QuerySyntaxError, match="format"):
            ix.export(QUERY, format="xml")
        with pytest.raises(QuerySyntaxError):
            ix.export('"unclosed')
        assert list(ix.export("qwxzvvk")) == []  # nothing matches, and a respelling's hits are not exported


def test_http_export_and_cursor_go_past_the_page_cap(reuters_index):
    pytest.importorskip("fastapi", reason="the serve extra is not installed (make install adds it)")
    from fastapi.testclient import TestClient

    from newsearch.web import create_app
    from newsearch.web.params import MAX_DEPTH

    with Index.open(reuters_index) as ix:
        total = ix.query(QUERY, collapse=False, limit=1).total
        ranked = [json.loads(line)["id"] for line in ix.export(QUERY, collapse=False, snippets=False)]
    assert total > MAX_DEPTH
    with TestClient(create_app(reuters_index)) as client:
        response = client.get("/api/export", params={"q": QUERY, "format": "jsonl", "collapse": "false"})
        assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
        assert [json.loads(line)["id"] for line in response.text.splitlines()] == ranked
        table = client.get("/api/export", params={"q": QUERY, "format": "csv", "collapse": "false"})
        assert table.headers["content-type"].startswith("text/csv")
        assert len(list(csv.DictReader(io.StringIO(table.text)))) == total
        assert client.get("/api/export", params={"q": '"unclosed'}).status_code == 400
        seen, params = [], {"q": QUERY, "limit": 100, "collapse": "false", "snippet_chars": 40}
        while True:
            page = client.get("/api/search", params=params).json()
            seen += [hit["id"] for hit in page["hits"]]
            if not page["next_cursor"]:
                break
            params["cursor"] = page["next_cursor"]
        assert seen == ranked
        bad = client.get("/api/search", params={"q": QUERY, "cursor": "bm9wZQ"})
        assert bad.status_code == 400 and "cursor" in bad.json()["message"]

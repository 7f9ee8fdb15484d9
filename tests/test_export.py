"""Exports: every match of a query as JSON Lines or CSV, past any page cap, from the CLI and the HTTP API."""

from __future__ import annotations

import csv
import gzip
import http.client
import io
import itertools
import json
from pathlib import Path

import pytest

from newsearch import Index, QuerySyntaxError, QueryTimeout
from newsearch.cli import cli

from conftest import serving, shared_path

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


PASSED = 1e-9  # seconds: a deadline gone before the engine starts


@pytest.fixture
def late_pages(monkeypatch):
    """Every page of an export after the first is given a deadline already past (the first page's is kept),
    as when a later page of a long export is slow: the engine stops it at its first check."""
    query = Index.query

    def paged(self, text, *args, page=1, timeout=None, **options):
        return query(self, text, *args, page=page, timeout=timeout if page == 1 else PASSED, **options)

    monkeypatch.setattr(Index, "query", paged)


def test_an_export_has_a_deadline_per_page(reuters_index, runner):
    with Index.open(reuters_index) as ix:
        with pytest.raises(QueryTimeout, match="ran past its timeout"):  # the first page: before any line
            ix.export(QUERY, timeout=PASSED)
        assert list(ix.export(QUERY, timeout=60, snippets=False)) == list(ix.export(QUERY, snippets=False))
    result = runner.invoke(cli, ["query", QUERY, "--all", "--timeout", "1e-9", "--index", str(reuters_index)])
    assert result.exit_code == 1 and result.stdout == "" and result.stderr.count("\n") == 1
    assert "ran past its timeout" in result.stderr


def test_a_later_page_past_its_deadline_ends_the_export_with_an_error(reuters_index, runner, late_pages):
    with Index.open(reuters_index) as ix:
        lines = ix.export(QUERY, collapse=False, timeout=60)
        assert len(list(itertools.islice(lines, 1000))) == 1000  # the first page
        with pytest.raises(QueryTimeout):
            next(lines)
    result = runner.invoke(cli, ["query", QUERY, "--all", "--no-collapse", "--timeout", "60", "--index",
                                 str(reuters_index)])
    assert result.exit_code == 1 and "ran past its timeout" in result.stderr and result.stderr.count("\n") == 1
    assert len(result.stdout.splitlines()) == 1000


def test_http_export_past_its_deadline(reuters_index):
    pytest.importorskip("fastapi", reason="the serve extra is not installed (make install adds it)")
    from fastapi.testclient import TestClient

    from newsearch.web import create_app

    with TestClient(create_app(reuters_index, timeout=PASSED)) as client:
        response = client.get("/api/export", params={"q": QUERY})
        assert response.status_code == 503 and "ran past its timeout" in response.json()["message"]
        feed = client.get("/feed.atom", params={"q": QUERY})
        assert feed.status_code == 503 and "ran past its timeout" in feed.text


def test_http_export_cut_by_a_later_page_is_an_incomplete_transfer(reuters_index, late_pages):
    """A real server: the lines of the first page arrive, then the connection closes before the body's end,
    so a client cannot take the cut export for a whole one."""
    pytest.importorskip("fastapi", reason="the serve extra is not installed (make install adds it)")

    from newsearch.web import create_app

    with serving(create_app(reuters_index, timeout=60), log_level="critical") as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("GET", f"/api/export?q={QUERY}&collapse=false&snippet_chars=40")
        response = connection.getresponse()
        assert response.status == 200 and response.getheader("X-Content-Type-Options") == "nosniff"
        with pytest.raises(http.client.IncompleteRead) as cut:
            response.read()
        assert len(cut.value.partial.decode().splitlines()) == 1000
        whole = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        whole.request("GET", "/api/export?q=Cocoa&collapse=false")  # one page: ends normally
        assert whole.getresponse().read().count(b"\n") > 0

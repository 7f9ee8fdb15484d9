"""A query's deadline: past it, the query stops with QueryTimeout, a one-line error in the CLI and 503 in serve.

No test here is timed: a deadline already past (a billionth of a second) must stop every
query on every engine, and a generous one must change nothing.
"""

from __future__ import annotations

import json

import pytest

from newsearch import Index, QuerySyntaxError, QueryTimeout
from newsearch.cli import cli

from conftest import SEED_ID

PASSED = 1e-9  # seconds: gone before the engine starts


@pytest.mark.parametrize("text", ["Mariupol corridor", "corid~2 OR harbr~1", "published:[* TO *]", "corr* -storm"])
def test_a_query_past_its_deadline_stops(built_index, text):
    with Index.open(built_index) as ix, pytest.raises(QueryTimeout, match="ran past its timeout of 1e-09 s"):
        ix.query(text, timeout=PASSED)


def test_similar_and_timeline_have_deadlines_too(built_index):
    with Index.open(built_index) as ix:
        with pytest.raises(QueryTimeout):
            ix.similar(SEED_ID, timeout=PASSED)
        with pytest.raises(QueryTimeout):
            ix.timeline("Mariupol corridor", timeout=PASSED)
        assert ix.timeline("Mariupol corridor", timeout=60) == ix.timeline("Mariupol corridor")


def test_a_generous_deadline_changes_nothing(built_index):
    with Index.open(built_index) as ix:
        assert ix.query("Mariupol corridor", timeout=60) == ix.query("Mariupol corridor")
        assert ix.query("Mariupol corridor", timeout=60)[0].id == SEED_ID


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), "2", True])
def test_a_timeout_is_a_positive_number_of_seconds(built_index, timeout):
    with Index.open(built_index) as ix, pytest.raises(QuerySyntaxError, match="timeout must be a positive number"):
        ix.query("corridor", timeout=timeout)


def test_the_cli_says_so_in_one_line(runner, built_index):
    result = runner.invoke(cli, ["query", "Mariupol corridor", "--timeout", "0.000000001", "--index", str(built_index)])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "ran past its timeout" in result.stderr
    assert runner.invoke(cli, ["query", "corridor", "--timeout", "0", "--index", str(built_index)]).exit_code == 2
    answered = runner.invoke(cli, ["query", "Mariupol corridor", "--timeout", "60", "--json", "--index",
                                   str(built_index)])
    assert json.loads(answered.output)["hits"][0]["id"] == SEED_ID


def test_the_server_answers_503_with_json(built_index):
    pytest.importorskip("fastapi", reason="the serve extra is not installed (make install adds it)")
    from fastapi.testclient import TestClient

    from newsearch.web import create_app

    with TestClient(create_app(built_index, timeout=PASSED)) as client:
        response = client.get("/api/search", params={"q": "Mariupol corridor"})
        assert response.status_code == 503
        assert response.json()["status"] == 503 and "ran past its timeout" in response.json()["message"]
        assert client.get("/", params={"q": "Mariupol corridor"}).status_code == 503
        assert client.get("/api/timeline", params={"q": "Mariupol corridor"}).status_code == 503
        assert client.get(f"/api/similar/{SEED_ID}").status_code == 503
    with TestClient(create_app(built_index)) as client:
        assert client.get("/api/search", params={"q": "Mariupol corridor"}).json()["hits"][0]["id"] == SEED_ID

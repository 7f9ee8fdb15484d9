"""Saved searches and their alerts: what is new since a search last reported, through updates and rebuilds."""

from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path

import pytest

from newsearch import Index, QuerySyntaxError, WatchNotFound
from newsearch.cli import cli

from conftest import shared_path


def reuters_stories(count: int, word: str, matching: bool) -> list[dict]:
    """The first ``count`` Reuters stories whose body has ``word`` (or has not), as corpus records."""
    with gzip.open(shared_path("reuters", "reuters.jsonl.gz"), "rt", encoding="utf-8") as lines:
        records = (json.loads(line) for line in lines)
        chosen = (r for r in records if (word in r["body"].lower().split()) == matching)
        return list(itertools.islice(chosen, count))


def write_story(folder: Path, record: dict) -> None:
    fields = {name: record[name] for name in ("id", "title", "body", "published") if record.get(name)}
    (folder / f"{record['id']}.json").write_text(json.dumps(fields), encoding="utf-8")


def test_alerts_report_all_matches_then_nothing_then_exactly_the_new_matching_files(built_index, tiny_corpus, runner):
    index = ["--index", str(built_index)]
    result = runner.invoke(cli, ["watch", "add", "harbour", "harbour", *index])
    assert result.exit_code == 0, result.output
    with Index.open(built_index) as ix:
        matching = {hit.id for hit in ix.query("harbour", limit=100, collapse=False)}
    peeked = runner.invoke(cli, ["alerts", "--json", "--peek", *index])
    first = runner.invoke(cli, ["alerts", "--jsonl", *index])
    assert first.exit_code == 0, first.output
    reported = [json.loads(line) for line in first.output.splitlines()]
    assert json.loads(peeked.output) == {"alerts": reported}
    assert {alert["id"] for alert in reported} == matching and len(reported) == len(matching) > 1
    assert set(reported[0]) == {"watch", "id", "title", "source", "published", "url", "snippet"}
    assert {alert["watch"] for alert in reported} == {"harbour"}
    assert any("<b>" in alert["snippet"] for alert in reported)

    again = runner.invoke(cli, ["alerts", *index])
    assert again.exit_code == 0 and again.output == "", again.output
    assert json.loads(runner.invoke(cli, ["alerts", "--json", *index]).output) == {"alerts": []}

    new = tiny_corpus / "wire"
    new.mkdir()
    harbour_stories = reuters_stories(2, "harbour", matching=True)
    for record in [*harbour_stories, *reuters_stories(1, "harbour", matching=False)]:
        write_story(new, record)
    updated = runner.invoke(cli, ["update", *index])
    assert updated.exit_code == 0 and "3 added" in updated.output, updated.output
    news = runner.invoke(cli, ["alerts", "--jsonl", *index])
    assert news.exit_code == 0, news.output
    assert sorted(json.loads(line)["id"] for line in news.output.splitlines()) == sorted(
        record["id"] for record in harbour_stories)


def test_peek_shows_alerts_without_recording_them(built_index):
    with Index.open(built_index) as ix:
        ix.watch("corridor", "corridor")
        peeked = ix.alerts(peek=True)
        assert peeked and ix.alerts(peek=True) == peeked
        assert ix.alerts("corridor") == peeked
        assert ix.alerts() == []


def test_near_duplicates_of_a_reported_article_are_not_reported_again(built_index):
    with Index.open(built_index) as ix:
        ix.watch("corridor", "corridor")
        reported = ix.alerts()
        article = ix.get(reported[0].hit.id)
        reworded = article.body.replace("corridor", "corridor", 1) + "\n\nThis story was updated on Monday."
        ix.add([{"id": "republished-copy", "title": article.title, "body": reworded, "source": "Other Wire"}])
        assert ix.get("republished-copy").group == article.group  # it is a near-duplicate
        ix.add([{"id": "unrelated-corridor", "title": "Rail corridor plan approved",
                 "body": "The regional council approved the rail corridor plan on Tuesday after a two-year "
                         "consultation with residents along the planned route."}])
        assert [alert.hit.id for alert in ix.alerts()] == ["unrelated-corridor"]


def test_saved_searches_survive_a_rebuild_without_reporting_again(built_index, tiny_corpus):
    with Index.open(built_index) as ix:
        ix.watch("harbour", "harbour", source=["The Harbour Gazette"])
        first = ix.alerts()
    assert len(first) == 6 and {alert.hit.source for alert in first} == {"The Harbour Gazette"}
    Index.build(built_index, tiny_corpus)
    with Index.open(built_index) as ix:
        assert [(watch.name, watch.query, watch.sources) for watch in ix.watches()] == [
            ("harbour", "harbour", ("The Harbour Gazette",))]
        assert ix.alerts() == []


def test_watch_list_and_remove(built_index, runner):
    index = ["--index", str(built_index)]
    for name, query in (("harbour", "harbour OR port"), ("corridor", '"humanitarian corridor"')):
        assert runner.invoke(cli, ["watch", "add", name, query, *index]).exit_code == 0
    listed = runner.invoke(cli, ["watch", "list", "--jsonl", *index])
    assert [json.loads(line)["name"] for line in listed.output.splitlines()] == ["corridor", "harbour"]
    whole = runner.invoke(cli, ["watch", "list", "--json", *index])
    assert json.loads(whole.output) == {"watches": [json.loads(line) for line in listed.output.splitlines()]}
    assert runner.invoke(cli, ["watch", "remove", "corridor", *index]).exit_code == 0
    listed = runner.invoke(cli, ["watch", "list", *index])
    assert listed.output == "harbour\tharbour OR port\n"
    missing = runner.invoke(cli, ["watch", "remove", "corridor", *index])
    assert missing.exit_code == 1 and "no saved search named 'corridor'" in missing.stderr
    unknown = runner.invoke(cli, ["alerts", "nothing-here", *index])
    assert unknown.exit_code == 1 and "saved: harbour" in unknown.stderr


def test_bad_names_and_queries_are_refused(built_index):
    with Index.open(built_index) as ix:
        with pytest.raises(QuerySyntaxError, match="name"):
            ix.watch("../escape", "harbour")
        with pytest.raises(QuerySyntaxError):
            ix.watch("broken", '"unclosed phrase')
        with pytest.raises(WatchNotFound):
            ix.unwatch("never-saved")
        assert ix.watches() == []

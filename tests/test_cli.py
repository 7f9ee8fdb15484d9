"""The CLI through click's CliRunner: output, stderr and exit codes; one real subprocess run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from newsearch import engines
from newsearch.cli import CHART_WIDTH, cli

from conftest import ROOT, SEED_ID, index_holding


def test_index_then_query_prints_marked_snippet(runner, tmp_path, tiny_corpus):
    folder = str(tmp_path / "ix")
    built = runner.invoke(cli, ["index", str(tiny_corpus), "--index", folder])
    assert built.exit_code == 0, built.output
    assert "30 added" in built.output
    result = runner.invoke(cli, ["query", "Mariupol corridor", "--index", folder])
    assert result.exit_code == 0, result.output
    first_hit = result.output.split("\n\n")[0]
    assert SEED_ID in first_hit
    assert "[Mariupol]" in first_hit and "[corridors]" in first_hit
    assert "\x1b[" not in result.output  # no colour when stdout is not a terminal


def test_query_json_is_one_object_and_jsonl_one_hit_per_line(runner, built_index, engine):
    result = runner.invoke(cli, ["query", "corridor", "--json", "--limit", "5", "--index", str(built_index)])
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) == 1
    summary = json.loads(result.output)
    hits = summary.pop("hits")
    assert len(hits) == 5
    assert summary == {"page": 1, "limit": 5, "total": summary["total"], "stories": summary["stories"], "facets": {},
                       "suggestion": None, "ran_suggestion": False}
    collapses = engines.engine_class(engine).collapses
    assert summary["stories"] is None if not collapses else summary["stories"] <= summary["total"]
    assert summary["total"] >= 5
    assert set(hits[0]) >= {"id", "score", "title", "source", "published", "url", "path", "snippet"}
    assert any("<b>corridor" in hit["snippet"] for hit in hits)
    lines = runner.invoke(cli, ["query", "corridor", "--jsonl", "--limit", "5", "--index", str(built_index)])
    assert [json.loads(line) for line in lines.output.splitlines()] == hits
    every = runner.invoke(cli, ["query", "corridor", "--all", "--jsonl", "--index", str(built_index)])
    assert [json.loads(line)["id"] for line in every.output.splitlines()][:5] == [hit["id"] for hit in hits]
    refused = runner.invoke(cli, ["query", "corridor", "--all", "--json", "--index", str(built_index)])
    assert refused.exit_code == 2 and "--jsonl" in refused.stderr


def test_query_options_filter_and_sort(runner, built_index):
    result = runner.invoke(cli, ["query", "harbour OR northfield", "--json", "--sort", "date", "--since", "2022",
                                 "--until", "2023", "--source", "The Harbour Gazette", "--index", str(built_index)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    hits = summary["hits"]
    assert hits and {h["source"] for h in hits} == {"The Harbour Gazette"}
    assert summary["total"] == len(hits)
    assert [h["published"] for h in hits] == sorted((h["published"] for h in hits), reverse=True)
    assert all("2022" <= h["published"] < "2024" for h in hits)


def test_query_paging(runner, built_index):
    first = runner.invoke(cli, ["query", "harbour", "--limit", "2", "--index", str(built_index)])
    second = runner.invoke(cli, ["query", "harbour", "--limit", "2", "--page", "2", "--index", str(built_index)])
    assert "showing 1-2" in first.output and "showing 3-4" in second.output
    assert " 3. " in second.output and " 1. " not in second.output


def test_show_prints_every_field(runner, built_index):
    result = runner.invoke(cli, ["show", "nc-2021-0322-rail-upgrade", "--index", str(built_index)])
    assert result.exit_code == 0, result.output
    for label in ("id:", "title:", "authors:", "published:", "source:", "url:", "language:", "categories:", "path:"):
        assert label in result.output
    assert "Northfield Courier" in result.output and "2021-03-22" in result.output
    as_json = runner.invoke(cli, ["show", SEED_ID, "--json", "--index", str(built_index)])
    assert len(as_json.output.splitlines()) == 1
    assert json.loads(as_json.output)["body"].startswith("Russia demanded")


def test_show_unknown_id_fails_with_one_line(runner, built_index):
    result = runner.invoke(cli, ["show", "nope", "--index", str(built_index)])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: no article with id 'nope' in '{built_index}'"


def test_stats(runner, built_index):
    result = runner.invoke(cli, ["stats", "--index", str(built_index)])
    assert result.exit_code == 0, result.output
    assert "documents:  30" in result.output
    assert "2021-02-11 to 2024-10-21" in result.output
    as_json = runner.invoke(cli, ["stats", "--json", "--index", str(built_index)]).output
    assert len(as_json.splitlines()) == 1
    data = json.loads(as_json)
    assert data["documents"] == 30 and data["size_bytes"] > 0


def test_counts_are_worded_for_one_and_for_many(runner, built_index, engine):
    one = runner.invoke(cli, ["query", "Tulliver", "--index", str(built_index)])
    many = runner.invoke(cli, ["query", "corridor", "--no-collapse", "--index", str(built_index)])
    assert one.exit_code == 0, one.output
    stories = " in 1 story" if engines.engine_class(engine).collapses else ""
    assert one.output.splitlines()[-1] == f"1 matching article{stories}; showing 1-1."
    assert many.output.splitlines()[-1].endswith(" matching articles; showing 1-5.")


def test_stats_lists_the_twenty_largest_sources_then_how_many_more(runner, tmp_path):
    records = [{"id": f"{number}-{copy}", "title": f"Harbour news {number}", "body": "The harbour reopened.",
                "source": f"Coastal Gazette of District {number:02}"}
               for number in range(26) for copy in range(1 + number % 3)]
    with index_holding(tmp_path / "ix", records):
        pass
    result = runner.invoke(cli, ["stats", "--index", str(tmp_path / "ix")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = next(number for number, line in enumerate(lines) if line.startswith("sources:"))
    wrapped = [line for line in lines[start:] if line.startswith(("sources:", " "))]
    listed = " ".join(" ".join(line.split()) for line in wrapped)
    assert len(wrapped) > 1 and all(len(line) <= CHART_WIDTH and line.endswith((")", ",", "more")) for line in wrapped)
    assert listed.startswith("sources: Coastal Gazette of District 02 (3), Coastal Gazette of District 05 (3),")
    assert listed.count("Coastal Gazette") == 20 and listed.endswith("District 06 (1), and 6 more")


def test_query_without_index_tells_user_to_build_one(runner, tmp_path):
    result = runner.invoke(cli, ["query", "x", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "run 'newsearch index" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_index_folder_from_environment(runner, built_index):
    result = runner.invoke(cli, ["stats"], env={"NEWSEARCH_INDEX": str(built_index)})
    assert result.exit_code == 0, result.output
    assert str(built_index) in result.output


def test_bad_query_is_one_line_exit_1(runner, built_index):
    result = runner.invoke(cli, ["query", '"Mariupol corridor', "--index", str(built_index)])
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "no closing quote" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_date_option_is_exit_1(runner, built_index):
    result = runner.invoke(cli, ["query", "harbour", "--since", "someday", "--index", str(built_index)])
    assert result.exit_code == 1
    assert "since" in result.stderr and "someday" in result.stderr


def test_unknown_option_is_usage_error(runner, built_index):
    result = runner.invoke(cli, ["query", "x", "--frobnicate", "--index", str(built_index)])
    assert result.exit_code == 2


def test_index_reports_bad_files_and_exits_1(runner, tmp_path, tiny_corpus):
    (tiny_corpus / "bad.json").write_text("{not json")
    result = runner.invoke(cli, ["index", str(tiny_corpus), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 1
    assert "bad.json: invalid JSON" in result.stderr
    assert "30 added" in result.stdout and "1 failed" in result.stdout


def test_update_uses_remembered_folders(runner, tmp_path, tiny_corpus):
    folder = str(tmp_path / "ix")
    runner.invoke(cli, ["index", str(tiny_corpus), "--index", folder])
    (tiny_corpus / "txt" / "late.txt").write_text("Late edition\n\nThe late edition went to press.\n")
    result = runner.invoke(cli, ["update", "--index", folder])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 added, 0 changed, 0 deleted, 0 failed, 30 unchanged")


def test_python_dash_m_runs_the_cli(built_index):
    result = subprocess.run([sys.executable, "-m", "newsearch", "query", "Mariupol corridor", "--limit", "1",
                             "--index", str(built_index)], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stderr
    assert SEED_ID in result.stdout


def test_shell_completion_offers_commands_and_options():
    def complete(words: str) -> list[str]:
        environment = {"PATH": os.environ.get("PATH", ""), "_NEWSEARCH_COMPLETE": "bash_complete",
                       "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)}
        result = subprocess.run([sys.executable, "-m", "newsearch"], env=environment, capture_output=True, text=True,
                                cwd=ROOT, check=True)
        return result.stdout.splitlines()

    assert complete("newsearch qu") == ["plain,query"]
    assert complete("newsearch similar x --dup") == ["plain,--duplicates"]
    assert complete("newsearch query x --js") == ["plain,--json", "plain,--jsonl"]


def test_version_needs_no_installed_metadata(runner, monkeypatch):
    import importlib.metadata

    import newsearch

    def uninstalled(name):  # what a checkout that was never pip-installed answers
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", uninstalled)
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output == f"newsearch, version {newsearch.__version__}\n"


STUB_PAGE = ('<html><head><title>Subscribers only: the harbour deal | Harbour Gazette</title></head>'
             '<body><div id="app"></div><script>render()</script></body></html>')


def test_extract_prints_metadata_then_body(runner):
    page = ROOT / "corpus" / "html" / "central-bank-holds-rates.html"
    result = runner.invoke(cli, ["extract", str(page)])
    assert result.exit_code == 0, result.output
    head, body = result.output.split("\n\n", 1)
    assert "title:      Valdoria central bank holds rates as inflation eases to 3.1 percent" in head
    assert "published:  2023-09-21T14:00:00+02:00" in head
    assert "source:     Valdoria Wire" in head
    assert body.strip() and "cookie" not in body.lower()


def test_extract_json_matches_the_reader_api(runner, tmp_path):
    from newsearch import read_article

    page = ROOT / "corpus" / "html" / "lighthouse-museum-reopens.html"
    stub = tmp_path / "stub.html"
    stub.write_text(STUB_PAGE)
    result = runner.invoke(cli, ["extract", str(page), str(stub), "--jsonl"])
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first == read_article(page).to_dict()
    whole = runner.invoke(cli, ["extract", str(page), str(stub), "--json"])
    assert json.loads(whole.stdout) == {"articles": [first, second], "failed": []}
    assert second["title"] == "Subscribers only: the harbour deal" and second["body"] == ""
    assert "no article text" in second["warnings"][0]
    assert "warning: " in result.stderr and str(stub) in result.stderr


def test_extract_reports_unreadable_files_and_goes_on(runner, tmp_path):
    binary = tmp_path / "photo.html"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    page = ROOT / "corpus" / "html" / "lighthouse-museum-reopens.html"
    result = runner.invoke(cli, ["extract", str(binary), str(page), "--json"])
    assert result.exit_code == 1
    assert f"{binary}: binary file" in result.stderr
    answer = json.loads(result.stdout)
    assert [article["id"] for article in answer["articles"]] == ["lighthouse-museum-reopens.html"]
    assert [(failure["path"], failure["reason"].startswith("binary file")) for failure in answer["failed"]] == [
        (str(binary), True)]


def test_title_only_page_is_indexed_with_a_warning_and_flagged_in_show(runner, tmp_path, tiny_corpus):
    (tiny_corpus / "stub.html").write_text(STUB_PAGE)
    built = runner.invoke(cli, ["index", str(tiny_corpus), "--index", str(tmp_path / "ix")])
    assert built.exit_code == 0, built.output
    assert "31 added" in built.stdout
    assert "warning: " in built.stderr and "stub.html: no article text" in built.stderr
    shown = runner.invoke(cli, ["show", "stub.html", "--index", str(tmp_path / "ix")])
    assert "warnings:   " in shown.output and "no article text" in shown.output


def test_date_options_beyond_the_calendar_are_one_line(runner, built_index):
    for value in ("3000y", "99999999999d", "99999-01-01"):
        result = runner.invoke(cli, ["query", "harbour", "--since", value, "--index", str(built_index)])
        assert result.exit_code == 1, (value, result.output)
        assert "since" in result.stderr and "Traceback" not in result.stderr


def test_extract_prints_every_record_of_a_feed_and_reports_bad_lines(runner, tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"id": "a", "title": "First", "body": "One."}\n{broken\n'
                    '{"id": "b", "title": "Second", "body": "Two."}\n')
    result = runner.invoke(cli, ["extract", str(feed), "--jsonl"])
    assert result.exit_code == 1
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["a", "b"]
    assert f"{feed} line 2: invalid JSON" in result.stderr

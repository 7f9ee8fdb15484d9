"""What an update reads and keeps: ids owned by files, retried failures, the shrink guard, nightly exit codes,
exclusions."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from pathlib import Path

import pytest
from test_update import make_corpus, snapshot

from newsearch import Index
from newsearch.cli import cli

from conftest import shared_path


def _reuters(count: int) -> list[dict]:
    """The first ``count`` Reuters-21578 records with a title and a body."""
    found = []
    with gzip.open(shared_path("reuters", "reuters.jsonl.gz"), "rt", encoding="utf-8") as feed:
        for line in feed:
            record = json.loads(line)
            if record.get("title") and record.get("body"):
                found.append(record)
            if len(found) == count:
                return found
    return found


def _feed(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")


# --- ids owned by the files that give them --------------------------------------------------------


@pytest.mark.parametrize("how", ["deleted", "stops giving it"])
def test_an_id_given_by_two_files_stays_while_either_holds_it(runner, tmp_path, how):
    first, second, other, own = _reuters(4)
    corpus, folder = tmp_path / "corpus", tmp_path / "ix"
    _feed(corpus / "a.jsonl", [{**first, "id": "shared"}, other])
    _feed(corpus / "b.jsonl", [{**second, "id": "shared"}, own])  # unchanged from now on
    report = Index.build(folder, corpus)
    assert [(Path(where).name, reason) for where, reason in report.failed] == [
        ("b.jsonl", f"duplicate id 'shared' (also given by {corpus / 'a.jsonl'}); not indexed")]
    if how == "deleted":
        (corpus / "a.jsonl").unlink()
    else:
        _feed(corpus / "a.jsonl", [other])
    result = runner.invoke(cli, ["update", "--index", str(folder)])
    assert result.exit_code == 0, result.output
    with Index.open(folder) as ix:
        assert ix.get("shared").title == second["title"]  # the file that still gives it holds it now
    Index.build(tmp_path / "fresh", corpus)
    assert snapshot(folder) == snapshot(tmp_path / "fresh")
    again = runner.invoke(cli, ["update", "--index", str(folder)])
    assert again.exit_code == 0 and again.stderr == ""  # no report naming a file that is gone


# --- failed files are retried ---------------------------------------------------------------------


def test_a_failed_file_is_retried_every_run_even_when_its_size_and_time_are_the_same(tmp_path):
    story = _reuters(1)[0]
    text = f"{story['title']}\n\n{story['body']}\n".encode()
    corpus, folder = tmp_path / "corpus", tmp_path / "ix"
    corpus.mkdir()
    page = corpus / "story.txt"
    page.write_bytes(b"\x00" * len(text))  # unreadable for now, as a file whose permissions deny reading
    stat = page.stat()
    report = Index.build(folder, corpus)
    assert [reason for _, reason in report.failed] == ["binary file, not text"]
    page.write_bytes(text)  # fixed, with the same size and modification time
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with Index.open(folder) as ix:
        report = ix.update()
        assert report.ok and report.added == 1
        assert ix.get("story.txt").title == story["title"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its permissions")
def test_a_file_whose_permission_is_fixed_is_read_on_the_next_run(tmp_path, tiny_corpus):
    page = next((tiny_corpus / "txt").glob("*.txt"))
    page.chmod(0)
    report = Index.build(tmp_path / "ix", tiny_corpus)
    assert [Path(where).name for where, _ in report.failed] == [page.name]
    page.chmod(0o644)
    with Index.open(tmp_path / "ix") as ix:
        assert ix.update().added == 1


# --- the shrink guard -----------------------------------------------------------------------------


def test_an_update_that_would_delete_most_of_the_index_stops_unless_allowed(runner, tmp_path):
    corpus, folder = tmp_path / "corpus", tmp_path / "ix"
    make_corpus(corpus, 200)
    Index.build(folder, corpus)
    for part in corpus.glob("part*"):
        if part.name != "part0":
            shutil.rmtree(part)  # 154 of the 200 documents gone at once
    before = snapshot(folder)
    refused = runner.invoke(cli, ["update", "--index", str(folder)])
    assert refused.exit_code == 1
    assert "would delete 154 of the 200 documents" in refused.stderr and "--allow-shrink" in refused.stderr
    assert snapshot(folder) == before
    allowed = runner.invoke(cli, ["update", "--allow-shrink", "--index", str(folder)])
    assert allowed.exit_code == 0, allowed.output
    assert "154 deleted" in allowed.stdout


def test_a_rebuild_that_would_shrink_the_index_or_of_an_empty_folder_is_refused(runner, tmp_path):
    corpus, folder = tmp_path / "corpus", tmp_path / "ix"
    make_corpus(corpus, 200)
    Index.build(folder, corpus)
    before = snapshot(folder)
    for part in corpus.glob("part*"):
        shutil.rmtree(part)
    shrunk = runner.invoke(cli, ["index", "--rebuild", "--index", str(folder)])
    assert shrunk.exit_code == 1
    assert "would hold 20 of the 200 documents" in shrunk.stderr
    (corpus / "feed.jsonl").unlink()  # an emptied (unmounted) folder
    empty = runner.invoke(cli, ["index", "--rebuild", "--allow-shrink", "--index", str(folder)])
    assert empty.exit_code == 1
    assert "no article files" in empty.stderr
    assert snapshot(folder) == before


# --- the nightly job reports news ------------------------------------------------------------------


def test_unchanged_failures_exit_0_with_a_reminder_and_new_ones_exit_1(runner, tmp_path, tiny_corpus):
    folder = tmp_path / "ix"
    (tiny_corpus / "broken.html").write_bytes(b"\x00\x01binary")
    built = runner.invoke(cli, ["index", str(tiny_corpus), "--index", str(folder)])
    assert built.exit_code == 1 and "broken.html: binary file, not text" in built.stderr
    quiet = runner.invoke(cli, ["update", "--index", str(folder)])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr.splitlines() == ["newsearch: 1 failure seen before, in files that did not change "
                                         "(newsearch update --json lists them)"]
    assert json.loads(runner.invoke(cli, ["update", "--json", "--index", str(folder)]).stdout)["known_failures"] == [
        {"path": str(tiny_corpus / "broken.html"), "reason": "binary file, not text"}]
    (tiny_corpus / "also-broken.txt").write_bytes(b"\x00\x02binary")
    news = runner.invoke(cli, ["update", "--index", str(folder)])
    assert news.exit_code == 1
    assert [line for line in news.stderr.splitlines() if "skipped" in line] == [
        f"newsearch: skipped {tiny_corpus / 'also-broken.txt'}: binary file, not text"]
    assert runner.invoke(cli, ["update", "--index", str(folder)]).exit_code == 0
    assert runner.invoke(cli, ["check", "--index", str(folder)]).exit_code == 0


# --- what is never read as corpus -----------------------------------------------------------------


def test_an_index_inside_its_corpus_is_never_read_as_articles(runner, tmp_path, tiny_corpus, monkeypatch):
    monkeypatch.chdir(tiny_corpus)
    built = runner.invoke(cli, ["index", ".", "--index", "index"])
    assert built.exit_code == 0, built.output
    again = runner.invoke(cli, ["update", "--index", "index"])
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("0 added, 0 changed, 0 deleted, 0 failed, 30 unchanged")


def test_exclude_patterns_and_the_ignore_file_keep_files_out_and_are_remembered(runner, tmp_path, tiny_corpus):
    folder = tmp_path / "ix"
    (tiny_corpus / ".newsearchignore").write_text("# drafts are not published\ndrafts/\n*.tmp.txt\n")
    (tiny_corpus / "drafts").mkdir()
    (tiny_corpus / "drafts" / "draft.txt").write_text("Draft\n\nNot yet.\n")
    (tiny_corpus / "txt" / "scratch.tmp.txt").write_text("Scratch\n\nNotes.\n")
    built = runner.invoke(cli, ["index", str(tiny_corpus), "--exclude", "json/*", "--index", str(folder)])
    assert built.exit_code == 0, built.output
    with Index.open(folder) as ix:
        ids = {article.id for article in ix.articles()}
    assert not any(id.startswith(("drafts/", "json/")) or id.endswith(".tmp.txt") for id in ids)
    assert any(id.startswith("txt/") for id in ids)
    update = runner.invoke(cli, ["update", "--index", str(folder)])
    assert update.exit_code == 0 and " 0 added" in " " + update.stdout  # the exclusion is remembered

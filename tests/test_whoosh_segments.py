"""A Whoosh build written by several processes, one segment each: the same index as one writer, nothing left
on failure."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from test_update import make_corpus, snapshot

import newsearch.engines.whoosh
from newsearch import Index, generations
from newsearch.article import Article
from newsearch.engines.whoosh import WhooshEngine, _document
from newsearch.engines.whoosh_segments import SegmentWriteError, discard_segments, write_segments

from conftest import whoosh_segments

pytestmark = pytest.mark.only_engine("whoosh")

QUERIES = ["harbour", "ferry council", "storm OR flood", '"river school"', "budget -strike", "comet*",
           "vaccine wheat railway", "title:festival", "market rates inflation"]


def _results(folder: Path) -> dict:
    """Every query's total and top ids with their scores, copies listed and collapsed."""
    with Index.open(folder) as ix:
        return {text: [(results.total, [(hit.id, round(hit.score, 6)) for hit in results.hits])
                       for results in (ix.query(text, limit=20), ix.query(text, limit=20, collapse=True))]
                for text in QUERIES}


def test_a_build_in_segment_workers_gives_the_same_documents_and_results(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    make_corpus(corpus, 700)
    serial = Index.build(tmp_path / "serial", corpus, engine="whoosh")
    monkeypatch.setattr(newsearch.engines.whoosh, "PARALLEL_MIN_DOCUMENTS", 50)
    parallel = Index.build(tmp_path / "parallel", corpus, engine="whoosh", workers=2)
    assert len(whoosh_segments(generations.live(tmp_path / "parallel"))) == 2
    assert (parallel.added, parallel.failed) == (serial.added, serial.failed) == (700, ())
    assert snapshot(tmp_path / "parallel") == snapshot(tmp_path / "serial")
    assert _results(tmp_path / "parallel") == _results(tmp_path / "serial")
    with Index.open(tmp_path / "parallel") as ix:  # and it updates like any index
        ix.add([{"id": "late", "title": "Late harbour story", "body": "harbour ferry"}])
        assert ix.query("harbour").total == ix.query("harbour").total > 0
        assert ix.get("late").title == "Late harbour story"


def test_a_build_under_the_threshold_stays_in_one_process(tmp_path):
    corpus = tmp_path / "corpus"
    make_corpus(corpus, 30)
    Index.build(tmp_path / "ix", corpus, engine="whoosh", workers=2)
    assert len(whoosh_segments(generations.live(tmp_path / "ix"))) == 1


def refusing_document(article: Article) -> dict:
    """whoosh fields, except for one article (a stand-in for any failure inside a segment worker)."""
    if article.id == "a-150":
        raise ValueError("cannot index a-150")
    return _document(article)


def test_a_failing_segment_worker_commits_nothing_and_leaves_no_files_or_processes(tmp_path):
    engine = WhooshEngine.create(tmp_path / "ix")
    before = sorted(p.name for p in (tmp_path / "ix").iterdir())
    writer = engine._writer()  # the lock file it makes stays, as after any write
    articles = (Article(id=f"a-{n}", title=f"Story {n}", body="harbour ferry " * 20) for n in range(400))
    with pytest.raises(SegmentWriteError, match="cannot index a-150"):
        write_segments(writer, articles, 2, refusing_document)
    writer.cancel()
    discard_segments(writer)
    assert sorted(p.name for p in (tmp_path / "ix").iterdir()) == sorted([*before, "MAIN_WRITELOCK"])
    assert WhooshEngine.open(tmp_path / "ix").count() == 0
    assert _children() == []


def test_a_build_failing_midway_leaves_the_live_index_and_no_workers(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    make_corpus(corpus, 400)
    folder = tmp_path / "ix"
    Index.build(folder, corpus, engine="whoosh")
    live = generations.live(folder)
    monkeypatch.setattr(newsearch.engines.whoosh, "PARALLEL_MIN_DOCUMENTS", 50)

    def interrupted(done: int, total: int) -> None:
        if done == 300:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Index.build(folder, corpus, engine="whoosh", workers=2, progress=interrupted)
    assert list(folder.glob("gen-*")) == [live]
    assert _children() == []
    with Index.open(folder) as ix:
        assert len(ix.articles()) == 400


def _children() -> list[int]:
    """Pids of this process's live worker processes (Linux /proc), after a moment for them to exit;
    multiprocessing's resource tracker, which lives as long as this process, is not one."""
    deadline = time.monotonic() + 5
    while True:
        pids = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split()
        found = [int(pid) for pid in pids if b"spawn_main" in _command_line(pid)]
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _command_line(pid: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""

"""Nightly updates: change detection, equality with a fresh build, kill -9 safety, readers during writes, the lock."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from newsearch import ArticleNotFound, Index, IndexLocked, generations, stored
from newsearch.cli import cli
from newsearch.duplicates import Groups
from newsearch.lock import WriteLock

from conftest import ROOT, whoosh_segments

WORDS = ("harbour ferry council budget storm flood bridge election turnout museum comet vaccine wheat "
         "railway tram festival strike court verdict market rates inflation river school hospital").split()


def _article_text(rng: random.Random, number: int) -> str:
    title = " ".join(rng.choice(WORDS) for _ in range(5)).capitalize()
    paragraphs = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 60))) + "." for _ in range(3)]
    return f"{title} {number}\n\n" + "\n\n".join(paragraphs) + "\n"


def make_corpus(folder: Path, count: int, seed: int = 1) -> None:
    """``count`` articles: most as .txt files in subfolders, a tenth as records of one JSONL feed."""
    rng = random.Random(seed)
    feed = []
    for number in range(count):
        if number % 10 == 9:
            feed.append({"id": f"feed-{number}", "title": f"Feed story {number}", "body": _article_text(rng, number)})
            continue
        path = folder / f"part{number % 7}" / f"story-{number:05d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_article_text(rng, number), encoding="utf-8")
    (folder / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in feed), encoding="utf-8")


def mutate(folder: Path, rng: random.Random, share: float = 0.05) -> None:
    """Change, delete and add a share of the files, and change, drop and add feed records."""
    files = sorted(folder.rglob("story-*.txt"))
    for path in rng.sample(files, max(1, int(len(files) * share))):
        action = rng.random()
        if action < 0.5:
            path.write_text(_article_text(rng, rng.randint(0, 10**6)), encoding="utf-8")
        elif action < 0.7:
            path.unlink()
        else:
            path.rename(path.with_name(f"moved-{path.name}"))
    for number in range(int(len(files) * share)):
        new = folder / "new" / f"story-n{rng.randint(0, 10**9)}.txt"
        new.parent.mkdir(exist_ok=True)
        new.write_text(_article_text(rng, number), encoding="utf-8")
    feed = folder / "feed.jsonl"
    records = [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines()]
    records = [r for r in records if rng.random() > share]
    for record in rng.sample(records, max(1, int(len(records) * share))):
        record["body"] = _article_text(rng, rng.randint(0, 10**6))
    records.append({"id": f"feed-new-{rng.randint(0, 10**9)}", "title": "Late feed story", "body": "harbour"})
    feed.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def snapshot(folder: Path) -> dict:
    """Every stored document with all its fields, by id."""
    with Index.open(folder) as ix:
        return {article.id: article.to_dict() for article in ix.articles()}


def tree_state(folder: Path) -> dict:
    """Names, sizes, times and hashes of every file under ``folder``."""
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, hashlib.sha1(p.read_bytes()).hexdigest())
            for p in sorted(folder.rglob("*")) if p.is_file()}


def newsearch(*args: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newsearch", *args], capture_output=True, text=True, cwd=ROOT,
                          check=False, **options)


def test_updates_in_any_sequence_equal_a_fresh_build(tmp_path):
    corpus = tmp_path / "corpus"
    make_corpus(corpus, 300)
    Index.build(tmp_path / "ix", corpus)
    rng = random.Random(3)
    for _ in range(4):
        mutate(corpus, rng, share=0.2)
        with Index.open(tmp_path / "ix") as ix:
            report = ix.update()
        assert report.ok and report.pending
    Index.build(tmp_path / "fresh", corpus)
    assert snapshot(tmp_path / "ix") == snapshot(tmp_path / "fresh")
    # Ranking too: whoosh counts deleted documents in its statistics and we correct for them.
    # Field lengths of deleted documents are known only as whoosh stores them (rounded), so
    # scores agree to about 1e-4 and the order is the same. (tantivy, like Lucene, counts
    # deleted documents until segments merge: there only the matches are the same.)
    with Index.open(tmp_path / "ix") as updated, Index.open(tmp_path / "fresh") as fresh:
        for text in ("harbour ferry", "storm flood bridge", "election", "museum OR comet", "wheat railway tram"):
            ours, theirs = updated.query(text, limit=20), fresh.query(text, limit=20)
            assert ours.total == theirs.total
            if updated.stats().engine != "whoosh":
                continue
            assert [hit.id for hit in ours] == [hit.id for hit in theirs], text
            assert [hit.score for hit in ours] == pytest.approx([hit.score for hit in theirs], rel=1e-3)


def test_moved_file_is_indexed_once(tmp_path, tiny_corpus):
    Index.build(tmp_path / "ix", tiny_corpus)
    (tiny_corpus / "archive").mkdir()
    (tiny_corpus / "txt" / "harbour-bridge-reopens.txt").rename(tiny_corpus / "archive" / "bridge.txt")
    with Index.open(tmp_path / "ix") as ix:
        report = ix.update()
        hits = ix.query('"Harbour bridge reopens"', limit=10)
        assert [hit.id for hit in hits] == ["archive/bridge.txt"]
        assert ix.stats().documents == 30
    assert (report.added, report.deleted) == (1, 1)


def test_several_source_folders(tmp_path, tiny_corpus):
    other = tmp_path / "other"
    make_corpus(other, 20)
    Index.build(tmp_path / "ix", [tiny_corpus, other])
    (other / "part1" / "story-00001.txt").unlink()
    (tiny_corpus / "txt" / "late.txt").write_text("Late edition\n\nPress time.\n")
    with Index.open(tmp_path / "ix") as ix:
        report = ix.update()
        assert ix.stats().corpus == (str(tiny_corpus), str(other))
    assert (report.added, report.deleted, report.unchanged) == (1, 1, 30 + 19)


def test_nothing_changed_reads_no_file(tmp_path, tiny_corpus, monkeypatch):
    Index.build(tmp_path / "ix", tiny_corpus)
    import newsearch.indexer

    def fail(*args, **kwargs):
        raise AssertionError("an unchanged file was read")

    monkeypatch.setattr(newsearch.indexer, "stream_file", fail)
    with Index.open(tmp_path / "ix") as ix:
        report = ix.update()
    assert (report.unchanged, report.pending) == (30, False)


def test_touched_but_identical_file_is_unchanged(tmp_path, tiny_corpus):
    Index.build(tmp_path / "ix", tiny_corpus)
    path = tiny_corpus / "jsonl" / "newsdesk-feed.jsonl"
    os.utime(path, ns=(time.time_ns(), time.time_ns()))
    with Index.open(tmp_path / "ix") as ix:
        report = ix.update()
    assert (report.changed, report.unchanged) == (0, 30)


def test_dry_run_changes_nothing_on_disk(runner, tmp_path, tiny_corpus):
    Index.build(tmp_path / "ix", tiny_corpus)
    mutate_target = tiny_corpus / "txt" / "harbour-bridge-reopens.txt"
    mutate_target.write_text("Harbour bridge closes again\n\nEngineers found new cracks.\n")
    (tiny_corpus / "txt" / "bakery-cooperative-expands.txt").unlink()
    before = tree_state(tmp_path / "ix")
    result = runner.invoke(cli, ["update", "--dry-run", "--index", str(tmp_path / "ix")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("would be 0 added, 1 changed, 1 deleted")
    assert tree_state(tmp_path / "ix") == before


def test_update_json_summary(runner, tmp_path, tiny_corpus):
    Index.build(tmp_path / "ix", tiny_corpus)
    (tiny_corpus / "bad.json").write_text("[{")
    result = runner.invoke(cli, ["update", "--json", "--index", str(tmp_path / "ix")])
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["unchanged"] == 30 and summary["failed"][0]["path"].endswith("bad.json")


def test_quiet_prints_only_errors(runner, tmp_path, tiny_corpus):
    Index.build(tmp_path / "ix", tiny_corpus)
    quiet = runner.invoke(cli, ["update", "--quiet", "--index", str(tmp_path / "ix")])
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", "")
    (tiny_corpus / "empty.txt").write_text("")
    failing = runner.invoke(cli, ["update", "-q", "--index", str(tmp_path / "ix")])
    assert failing.exit_code == 1 and failing.stdout == ""
    assert "empty.txt: empty file" in failing.stderr


def test_second_writer_exits_75_naming_the_holder(runner, tmp_path, tiny_corpus):
    folder = tmp_path / "ix"
    Index.build(folder, tiny_corpus)
    with WriteLock(folder):
        result = runner.invoke(cli, ["update", "--index", str(folder)])
        rebuild = runner.invoke(cli, ["index", str(tiny_corpus), "--index", str(folder)])
    assert result.exit_code == 75 and rebuild.exit_code == 75
    assert f"being written by process {os.getpid()}" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_wait_takes_the_lock_once_it_is_free(tmp_path, tiny_corpus):
    folder = tmp_path / "ix"
    Index.build(folder, tiny_corpus)
    lock = WriteLock(folder).__enter__()
    threading.Timer(0.5, lock.__exit__, (None, None, None)).start()
    with Index.open(folder) as ix:
        with pytest.raises(IndexLocked):
            ix.update(wait=0.1)
        assert ix.update(wait=10).unchanged == 30


def test_lock_of_a_killed_process_is_taken_over(tmp_path, tiny_corpus):
    folder = tmp_path / "ix"
    Index.build(folder, tiny_corpus)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from newsearch.lock import WriteLock\n"
        f"lock = WriteLock(Path({str(folder)!r})).__enter__(); print('locked', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert holder.stdout.readline().strip() == "locked"
    with Index.open(folder) as ix:
        with pytest.raises(IndexLocked, match=f"process {holder.pid}"):
            ix.update()
        holder.kill()
        holder.wait()
        assert ix.update().unchanged == 30


def test_index_from_another_version_is_one_line(runner, tmp_path, tiny_corpus):
    folder = tmp_path / "ix"
    Index.build(folder, tiny_corpus)
    (folder / "newsearch.json").write_text('{"format": 99, "engine": "whoosh", "generation": "gen-000001"}')
    result = runner.invoke(cli, ["query", "harbour", "--index", str(folder)])
    assert result.exit_code == 1
    assert "another version of newsearch; rebuild it" in result.stderr


def test_check_tells_whether_the_index_matches_its_sources(runner, tmp_path, tiny_corpus):
    folder = str(tmp_path / "ix")
    Index.build(folder, tiny_corpus)
    fine = runner.invoke(cli, ["check", "--index", folder])
    assert fine.exit_code == 0, fine.output
    assert fine.output.startswith("ok: 30 documents")
    (tiny_corpus / "txt" / "new.txt").write_text("Fresh story\n\nNew text.\n")
    stale = runner.invoke(cli, ["check", "--index", folder])
    assert stale.exit_code == 1
    assert "out of date" in stale.output and "would be 1 added" in stale.output


def test_optimize_keeps_every_document(runner, tmp_path, tiny_corpus):
    folder = tmp_path / "ix"
    Index.build(folder, tiny_corpus)
    for number in range(3):
        (tiny_corpus / f"extra-{number}.txt").write_text(f"Extra {number}\n\nMore harbour news.\n")
        Index.open(folder).update()
    before = snapshot(folder)
    result = runner.invoke(cli, ["optimize", "--index", str(folder)])
    assert result.exit_code == 0, result.output
    assert snapshot(folder) == before
    assert Index.open(folder).stats().documents == 33
    if Index.open(folder).stats().engine == "whoosh":  # tantivy merges as it writes, by its own policy
        assert len(whoosh_segments(generations.live(folder))) == 1


def test_rebuild_switches_generations_and_removes_the_old_one(runner, tmp_path, tiny_corpus):
    folder = tmp_path / "ix"
    Index.build(folder, tiny_corpus)
    with Index.open(folder) as reader:
        assert reader.query("Mariupol").total == 1
        (tiny_corpus / "000_fdb48ad2d1f0ca55.txt").unlink()
        result = runner.invoke(cli, ["index", "--rebuild", "--index", str(folder)])
        assert result.exit_code == 0, result.output
        # the open Index follows the new generation on its next query
        assert reader.query("Mariupol corridor OR harbour").total > 0
        with pytest.raises(ArticleNotFound):
            reader.get("000_fdb48ad2d1f0ca55.txt")
    assert [p.name for p in folder.glob("gen-*")] == ["gen-000002"]


def test_killed_runs_never_break_the_index(tmp_path):
    """kill -9 at 20 random moments of updates and rebuilds; the index always answers, then converges."""
    corpus, folder = tmp_path / "corpus", tmp_path / "ix"
    make_corpus(corpus, 2000)
    Index.build(folder, corpus)
    rng = random.Random(20)
    mutate(corpus, rng)
    started = time.monotonic()
    assert newsearch("update", "--index", str(folder)).returncode == 0
    duration = time.monotonic() - started
    outcomes = []
    workers_before = _reading_workers()
    for round_number in range(20):
        mutate(corpus, rng)
        command = ["index", "--rebuild"] if round_number % 5 == 4 else ["update"]
        process = subprocess.Popen([sys.executable, "-m", "newsearch", *command, "--index", str(folder)],
                                   cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0, duration * (3 if command[0] == "index" else 1.2)))
        process.kill()
        process.wait()
        outcomes.append(process.returncode)
        with Index.open(folder) as ix:
            assert ix.query("harbour OR ferry").total > 0
    assert -9 in outcomes  # most runs were really killed
    # reading workers of killed runs end with them, instead of living on (and holding the lock)
    deadline = time.monotonic() + 5
    while _reading_workers() - workers_before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _reading_workers() - workers_before == set()
    with Index.open(folder) as ix:
        final = ix.update()
    assert final.ok
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        f"gen-{max(int(p.name[4:]) for p in folder.glob('gen-*')):06d}", "newsearch.json", "synonyms.txt"]
    # what killed writers left inside the live generation (temporary postings, MAIN.tmp) is gone too
    assert _leftovers(next(folder.glob("gen-*"))) == []
    Index.build(tmp_path / "fresh", corpus)
    assert snapshot(folder) == snapshot(tmp_path / "fresh")
    with Index.open(folder) as ix:  # the near-duplicate groups saved agree with the engine's documents
        held = {article.id: article.group for article in ix.articles()}
    assert saved_groups(folder) == held


_API_WRITES = """
import random, sys
from pathlib import Path
from newsearch import Index

folder, corpus, seed, rounds = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)
stories = sorted(corpus.rglob("story-*.txt"))
with Index.open(folder) as ix:
    for number in range(rounds):  # until killed
        originals = rng.sample(stories, 4)
        ix.add([{"id": f"api-{seed}-{number}-{n}", "title": "Copy", "body": path.read_text() + f"Copy {n}."}
                for n, path in enumerate(originals + originals[:2])])  # near-duplicates: groups change
        ids = [article.id for article in ix.articles() if article.id.startswith("api-")]
        ix.delete(rng.sample(ids, min(len(ids), 3)))
"""


def test_killed_api_writes_leave_groups_and_engine_in_step(tmp_path):
    """kill -9 at random moments of Index.add and Index.delete (near-duplicate copies joining and leaving
    groups): the index always answers; after the next update the saved groups equal the engine's, nothing
    is missing or ghostly; and once the copies are deleted the index equals a fresh build."""
    corpus, folder = tmp_path / "corpus", tmp_path / "ix"
    make_corpus(corpus, 400)
    Index.build(folder, corpus)
    started = time.monotonic()
    writes = [sys.executable, "-c", _API_WRITES, str(folder), str(corpus)]
    subprocess.run([*writes, "0", "1"], cwd=ROOT, check=True)
    duration = time.monotonic() - started
    rng = random.Random(21)
    outcomes = []
    for round_number in range(1, 13):
        process = subprocess.Popen([*writes, str(round_number), "1000"], cwd=ROOT, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0, duration * 1.5))
        process.kill()
        process.wait()
        outcomes.append(process.returncode)
        with Index.open(folder) as ix:
            assert ix.query("harbour OR ferry").total > 0
            assert ix.update().ok
            held = {article.id: article.group for article in ix.articles()}
            check = ix.check()
        assert saved_groups(folder) == held
        assert (check.missing, check.ghosts, check.cut) == (0, 0, False)
        assert check.unknown == sum(id.startswith("api-") for id in held)
    assert -9 in outcomes
    with Index.open(folder) as ix:
        ix.delete([article.id for article in ix.articles() if article.id.startswith("api-")])
        assert ix.update().ok
    Index.build(tmp_path / "fresh", corpus)
    assert snapshot(folder) == snapshot(tmp_path / "fresh")
    assert _partition(folder) == _partition(tmp_path / "fresh")
    assert saved_groups(folder) == snapshot_groups(folder)


def snapshot_groups(folder: Path) -> dict[str, str]:
    """id -> group, as the engine stores them."""
    with Index.open(folder) as ix:
        return {article.id: article.group for article in ix.articles()}


def saved_groups(folder: Path) -> dict[str, str]:
    """id -> group, as the live generation's state store holds them."""
    with stored.open_state(generations.live(folder)) as state:
        return Groups(state=state).mapping()


STATE_FILES = ("state.sqlite",)


def _leftovers(generation: Path) -> list[str]:
    """Files in a generation folder that belong to no committed part of the index."""
    if (generation / "engine.json").exists():  # typesense: the data is in the cluster
        return [p.name for p in generation.iterdir() if p.name not in ("engine.json", *STATE_FILES)]
    if (generation / "meta.json").exists():  # tantivy: the segments meta.json lists, and its own bookkeeping
        segments = {segment["segment_id"].replace("-", "") for segment in
                    json.loads((generation / "meta.json").read_text())["segments"]}
        return [p.name for p in generation.iterdir() if p.name not in ("meta.json", ".managed.json", *STATE_FILES)
                and not p.name.startswith(".tantivy") and p.name.split(".")[0] not in segments]
    # whoosh: the files of the segments its table of contents lists (one compound file, or one file per part)
    segments = whoosh_segments(generation)
    return [p.name for p in generation.iterdir()
            if not re.fullmatch(r"_MAIN_\d+\.toc|MAIN_WRITELOCK|state\.sqlite", p.name)
            and p.name.split(".")[0] not in segments]


def _reading_workers() -> set[int]:
    """Pids of live multiprocessing workers started from this checkout (Linux /proc): the runs the tests start
    work in ROOT, so another checkout's test suite running on the machine is not counted."""
    pids = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"spawn_main" in (entry / "cmdline").read_bytes() \
                    and (entry / "cwd").resolve() == ROOT:
                pids.add(int(entry.name))
        except OSError:
            continue
    return pids


def test_reader_process_never_fails_during_updates_and_rebuilds(tmp_path):
    corpus, folder = tmp_path / "corpus", tmp_path / "ix"
    make_corpus(corpus, 600)
    Index.build(folder, corpus)
    stop = tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", (
        "import sys\nfrom pathlib import Path\nfrom newsearch import ArticleNotFound, Index\n"
        f"ix = Index.open({str(folder)!r}); count = 0\n"
        f"while not Path({str(stop)!r}).exists():\n"
        "    assert ix.query('harbour OR storm', limit=5).total > 0\n"
        "    try:\n"
        "        ix.get(next(iter(ix.query('harbour', limit=1))).id)\n"
        "    except ArticleNotFound:\n"
        "        pass  # deleted by the update between the two calls: a fair answer\n"
        "    count += 1\n"
        "print(count)")], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rng = random.Random(5)
    for round_number in range(6):
        mutate(corpus, rng, share=0.1)
        if round_number == 3:
            Index.build(folder, None)
        else:
            Index.open(folder).update()
    stop.write_text("")
    out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    assert int(out) > 10


def _readme_block_line(pattern: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(pattern, readme, re.MULTILINE)
    assert match, pattern
    return match.group(1)


@pytest.mark.parametrize("source", ["crontab", "systemd"])
def test_readme_scheduled_command_runs(tmp_path, tiny_corpus, source):
    if source == "crontab":
        command = _readme_block_line(r"^15 2 \* \* \* (.+)$")
    else:
        environment = _readme_block_line(r"^Environment=(.+)$")
        command = f"{environment} {_readme_block_line(r'^ExecStart=(.+)$')}"
    folder = tmp_path / "ix"
    Index.build(folder, tiny_corpus)
    (tiny_corpus / "txt" / "late.txt").write_text("Late edition\n\nPress time.\n")
    command = command.replace("/var/lib/newsearch", str(folder))
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(["sh", "-c", command], capture_output=True, text=True, env=env, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert Index.open(folder).query('"Late edition"').total == 1


def test_index_folder_that_cannot_be_written_is_one_line(runner, tmp_path, tiny_corpus):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = runner.invoke(cli, ["index", str(tiny_corpus), "--index", str(blocker / "ix")])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot write the index in")
    assert "Traceback" not in result.stderr


def test_reading_in_worker_processes_gives_the_same_index(tmp_path, monkeypatch):
    import newsearch.indexer

    corpus = tmp_path / "corpus"
    make_corpus(corpus, 300)
    (corpus / "broken.html").write_bytes(b"\x00\x01binary")
    monkeypatch.setattr(newsearch.indexer, "PARALLEL_MIN_FILES", 10)
    parallel = Index.build(tmp_path / "parallel", corpus, workers=2)
    sequential = Index.build(tmp_path / "sequential", corpus)
    assert snapshot(tmp_path / "parallel") == snapshot(tmp_path / "sequential")
    assert (parallel.added, parallel.failed) == (sequential.added, sequential.failed) == (300, sequential.failed)
    assert [reason for _, reason in parallel.failed] == ["binary file, not text"]


def test_a_big_feed_parsed_in_worker_processes_gives_the_same_index_and_errors(tmp_path, monkeypatch):
    import newsearch.indexer
    import newsearch.readers.chunks

    corpus = tmp_path / "corpus"
    make_corpus(corpus, 600)
    feed = corpus / "feed.jsonl"
    lines = feed.read_text(encoding="utf-8").splitlines()
    lines[3:3] = ["{not json", "", '["a list"]', '{"id": "feed-9", "title": "Twice"}']  # lines 4 to 7
    lines.append('{"title": ""}')
    feed.write_bytes(("\n".join(lines) + "\n").encode("utf-8") + b'{"title": "caf\xe9 latin-1"}\n')
    (corpus / "batch.json").write_text(json.dumps([{"id": "j1", "title": "Harbour batch"}, 7]), encoding="utf-8")
    monkeypatch.setattr(newsearch.indexer, "PARALLEL_MIN_FEED_BYTES", 1)
    monkeypatch.setattr(newsearch.readers.chunks, "CHUNK_LINES", 7)  # records and errors across many chunks
    parallel = Index.build(tmp_path / "parallel", corpus, workers=2)
    sequential = Index.build(tmp_path / "sequential", corpus)
    assert snapshot(tmp_path / "parallel") == snapshot(tmp_path / "sequential")
    assert (parallel.added, parallel.failed) == (sequential.added, sequential.failed)
    assert parallel.added == 600 + 2  # the latin-1 line is read as the encoding detector guesses
    assert [(Path(where).name, reason.split(":")[0]) for where, reason in parallel.failed] == [
        ("batch.json item 2", "record is a JSON int, not an object"), ("feed.jsonl line 4", "invalid JSON"),
        ("feed.jsonl line 6", "record is a JSON list, not an object"),
        ("feed.jsonl line 65", "record has neither a title nor a body"),
        ("feed.jsonl", "duplicate id 'feed-9' (also given by the same file); not indexed")]
    with Index.open(tmp_path / "parallel") as ix:
        assert ix.get("feed-9").title != "Twice"  # the first record of an id wins, as in one process


def test_near_duplicates_sketched_in_worker_processes_fall_in_the_same_groups(tmp_path, monkeypatch):
    import newsearch.indexer

    corpus = tmp_path / "corpus"
    make_corpus(corpus, 300)
    stories = sorted(corpus.rglob("story-*.txt"))
    for number, story in enumerate(stories[:20]):  # copies of files, as files and as feed records
        (corpus / "copies" / f"copy-{number}.txt").parent.mkdir(exist_ok=True)
        (corpus / "copies" / f"copy-{number}.txt").write_text(story.read_text() + "Reporting by a wire.\n")
    feed = corpus / "feed.jsonl"
    copies = [json.dumps({"id": f"copy-{n}", "title": "Copy", "body": s.read_text()})
              for n, s in enumerate(stories[20:30])]
    feed.write_text(feed.read_text() + "\n".join(copies) + "\n")
    monkeypatch.setattr(newsearch.indexer, "PARALLEL_MIN_FILES", 10)
    monkeypatch.setattr(newsearch.indexer, "PARALLEL_MIN_FEED_BYTES", 1)
    Index.build(tmp_path / "parallel", corpus, workers=2)
    Index.build(tmp_path / "sequential", corpus)
    parallel, sequential = _partition(tmp_path / "parallel"), _partition(tmp_path / "sequential")
    assert parallel == sequential
    assert sum(len(group) == 2 for group in parallel) == 30


def _partition(folder: Path) -> set[frozenset[str]]:
    """The index's near-duplicate groups, as sets of ids."""
    members: dict[str, set[str]] = {}
    with Index.open(folder) as ix:
        for article in ix.articles():
            members.setdefault(article.group, set()).add(article.id)
    return {frozenset(ids) for ids in members.values()}


def test_special_files_and_undecodable_names_are_reported_not_fatal(runner, tmp_path, tiny_corpus):
    os.mkfifo(tiny_corpus / "txt" / "pipe.txt")
    odd_name = os.fsdecode(b"caf\xe9.txt")
    (tiny_corpus / odd_name).write_text("Odd name\n\nStill a story.\n")
    result = runner.invoke(cli, ["index", str(tiny_corpus), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 1
    assert "30 added" in result.stdout
    assert "pipe.txt: not a regular file" in result.stderr
    assert "caf\\xe9.txt: the file name is not valid UTF-8" in result.stderr
    assert "Traceback" not in result.stderr


def test_duplicate_ids_are_reported_and_never_lose_documents(tmp_path):
    first, second = tmp_path / "r1", tmp_path / "r2"
    for root, text in ((first, "First copy\n\nalpha\n"), (second, "Second copy\n\nbeta\n")):
        root.mkdir()
        (root / "a.txt").write_text(text)
    (first / "feed.jsonl").write_text('{"id": "f1", "title": "One", "body": "gamma"}\n'
                                      '{"id": "f1", "title": "One again", "body": "delta"}\n')
    report = Index.build(tmp_path / "ix", [first, second])
    reasons = sorted(reason for _, reason in report.failed)
    assert len(reasons) == 2 and all(reason.startswith("duplicate id") for reason in reasons)
    with Index.open(tmp_path / "ix") as ix:
        assert {article.id for article in ix.articles()} == {"a.txt", "f1"}
        assert ix.get("a.txt").title == "First copy" and ix.get("f1").title == "One"
        (second / "a.txt").unlink()
        ix.update()
        assert ix.get("a.txt").title == "First copy"  # deleting the duplicate did not take the original along


def test_emptied_corpus_folder_keeps_its_documents(runner, tmp_path, tiny_corpus):
    Index.build(tmp_path / "ix", tiny_corpus)
    shutil.rmtree(tiny_corpus)
    tiny_corpus.mkdir()  # an unmounted disk looks like this
    result = runner.invoke(cli, ["update", "--index", str(tmp_path / "ix")])
    assert result.exit_code == 1
    assert "no article files found; keeping its 30 documents" in result.stderr
    assert Index.open(tmp_path / "ix").stats().documents == 30


def test_check_reports_documents_missing_from_the_index(runner, tmp_path, tiny_corpus):
    folder = tmp_path / "ix"
    Index.build(folder, tiny_corpus)
    Index.open(folder).delete(["txt/harbour-bridge-reopens.txt"])
    text = runner.invoke(cli, ["check", "--index", str(folder)])
    as_json = runner.invoke(cli, ["check", "--json", "--index", str(folder)])
    assert text.exit_code == as_json.exit_code == 1
    assert text.output.startswith("incomplete: 1 documents") and "--rebuild" in text.output
    assert json.loads(as_json.output)["missing"] == 1
    rebuilt = runner.invoke(cli, ["index", "--rebuild", "--index", str(folder)])
    assert rebuilt.exit_code == 0 and runner.invoke(cli, ["check", "--index", str(folder)]).exit_code == 0


@pytest.mark.parametrize("damage", ["state", "metadata"])
def test_damaged_index_files_are_one_line_errors(runner, tmp_path, tiny_corpus, damage):
    folder = tmp_path / "ix"
    Index.build(folder, tiny_corpus)
    if damage == "state":
        next(folder.glob("gen-*/state.sqlite")).write_bytes(b"{not a database" * 1000)
    else:
        (folder / "newsearch.json").write_text("[]")
    result = runner.invoke(cli, ["update", "--index", str(folder)])
    assert result.exit_code == 1
    assert "damaged" in result.stderr and "Traceback" not in result.stderr


def test_a_damaged_gzip_feed_keeps_its_records_before_the_damage_in_worker_processes_too(tmp_path, monkeypatch):
    import zlib

    import newsearch.indexer
    import newsearch.readers.chunks

    corpus = tmp_path / "corpus"
    make_corpus(corpus, 300)
    feed = corpus / "feed.jsonl"
    deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    feed_bytes = feed.read_bytes()
    packed = deflate.compress(feed_bytes) + deflate.flush(zlib.Z_FULL_FLUSH)
    (corpus / "feed.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + packed + b"\xff" * 32)
    feed.unlink()
    monkeypatch.setattr(newsearch.indexer, "PARALLEL_MIN_FEED_BYTES", 1)
    monkeypatch.setattr(newsearch.readers.chunks, "CHUNK_LINES", 7)
    parallel = Index.build(tmp_path / "parallel", corpus, workers=2)
    sequential = Index.build(tmp_path / "sequential", corpus)
    assert parallel.added == sequential.added == 300
    assert parallel.failed == sequential.failed
    assert [reason.split(" (")[0] for _, reason in parallel.failed] == [
        f"damaged gzip data after {len(feed_bytes):,} bytes"]
    assert snapshot(tmp_path / "parallel") == snapshot(tmp_path / "sequential")


def test_bad_files_of_every_kind_are_per_file_errors_and_the_rest_is_indexed(runner, tmp_path, tiny_corpus):
    import gzip

    (tiny_corpus / "loop.txt").symlink_to("loop.txt")  # a link to itself
    (tiny_corpus / "deep.json").write_text("[" * 100000 + "]" * 100000)
    (tiny_corpus / "evil.txt: empty file\nnewsearch: all good.txt").write_text("")
    page = (tiny_corpus / "html").glob("*.html").__next__()
    (tiny_corpus / "packed").mkdir()
    (tiny_corpus / "packed" / "page.html.gz").write_bytes(gzip.compress(page.read_bytes()))
    result = runner.invoke(cli, ["index", str(tiny_corpus), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 1, result.output
    assert "31 added" in result.stdout  # the 30 good articles and the gzipped page
    lines = result.stderr.splitlines()
    assert f"newsearch: skipped {tiny_corpus / 'loop.txt'}: Too many levels of symbolic links" in lines
    assert f"newsearch: skipped {tiny_corpus / 'deep.json'}: nested deeper than 100 levels; not read" in lines
    evil = [line for line in lines if line.startswith(f"newsearch: skipped {tiny_corpus}/evil.txt: empty file\\n")]
    assert len(evil) == 1 and "holds the control character U+000A" in evil[0]  # escaped: it forges no line
    assert len(lines) == 3 and "Traceback" not in result.stderr
    with Index.open(tmp_path / "ix") as ix:
        assert ix.get("packed/page.html.gz").title == ix.get(page.relative_to(tiny_corpus).as_posix()).title


_CUT_WRITE = """
import os, signal, sqlite3, sys
from newsearch import Index
from newsearch.duplicates import Groups
from newsearch.manifest import Manifest

point, folder, action, victim = sys.argv[1:5]

def cut(flush):
    def flushed_then_cut(self):
        if point == "full-disk":
            raise sqlite3.OperationalError("database or disk is full")
        flush(self)  # the rows are written into the store's transaction, which is never committed
        os.kill(os.getpid(), signal.SIGKILL)
    return flushed_then_cut

if point == "groups":
    Groups.flush = cut(Groups.flush)
else:
    Manifest.flush = cut(Manifest.flush)
with Index.open(folder) as ix:
    if action == "update":
        ix.update()
    elif action == "add":
        ix.add([{"id": "api-1", "title": "Harbour ferry added through the API", "body": "harbour ferry"}])
    else:
        ix.delete([victim])
"""


@pytest.mark.parametrize("point, action", [("groups", "update"), ("manifest", "update"), ("full-disk", "update"),
                                           ("groups", "add"), ("manifest", "add"), ("groups", "delete"),
                                           ("full-disk", "delete")])
def test_a_write_cut_after_the_engine_commit_is_repaired_by_the_next_update(runner, tmp_path, point, action):
    """Killed (or out of disk) between the engine's commit and the state store's commit, with the groups' or
    the manifest's rows written into its transaction: the next update leaves the index equal to a fresh
    build: ids, stored fields, groups."""
    corpus, folder = tmp_path / "corpus", tmp_path / "ix"
    make_corpus(corpus, 300)
    copies = sorted(corpus.rglob("story-*.txt"))[:6]
    for number, original in enumerate(copies):  # near-duplicates, so that groups change too
        (corpus / "copies").mkdir(exist_ok=True)
        (corpus / "copies" / f"copy-{number}.txt").write_text(original.read_text() + "Updated.\n")
    Index.build(folder, corpus)
    rng = random.Random(18)
    mutate(corpus, rng, share=0.1)
    (corpus / "copies" / "copy-0.txt").unlink()  # a group loses a member in the cut write
    arrivals = sorted((corpus / "new").glob("*.txt"))
    victim = copies[0].relative_to(corpus).as_posix()  # the original of a group: deleting it splits nothing here
    cut = subprocess.run([sys.executable, "-c", _CUT_WRITE, point, str(folder), action, victim], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    assert cut.returncode == (1 if point == "full-disk" else -9), cut.stderr
    if point == "full-disk":
        assert cut.stderr.splitlines()[-1].startswith("newsearch.errors.NewsearchError: cannot write the index in")
        assert cut.stderr.splitlines()[-1].endswith("database or disk is full")
    for path in arrivals[:3]:  # articles the cut write indexed, gone before the next run: ghosts
        path.unlink()
    checked = runner.invoke(cli, ["check", "--json", "--index", str(folder)])
    assert checked.exit_code == 1
    verdict = json.loads(checked.output)
    # the articles the cut write added are unknown to the manifest, the three deleted since among them
    assert verdict["cut"] and {"update": verdict["ghosts"] >= 3, "add": verdict["ghosts"] == 1,
                               "delete": verdict["missing"] == 1}[action]
    mutate(corpus, rng, share=0.05)
    with Index.open(folder) as ix:
        assert ix.update().ok
    assert runner.invoke(cli, ["check", "--index", str(folder)]).exit_code == 0
    Index.build(tmp_path / "fresh", corpus)
    assert snapshot(folder) == snapshot(tmp_path / "fresh")
    assert _partition(folder) == _partition(tmp_path / "fresh")
    with Index.open(folder) as ix:
        held = {article.id: article.group for article in ix.articles()}
    assert saved_groups(folder) == held
    assert _leftovers(generations.live(folder)) == []


def test_after_a_cut_write_stored_groups_are_brought_back_in_step_with_the_saved_groups(tmp_path):
    """A cut write may have regrouped documents whose files did not change (their group split): the next
    update stores every document with the group the saved groups hold for it."""
    import dataclasses

    from newsearch import recovery

    corpus, folder = tmp_path / "corpus", tmp_path / "ix"
    make_corpus(corpus, 100)
    original = sorted(corpus.rglob("story-*.txt"))[0]
    (corpus / "copy.txt").write_text(original.read_text() + "Updated.\n")
    Index.build(folder, corpus)
    with Index.open(folder) as ix:
        copy = ix.get("copy.txt")
        assert copy.group == ix.get(original.relative_to(corpus).as_posix()).group
        engine = ix._engine_for_live()  # as a cut write leaves it: committed, the groups file not saved
        recovery.begin(generations.live(folder))
        engine.write([dataclasses.replace(copy, group="split-off")], [])
        assert ix.get("copy.txt").group == "split-off"
        ix.update()
        assert ix.get("copy.txt").group == copy.group
    assert not recovery.is_cut(generations.live(folder))


def test_temporary_files_of_a_run_killed_while_saving_are_removed(tmp_path, tiny_corpus):
    folder = tmp_path / "ix"
    Index.build(folder, tiny_corpus)
    live = generations.live(folder)
    for name in (".manifest.json.4242.tmp", ".state.sqlite.4242.tmp", ".state.sqlite.4242.tmp-journal"):
        (live / name).write_text('{"sources": [')  # half written when the run was killed
    with Index.open(folder) as ix:
        assert ix.update().ok
    assert sorted(p.name for p in live.iterdir() if p.name.endswith(".tmp")) == []

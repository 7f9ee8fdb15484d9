"""Peak memory and time of indexing one big file: each made of real Reuters-21578 text, at the size limits.

Usage: python benchmarks/file_memory.py [--engines whoosh,tantivy] [--workdir DIR] [--huge [--megabytes N]]

Each file is indexed by ``python -m newsearch index`` in a folder of its own; the
memory is the peak of the summed resident memory of its whole process tree (the
writer and any reading workers), sampled every 50 ms. Files: a 15 MB JSON Lines
record, a 16 MB HTML page and a 31 MB one (near the HTML file limit), a 49 MB text
file, a JSON list of records near the JSON file limit, a 210 MB one-line record
(the article limits were 16 MB when these sizes were chosen), and two gzip bombs of
about 1 MB (one record then a gigabyte of newlines; one gigabyte-long line).
Temporary data goes to a folder under /tmp (removed at the end unless --workdir).

With --huge: a folder holding one 200 MB plain-text article (real Reuters paragraphs, the
last one holding a word no paragraph before it has) beside 2,000 Reuters stories, indexed
with ``newsearch index``, then ``newsearch query`` for that word (snippets on, the user's
defaults) and for a common one; then the same for the 200 MB article as one JSON Lines record.
Each prints its time, the peak memory of the process tree and, for queries, the big
article's snippet.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REUTERS = ROOT.parent / "shared" / "corpora" / "reuters" / "reuters.jsonl.gz"
MB = 2 ** 20


def paragraphs(size: int) -> list[str]:
    """Real Reuters paragraphs, repeated in order until they hold ``size`` characters."""
    with gzip.open(REUTERS, "rt", encoding="utf-8") as feed:
        source = [part for line in feed for part in json.loads(line).get("body", "").split("\n\n") if part.strip()]
    found, total, number = [], 0, 0
    while total < size:
        found.append(" ".join(source[number % len(source)].split()))
        total += len(found[-1]) + 2
        number += 1
    return found


def make_files(folder: Path) -> dict[str, Path]:
    """One folder per case, holding its one file."""
    text = paragraphs(49 * MB)
    cases = {}

    def case(name: str, file: str, data: bytes) -> None:
        path = folder / name / file
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        cases[name] = path.parent

    def page(size: int) -> bytes:
        body, total = [], 0
        for part in text:
            body.append(f"<p>{html.escape(part)}</p>\n")
            total += len(body[-1])
            if total > size:
                break
        return ("<html><head><title>Big page</title></head><body><article>" + "".join(body)
                + "</article></body></html>").encode()

    line = "\n\n".join(text)[:15 * MB]
    case("jsonl record 15 MB", "feed.jsonl", json.dumps({"id": "big", "title": "Big record", "body": line}).encode())
    case("html page 16 MB", "page.html", page(15 * MB + MB // 2))
    case("html page 31 MB", "page.html", page(31 * MB))
    case("txt file 49 MB", "big.txt", ("Big text\n\n" + "\n\n".join(text)).encode())
    records = [{"id": f"r{n}", "title": f"Record {n}", "body": "\n\n".join(text[n:n + 30])}
               for n in range(0, len(text), 30)]
    case("json list 47 MB", "list.json", json.dumps(records[:len(records) * 47 // 50]).encode())
    case("jsonl one 210 MB line", "feed.jsonl", json.dumps({"title": "Huge", "body": "\n\n".join(text) * 5}).encode()[
        :210 * MB] + b'"}\n')
    case("gzip: record, 1 GB of newlines", "bomb.jsonl.gz",
         _packed([json.dumps(records[0]).encode() + b"\n"], b"\n" * MB, 1024))
    case("gzip: one 1 GB line", "line.jsonl.gz", _packed([b'{"title": "'], b"a" * MB, 1024))
    return cases


def _packed(head: list[bytes], block: bytes, repeats: int) -> bytes:
    """Gzip of ``head`` then ``block`` ``repeats`` times, compressed as a stream (never held whole)."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [deflate.compress(part) for part in head]
    parts.extend(deflate.compress(block) for _ in range(repeats))
    return b"".join(parts) + deflate.flush()


def measure(command: list[str], env: dict) -> tuple[float, float, int]:
    """(seconds, peak MB of the process tree, exit code)."""
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=env)
    peak = 0
    while process.poll() is None:
        peak = max(peak, sum(_rss(pid) for pid in _tree(process.pid)))
        time.sleep(0.05)
    return time.monotonic() - started, peak / MB, process.returncode


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(parent, []).append(int(entry))
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, []))
    return found


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


HUGE_MB = 200
SMALL_STORIES = 2000


def make_huge(folder: Path, megabytes: int) -> tuple[str, dict[str, Path]]:
    """(a word only the big article's last paragraph has, {case: corpus folder}): a 200 MB text file and
    a 200 MB JSON Lines record, each beside the first SMALL_STORIES Reuters stories."""
    with gzip.open(REUTERS, "rt", encoding="utf-8") as feed:
        stories = [json.loads(line) for line in feed]
    source = [" ".join(part.split()) for story in stories[SMALL_STORIES:]
              for part in story.get("body", "").split("\n\n") if part.strip()]
    counts = Counter(word for part in source for word in set(part.lower().split()))
    at, word = next((at, word) for at in range(len(source) - 1, -1, -1) for word in source[at].lower().split()
                    if word.isalpha() and len(word) > 5 and counts[word] == 1)
    last = source.pop(at)
    used = source
    parts, total, number = [], 0, 0
    while total < megabytes * MB - len(last):
        parts.append(used[number % len(used)])
        total += len(parts[-1]) + 2
        number += 1
    body = "\n\n".join([*parts, last])
    del parts
    small = "".join(json.dumps(story) + "\n" for story in stories[:SMALL_STORIES]).encode()
    cases = {}
    for name, file, data in (("txt", "big.txt", ("A huge report\n\n" + body).encode()),
                             ("jsonl record", "big.jsonl", json.dumps({"id": "big", "title": "A huge report",
                                                                        "body": body}).encode() + b"\n")):
        corpus = folder / name
        corpus.mkdir(parents=True)
        (corpus / file).write_bytes(data)
        (corpus / "reuters.jsonl").write_bytes(small)
        cases[name] = corpus
    return word, cases


def huge(folder: Path, engines: list[str], megabytes: int) -> None:
    """Index and query a big article with each engine; print the figures."""
    word, cases = make_huge(folder / "files", megabytes)
    print(f"word only in the big article's last paragraph: {word}")
    print("| corpus | engine | step | exit | seconds | peak MB |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, corpus in cases.items():
        for engine in engines:
            index = folder / "index"
            shutil.rmtree(index, ignore_errors=True)
            env = {**os.environ, "NEWSEARCH_ENGINE": engine}
            seconds, peak, code = measure([sys.executable, "-m", "newsearch", "index", str(corpus), "--index",
                                           str(index)], env)
            print(f"| {name} ({megabytes} MB + {SMALL_STORIES} stories) | {engine} | index | {code} | {seconds:.1f} "
                  f"| {peak:.0f} |", flush=True)
            for query in (word, "oil prices"):
                command = [sys.executable, "-m", "newsearch", "query", query, "--jsonl", "--limit", "100",
                           "--index", str(index)]
                seconds, peak, code = measure(command, env)
                print(f"| {name} | {engine} | query {query!r} | {code} | {seconds:.1f} | {peak:.0f} |", flush=True)
                hits = [json.loads(line) for line in subprocess.run(command, capture_output=True, text=True,
                                                                     cwd=ROOT, env=env).stdout.splitlines()]
                big = next((hit for hit in hits if hit["path"].endswith(("big.txt", "big.jsonl"))), None)
                shown = big["snippet"][:160] if big else "(the big article is not among the first 100 hits)"
                print(f"|   | | snippet | {shown} | | |", flush=True)
            shutil.rmtree(index, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="whoosh,tantivy")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--huge", action="store_true", help="index and query a 200 MB article (see above)")
    parser.add_argument("--megabytes", type=int, default=HUGE_MB, help="with --huge: the big article's size")
    options = parser.parse_args()
    if not REUTERS.exists():
        sys.exit(f"{REUTERS} is absent: the shared corpora sit beside the repository only in the project's workspace")
    folder = options.workdir or Path(tempfile.mkdtemp(prefix="newsearch-file-memory-"))
    if options.huge:
        try:
            huge(folder, options.engines.split(","), options.megabytes)
        finally:
            if options.workdir is None:
                shutil.rmtree(folder, ignore_errors=True)
        return
    try:
        cases = make_files(folder / "files")
        print("| file | engine | exit | seconds | peak MB |")
        print("| --- | --- | --- | --- | --- |")
        for name, corpus in cases.items():
            for engine in options.engines.split(","):
                index = folder / "index"
                shutil.rmtree(index, ignore_errors=True)
                seconds, peak, code = measure([sys.executable, "-m", "newsearch", "index", str(corpus), "--index",
                                               str(index)], {**os.environ, "NEWSEARCH_ENGINE": engine})
                print(f"| {name} | {engine} | {code} | {seconds:.1f} | {peak:.0f} |", flush=True)
    finally:
        if options.workdir is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

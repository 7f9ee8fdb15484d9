"""Nightly-update benchmark on Reuters-21578 written out as files: full build, incremental update, no-op update.

Usage: python benchmarks/update.py [--reuters PATH] [--limit N] [--workdir DIR]

Writes each article as one JSON file, builds the index, then changes 1% of the files,
deletes 0.1%, adds 1% new ones, and times `newsearch update` (a fresh process, as cron
runs it). Then it checks that the updated index answers 100 fixed queries exactly as a
fresh build of the same files does, and times an update with nothing changed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from newsearch import Index

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REUTERS = ROOT.parent / "shared" / "corpora" / "reuters" / "reuters.jsonl.gz"
QUERIES = 100


def main() -> None:
    options = _arguments()
    if not options.reuters.exists():
        sys.exit(f"{options.reuters} not found: pass --reuters PATH to reuters.jsonl.gz")
    work = Path(options.workdir or tempfile.mkdtemp(prefix="newsearch-update-bench-"))
    corpus, live, fresh = work / "corpus", work / "index", work / "fresh"
    for path in (corpus, live, fresh):
        shutil.rmtree(path, ignore_errors=True)
    articles = _articles(options.reuters, options.limit)
    rng = random.Random(42)
    rng.shuffle(articles)
    reserve = len(articles) // 100  # the "new" articles that arrive later
    later, initial = articles[:reserve], articles[reserve:]
    for article in initial:
        _write(corpus, article)

    build_seconds = _timed(["index", str(corpus), "--index", str(live), "--quiet"])
    files = sorted(corpus.rglob("*.json"))
    changed = rng.sample(files, len(files) // 100)
    for path in changed:
        record = json.loads(path.read_text(encoding="utf-8"))
        record["body"] += "\n\nCorrection: an earlier version of this story misstated a figure."
        path.write_text(json.dumps(record), encoding="utf-8")
    remaining = sorted(set(files) - set(changed))
    deleted = rng.sample(remaining, max(1, len(files) // 1000))
    for path in deleted:
        path.unlink()
    for article in later:
        _write(corpus, article)

    update_seconds = _timed(["update", "--index", str(live), "--quiet"])
    noop_seconds = _timed(["update", "--index", str(live), "--quiet"])
    _timed(["index", str(corpus), "--index", str(fresh), "--quiet"])
    queries = _queries(initial, rng)
    same = _same_answers(live, fresh, queries)

    rows = [
        ("articles written as files", f"{len(initial):,} (then {len(changed)} changed, {len(deleted)} deleted, "
                                      f"{len(later)} added)"),
        ("full build (`newsearch index`)", f"{build_seconds:.1f} s ({len(initial) / build_seconds:,.0f} docs/s)"),
        ("incremental update (`newsearch update`)",
         f"{update_seconds:.2f} s ({100 * update_seconds / build_seconds:.1f}% of the build; target <= 10%)"),
        ("update with nothing changed", f"{noop_seconds:.2f} s (target <= 2 s)"),
        ("queries answered as by a fresh build", f"{same}/{len(queries)} (same ids, same order, top 10)"),
    ]
    print("| measure | result |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")
    print(f"\nwork folder: {work}")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuters", type=Path, default=DEFAULT_REUTERS, help="reuters.jsonl.gz")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N articles (0: all)")
    parser.add_argument("--workdir", help="where to write the files and indexes (default: a new temp folder)")
    return parser.parse_args()


def _articles(path: Path, limit: int) -> list[dict]:
    articles = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            articles.append({key: record.get(key) for key in
                             ("id", "title", "body", "published", "source", "authors", "categories", "language")})
            if limit and len(articles) >= limit:
                break
    return articles


def _write(corpus: Path, article: dict) -> None:
    number = int(article["id"].rsplit("-", 1)[1])
    path = corpus / f"{number // 1000:02d}" / f"{article['id']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(article), encoding="utf-8")


def _timed(arguments: list[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "newsearch", *arguments], capture_output=True, text=True,
                            check=False)
    if result.returncode not in (0, 1):
        sys.exit(f"newsearch {' '.join(arguments)} failed: {result.stderr}")
    return time.perf_counter() - started


def _queries(articles: list[dict], rng: random.Random) -> list[str]:
    """Two or three words from the titles of randomly chosen articles."""
    queries = []
    for article in rng.sample(articles, QUERIES):
        words = [w for w in article["title"].split() if w.isalpha() and len(w) > 3]
        if len(words) >= 2:
            queries.append(" ".join(rng.sample(words, min(3, len(words)))).lower())
    return queries


def _same_answers(live: Path, fresh: Path, queries: list[str]) -> int:
    with Index.open(live) as updated, Index.open(fresh) as rebuilt:
        return sum([h.id for h in updated.query(q, limit=10)] == [h.id for h in rebuilt.query(q, limit=10)]
                   for q in queries)


if __name__ == "__main__":
    main()

"""Query latency of an index already built, measured as benchmarks/engines.py measures it.

Usage:
    python benchmarks/queries.py --index INDEX --queries QUERIES.txt [--count 200] [--raw-tantivy]

One warm query, then the queries (one a line; engines.py writes them to its work folder as
queries.txt) through ``Index.query(text, limit=10)`` without snippets, then the same queries
with snippets; prints p50/p95/p99 of each pass and the process's peak memory. For a large
index (a 1M build takes most of an hour on 2 cores) this measures a change to the query side
without building again. The second pass asks every word again: it shows what caches keep.
With ``--raw-tantivy``, INDEX is the one engines.py's raw tantivy script built (WORK/index-tantivy),
timed through the script's own search, for the ratio the engine is held to.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from newsearch import Index, NewsearchError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True, type=Path, help="the index folder")
    parser.add_argument("--queries", required=True, type=Path, help="a text file, one query a line")
    parser.add_argument("--count", type=int, default=200, help="how many of its queries to time")
    parser.add_argument("--raw-tantivy", action="store_true",
                        help="INDEX is engines.py's raw tantivy script's index: time the script's search")
    options = parser.parse_args()
    try:
        queries = [line for line in options.queries.read_text(encoding="utf-8").splitlines() if line][:options.count]
        search = _raw_tantivy(options.index) if options.raw_tantivy else _newsearch(options.index)
    except (OSError, UnicodeDecodeError, ValueError, NewsearchError) as error:
        sys.exit(f"queries.py: {error}")
    if len(queries) < 2:
        sys.exit(f"queries.py: {options.queries} holds fewer than two queries (one a line)")
    search(queries[0], False)  # warm: opening, first caches
    for snippets in (False, True):
        times = []
        for text in queries:
            started = time.perf_counter()
            search(text, snippets)
            times.append(time.perf_counter() - started)
        cuts = statistics.quantiles(times, n=100)
        print(f"{'with' if snippets else 'without'} snippets: p50 {1000 * cuts[49]:.1f} ms, "
              f"p95 {1000 * cuts[94]:.1f} ms, p99 {1000 * cuts[98]:.1f} ms ({len(queries)} queries)")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")


def _newsearch(folder: Path) -> Callable[[str, bool], object]:
    """A top-10 search of the index, as an application asks it."""
    index = Index.open(folder)
    return lambda text, snippets: index.query(text, limit=10, snippets=snippets)


def _raw_tantivy(folder: Path) -> Callable[[str, bool], object]:
    """engines.py's raw tantivy script's search, over the index it built."""
    if not (folder / "meta.json").is_file():
        raise ValueError(f"{folder} is not a tantivy index (no meta.json)")
    from engines import _Tantivy  # beside this file

    return _Tantivy.opened(folder).search


if __name__ == "__main__":
    main()

"""Query latency of an index already built, measured as benchmarks/engines.py measures it.

Usage:
    python benchmarks/queries.py --index INDEX --queries QUERIES.txt [--count 200]

One warm query, then the queries (one a line; engines.py writes them to its work folder as
queries.txt) through ``Index.query(text, limit=10)`` without snippets, then the same queries
with snippets; prints p50/p95/p99 of each pass and the process's peak memory. For a large
index (a 1M build takes most of an hour on 2 cores) this measures a change to the query side
without building again. The second pass asks every word again: it shows what caches keep.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

from newsearch import Index, NewsearchError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True, type=Path, help="the index folder")
    parser.add_argument("--queries", required=True, type=Path, help="a text file, one query a line")
    parser.add_argument("--count", type=int, default=200, help="how many of its queries to time")
    options = parser.parse_args()
    try:
        queries = [line for line in options.queries.read_text(encoding="utf-8").splitlines() if line][:options.count]
        index = Index.open(options.index)
    except (OSError, UnicodeDecodeError, NewsearchError) as error:
        sys.exit(f"queries.py: {error}")
    if len(queries) < 2:
        sys.exit(f"queries.py: {options.queries} holds fewer than two queries (one a line)")
    index.query(queries[0], limit=10, snippets=False)  # warm: opening, first caches
    for snippets in (False, True):
        times = []
        for text in queries:
            started = time.perf_counter()
            index.query(text, limit=10, snippets=snippets)
            times.append(time.perf_counter() - started)
        cuts = statistics.quantiles(times, n=100)
        print(f"{'with' if snippets else 'without'} snippets: p50 {1000 * cuts[49]:.1f} ms, "
              f"p95 {1000 * cuts[94]:.1f} ms, p99 {1000 * cuts[98]:.1f} ms ({len(queries)} queries)")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")


if __name__ == "__main__":
    main()

"""Typesense cluster benchmark: build, query latency and throughput with concurrent clients, 1 node vs 3.

Usage:
    python benchmarks/typesense_load.py [--corpus FILE.jsonl[.gz]] [--nodes 1,3] [--clients 20]
                                        [--seconds 20] [--queries 200] [--workdir DIR]

For each cluster size it starts the nodes on 127.0.0.1 (the tests' server helper; the 3-node
cluster replicates through Raft), builds the index through newsearch (``Index.build``,
one reading process per core), then measures one client's warm top-10 latency with
snippets, and the throughput of ``--clients`` threads each querying through its own
Index for ``--seconds`` (each thread's client spreads its requests over every node).
Clients and servers share this machine's cores: the figures say what one machine
does, not what separate machines would. The queries are chosen as in engines.py.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from engines import DEFAULT_CORPUS, _peak_rss_mb, _percentiles, _prepare  # noqa: E402
from typesense_servers import start_servers  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--nodes", default="1,3", help="cluster sizes to measure, comma-separated")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--workdir", help="where the corpus split, queries and server data go (default: temp)")
    options = parser.parse_args()
    work = Path(options.workdir or tempfile.mkdtemp(prefix="newsearch-typesense-"))
    work.mkdir(parents=True, exist_ok=True)
    _prepare(options.corpus, work, options.queries)
    queries = [line for line in (work / "queries.txt").read_text(encoding="utf-8").splitlines() if line]
    rows = []
    for count in (int(number) for number in options.nodes.split(",")):
        print(f"{count} node(s): starting, building, querying ...", file=sys.stderr, flush=True)
        rows.append(_measure(work, count, queries, options.clients, options.seconds))
    print(f"\ncorpus: {options.corpus}; queries: {work / 'queries.txt'}; {options.clients} clients for "
          f"{options.seconds:.0f} s; {os.cpu_count()} cores shared by servers and clients\n")
    print("| nodes | docs | build s | docs/s | servers' peak RSS MB | p50 ms snip | p95 ms snip "
          "| queries/s (20 clients) | p50 ms loaded | p95 ms loaded | errors |")
    print("| --- " * 11 + "|")
    for row in rows:
        print(f"| {row['nodes']} | {row['documents']:,} | {row['build_s']:.1f} | {row['docs_per_s']:,.0f} "
              f"| {row['server_rss_mb']:,.0f} | {row['single']['p50_ms']:.1f} | {row['single']['p95_ms']:.1f} "
              f"| {row['qps']:.1f} | {row['loaded']['p50_ms']:.1f} | {row['loaded']['p95_ms']:.1f} "
              f"| {row['errors']} |")


def _measure(work: Path, count: int, queries: list[str], clients: int, seconds: float) -> dict:
    from newsearch import Index

    data = work / f"servers-{count}"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir()
    servers = start_servers(data, count=count, timeout=90)
    try:
        folder = work / f"index-{count}"
        shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
        Index.build(folder, work / "corpus", engine="typesense", nodes=servers.urls, api_key=servers.api_key,
                    workers=os.cpu_count() or 1)
        build = time.perf_counter() - started
        with Index.open(folder, api_key=servers.api_key) as index:
            documents = _caught_up(index)
            index.query(queries[0])
            times = []
            for text in queries:
                begun = time.perf_counter()
                list(index.query(text, limit=10))
                times.append(time.perf_counter() - begun)
        loaded, errors = _load(folder, servers.api_key, queries, clients, seconds)
        rss = sum(_peak_rss_mb(node.process.pid) for node in servers.nodes)
    finally:
        servers.stop()
    return {"nodes": count, "documents": documents, "build_s": build, "docs_per_s": documents / build,
            "server_rss_mb": rss, "single": _percentiles(times), "qps": len(loaded) / seconds,
            "loaded": _percentiles(loaded), "errors": errors}


def _caught_up(index, timeout: float = 60) -> int:
    """The document count once every node answers with the same one (followers apply writes a little later)."""
    deadline = time.monotonic() + timeout
    seen = -1
    while time.monotonic() < deadline:
        counts = {index.stats().documents for _ in range(6)}
        if len(counts) == 1 and counts.pop() == seen:
            break
        seen = index.stats().documents
        time.sleep(0.5)
    return seen


def _load(folder: Path, api_key: str, queries: list[str], clients: int, seconds: float) -> tuple[list[float], int]:
    """Latencies of every query ``clients`` threads ran in ``seconds``, and how many failed."""
    from newsearch import Index, NewsearchError

    timings: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client(number: int) -> None:
        mine, failed = [], 0
        with Index.open(folder, api_key=api_key) as index:
            position = number * 7
            while time.perf_counter() < stop_at:
                text = queries[position % len(queries)]
                position += 1
                begun = time.perf_counter()
                try:
                    list(index.query(text, limit=10))
                except NewsearchError:
                    failed += 1
                    continue
                if time.perf_counter() < stop_at:
                    mine.append(time.perf_counter() - begun)
        with lock:
            timings.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client, args=(number,)) for number in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings, errors[0]


if __name__ == "__main__":
    main()

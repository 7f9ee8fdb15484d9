"""Load test of `newsearch serve`: 2,000 search requests from 20 concurrent clients over loopback, then completions.

Usage: python benchmarks/serve_load.py [--index DIR | --engine NAME ...] [--workers N] [--requests N] [--clients N]
                                       [--port N] [--suggestions N] [--typists N] [--hostile N [--seconds S]]

Without --index it builds (once per engine, then reuses) a 20,000-article index in the
system's temporary folder from ../shared/corpora: all of Reuters-21578 and enough BBC News to
reach 20,000. It starts `newsearch serve --workers N` (default: one process a core) on
127.0.0.1 in a subprocess, sends the
requests (queries drawn from the articles' titles; a tenth each also sorted by
date, faceted, or for page 2) and prints requests/s, latency percentiles and failures.
Then it sends 1,000 /api/suggest requests from 4 concurrent clients, each typing title words
a letter at a time (every prefix is a request, as the search page's script sends them), after
one request that reads the titles, and prints the same figures for them.
Every request is bounded by a timeout, and the run stops after the fixed count. By default it does
this for the whoosh engine, then the tantivy engine, and prints the ratio of their search p95.
With --hostile N it measures shedding instead: --clients light clients send those searches for
--seconds alone, then again beside N hostile clients that send storms of 10 to 19 made-up fuzzy
words (half of them hung up on after 0.2 s); then the server gets SIGTERM while the storms go on.
It prints the light clients' latencies and failures in both runs, and how long the server took to stop.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import itertools
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

from newsearch import Index, NewsearchError
from newsearch.query.parser import MAX_PATTERNS

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "corpora"
SOURCES = (CORPORA / "reuters" / "reuters.jsonl.gz", CORPORA / "bbc" / "bbc.jsonl.gz")
ARTICLES = 20_000
DISTINCT_QUERIES = 400
TIMEOUT = 60.0
DEFAULT_ENGINES = ("whoosh", "tantivy")
P95_TARGET = 2.0  # the whoosh engine's p95 over the tantivy engine's that the scale issue asks for
_WORD = re.compile(r"[A-Za-z]{4,}")


def main() -> None:
    options = _arguments()
    default = ["whoosh"] if options.hostile else list(DEFAULT_ENGINES)
    engines = [None] if options.index else options.engine or default
    p95: dict[str, float] = {}
    failed = False
    for engine in engines:
        folder = Path(options.index or Path(tempfile.gettempdir()) / "newsearch-serve-bench" / str(engine) / "index")
        if engine:
            _ensure_index(folder, engine)
        if options.hostile:
            failed |= _hostile(folder, options) != 0
            continue
        served, latencies, failures = _searches(folder, options)
        p95[served] = statistics.quantiles(latencies, n=100, method="inclusive")[94]
        failed |= bool(failures)
    if {"whoosh", "tantivy"} <= p95.keys():
        ratio = p95["whoosh"] / p95["tantivy"]
        print(f"whoosh p95 {p95['whoosh'] * 1000:.0f} ms / tantivy p95 {p95['tantivy'] * 1000:.0f} ms = "
              f"{ratio:.2f} (target: at most {P95_TARGET:g})")
    sys.exit(1 if failed else 0)


def _searches(folder: Path, options: argparse.Namespace) -> tuple[str, list[float], list[str]]:
    """Serve ``folder``, send the searches then the completions, print both tables; the engine served and
    the searches' latencies and failures (the completions' failures count as the searches')."""
    queries, typed = _queries(folder, options.requests, options.suggestions)
    port = options.port or _free_port()
    server = _start_server(folder, port, options.workers)
    try:
        documents, engine = _wait_until_healthy(port, server)
        searched = _load(port, queries, options.clients, "total")
        _load(port, typed[:1], 1, "suggestions")  # the first completion reads every title
        suggested = _load(port, typed, options.typists, "suggestions")
    finally:
        server.terminate()
        server.wait(10)
    index = (f"{documents} articles ({engine}), {options.workers} server processes, {os.cpu_count()} cores "
             "(server and clients share them)")
    _report(f"newsearch serve: {len(queries)} search requests, {options.clients} concurrent clients, {index}",
            *searched)
    _report(f"/api/suggest: {len(typed)} requests (every prefix of title words as typed), "
            f"{options.typists} concurrent clients", *suggested)
    return engine, searched[0], searched[1] + suggested[1]


def _start_server(folder: Path, port: int, workers: int) -> subprocess.Popen:
    """`newsearch serve` on ``folder`` at 127.0.0.1:``port`` with ``workers`` processes, its output discarded."""
    return subprocess.Popen([sys.executable, "-m", "newsearch", "serve", "--index", str(folder), "--port", str(port),
                             "--workers", str(workers)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", help="an existing index to serve (default: build one of 20,000 articles in /tmp "
                                        "per engine)")
    parser.add_argument("--engine", action="append", choices=("whoosh", "tantivy", "typesense"),
                        help="engine of the index built when no --index is given; repeatable (default: "
                             f"{' and '.join(DEFAULT_ENGINES)}, then the ratio of their p95; whoosh with --hostile)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="server processes (`serve --workers`; default: the number of cores)")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--port", type=int, default=0, help="loopback port (default: a free one)")
    parser.add_argument("--suggestions", type=int, default=1000, help="completion requests after the searches")
    parser.add_argument("--typists", type=int, default=4, help="concurrent clients sending completion requests")
    parser.add_argument("--hostile", type=int, default=0, metavar="N",
                        help="instead: --clients light clients alone, then beside N hostile ones (fuzzy storms, "
                             "hang-ups), each run --seconds long; then SIGTERM while hostile searches run")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each --hostile run")
    return parser.parse_args()


def _ensure_index(folder: Path, engine: str) -> None:
    """Build the 20,000-article index in ``engine`` unless it is already there (and readable by this version)."""
    try:
        with Index.open(folder) as ix:
            stats = ix.stats()
            if (stats.documents, stats.engine) == (ARTICLES, engine):
                return
    except NewsearchError:  # none yet, or one an older newsearch made: built again
        pass
    for source in SOURCES:
        if not source.exists():
            sys.exit(f"{source} not found: the load test reads the shared corpora beside the repository, "
                     "or pass --index DIR")
    started = time.perf_counter()
    records = itertools.islice(_records(SOURCES), ARTICLES)
    with Index.create(folder, overwrite=True, engine=engine) as ix:
        ix.add(records)
        documents = ix.stats().documents
    print(f"built {documents} articles into {folder} in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def _queries(folder: Path, count: int, suggestions: int) -> tuple[list[str], list[str]]:
    """``count`` search paths: 1 to 3 title words of random articles; a tenth each sorted, faceted, paged;
    and ``suggestions`` completion paths: every prefix of such queries, as they are typed."""
    rng = random.Random(7)
    with Index.open(folder) as ix:
        titles = [article.title for article in ix.articles()]
    distinct = []
    while len(distinct) < DISTINCT_QUERIES:
        words = _WORD.findall(rng.choice(titles))
        if words:
            start = rng.randrange(len(words))
            distinct.append(" ".join(words[start:start + rng.randint(1, 3)]).lower())
    paths = []
    for number in range(count):
        params = {"q": rng.choice(distinct)}
        extra = number % 10
        if extra == 1:
            params["sort"] = "date"
        elif extra == 2:
            params["facet"] = "source"
        elif extra == 3:
            params["page"] = 2
        paths.append("/api/search?" + urlencode(params))
    typed = []
    while len(typed) < suggestions:
        text = rng.choice(distinct)
        typed += ["/api/suggest?" + urlencode({"q": text[:end]}) for end in range(1, len(text) + 1)
                  if text[end - 1] != " "]
    return paths, typed[:suggestions]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _records(sources: tuple[Path, ...]) -> Iterator[dict]:
    """The articles of each JSON Lines file in turn, each file closed once read or abandoned."""
    for source in sources:
        with gzip.open(source, "rt", encoding="utf-8") as lines:
            yield from (json.loads(line) for line in lines)


def _wait_until_healthy(port: int, server: subprocess.Popen) -> tuple[int, str]:
    """The served index's document count and engine, once the server answers."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"newsearch serve exited with code {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/api/stats")
            response = connection.getresponse()
            if response.status == 200:
                stats = json.loads(response.read())
                return stats["documents"], stats["engine"]
        except OSError:
            time.sleep(0.1)
    sys.exit("newsearch serve did not answer /api/stats within 60 s")


def _load(port: int, paths: list[str], clients: int, key: str,
          seconds: float | None = None) -> tuple[list[float], list[str], float]:
    """Send every path once from ``clients`` threads, each on its own kept-alive connection; an answer
    is good when it is a 200 whose JSON has ``key``. With ``seconds``: the paths over and over for that long."""
    pending = iter(paths) if seconds is None else itertools.cycle(paths)
    until = time.monotonic() + seconds if seconds is not None else None
    lock = threading.Lock()
    latencies: list[float] = []
    failures: list[str] = []

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        while True:
            with lock:
                path = next(pending, None)
            if path is None or (until is not None and time.monotonic() > until):
                break
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
                ok = response.status == 200 and key in json.loads(body)
                problem = "" if ok else f"{response.status} {path}: {body[:200]!r}"
            except (OSError, http.client.HTTPException, ValueError) as error:
                problem = f"{path}: {error!r}"
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if problem:
                    failures.append(problem)
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures, time.perf_counter() - started


def _hostile(folder: Path, options: argparse.Namespace) -> int:
    """Light clients' latency alone and beside hostile clients, and how long the server takes to stop."""
    light, _ = _queries(folder, 2000, 0)
    port = options.port or _free_port()
    server = _start_server(folder, port, options.workers)
    hostile = {"storms": 0, "storm answers": Counter(), "hang-ups": 0}
    try:
        documents, engine = _wait_until_healthy(port, server)
        alone = _load(port, light, options.clients, "total", seconds=options.seconds)
        stop = threading.Event()
        attackers = [threading.Thread(target=_attack, args=(port, number, stop, hostile))
                     for number in range(options.hostile)]
        for attacker in attackers:
            attacker.start()
        beside = _load(port, light, options.clients, "total", seconds=options.seconds)
        began = time.monotonic()
        server.send_signal(signal.SIGTERM)  # the attackers are still sending: their searches are in flight
        server.wait(60)
        stopped = time.monotonic() - began
        stop.set()
        for attacker in attackers:
            attacker.join()
    finally:
        if server.poll() is None:
            server.kill()
    print(f"newsearch serve under attack: {documents} articles ({engine}), {options.workers} server processes, "
          f"{os.cpu_count()} cores shared by "
          f"server and clients; {options.clients} light clients, {options.seconds:g} s per run")
    print("| run | light requests | p50 ms | p95 ms | max ms | light failures |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, (latencies, failures, _) in (("light alone", alone),
                                          (f"beside {options.hostile} hostile clients", beside)):
        cuts = statistics.quantiles(latencies, n=100, method="inclusive")
        print(f"| {name} | {len(latencies)} | {cuts[49] * 1000:.0f} | {cuts[94] * 1000:.0f} "
              f"| {max(latencies) * 1000:.0f} | {len(failures)} |")
        for failure in failures[:10]:
            print(f"failed: {failure}", file=sys.stderr)
    answers = ", ".join(f"{count} x {status}" for status, count in sorted(hostile["storm answers"].items()))
    print(f"hostile: {hostile['storms']} fuzzy storms ({answers}), {hostile['hang-ups']} hung-up requests")
    print(f"stopped {stopped:.1f} s after SIGTERM (exit code {server.returncode})")
    return 1 if alone[1] or beside[1] else 0


def _attack(port: int, number: int, stop: threading.Event, tally: dict) -> None:
    """Until ``stop``: a storm of made-up fuzzy and prefix words, waited for; then the same, hung up on."""
    rng = random.Random(number)
    while not stop.is_set():
        words = " ".join(f"{''.join(rng.choice('bcdfgklmnprst') + rng.choice('aeiou') for _ in range(3))}~2"
                         for _ in range(rng.randint(MAX_PATTERNS // 2, MAX_PATTERNS - 1)))  # allowed, and heavy
        path = "/api/search?" + urlencode({"q": f"{words} st*"})
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
            connection.request("GET", path)
            if rng.random() < 0.5:
                time.sleep(0.2)  # the client gives up and hangs up, leaving the search behind
                tally["hang-ups"] += 1
            else:
                response = connection.getresponse()
                response.read()
                tally["storms"] += 1
                tally["storm answers"][response.status] += 1
            connection.close()
        except (OSError, http.client.HTTPException):
            time.sleep(0.05)  # the server is stopping


def _report(title: str, latencies: list[float], failures: list[str], seconds: float) -> None:
    """A titled table of requests/s, latency percentiles and failures (the first ten on stderr)."""
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    print(title)
    print("| requests/s | p50 ms | p95 ms | p99 ms | max ms | failures |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| {len(latencies) / seconds:.1f} | {cuts[49] * 1000:.0f} | {cuts[94] * 1000:.0f} | {cuts[98] * 1000:.0f} "
          f"| {max(latencies) * 1000:.0f} | {len(failures)} |")
    for failure in failures[:10]:
        print(f"failed: {failure}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""Reads racing writes: counts the errors readers see while the index changes under them.

Usage: python benchmarks/concurrency.py [--engine NAME] [--reads N] [--queries N] [--rebuilds N] [--corpus DIR]

Two workloads on an index of the bundled corpus (or --corpus), built in a temporary folder:
- threads: 3 reader threads share one Index (queries, gets of stable ids and of ids
  that come and go) while a 4th thread adds and deletes articles through it, for --reads reads;
- processes: 4 reader processes open the index for every query (as a CLI call does) while
  this process rebuilds it --rebuilds times, for --queries queries in all.
It prints one line per workload: the reads, the time and every error by type. The only
acceptable error is ArticleNotFound for an id that the writer had truly deleted.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import tempfile
import threading
import time
from pathlib import Path

from newsearch import ArticleNotFound, Index

ROOT = Path(__file__).resolve().parents[1]
READER_THREADS = 3
READER_PROCESSES = 4
COMINGS_AND_GOINGS = 5  # ids the writer thread adds and deletes in turn
QUERY = "Mariupol corridor"


def _error_name(error: Exception) -> str:
    return f"{type(error).__module__}.{type(error).__name__}: {str(error)[:120]}"


def threads(folder: Path, reads: int) -> collections.Counter:
    """Errors seen by READER_THREADS threads making ``reads`` reads on one Index while a thread writes through it."""
    errors: collections.Counter = collections.Counter()
    done = [0]
    with Index.open(folder) as ix:
        stable = sorted(article.id for article in ix.articles())

        def read():
            while done[0] < reads:
                turn = done[0]
                done[0] += 1
                try:
                    if turn % 3 == 0:
                        ix.get(f"coming-{turn % COMINGS_AND_GOINGS}")
                    elif turn % 3 == 1:
                        [hit.snippet for hit in ix.query(f"{QUERY} OR storm", facets=["source"])]
                    elif ix.get(stable[turn % len(stable)]).id != stable[turn % len(stable)]:
                        errors["a get answered another article"] += 1
                except ArticleNotFound as error:
                    if not str(error).startswith("no article with id 'coming-"):
                        errors[_error_name(error)] += 1
                except Exception as error:  # every other error is counted: none is expected
                    errors[_error_name(error)] += 1

        def write():
            turn = 0
            while done[0] < reads:
                turn += 1
                ix.add([{"id": f"coming-{turn % COMINGS_AND_GOINGS}", "title": "Storm warning",
                         "body": f"A storm warning, number {turn}, for the Mariupol corridor.",
                         "published": "2022-03-20"}])
                if turn % 2:
                    ix.delete([f"coming-{(turn + 2) % COMINGS_AND_GOINGS}"])

        workers = [threading.Thread(target=read) for _ in range(READER_THREADS)] + [threading.Thread(target=write)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    return errors


def _query_in_a_process(folder: Path, queries: int, started, answers) -> None:
    """A reader process: open the index for each of ``queries`` reads; put its errors on ``answers``."""
    errors: collections.Counter = collections.Counter()
    started.wait()
    with Index.open(folder) as ix:
        known = next(iter(ix.query(QUERY))).id
    for turn in range(queries):
        try:
            with Index.open(folder) as ix:
                if turn % 2:
                    [hit.snippet for hit in ix.query(QUERY, facets=["source"])]
                elif ix.get(known).id != known:
                    errors["a get answered another article"] += 1
        except Exception as error:  # every error is counted: none is expected (no id is ever deleted)
            errors[_error_name(error)] += 1
    answers.put(errors)


def processes(folder: Path, queries: int, rebuilds: int) -> collections.Counter:
    """Errors seen by READER_PROCESSES processes making ``queries`` reads in all while this process rebuilds."""
    Index.build(folder, wait=30)  # back to the corpus alone: no id is deleted while the readers read
    context = multiprocessing.get_context("fork")  # the readers are this module's functions, whoever imported it
    started, answers = context.Event(), context.Queue()
    readers = [context.Process(target=_query_in_a_process, args=(folder, queries // READER_PROCESSES, started, answers))
               for _ in range(READER_PROCESSES)]
    for reader in readers:
        reader.start()
    started.set()
    pause = 0.05
    for _ in range(rebuilds):
        began = time.monotonic()
        Index.build(folder, wait=30)
        pause = max(pause, time.monotonic() - began)  # spread the rebuilds over the readers' run
        time.sleep(pause)
    errors: collections.Counter = collections.Counter()
    for _ in readers:
        errors.update(answers.get(timeout=600))
    for reader in readers:
        reader.join()
    return errors


def build(folder: Path, corpus: Path, engine: str | None) -> None:
    report = Index.build(folder, corpus, engine=engine)
    assert report.ok, report.failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default=None, help="engine of the index (default: newsearch's default)")
    parser.add_argument("--reads", type=int, default=10_000, help="reads of the threads workload")
    parser.add_argument("--queries", type=int, default=5_000, help="reads of the processes workload")
    parser.add_argument("--rebuilds", type=int, default=8, help="rebuilds during the processes workload")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus", help="corpus folder to index")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary) / "index"
        build(folder, args.corpus, args.engine)
        began = time.monotonic()
        errors = threads(folder, args.reads)
        print(f"threads:   {args.reads:>6,} reads, 1 writer        {time.monotonic() - began:6.1f} s  "
              f"errors: {dict(errors) or 0}")
        began = time.monotonic()
        errors = processes(folder, args.queries, args.rebuilds)
        print(f"processes: {args.queries:>6,} reads, {args.rebuilds} rebuilds    {time.monotonic() - began:6.1f} s  "
              f"errors: {dict(errors) or 0}")


if __name__ == "__main__":
    main()

"""How much of the tantivy engine's build is tantivy's own work: a diagnostic behind issue 20's target
(the tantivy engine builds within 2x raw tantivy), not a user figure (benchmarks/engines.py gives those).

Usage:
    python benchmarks/tantivy_floor.py --workdir WORK

WORK is a work folder of benchmarks/engines.py (its corpus/articles.jsonl). For those articles
it times, each in a fresh folder:
- raw tantivy: engines.py's script (title and body, English stemming, one writer thread);
- tantivy alone on newsearch's documents: the documents the engine hands tantivy (id, title, body and
  words fields in the article's language, names, facets, dates, the stored article) made first and
  held in memory, untimed; then only adding them and the commit, with one writer thread as the engine
  writes, and with one a core;
- newsearch: Index.build with a reading worker a core, as `newsearch index` builds.
Each as wall time and CPU time (the process's threads and its workers), and as a ratio of raw
tantivy's wall time. The second row is a floor: the engine cannot build faster than tantivy indexes
its documents, on top of reading and sketching the articles. It holds every document in memory
(about 1.5 GB for 100,000 articles).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from newsearch import Index


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", required=True, type=Path, help="a work folder of benchmarks/engines.py")
    options = parser.parse_args()
    articles = options.workdir / "corpus" / "articles.jsonl"
    if not articles.is_file():
        sys.exit(f"tantivy_floor.py: no {articles}; run benchmarks/engines.py --workdir {options.workdir} first")
    scratch = options.workdir / "floor"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    from engines import _Tantivy  # beside this file: the raw script engines.py holds the engine to

    cores = os.cpu_count() or 1
    try:
        raw = _timed(partial(_Tantivy(scratch / "raw").build, articles))
        rows = [("raw tantivy (engines.py's script)", raw)]
        documents = _documents(articles)
        for threads in sorted({1, cores}):
            rows.append((f"tantivy alone on newsearch's documents, {threads} writer thread(s)",
                         _timed(partial(_index, documents, scratch / f"alone-{threads}", threads))))
        del documents
        rows.append((f"newsearch build, tantivy engine, {cores} reading workers",
                     _timed(partial(Index.build, scratch / "newsearch", articles.parent, engine="tantivy",
                                    workers=cores))))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{'':<62} {'wall s':>7} {'CPU s':>7} {'x raw':>6}")
    for name, (wall, cpu) in rows:
        print(f"{name:<62} {wall:>7.1f} {cpu:>7.1f} {wall / raw[0]:>6.2f}")


def _documents(articles: Path) -> list:
    """The tantivy documents the engine writes for these articles (each alone in its group)."""
    from newsearch.engines import tantivy_analysis
    from newsearch.readers import read_file

    return [tantivy_analysis.document(article) for article in read_file(articles, articles.parent).articles]


def _index(documents: list, folder: Path, threads: int) -> None:
    """Add ``documents`` to a new index of the engine's schema and analyzers, and commit."""
    import tantivy

    from newsearch.engines import tantivy_analysis
    from newsearch.engines.tantivy import WRITER_HEAP

    folder.mkdir()
    index = tantivy.Index(tantivy_analysis.build_schema(), path=str(folder))
    tantivy_analysis.register(index)
    writer = index.writer(heap_size=WRITER_HEAP, num_threads=threads)
    for document in documents:
        writer.add_document(document)
    writer.commit()
    writer.wait_merging_threads()


def _timed(action: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process's threads and of the workers it waited for) of ``action``."""
    def cpu() -> float:
        own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime

    started, cpu_before = time.perf_counter(), cpu()
    action()
    return time.perf_counter() - started, cpu() - cpu_before


if __name__ == "__main__":
    main()

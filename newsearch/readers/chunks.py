"""A big JSON Lines file parsed by worker processes: the parent reads raw lines, a chunk at a time,
and workers turn each chunk into articles and errors, given back in file order."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from itertools import islice
from pathlib import Path

from ..article import Article
from ..errors import ReadError
from .records import read_jsonl

Prepare = Callable[[Article], Article]  # work done on each article in the worker that parsed it

CHUNK_LINES = 256
CHUNKS_PER_WORKER = 2  # chunks waiting or being parsed per worker: enough to keep them busy, few in memory


def parsed_in_chunks(opener, path: Path, shown: str, id: str, pool: Executor, workers: int,
                     prepare: Prepare | None = None) -> Iterator[Article | ReadError]:
    """The records of a JSON Lines file, in order, as read_jsonl gives them, parsed by ``pool``
    (each article passed through ``prepare`` there, when given).

    At most ``workers * CHUNKS_PER_WORKER`` chunks are in flight, so memory stays bounded
    whatever the file's size. A read error (a truncated gzip file) is raised here, after
    the records before it.
    """
    pending: deque = deque()
    try:
        with opener(path, "rb") as lines:
            number = 1
            for chunk in iter(lambda: list(islice(lines, CHUNK_LINES)), []):
                pending.append(pool.submit(parse_chunk, chunk, number, id, shown, prepare))
                number += len(chunk)
                if len(pending) >= workers * CHUNKS_PER_WORKER:
                    yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()


def parse_chunk(lines: list[bytes], first: int, id: str, path: str,
                prepare: Prepare | None = None) -> list[Article | ReadError]:
    """In a worker: the articles and errors of consecutive lines, the first being line number ``first``."""
    parts = read_jsonl(lines, id=id, path=path, first=first)
    if prepare is None:
        return list(parts)
    return [part if isinstance(part, ReadError) else prepare(part) for part in parts]

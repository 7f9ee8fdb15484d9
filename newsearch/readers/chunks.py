"""A big JSON Lines file parsed by worker processes: the parent reads raw lines, a chunk at a time,
and workers turn each chunk into articles and errors, given back in file order."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from pathlib import Path

from ..article import Article
from ..errors import ReadError
from .lines import Source, numbered_lines
from .records import read_jsonl

Prepare = Callable[[Article], Article]  # work done on each article in the worker that parsed it

CHUNK_LINES = 256
CHUNK_BYTES = 4 * 1024 * 1024
LONG_LINE_BYTES = 16 * 1024 * 1024  # a longer line is parsed in the reading process, not in a worker
CHUNKS_PER_WORKER = 2  # chunks waiting or being parsed per worker: enough to keep them busy, few in memory


def parsed_in_chunks(path: Path, shown: str, id: str, pool: Executor, workers: int,
                     prepare: Prepare | None = None) -> Iterator[Article | ReadError]:
    """The records of a JSON Lines file, in order, as read_jsonl gives them, parsed by ``pool``
    (each article passed through ``prepare`` there, when given).

    At most ``workers * CHUNKS_PER_WORKER`` chunks of at most CHUNK_LINES lines or about
    CHUNK_BYTES are in flight, so memory stays bounded whatever the file's size. A read
    error (a truncated or damaged gzip file) is raised here, after the records before it.
    """
    pending: deque = deque()
    failure: Exception | None = None
    try:
        try:
            with Source(path, shown) as source:
                for chunk in _chunks(numbered_lines(source)):
                    if chunk and len(chunk[0][1] or b"") > LONG_LINE_BYTES:  # alone in its chunk: parsed here
                        while pending:
                            yield from pending.popleft().result()
                        yield from _parsed_here(chunk, id, shown, prepare)
                        continue
                    pending.append(pool.submit(parse_chunk, chunk, id, shown, prepare))
                    if len(pending) >= workers * CHUNKS_PER_WORKER:
                        yield from pending.popleft().result()
        except (ReadError, OSError) as error:  # what was read before it is given first
            failure = error
        while pending:
            yield from pending.popleft().result()
        if failure is not None:
            raise failure
    finally:
        for future in pending:
            future.cancel()


def _parsed_here(chunk: list[tuple[int, bytes | None]], id: str, path: str,
                 prepare: Prepare | None) -> Iterator[Article | ReadError]:
    """The articles of a chunk of one long line, parsed in this process: sent to a worker, the line and its
    article would be copied there and back. The chunk is emptied, so the line is not held twice."""
    handed = (chunk.pop() for _ in range(len(chunk)))
    for part in read_jsonl(handed, id=id, path=path):
        yield part if prepare is None or isinstance(part, ReadError) else prepare(part)


def _chunks(lines: Iterator[tuple[int, bytes | None]]) -> Iterator[list[tuple[int, bytes | None]]]:
    """Lists of consecutive numbered lines, a line over LONG_LINE_BYTES alone in its own (handed over:
    not kept here); at a read error, the lines before it, then the error."""
    chunk: list[tuple[int, bytes | None]] = []
    size = 0
    try:
        for line in lines:
            if len(line[1] or b"") > LONG_LINE_BYTES:
                if chunk:
                    yield chunk
                chunk, size = [line], 0
                del line
                yield chunk
                chunk = []
                continue
            chunk.append(line)
            size += len(line[1] or b"")
            if len(chunk) >= CHUNK_LINES or size >= CHUNK_BYTES:
                yield chunk
                chunk, size = [], 0
    except (ReadError, OSError):
        if chunk:
            yield chunk
        raise
    if chunk:
        yield chunk


def parse_chunk(lines: list[tuple[int, bytes | None]], id: str, path: str,
                prepare: Prepare | None = None) -> list[Article | ReadError]:
    """In a worker: the articles and errors of numbered lines."""
    parts = read_jsonl(lines, id=id, path=path)
    if prepare is None:
        return list(parts)
    return [part if isinstance(part, ReadError) else prepare(part) for part in parts]

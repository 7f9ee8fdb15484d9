"""A fresh Whoosh index written by several processes at once: each worker writes one segment, and the
parent, holding the index lock, commits one table of contents that lists them all (never merged).

Whoosh analysis and posting writing are pure Python, so one writer uses one core; here a build
uses ``workers`` of them. Articles go to the workers in batches, round robin, through bounded
queues (whoosh field values do not pickle: InLanguage is a str subclass with an attribute);
each worker turns them into documents and adds them to its own SegmentWriter.

whoosh-reloaded 2.7.5 (pinned in setup.cfg) private API used:
  * ``SegmentWriter(index, _lk=False, limitmb=..., compound=False)``: a writer that does not take the
    index lock (the parent holds it) and writes a segment of its own (random segment id) in the same folder;
  * ``SegmentWriter._finalize_segment()``: flush its postings and per-document files and return the
    ``Segment`` (it pickles: whoosh's MpWriter sends it back too);
  * ``SegmentWriter._close_segment()`` (or ``_finalize_segment()`` when the parent added long articles
    itself), ``_commit_toc(segments)`` and ``_finish()`` on the parent's locked writer: close its own
    segment, write the table of contents, release the lock;
  * ``whoosh.index.clean_files``: on failure, remove the segment files no table of contents lists;
  * ``SegmentWriter.per_document_reader()``, which ``_flush_segment`` asks each posting's field length of
    (LengthsWriter answers from memory), and the W3 per-document reader's length columns;
  * ``SegmentWriter.pool`` (replaced before the first document), ``_tempstorage`` and ``newsegment``, and
    ``PostingPool``'s ``_write_run``, ``_read_run``, ``_open_run`` and ``_remove_run``.
"""

from __future__ import annotations

import os
import pickle
import queue
import traceback
from collections.abc import Callable, Iterable
from itertools import islice

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.filedb.filestore import FileStorage
from whoosh.index import clean_files
from whoosh.util.numeric import byte_to_length
from whoosh.writing import PostingPool, SegmentWriter

from ..article import Article
from ..processes import end_with_parent, spawn_context
from .whoosh_codec import ArrayCodec

BATCH_DOCUMENTS = 100
BATCHES_QUEUED = 2  # per worker: enough to keep it busy, few articles waiting in memory
WORKER_MEMORY_MB = 64  # each worker's posting pool before it spills to disk
RUN_CHUNK = 1024  # postings pickled at once in a spilled run
POLL_SECONDS = 1.0


_LENGTHS = [byte_to_length(value) for value in range(256)]  # the length each stored byte stands for


class SegmentWriteError(RuntimeError):
    """A segment worker failed or died; no segment of the write was committed."""


class LengthsWriter(SegmentWriter):
    """whoosh's SegmentWriter, but flushing its postings with the new segment's field lengths read
    into memory once, rather than each posting's looked up in the file (a tenth of a build's time),
    spilling postings to disk a chunk at a time (``_ChunkedPool``), and writing (and merging into)
    segments of ``ArrayCodec`` unless told another codec."""

    def __init__(self, index, limitmb: int = 128, **options):
        options.setdefault("codec", ArrayCodec())
        super().__init__(index, limitmb=limitmb, **options)
        self.pool = _ChunkedPool(self._tempstorage, self.newsegment, limitmb=limitmb)  # empty: nothing added yet

    def per_document_reader(self):
        return _Lengths(super().per_document_reader())


class _ChunkedPool(PostingPool):
    """whoosh's posting pool, its sorted runs on disk written and read RUN_CHUNK postings to a pickle
    rather than one (pickling and unpickling each posting alone took a fifth of a segment worker's time).
    A run being merged holds one chunk in memory: at most 128 runs are merged at once."""

    def _write_run(self, f, items) -> None:
        items = iter(items)
        while chunk := list(islice(items, RUN_CHUNK)):
            pickle.dump(chunk, f, pickle.HIGHEST_PROTOCOL)
        f.close()

    def _read_run(self, path):
        f = self._open_run(path)
        try:
            while True:
                try:
                    chunk = pickle.load(f)
                except EOFError:
                    return
                yield from chunk
        finally:
            f.close()
            self._remove_run(path)


class _Lengths:
    """A per-document reader's ``doc_field_length``, from each field's length column read whole."""

    def __init__(self, reader):
        self._reader = reader
        self._columns: dict[str, bytes | None] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        column = self._columns.get(fieldname, b"")
        if column == b"":
            column = self._columns[fieldname] = self._column(fieldname)
        if column is None or docnum >= len(column) or not column[docnum]:
            return default
        return _LENGTHS[column[docnum]]

    def _column(self, fieldname: str) -> bytes | None:
        reader = self._reader._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        return None if reader is None else reader._dbfile.get(reader._basepos, reader._count)

    def close(self) -> None:
        self._reader.close()


def write_segments(writer: SegmentWriter, articles: Iterable[Article], workers: int,
                   document: Callable[[Article], dict], here: Callable[[Article], bool] = lambda _: False) -> list:
    """Write ``articles`` as new segments of the index of the locked ``writer``, in ``workers`` processes.

    ``document`` (a module-level function: it is sent to the workers) gives an article's whoosh
    fields. Articles for which ``here`` is true (long ones) are added to ``writer``'s own segment
    in this process instead, not copied to a worker.
    Returns the finished segments, for ``commit_segments``. On any failure (or
    KeyboardInterrupt) the workers are stopped and the error raised; the caller then cancels
    ``writer`` and calls ``discard_segments``, and the index stays as it was.
    """
    context = spawn_context()
    inboxes = [context.Queue(BATCHES_QUEUED) for _ in range(workers)]
    outbox = context.Queue()
    processes = [context.Process(target=_write_segment, daemon=True,
                                 args=(number, writer.storage.folder, writer.indexname, inbox, outbox, os.getpid(),
                                       document))
                 for number, inbox in enumerate(inboxes)]
    try:
        batches = 0
        batch: list[Article] = []
        for article in articles:
            if here(article):  # at once, before more articles are read: a long one is alone in memory
                writer.add_document(**document(article))
                continue
            batch.append(article)
            if len(batch) == BATCH_DOCUMENTS:
                _send(inboxes[batches % workers], batch, _started(processes), outbox)
                batches, batch = batches + 1, []
        if batch:
            _send(inboxes[batches % workers], batch, _started(processes), outbox)
        for inbox in inboxes:
            _send(inbox, None, _started(processes), outbox)
        segments = _collect(outbox, processes)
        for process in processes:
            process.join()
    except BaseException:
        _stop(processes)
        for inbox in inboxes:  # batches no worker will read: drop them instead of waiting at exit to send them
            inbox.cancel_join_thread()
            inbox.close()
        raise
    return [segment for segment in segments if segment is not None]


def _started(processes: list) -> list:
    """The workers, started on the first batch (none run while a long article is written first)."""
    for process in processes:
        if process.pid is None:
            process.start()
    return processes


def commit_segments(writer: SegmentWriter, segments: list) -> None:
    """Commit the index of ``writer`` with ``segments`` added to its own (no merging) and release its lock;
    the writer's own segment is kept when articles were added to it (see ``write_segments``)."""
    if writer._added:
        segments = [*segments, writer._finalize_segment()]
    else:
        writer._close_segment()
    writer._commit_toc(writer.segments + segments)
    writer._finish()


def discard_segments(writer: SegmentWriter) -> None:
    """After ``writer.cancel()``: remove the files of segments no committed table of contents lists
    (those of a failed write's workers, and the writer's own)."""
    clean_files(writer.storage, writer.indexname, writer.generation - 1, writer.segments)


def _send(inbox, batch: list[Article] | None, processes: list, outbox) -> None:
    """Queue a batch (None: finish) for a worker, waiting while its queue is full; raise if a worker died."""
    while True:
        try:
            inbox.put(batch, timeout=POLL_SECONDS)
            return
        except queue.Full:
            _check_alive(processes, outbox)


def _collect(outbox, processes: list) -> list:
    """Each worker's segment (None for a worker given no documents), in worker order."""
    segments: dict[int, object] = {}
    while len(segments) < len(processes):
        try:
            kind, worker, value = outbox.get(timeout=POLL_SECONDS)
        except queue.Empty:
            _check_alive(processes, outbox)
            continue
        if kind == "error":
            raise SegmentWriteError(f"a Whoosh segment worker failed:\n{value}")
        segments[worker] = value
    return [segments[worker] for worker in range(len(processes))]


def _check_alive(processes: list, outbox) -> None:
    """Raise when a worker ended early, with its error when it sent one."""
    for process in processes:
        if process.exitcode not in (None, 0):
            _raise_sent_error(outbox)
            raise SegmentWriteError(f"a Whoosh segment worker ended with exit code {process.exitcode}")


def _raise_sent_error(outbox) -> None:
    """Raise the error a failed worker sent, if it sent one in time."""
    try:
        kind, _, value = outbox.get(timeout=POLL_SECONDS)
    except queue.Empty:
        return
    if kind == "error":
        raise SegmentWriteError(f"a Whoosh segment worker failed:\n{value}")


def _stop(processes: list) -> None:
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        if process.pid is not None:
            process.join()


def _write_segment(worker: int, folder: str, indexname: str, inbox, outbox, parent: int,
                   document: Callable[[Article], dict]) -> None:
    """In worker number ``worker``: add every batch from ``inbox`` to a segment of its own; send back
    the segment (None when it was given nothing) or the error."""
    end_with_parent(parent)
    try:
        index = FileStorage(folder).open_index(indexname)
        # plain files, as the engine's own writer: whoosh copies a compound file's parts into memory to read them
        writer = LengthsWriter(index, _lk=False, limitmb=WORKER_MEMORY_MB, compound=False)
        while (batch := inbox.get()) is not None:
            for article in batch:
                writer.add_document(**document(article))
        segment = writer._finalize_segment() if writer._added else None
        if segment is None:
            writer._close_segment()
        outbox.put(("segment", worker, segment))
    except BaseException:
        outbox.put(("error", worker, traceback.format_exc()))
        raise

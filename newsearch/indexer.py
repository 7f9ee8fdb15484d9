"""Update: from corpus folders and the manifest of what was indexed, to upserts, deletes and a report."""

from __future__ import annotations

import dataclasses
import os
import stat as stat_module
import time
from concurrent.futures import ProcessPoolExecutor
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from . import duplicates
from .article import Article
from .duplicates import Groups
from .engines.base import Engine
from .errors import NewsearchError
from .manifest import FileEntry, Manifest
from .processes import end_with_parent, spawn_context
from .readers import FileRead, FileStream, find_files, read_file, stream_file
from .readers.files import STREAMED_SUFFIXES

Progress = Callable[[int, int], None]
PARALLEL_MIN_FILES = 200  # below this, starting worker processes costs more than it saves
PARALLEL_BATCH = 512
PARALLEL_MIN_FEED_BYTES = 4 * 1024 * 1024  # a JSON or JSON Lines file this big is parsed in workers


@dataclass(frozen=True)
class UpdateReport:
    """What an update did (or, with ``dry_run``, would do): document counts, failures (where, reason), time."""

    added: int = 0
    changed: int = 0
    deleted: int = 0
    unchanged: int = 0
    failed: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()  # articles indexed with a problem (say, a page with almost no text)
    files: int = 0
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failed

    @property
    def pending(self) -> bool:
        """True when the index differs from its sources (something to add, change or delete)."""
        return bool(self.added or self.changed or self.deleted)

    def summary(self) -> str:
        """One line for logs and cron mail."""
        verb = "would be " if self.dry_run else ""
        return (f"{verb}{self.added} added, {self.changed} changed, {self.deleted} deleted, "
                f"{len(self.failed)} failed, {self.unchanged} unchanged ({self.files} files, {self.seconds:.1f} s)")

    def to_dict(self) -> dict:
        """JSON-ready values, failures as objects."""
        return {
            "added": self.added, "changed": self.changed, "deleted": self.deleted, "unchanged": self.unchanged,
            "failed": [{"path": where, "reason": reason} for where, reason in self.failed],
            "warnings": list(self.warnings),
            "files": self.files, "seconds": round(self.seconds, 3), "dry_run": self.dry_run,
        }


@dataclass(frozen=True)
class _Pending:
    """A file that must be read: new, or its size or modification time changed."""

    path: Path
    root: Path
    key: str
    entry: FileEntry | None
    stat: os.stat_result


def _streams(files: list[_Pending], workers: int) -> Iterator[FileStream]:
    """Each file's stream, in order. Many files are read by worker processes, a batch at a time;
    so is a big JSON file, and the records of a big JSON Lines feed, a chunk of lines at a time
    (see readers.chunks).

    Extraction (HTML above all) and record parsing cost more than indexing, so on several
    cores they run beside the writer. A batch bounds how many read articles wait in memory.
    """
    many = sum(not _is_streamed(f.path) for f in files) >= PARALLEL_MIN_FILES
    if workers < 2 or not (many or any(_is_big(f) for f in files)):
        for pending in files:
            yield stream_file(pending.path, pending.root)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=spawn_context(), initializer=end_with_parent,
                             initargs=(os.getpid(),)) as pool:
        for start in range(0, len(files), PARALLEL_BATCH):
            batch = files[start:start + PARALLEL_BATCH]
            futures = {id(f): pool.submit(_read_sketched, f.path, f.root) for f in batch
                       if not _is_streamed(f.path) and (many or _is_big(f))}
            for pending in batch:
                future = futures.get(id(pending))
                if future is not None:
                    read = future.result()
                    yield FileStream(read.path, read.content_hash, iter(read.articles), list(read.errors))
                elif _is_big(pending):
                    yield stream_file(pending.path, pending.root, pool, workers, _sketched)
                else:
                    yield stream_file(pending.path, pending.root)


def _read_sketched(path: Path, root: Path) -> FileRead:
    """In a reading worker: read_file, each article with its near-duplicate sketch."""
    read = read_file(path, root)
    return dataclasses.replace(read, articles=tuple(map(_sketched, read.articles)))


def _sketched(article: Article) -> Article:
    """In a reading worker: the article with its near-duplicate sketch, which the writing process would
    otherwise work out (a sixth of its time per article beside the tantivy engine)."""
    return dataclasses.replace(article, sketch=duplicates.body_sketch(article.body))


def _is_big(pending: _Pending) -> bool:
    """A JSON or JSON Lines file worth parsing in a worker process even when alone."""
    return (pending.stat.st_size >= PARALLEL_MIN_FEED_BYTES
            and (_is_streamed(pending.path) or pending.path.name.lower().endswith(".json")))


def _unreadable(path: Path) -> str:
    """Why a listed file cannot be read as an article file ('' when it can): special files, undecodable names."""
    try:
        os.fsencode(path).decode("utf-8")
    except UnicodeDecodeError:
        return "the file name is not valid UTF-8; rename the file"
    try:
        mode = path.stat().st_mode
    except OSError as error:
        return error.strerror or str(error)
    return "" if stat_module.S_ISREG(mode) else "not a regular file (a pipe, socket or device)"


def _key(path: Path) -> str:
    """A file's manifest key: its real absolute path (for a link that loops, its own absolute path)."""
    try:
        return str(path.resolve())
    except (RuntimeError, OSError):  # a symlink loop: Python 3.11 raises RuntimeError, later ones OSError
        return os.path.abspath(path)


def _shown(path: Path) -> str:
    """A path fit for a message, whatever bytes its name holds."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _is_streamed(path: Path) -> bool:
    return path.name.lower().endswith(STREAMED_SUFFIXES)


def resolve_roots(names: list[str | os.PathLike]) -> list[Path]:
    """Absolute corpus folders; a missing one is a NewsearchError naming it."""
    roots = []
    for name in names:
        root = Path(name).resolve()
        if not root.exists():
            raise NewsearchError(f"corpus folder '{name}' does not exist")
        roots.append(root)
    return roots


def update(engine: Engine, manifest: Manifest, groups: Groups, roots: list[Path], progress: Progress | None = None,
           dry_run: bool = False, workers: int = 1) -> UpdateReport:
    """Read what changed under ``roots`` since ``manifest`` and apply it to ``engine`` in one write.

    The manifest and the near-duplicate ``groups`` are updated in place (the caller
    saves them after the write); with
    ``dry_run`` nothing is written and the returned report says what would change.
    ``workers`` above 1 (at most one per core) reads files in that many spawned processes
    (see _streams), and lets the engine write in as many (see Engine.write).
    """
    started = time.monotonic()
    workers = min(workers, os.cpu_count() or 1)
    run = _Run(manifest, roots, progress, workers)
    if dry_run:
        for _ in run.upserts():
            pass
        deletes = list(run.deletes())
    else:
        duplicates.write(engine, groups, run.upserts(), run.deletes(), workers=workers)
        deletes = run.deleted
    for root in roots:
        if str(root) not in manifest.sources:
            manifest.sources.append(str(root))
    return UpdateReport(added=run.added, changed=run.changed, deleted=len(deletes), unchanged=run.unchanged,
                        failed=tuple(run.failed), warnings=tuple(run.warnings), files=run.file_count,
                        seconds=time.monotonic() - started,
                        dry_run=dry_run)


class _Run:
    """One update's bookkeeping: which files to read, what they gave, and what to delete afterwards."""

    def __init__(self, manifest: Manifest, roots: list[Path], progress: Progress | None, workers: int):
        self.manifest = manifest
        self.roots = roots
        self.progress = progress
        self.workers = workers
        self.owners: dict[str, str] = {}  # document id -> the file (manifest key) that gives it in this run
        self.added = self.changed = self.unchanged = 0
        self.failed: list[tuple[str, str]] = []
        self.warnings: list[str] = []
        self.upserted: set[str] = set()
        self.stale: set[str] = set()  # ids that changed files or vanished files no longer give
        self.deleted: list[str] = []
        self.file_count = 0

    def upserts(self) -> Iterator[Article]:
        """The new and changed articles, file by file in path order (read in parallel where asked)."""
        walk_errors: list[tuple[str, str]] = []
        found = [(path, root) for root in self.roots for path in find_files(root, walk_errors)]
        self.failed.extend(walk_errors)
        self.file_count = len(found)
        seen, to_read = set(), []
        for path, root in found:
            key = _key(path)
            seen.add(key)
            entry = self.manifest.files.get(key)
            problem = _unreadable(path)
            if problem:
                self.failed.append((_shown(path), problem))
                if entry is not None:
                    self._keep(entry)  # keep what it gave before; it may be readable again tomorrow
                continue
            stat = path.stat()
            if entry is not None and entry.is_unchanged(stat):
                self._keep(entry)
                self.owners.update(dict.fromkeys(entry.records, key))
            else:
                to_read.append(_Pending(path, root, key, entry, stat))
        for done, (pending, stream) in enumerate(zip(to_read, _streams(to_read, self.workers)), 1):
            yield from self._apply(pending, stream)
            if self.progress:
                self.progress(done, len(to_read))
        for root in self.roots:
            vanished = {key: entry for key, entry in self.manifest.files_under(root).items() if key not in seen}
            if vanished and not any(r == root for _, r in found):
                # An emptied folder is far more often an unmounted disk than a retracted archive.
                kept = sum(len(entry.records) for entry in vanished.values())
                self.failed.append((str(root), f"no article files found; keeping its {kept} documents "
                                               "(rebuild to drop them)"))
                continue
            if vanished and any(where.startswith(str(root)) for where, _ in walk_errors):
                continue  # part of the folder could not be listed: deleting what it held would be a guess
            for key, entry in vanished.items():
                self.stale.update(entry.records)
                del self.manifest.files[key]

    def deletes(self) -> Iterator[str]:
        """Ids to delete; read after every upsert, so an id that moved to another file survives."""
        for id in sorted(self.stale - self.upserted):
            self.deleted.append(id)
            yield id

    def _apply(self, pending: _Pending, stream: FileStream) -> Iterator[Article]:
        """Yield what a read file gives that is new or changed, and record it in the manifest."""
        entry, stat = pending.entry, pending.stat
        if entry is not None and entry.content_hash == stream.content_hash:
            entry.size, entry.mtime_ns = stat.st_size, stat.st_mtime_ns  # same bytes, new time: nothing to do
            self._keep(entry)
            return
        old = entry.records if entry else {}
        records = {}
        repeated: list[list[str]] = []
        for article in stream.articles:
            owner = self.owners.setdefault(article.id, pending.key)
            if owner != pending.key or article.id in records:
                other = owner if owner != pending.key else "the same file"
                repeated.append([stream.path, f"duplicate id '{article.id}' (also given by {other}); not indexed"])
                continue
            digest = article.content_hash or stream.content_hash
            records[article.id] = digest
            if old.get(article.id) == digest:
                self.unchanged += 1
                continue
            if article.id in old:
                self.changed += 1
            else:
                self.added += 1
            self.upserted.add(article.id)
            self.warnings.extend(article.warnings)
            yield article
        errors = [[error.path, error.reason] for error in stream.errors] + repeated
        if entry is not None and not records:
            # Unreadable now: keep the documents it gave last time, and say why on every run until it changes.
            entry.size, entry.mtime_ns, entry.errors = stat.st_size, stat.st_mtime_ns, errors
            self._keep(entry)
            return
        self.stale.update(set(old) - set(records))
        self.failed.extend((where, reason) for where, reason in errors)
        self.manifest.files[pending.key] = FileEntry(stat.st_size, stat.st_mtime_ns, stream.content_hash, records,
                                                     errors)

    def _keep(self, entry: FileEntry) -> None:
        """Count an unchanged file's documents, and report its known failures again."""
        self.unchanged += len(entry.records)
        self.failed.extend((where, reason) for where, reason in entry.errors)

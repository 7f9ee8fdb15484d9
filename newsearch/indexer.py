"""Update: from corpus folders and the manifest of what was indexed, to upserts, deletes and a report."""

from __future__ import annotations

import dataclasses
import os
import stat as stat_module
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from . import duplicates, generations
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
# A bigger one-article file (a text of up to readers.files.MAX_ARTICLE_BYTES) is read here: read in a worker,
# its article would be copied back whole, doubling its memory.
WORKER_MAX_FILE_BYTES = 16 * 1024 * 1024
SHRINK_SHARE = 0.5  # an update deleting more of the documents, or a rebuild keeping fewer, stops (--allow-shrink)
SHRINK_MIN_DOCUMENTS = 10  # deleting fewer never stops an update (a small index changes by large shares)


@dataclass(frozen=True)
class UpdateReport:
    """What an update did (or, with ``dry_run``, would do): document counts, failures (where, reason), time."""

    added: int = 0
    changed: int = 0
    deleted: int = 0
    unchanged: int = 0
    failed: tuple[tuple[str, str], ...] = ()  # new failures (exit 1)
    known: tuple[tuple[str, str], ...] = ()  # failures an earlier run reported, of files that did not change since
    warnings: tuple[str, ...] = ()  # articles indexed with a problem (say, a page with almost no text)
    files: int = 0
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """True when nothing failed that had not failed before."""
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
            "known_failures": [{"path": where, "reason": reason} for where, reason in self.known],
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
                       if not _is_streamed(f.path) and (many or _is_big(f))
                       and f.stat.st_size <= WORKER_MAX_FILE_BYTES}
            for pending in batch:
                future = futures.get(id(pending))
                if future is not None:
                    read = future.result()
                    yield FileStream(read.path, read.content_hash, iter(read.articles), list(read.errors))
                elif _is_big(pending) and _is_streamed(pending.path):
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
    """A file's manifest key: its real absolute path (for a link that loops, its own absolute path), with
    bytes that are not UTF-8 escaped (such a file is never read; its key must still be saved)."""
    try:
        real = path.resolve()
    except (RuntimeError, OSError):  # a symlink loop: Python 3.11 raises RuntimeError, later ones OSError
        real = Path(os.path.abspath(path))
    return _shown(real)


def _shown(path: Path) -> str:
    """A path fit for a message, whatever bytes its name holds."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _is_streamed(path: Path) -> bool:
    return path.name.lower().endswith(STREAMED_SUFFIXES)


def resolve_roots(names: Sequence[str | os.PathLike]) -> list[Path]:
    """Absolute corpus folders; a missing one is a NewsearchError naming it."""
    roots = []
    for name in names:
        root = Path(name).resolve()
        if not root.exists():
            raise NewsearchError(f"corpus folder '{name}' does not exist")
        roots.append(root)
    return roots


def update(engine: Engine, manifest: Manifest, groups: Groups, roots: list[Path], progress: Progress | None = None,
           dry_run: bool = False, workers: int = 1, allow_shrink: bool = False,
           skip: Path | None = None) -> UpdateReport:
    """Read what changed under ``roots`` since ``manifest`` and apply it to ``engine`` in one write.

    The manifest and the near-duplicate ``groups`` are updated in place (the caller
    saves them after the write, State.save); with
    ``dry_run`` nothing is written and the returned report says what would change.
    ``workers`` above 1 (at most one per core) reads files in that many spawned processes
    (see _streams), and lets the engine write in as many (see Engine.write). An update that
    would delete more than SHRINK_SHARE of the documents files gave raises NewsearchError,
    before anything is written, unless ``allow_shrink``. Files matching ``manifest.exclude``,
    and the folder ``skip`` (the index's own), are never read.
    """
    started = time.monotonic()
    workers = min(workers, os.cpu_count() or 1)
    run = _Run(manifest, roots, progress, workers, None if dry_run or allow_shrink else SHRINK_SHARE,
               (engine.name, engine.max_article_chars))
    run.survey(skip)
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
                        failed=tuple(run.failed), known=tuple(run.known), warnings=tuple(run.warnings),
                        files=run.file_count, seconds=time.monotonic() - started, dry_run=dry_run)


def check_rebuild(report: UpdateReport, before: int, names: list, allow_shrink: bool) -> None:
    """Refuse a rebuild (NewsearchError) that found no article file, or that would hold less than
    1 - SHRINK_SHARE of the ``before`` documents files gave to the live index, unless ``allow_shrink``."""
    if before and not report.files:
        raise NewsearchError(f"no article files in {', '.join(map(str, names))} (an unmounted disk?); "
                             f"the index keeps its {before} documents")
    if (before and not allow_shrink and before - report.added >= SHRINK_MIN_DOCUMENTS
            and report.added < (1 - SHRINK_SHARE) * before):
        raise NewsearchError(f"the rebuilt index would hold {report.added} of the {before} documents "
                             f"(less than {1 - SHRINK_SHARE:.0%}); nothing was changed. If the sources "
                             "really shrank, run it again with --allow-shrink")


class _Run:
    """One update's bookkeeping: which files to read, what they gave, and what to delete afterwards.

    A failure is news (``failed``) unless the file's entry holds the same failure from an
    earlier run (``known``). Files that gave no document are read again on every run,
    as are files whose failure was about the file itself (it could not be opened): their
    cause may have gone without the file changing. An id that two files give belongs to the
    one that gave it first; the other keeps it in its entry's ``shared``, and takes the
    document over when the first stops giving it.
    """

    def __init__(self, manifest: Manifest, roots: list[Path], progress: Progress | None, workers: int,
                 shrink_share: float | None, most_text: tuple[str, int | None] = ("", None)):
        self.manifest = manifest
        self.most_text = most_text  # (engine, the most text it takes in one article; None: the readers' limit)
        self.roots = roots
        self.progress = progress
        self.workers = workers
        self.shrink_share = shrink_share  # None: any share of the documents may be deleted
        self.documents = manifest.document_count()  # what the files gave before this run
        self.owners: dict[str, str] = {}  # document id -> the file (manifest key) that gives it, of ids read
        self.holding: set[str] = set()  # files not read again whose saved documents stay theirs (see _owner)
        self.added = self.changed = self.unchanged = 0
        self.failed: list[tuple[str, str]] = []
        self.known: list[tuple[str, str]] = []
        self.warnings: list[str] = []
        self.upserted: set[str] = set()
        self.stale: set[str] = set()  # ids that changed files or vanished files no longer give
        self.deleted: list[str] = []
        self.kept: dict[str, FileEntry] = {}  # unchanged files, by key
        self.to_read: list[_Pending] = []
        self.file_count = 0

    def survey(self, skip: Path | None) -> None:
        """List the files, choose those to read, and drop the entries of vanished ones (checking the share)."""
        walk_errors: list[tuple[str, str]] = []
        found = [(path, root) for root in self.roots
                 for path in find_files(root, walk_errors, self.manifest.exclude, skip, generations.METADATA_FILE)]
        self.failed.extend(walk_errors)
        self.file_count = len(found)
        seen = set()
        for path, root in found:
            key = _key(path)
            seen.add(key)
            entry = self.manifest.files.get(key)
            problem = _unreadable(path)
            if problem:
                self._cannot_read(key, entry, [[_shown(path), problem]])
                continue
            stat = path.stat()
            if entry is not None and entry.is_unchanged(stat) and entry.documents:
                self._keep(entry)
                self.kept[key] = entry
                self.holding.add(key)
            else:
                self.to_read.append(_Pending(path, root, key, entry, stat))
        for root in self.roots:
            vanished = {key: entry for key, entry in self.manifest.files_under(root).items() if key not in seen}
            if vanished and not any(r == root for _, r in found):
                # An emptied folder is far more often an unmounted disk than a retracted archive.
                kept = sum(entry.documents for entry in vanished.values())
                self.failed.append((str(root), f"no article files found; keeping its {kept} documents "
                                               "(rebuild to drop them)"))
                continue
            if vanished and any(where.startswith(str(root)) for where, _ in walk_errors):
                continue  # part of the folder could not be listed: deleting what it held would be a guess
            for key in vanished:
                self.stale.update(self.manifest.records(key))
                self.manifest.remove(key)
        self._check_shrink(self.stale.difference(*(entry.shared for entry in self.manifest.files.values())))

    def upserts(self) -> Iterator[Article]:
        """The new and changed articles, file by file in path order (read in parallel where asked), then
        the documents of ids that another file gave and no longer gives, from a file that still does."""
        streams = _streams(self.to_read, self.workers)
        for done, (pending, stream) in enumerate(zip(self.to_read, streams, strict=True), 1):
            yield from self._apply(pending, stream)
            if self.progress:
                self.progress(done, len(self.to_read))
        orphans = self.stale - self.upserted
        for key, entry in list(self.kept.items()):
            if orphans & set(entry.shared) and Path(key).is_file():
                self.unchanged -= entry.documents  # counted again as it is read
                for where, reason in entry.errors:
                    self.known.remove((where, reason))
                path = Path(key)
                root = next(root for root in self.roots if path == root or root in path.parents)
                pending = _Pending(path, root, key, entry, path.stat())
                entry.content_hash = ""  # read it as changed: the ids it shares are new to it
                self.manifest.touch(key)
                yield from self._apply(pending, stream_file(path, root))

    def deletes(self) -> Iterator[str]:
        """Ids to delete; read after every upsert, so an id that moved to another file survives."""
        doomed = sorted(self.stale - self.upserted)
        self._check_shrink(doomed)
        for id in doomed:
            self.deleted.append(id)
            yield id

    def _check_shrink(self, doomed) -> None:
        if (self.shrink_share is not None and len(doomed) >= SHRINK_MIN_DOCUMENTS
                and len(doomed) > self.shrink_share * self.documents):
            raise NewsearchError(f"this update would delete {len(doomed)} of the {self.documents} documents "
                                 f"(more than {self.shrink_share:.0%}); nothing was changed. If the sources "
                                 "really shrank, run it again with --allow-shrink")

    def _apply(self, pending: _Pending, stream: FileStream) -> Iterator[Article]:
        """Yield what a read file gives that is new or changed, and record it in the manifest."""
        entry, stat = pending.entry, pending.stat
        if entry is not None and entry.content_hash == stream.content_hash and not entry.shared:
            entry.size, entry.mtime_ns = stat.st_size, stat.st_mtime_ns  # same bytes, new time: nothing to do
            self.manifest.touch(pending.key)
            self._keep(entry)
            return
        old = self.manifest.records(pending.key) if entry else {}
        records, shared = {}, []
        repeated: list[list[str]] = []  # this file's errors met here: duplicate ids, articles too long
        engine, most = self.most_text
        for article in stream.articles:
            if most is not None and len(article.title) + len(article.body) > most:
                repeated.append([stream.path, f"article '{article.id}' has more than {most // 2**20} MB of text, "
                                              f"the most the {engine} engine takes; not indexed"])
                continue
            owner = self._owner(article.id, pending.key)
            if owner != pending.key or article.id in records:
                other = owner if owner != pending.key else "the same file"
                repeated.append([stream.path, f"duplicate id '{article.id}' (also given by {other}); not indexed"])
                if owner != pending.key:
                    shared.append(article.id)
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
        self._sort_errors(entry.errors if entry else [], errors)
        if entry is not None and not records and not shared:
            # Unreadable now: keep the documents it gave last time, and read it again next time.
            entry.size, entry.mtime_ns, entry.content_hash, entry.errors = -1, -1, "", errors
            self.manifest.touch(pending.key)
            self.unchanged += entry.documents
            return
        self.stale.update(set(old) - set(records))
        self.manifest.put(pending.key, FileEntry(stat.st_size, stat.st_mtime_ns, stream.content_hash,
                                                 errors=errors, shared=shared), records)

    def _owner(self, id: str, key: str) -> str:
        """The file that gives ``id`` in this run: a file not read again that gave it before (looked up in
        the manifest's saved records), else the first file read that gives it, here ``key``."""
        owner = self.owners.get(id)
        if owner is None:
            holders = self.manifest.holders(id) if self.holding else []
            owner = self.owners[id] = next((path for path in holders if path in self.holding), key)
        return owner

    def _cannot_read(self, key: str, entry: FileEntry | None, errors: list[list[str]]) -> None:
        """A listed file that cannot be read: keep what it gave before (it may be readable again tomorrow)."""
        self._sort_errors(entry.errors if entry else [], errors)
        if entry is None:
            self.manifest.put(key, FileEntry(-1, -1, "", errors=errors), {})
            return
        self.unchanged += entry.documents
        self.holding.add(key)
        entry.size, entry.mtime_ns, entry.content_hash, entry.errors = -1, -1, "", errors
        self.manifest.touch(key)

    def _keep(self, entry: FileEntry) -> None:
        """Count an unchanged file's documents, and report its failures again, as known ones."""
        self.unchanged += entry.documents
        self.known.extend((where, reason) for where, reason in entry.errors)

    def _sort_errors(self, before: list[list[str]], errors: list[list[str]]) -> None:
        """Report ``errors``: those also in ``before`` (the same file's last run) as known, the rest as news."""
        for where, reason in errors:
            (self.known if [where, reason] in before else self.failed).append((where, reason))

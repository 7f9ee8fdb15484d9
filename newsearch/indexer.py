"""Update: from corpus folders and the manifest of what was indexed, to upserts, deletes and a report."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .article import Article
from .engines.base import Engine
from .errors import NewsearchError
from .manifest import FileEntry, Manifest
from .readers import find_files, stream_file

Progress = Callable[[int, int], None]


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


def resolve_roots(names: list[str | os.PathLike]) -> list[Path]:
    """Absolute corpus folders; a missing one is a NewsearchError naming it."""
    roots = []
    for name in names:
        root = Path(name).resolve()
        if not root.exists():
            raise NewsearchError(f"corpus folder '{name}' does not exist")
        roots.append(root)
    return roots


def update(engine: Engine, manifest: Manifest, roots: list[Path], progress: Progress | None = None,
           dry_run: bool = False) -> UpdateReport:
    """Read what changed under ``roots`` since ``manifest`` and apply it to ``engine`` in one write.

    The manifest is updated in place (the caller saves it after the write); with
    ``dry_run`` nothing is written and the returned report says what would change.
    """
    started = time.monotonic()
    run = _Run(manifest, roots, progress)
    if dry_run:
        for _ in run.upserts():
            pass
        deletes = list(run.deletes())
    else:
        engine.write(run.upserts(), run.deletes())
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

    def __init__(self, manifest: Manifest, roots: list[Path], progress: Progress | None):
        self.manifest = manifest
        self.roots = roots
        self.progress = progress
        self.added = self.changed = self.unchanged = 0
        self.failed: list[tuple[str, str]] = []
        self.warnings: list[str] = []
        self.upserted: set[str] = set()
        self.stale: set[str] = set()  # ids that changed files or vanished files no longer give
        self.deleted: list[str] = []
        self.file_count = 0

    def upserts(self) -> Iterator[Article]:
        """The new and changed articles, read one file at a time."""
        found = [(path, root) for root in self.roots for path in find_files(root)]
        self.file_count = len(found)
        seen = set()
        for done, (path, root) in enumerate(found, 1):
            key = str(path.resolve())
            seen.add(key)
            yield from self._read(path, root, key)
            if self.progress:
                self.progress(done, len(found))
        for root in self.roots:
            for key, entry in self.manifest.files_under(root).items():
                if key not in seen:
                    self.stale.update(entry.records)
                    del self.manifest.files[key]

    def deletes(self) -> Iterator[str]:
        """Ids to delete; read after every upsert, so an id that moved to another file survives."""
        for id in sorted(self.stale - self.upserted):
            self.deleted.append(id)
            yield id

    def _read(self, path: Path, root: Path, key: str) -> Iterator[Article]:
        entry = self.manifest.files.get(key)
        try:
            stat = path.stat()
        except OSError as error:
            self.failed.append((str(path), error.strerror or str(error)))
            return
        if entry is not None and entry.is_unchanged(stat):
            self._keep(entry)
            return
        stream = stream_file(path, root)
        if entry is not None and entry.content_hash == stream.content_hash:
            entry.size, entry.mtime_ns = stat.st_size, stat.st_mtime_ns  # same bytes, new time: nothing to do
            self._keep(entry)
            return
        old = entry.records if entry else {}
        records = {}
        for article in stream.articles:
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
        errors = [[error.path, error.reason] for error in stream.errors]
        if entry is not None and not records:
            # Unreadable now: keep the documents it gave last time, and say why on every run until it changes.
            entry.size, entry.mtime_ns, entry.errors = stat.st_size, stat.st_mtime_ns, errors
            self._keep(entry)
            return
        self.stale.update(set(old) - set(records))
        self.failed.extend((where, reason) for where, reason in errors)
        self.manifest.files[key] = FileEntry(stat.st_size, stat.st_mtime_ns, stream.content_hash, records, errors)

    def _keep(self, entry: FileEntry) -> None:
        """Count an unchanged file's documents, and report its known failures again."""
        self.unchanged += len(entry.records)
        self.failed.extend((where, reason) for where, reason in entry.errors)

"""Index, the facade (create, open, add, delete, update, query, get, stats) used by apps, CLI and web."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import query as query_language
from .article import Article
from .engines.base import Engine
from .engines.whoosh import WhooshEngine
from .errors import IndexExists, IndexNotFound, NewsearchError, QuerySyntaxError
from .manifest import FILE_NAME as MANIFEST_FILE
from .manifest import FileEntry, Manifest
from .readers import article_from_record, find_files, parse_bound, read_file
from .results import Results

log = logging.getLogger(__name__)

METADATA_FILE = "newsearch.json"
FORMAT_VERSION = 1
ENGINE_FOLDER = "whoosh"
_RELATIVE = re.compile(r"^(\d+)\s*([dwmy])$")
_RELATIVE_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class UpdateReport:
    """What an update did: document counts, files that failed (path, reason), and how long it took."""

    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    failed: tuple[tuple[str, str], ...] = ()
    files: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failed

    def summary(self) -> str:
        """One line for logs and cron mail."""
        return (f"{self.added} added, {self.updated} updated, {self.deleted} deleted, {self.unchanged} unchanged, "
                f"{len(self.failed)} failed ({self.files} files in {self.seconds:.1f} s)")


@dataclass(frozen=True)
class IndexStats:
    """What an index holds and how big it is on disk."""

    path: str
    engine: str
    documents: int
    sources: dict[str, int] = field(default_factory=dict)
    first_published: dt.date | None = None
    last_published: dt.date | None = None
    size_bytes: int = 0

    def to_dict(self) -> dict:
        """JSON-ready values."""
        return {
            "path": self.path, "engine": self.engine, "documents": self.documents, "sources": self.sources,
            "first_published": self.first_published.isoformat() if self.first_published else None,
            "last_published": self.last_published.isoformat() if self.last_published else None,
            "size_bytes": self.size_bytes,
        }


class ArticleNotFound(NewsearchError):
    """No article has the id asked for."""


class Index:
    """A search index in a folder: build it from article files or records, then query it.

    Use ``Index.create`` or ``Index.open``; an Index is a context manager, and its
    query methods may be called from several threads at once.
    """

    def __init__(self, folder: Path, engine: Engine):
        self.folder = folder
        self._engine = engine
        self._write_lock = threading.Lock()

    # -- opening

    @classmethod
    def create(cls, path: str | os.PathLike, overwrite: bool = False) -> Index:
        """A new, empty index in ``path``; with ``overwrite``, an index already there is replaced."""
        folder = Path(path)
        if (folder / METADATA_FILE).exists():
            if not overwrite:
                raise IndexExists(f"an index already exists in '{folder}'; open it, or create with overwrite=True")
            shutil.rmtree(folder / ENGINE_FOLDER, ignore_errors=True)
            (folder / MANIFEST_FILE).unlink(missing_ok=True)
        elif folder.is_file() or (folder.is_dir() and any(not p.name.startswith(".") for p in folder.iterdir())):
            raise IndexExists(f"'{folder}' exists and is not a newsearch index; choose another index folder")
        engine = WhooshEngine.create(folder / ENGINE_FOLDER)
        metadata = {"format": FORMAT_VERSION, "engine": "whoosh"}
        (folder / METADATA_FILE).write_text(json.dumps(metadata) + "\n", encoding="utf-8")
        return cls(folder, engine)

    @classmethod
    def open(cls, path: str | os.PathLike) -> Index:
        """The index in ``path``; IndexNotFound (telling the user to build one) when there is none."""
        folder = Path(path)
        try:
            metadata = json.loads((folder / METADATA_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise IndexNotFound(f"no index in '{folder}'; run 'newsearch index CORPUS' to build one") from None
        except (OSError, ValueError) as error:
            raise IndexNotFound(f"cannot read the index in '{folder}': {error}") from None
        if metadata.get("format") != FORMAT_VERSION:
            raise IndexNotFound(f"the index in '{folder}' was made by another version of newsearch; "
                                "rebuild it with 'newsearch index CORPUS'")
        return cls(folder, WhooshEngine.open(folder / ENGINE_FOLDER))

    def close(self) -> None:
        """Release the engine's files."""
        self._engine.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- writing

    def add(self, records: Iterable[Article | Mapping]) -> int:
        """Add articles, or dicts with the JSON fields (``id`` required); an existing id is replaced."""
        articles = [record if isinstance(record, Article) else self._record_article(record) for record in records]
        with self._write_lock:
            self._engine.write(articles, ())
        return len(articles)

    def delete(self, ids: Iterable[str]) -> None:
        """Remove the articles with these ids (unknown ids are ignored)."""
        with self._write_lock:
            self._engine.write((), list(ids))

    def update(self, corpus: str | os.PathLike | Iterable[str | os.PathLike] | None = None,
               progress: Progress | None = None) -> UpdateReport:
        """Bring the index in line with its corpus folders: read new and changed files, drop vanished ones.

        ``corpus`` is a folder (or several); None means the folders this index was built from.
        ``progress(done, total)`` is called as files are read. Everything is committed
        once, at the end; files that fail are listed in the report and the rest is indexed.
        """
        started = time.monotonic()
        manifest = Manifest.load(self.folder)
        roots = self._roots(corpus, manifest)
        with self._write_lock:
            run = _UpdateRun(manifest, roots, progress)
            self._engine.write(run.upserts(), run.deletes())
            for root in roots:
                if str(root) not in manifest.sources:
                    manifest.sources.append(str(root))
            manifest.save(self.folder)
        return run.report(time.monotonic() - started)

    @staticmethod
    def _roots(corpus, manifest: Manifest) -> list[Path]:
        if corpus is None:
            if not manifest.sources:
                raise NewsearchError("this index has no corpus folders yet; name one: newsearch index CORPUS")
            names = manifest.sources
        elif isinstance(corpus, (str, os.PathLike)):
            names = [corpus]
        else:
            names = list(corpus)
        roots = []
        for name in names:
            root = Path(name).resolve()
            if not root.exists():
                raise NewsearchError(f"corpus folder '{name}' does not exist")
            roots.append(root)
        return roots

    @staticmethod
    def _record_article(record: Mapping) -> Article:
        if not isinstance(record, Mapping) or record.get("id") in (None, ""):
            raise NewsearchError(f"a record to add needs an 'id': {str(record)[:80]}")
        return article_from_record(record, id=str(record["id"]))

    # -- reading

    def query(self, text: str, limit: int = 10, page: int = 1, sort: str = "relevance",
              since: str | dt.date | None = None, until: str | dt.date | None = None,
              source: str | Iterable[str] | None = None) -> Results:
        """Ranked hits with snippets for a query; iterate the result for the hits, ``.total`` for the count.

        ``since``/``until`` take dates, ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or relative
        ``7d``, ``2w``, ``3m``, ``1y``; ``source`` keeps only hits from these sources.
        """
        sources = [source] if isinstance(source, str) else list(source or ())
        request = query_language.build_request(
            text, limit=limit, page=page, sort=sort, sources=sources,
            since=_bound("since", since, end=False), until=_bound("until", until, end=True),
        )
        if self._engine.count() == 0:
            raise IndexNotFound(f"the index in '{self.folder}' holds no documents; "
                                "run 'newsearch index CORPUS' to fill it")
        return self._engine.search(request)

    def get(self, id: str) -> Article:
        """The stored article with this id; ArticleNotFound when there is none."""
        article = self._engine.get(id)
        if article is None:
            raise ArticleNotFound(f"no article with id '{id}' in '{self.folder}'")
        return article

    def stats(self) -> IndexStats:
        """Documents, documents per source, the range of publication dates, and size on disk."""
        counts = self._engine.stats()
        size = sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())
        return IndexStats(path=str(self.folder), engine="whoosh", documents=counts.documents, sources=counts.sources,
                          first_published=counts.first_published, last_published=counts.last_published,
                          size_bytes=size)


class _UpdateRun:
    """One update's bookkeeping: which files to read, what they gave, and what to delete afterwards."""

    def __init__(self, manifest: Manifest, roots: list[Path], progress: Progress | None):
        self.manifest = manifest
        self.roots = roots
        self.progress = progress
        self.added = self.updated = self.unchanged = 0
        self.failed: list[tuple[str, str]] = []
        self.upserted: set[str] = set()
        self.stale: set[str] = set()  # ids of documents that changed files or vanished files had
        self.file_count = 0

    def upserts(self) -> Iterator[Article]:
        """The articles of new and changed files, read one file at a time."""
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
                    self.stale.update(entry.ids)
                    del self.manifest.files[key]

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
        result = read_file(path, root)
        errors = [[error.path, error.reason] for error in result.errors]
        if entry is not None and (entry.content_hash == result.content_hash or not result.articles):
            # Same bytes, or unreadable now: keep the documents it gave last time.
            entry.size, entry.mtime_ns, entry.errors = stat.st_size, stat.st_mtime_ns, errors
            self._keep(entry)
            return
        old_ids = set(entry.ids) if entry else set()
        ids = [article.id for article in result.articles]
        self.updated += len(old_ids.intersection(ids))
        self.added += len(set(ids) - old_ids)
        self.upserted.update(ids)
        self.stale.update(old_ids.difference(ids))
        self.failed.extend((where, reason) for where, reason in errors)
        self.manifest.files[key] = FileEntry(stat.st_size, stat.st_mtime_ns, result.content_hash, ids, errors)
        yield from result.articles

    def _keep(self, entry: FileEntry) -> None:
        """Count an unchanged file's documents, and report its known failures again."""
        self.unchanged += len(entry.ids)
        self.failed.extend((where, reason) for where, reason in entry.errors)

    def deletes(self) -> Iterator[str]:
        """Ids to delete; evaluated after every upsert, so an id that moved to another file survives."""
        yield from sorted(self.stale - self.upserted)

    def report(self, seconds: float) -> UpdateReport:
        return UpdateReport(added=self.added, updated=self.updated, deleted=len(self.stale - self.upserted),
                            unchanged=self.unchanged, failed=tuple(self.failed), files=self.file_count,
                            seconds=seconds)


def _bound(name: str, value: str | dt.date | None, *, end: bool) -> dt.datetime | None:
    """A since/until option as a naive UTC datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        value = value.isoformat()
    relative = _RELATIVE.match(value.strip().lower())
    if relative:
        days = int(relative.group(1)) * _RELATIVE_DAYS[relative.group(2)]
        return dt.datetime.utcnow().replace(microsecond=0) - dt.timedelta(days=days)
    moment = parse_bound(value, end=end)
    if moment is None:
        raise QuerySyntaxError(f"{name}: cannot read {value!r} as a date (use YYYY, YYYY-MM, YYYY-MM-DD or 7d, 2w, 3m, 1y)")
    return moment

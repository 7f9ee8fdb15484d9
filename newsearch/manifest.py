"""What an index was built from (source folders, files with size, mtime, hash and ids) and what changed since.

Kept in the generation's state store (state.py): a file's entry is one row, each document
it gives one row of ``records``, loaded only for the files an update reads again or drops.
Changes stay in memory until ``State.save`` writes them, so a dry run writes nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from .state import State


@dataclass
class FileEntry:
    """One indexed file as last seen: enough to tell whether it changed, and how many documents it gave."""

    size: int
    mtime_ns: int
    content_hash: str
    documents: int = 0  # how many documents it gives (their ids and hashes: Manifest.records)
    # (where, reason) for each part that failed, reported again on every run until the file changes
    errors: list[list[str]] = field(default_factory=list)
    shared: list[str] = field(default_factory=list)  # ids it gives that another file gave first (see indexer)

    def is_unchanged(self, stat: os.stat_result) -> bool:
        """True when size and modification time are what they were (the cheap test before hashing)."""
        return self.size == stat.st_size and self.mtime_ns == stat.st_mtime_ns


class Manifest:
    """The source folders of an index and every file read from them, by absolute path.

    Change an entry with ``put`` (or change it in place and ``touch`` it) and drop one with
    ``remove``: only those rows are written on save.
    """

    def __init__(self, state: State | None = None, exclude: Iterable[str] | None = None):
        self.state = state if state is not None else State.memory()
        self.sources: list[str] = json.loads(self.state.meta("sources", "[]"))
        stored_exclude = json.loads(self.state.meta("exclude", "[]"))
        self.exclude: list[str] = list(stored_exclude if exclude is None else exclude)  # paths never read
        self._files: dict[str, FileEntry] | None = None  # loaded on first use (an add through the API needs none)
        self._records: dict[str, dict[str, str]] = {}  # path -> its records, for files loaded or changed
        self._changed: set[str] = set()  # paths whose entry changed
        self._rewritten: set[str] = set()  # paths whose records changed
        self._removed: set[str] = set()
        self._added: dict[str, bool] = {}  # id -> added through the API (True) or no longer (False)

    @property
    def files(self) -> dict[str, FileEntry]:
        """Every file's entry, by path (read-only: change entries through put, touch and remove)."""
        if self._files is None:
            self._files = {}
            for path, size, mtime_ns, content_hash, documents, errors, shared in self.state.connection.execute(
                    "SELECT path, size, mtime_ns, content_hash, documents, errors, shared FROM files"):
                self._files[path] = FileEntry(size, mtime_ns, content_hash, documents, json.loads(errors) if errors
                                              else [], json.loads(shared) if shared else [])
        return self._files

    def records(self, path: str) -> dict[str, str]:
        """The documents a file gives: id -> hash of what each was made from (empty for an unknown file)."""
        held = self._records.get(path)
        if held is None:
            held = self._records[path] = {} if path in self._removed else dict(self.state.connection.execute(
                "SELECT id, digest FROM records WHERE path = ?", (path,)))
        return held

    def put(self, path: str, entry: FileEntry, records: dict[str, str] | None = None) -> None:
        """Set a file's entry, and its records when given (its ``documents`` follows them)."""
        self.files[path] = entry
        self._changed.add(path)
        if records is not None:
            self._records[path] = records
            self._rewritten.add(path)
            entry.documents = len(records)

    def touch(self, path: str) -> None:
        """A file's entry was changed in place."""
        self._changed.add(path)

    def remove(self, path: str) -> None:
        """Forget a file and its records."""
        del self.files[path]
        self._records.pop(path, None)
        self._changed.discard(path)
        self._rewritten.discard(path)
        self._removed.add(path)

    def holders(self, id: str) -> list[str]:
        """The files whose saved records give this id (an indexed lookup)."""
        return [path for (path,) in self.state.connection.execute("SELECT path FROM records WHERE id = ?", (id,))]

    def document_count(self) -> int:
        """How many documents the files give."""
        return sum(entry.documents for entry in self.files.values())

    def ids(self) -> set[str]:
        """Every document id the files give (reads every record: for checks and repairs)."""
        ids = {id for path, id in self.state.connection.execute("SELECT path, id FROM records")
               if path not in self._records and path not in self._removed}
        for path, records in self._records.items():
            if path in self.files:
                ids.update(records)
        return ids

    # -- documents added through the API, from no file

    def added(self) -> set[str]:
        """Every id written through the API (``Index.add``) and not deleted since."""
        ids = {id for (id,) in self.state.connection.execute("SELECT id FROM added")}
        return (ids | {id for id, present in self._added.items() if present}) - {
            id for id, present in self._added.items() if not present}

    def mark_added(self, ids: Iterable[str], present: bool = True) -> None:
        """Record ids as added through the API (or, ``present=False``, as no longer there)."""
        self._added.update(dict.fromkeys(ids, present))

    def keep_added(self, ids: set[str]) -> None:
        """Forget the added ids not in ``ids``."""
        self.mark_added(self.added() - ids, present=False)

    # -- saving (State.save)

    def flush(self) -> None:
        """Write the changed rows (State.save calls it inside its transaction)."""
        db = self.state
        db.set_meta("sources", json.dumps(self.sources, ensure_ascii=False))
        db.set_meta("exclude", json.dumps(self.exclude, ensure_ascii=False))
        connection = db.connection
        for path in self._removed:
            connection.execute("DELETE FROM files WHERE path = ?", (path,))
            connection.execute("DELETE FROM records WHERE path = ?", (path,))
        connection.executemany(
            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((path, entry.size, entry.mtime_ns, entry.content_hash, entry.documents,
              json.dumps(entry.errors, ensure_ascii=False) if entry.errors else "",
              json.dumps(entry.shared, ensure_ascii=False) if entry.shared else "")
             for path, entry in ((path, self.files[path]) for path in sorted(self._changed))))
        for path in sorted(self._rewritten):
            records = self._records[path]
            before = dict(connection.execute("SELECT id, digest FROM records WHERE path = ?", (path,)))
            connection.executemany("DELETE FROM records WHERE path = ? AND id = ?",
                                   ((path, id) for id in before.keys() - records.keys()))
            connection.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?)",
                                   ((path, id, digest) for id, digest in records.items() if before.get(id) != digest))
        connection.executemany("INSERT OR IGNORE INTO added VALUES (?)",
                               ((id,) for id, present in self._added.items() if present))
        connection.executemany("DELETE FROM added WHERE id = ?",
                               ((id,) for id, present in self._added.items() if not present))

    def saved(self) -> None:
        self._changed, self._rewritten, self._removed, self._added = set(), set(), set(), {}

    def files_under(self, root: os.PathLike | str) -> dict[str, FileEntry]:
        """The entries of files inside ``root``."""
        prefix = str(root).rstrip(os.sep) + os.sep
        return {path: entry for path, entry in self.files.items() if path.startswith(prefix) or path == str(root)}

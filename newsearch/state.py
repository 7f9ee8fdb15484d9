"""The state store of an index generation: its manifest and near-duplicate state in one SQLite file.

A write changes only the rows it touches (files read, documents placed, groups split), in
one transaction that ``save`` commits after the engine's commit: a kill before that leaves
the store as the last write left it, and the generation's recovery mark (recovery.py) tells
the next update to repair the engine's newer documents. Readers see the last committed
state while a write is under way, and wait for the moment of its commit (a rollback journal:
nothing beside the file while no write is under way, so a read changes nothing on disk).
Lookups of near-duplicate candidates by sketch key are indexed queries, so a write reads
what it needs, not the archive.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Protocol

from .errors import NewsearchError

FILE_NAME = "state.sqlite"
FORMAT = "1"
# A write's transaction stays in this much memory before it spills into the file, which would lock readers out
# until its commit; a 1% update of a million articles changes less.
CACHE_KIB = 256 * 1024
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    content_hash TEXT NOT NULL, documents INTEGER NOT NULL, errors TEXT NOT NULL, shared TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (path TEXT NOT NULL, id TEXT NOT NULL, digest TEXT NOT NULL,
    PRIMARY KEY (path, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_by_id ON records (id);
CREATE TABLE IF NOT EXISTS added (id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS documents (doc INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, grp TEXT NOT NULL,
    packed BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS documents_by_group ON documents (grp);
CREATE TABLE IF NOT EXISTS keys (entry INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (entry, doc)) WITHOUT ROWID;
"""


class Part(Protocol):
    """What the store saves: the manifest and the near-duplicate groups."""

    def flush(self) -> None:
        """Write the rows changed since the last save (inside the store's open transaction)."""

    def saved(self) -> None:
        """The transaction committed: forget what was pending."""


class State:
    """One generation's store, or one in memory (a new index's dry run, benchmarks).

    Its connection is used by one thread. ``save`` writes what the manifest and the groups
    changed and commits it in one transaction.
    """

    def __init__(self, connection: sqlite3.Connection, where: str):
        self.connection = connection
        self.where = where

    @classmethod
    def open(cls, generation: Path, writing: bool = True, name: str = FILE_NAME) -> State:
        """The store of ``generation`` (made when ``writing`` and there is none); ``name``: its file's."""
        path = generation / name
        try:
            # A reader's connection writes nothing, but rolls back what a killed writer left (a hot journal).
            connection = sqlite3.connect(path, timeout=60, isolation_level=None)
            if writing:
                connection.execute("PRAGMA synchronous=FULL")
                connection.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
                connection.executescript(_SCHEMA)
                connection.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (FORMAT,))
            format = connection.execute("SELECT value FROM meta WHERE name = 'format'").fetchone()
        except sqlite3.Error as error:
            raise NewsearchError(f"the index's state ({path}) is damaged ({error}); "
                                 "rebuild it with 'newsearch index --rebuild'") from None
        if format is None or format[0] != FORMAT:
            connection.close()
            raise NewsearchError(f"the index's state ({path}) was written by another version of newsearch; "
                                 "rebuild it with 'newsearch index --rebuild'")
        return cls(connection, str(generation))

    @classmethod
    def memory(cls) -> State:
        """An empty store in memory."""
        connection = sqlite3.connect(":memory:", isolation_level=None)
        connection.executescript(_SCHEMA)
        return cls(connection, ":memory:")

    def meta(self, name: str, default: str) -> str:
        """A stored value of the index as a whole (its sources, say)."""
        row = self.connection.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return default if row is None else str(row[0])

    def set_meta(self, name: str, value: str) -> None:
        self.connection.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))

    def save(self, *parts: Part) -> None:
        """Write each part's changes and commit them together: all of them, or (killed, disk full) none."""
        try:
            self.connection.execute("BEGIN IMMEDIATE")
            try:
                for part in parts:
                    part.flush()
                self.connection.execute("COMMIT")
            except BaseException:
                if self.connection.in_transaction:
                    self.connection.execute("ROLLBACK")
                raise
        except sqlite3.Error as error:
            raise NewsearchError(f"cannot write the index in '{self.where}': {error}") from None
        for part in parts:
            part.saved()

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> State:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

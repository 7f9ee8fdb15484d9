"""Opening a generation's state store, and migrating the files that older versions of newsearch kept instead.

Before the store, a generation held ``manifest.json``, ``added.json`` and
``duplicates.pickle``, each rewritten whole by every write. A write opens such a
generation by reading them into a new store, committing it, and only then removing
them (a kill in between leaves either the old files or the store, which wins). A read
of such a generation reads them into a store in memory and changes nothing on disk.
"""

from __future__ import annotations

import json
import os
import pickle
import sqlite3
from pathlib import Path

from . import state
from .duplicate_keys import key_rows
from .errors import NewsearchError
from .state import State

MANIFEST_FILE = "manifest.json"
ADDED_FILE = "added.json"
GROUPS_FILE = "duplicates.pickle"
GROUPS_FORMAT = 2  # documents: id -> (group, packed [day published or UNDATED, sketch...], empty for a short body)
LEGACY_FILES = (MANIFEST_FILE, ADDED_FILE, GROUPS_FILE)


def open_state(generation: Path, writing: bool = False) -> State:
    """The store of ``generation``: to write (made, or migrated from older files, when missing) or to read."""
    legacy = [generation / name for name in LEGACY_FILES if (generation / name).exists()]
    if (generation / state.FILE_NAME).exists():
        if writing:
            for path in legacy:  # a migration was cut after its commit
                path.unlink(missing_ok=True)
        return State.open(generation, writing)
    if not legacy:
        return State.open(generation) if writing else State.memory()
    if not writing:
        store = State.memory()
        _migrate(generation, store)
        return store
    temporary = f".{state.FILE_NAME}.{os.getpid()}.tmp"
    (generation / temporary).unlink(missing_ok=True)
    with State.open(generation, name=temporary) as store:
        _migrate(generation, store)
    os.replace(generation / temporary, generation / state.FILE_NAME)
    for path in legacy:
        path.unlink()
    return State.open(generation)


def _migrate(generation: Path, store: State) -> None:
    """Read the older files into ``store`` and commit."""
    connection = store.connection
    manifest = _json(generation / MANIFEST_FILE, {})
    added = _json(generation / ADDED_FILE, [])
    documents = _pickled_groups(generation / GROUPS_FILE)
    try:
        connection.execute("BEGIN IMMEDIATE")
        store.set_meta("sources", json.dumps(list(manifest.get("sources", [])), ensure_ascii=False))
        store.set_meta("exclude", json.dumps(list(manifest.get("exclude", [])), ensure_ascii=False))
        for path, entry in manifest.get("files", {}).items():
            records = dict(entry.get("records", {}))
            connection.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?)", (
                path, int(entry["size"]), int(entry["mtime_ns"]), str(entry["content_hash"]), len(records),
                json.dumps(entry["errors"], ensure_ascii=False) if entry.get("errors") else "",
                json.dumps(entry["shared"], ensure_ascii=False) if entry.get("shared") else ""))
            connection.executemany("INSERT INTO records VALUES (?, ?, ?)",
                                   ((path, str(id), str(digest)) for id, digest in records.items()))
        connection.executemany("INSERT OR IGNORE INTO added VALUES (?)", ((str(id),) for id in added))
        numbered = [(doc, id, group, bytes(packed)) for doc, (id, (group, packed)) in enumerate(documents.items(), 1)]
        connection.executemany("INSERT INTO documents VALUES (?, ?, ?, ?)", numbered)
        connection.executemany("INSERT INTO keys VALUES (?, ?)", sorted(
            (entry, doc) for doc, _, _, packed in numbered for entry in key_rows(packed)))
        connection.execute("COMMIT")
    except (KeyError, TypeError, ValueError, AttributeError, sqlite3.IntegrityError) as error:
        connection.execute("ROLLBACK")
        raise _damaged(generation / MANIFEST_FILE, error) from None


def _json(path: Path, empty):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return empty
    except (OSError, ValueError) as error:
        raise _damaged(path, error) from None


def _pickled_groups(path: Path) -> dict:
    try:
        data = pickle.loads(path.read_bytes())
        if data.get("format") != GROUPS_FORMAT:
            raise ValueError(f"format {data.get('format')!r}")
        return dict(data["documents"])
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, TypeError, KeyError, AttributeError, pickle.UnpicklingError) as error:
        raise NewsearchError(f"the index's near-duplicate groups ({path}) are damaged ({error}); "
                             "rebuild it with 'newsearch index --rebuild'") from None


def _damaged(path: Path, error: Exception) -> NewsearchError:
    return NewsearchError(f"the index's record of its sources ({path}) is damaged ({error}); "
                          "rebuild it with 'newsearch index --rebuild'")

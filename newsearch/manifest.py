"""What an index was built from (source folders, files with size, mtime, hash and ids) and what changed since."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import NewsearchError

FILE_NAME = "manifest.json"
ADDED_FILE_NAME = "added.json"  # the ids written through the API (Index.add), kept apart: an add rewrites only it


@dataclass
class FileEntry:
    """One indexed file as last seen: enough to tell whether it changed, and which documents it gave."""

    size: int
    mtime_ns: int
    content_hash: str
    records: dict[str, str] = field(default_factory=dict)  # document id -> hash of what it was made from
    # (where, reason) for each part that failed, reported again on every run until the file changes
    errors: list[list[str]] = field(default_factory=list)
    shared: list[str] = field(default_factory=list)  # ids it gives that another file gave first (see indexer)

    def is_unchanged(self, stat: os.stat_result) -> bool:
        """True when size and modification time are what they were (the cheap test before hashing)."""
        return self.size == stat.st_size and self.mtime_ns == stat.st_mtime_ns


@dataclass
class Manifest:
    """The source folders of an index and every file read from them, by absolute path."""

    sources: list[str] = field(default_factory=list)
    files: dict[str, FileEntry] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)  # ids written through the API, from no file
    exclude: list[str] = field(default_factory=list)  # patterns of paths never read (find_files)

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        """The manifest stored in an index folder, or an empty one."""
        path = folder / FILE_NAME
        data, added = _stored(path, {}), _stored(folder / ADDED_FILE_NAME, [])
        try:
            files = {path: FileEntry(**entry) for path, entry in data.get("files", {}).items()}
            return cls(sources=list(data.get("sources", [])), files=files, added=[str(id) for id in added],
                       exclude=[str(pattern) for pattern in data.get("exclude", [])])
        except (ValueError, TypeError, AttributeError) as error:
            raise _damaged(path, error) from None

    def save(self, folder: Path) -> None:
        """Write the manifest atomically: a reader sees the old file or the new one, never half of one."""
        data = {"sources": self.sources, "exclude": self.exclude,
                "files": {path: vars(entry) for path, entry in sorted(self.files.items())}}
        _replace(folder / FILE_NAME, json.dumps(data, ensure_ascii=False))
        self.save_added(folder)

    def save_added(self, folder: Path) -> None:
        """Write only the ids added through the API (atomically, as ``save``); nothing when there are none."""
        if self.added or (folder / ADDED_FILE_NAME).exists():
            _replace(folder / ADDED_FILE_NAME, json.dumps(sorted(self.added), ensure_ascii=False))

    def ids(self) -> set[str]:
        """Every document id the files gave."""
        return {id for entry in self.files.values() for id in entry.records}

    def files_under(self, root: Path) -> dict[str, FileEntry]:
        """The entries of files inside ``root``."""
        prefix = str(root).rstrip(os.sep) + os.sep
        return {path: entry for path, entry in self.files.items() if path.startswith(prefix) or path == str(root)}


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then put it in its place in one step."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)  # a full disk leaves no half-written temporary file behind


def _stored(path: Path, empty: Any) -> Any:
    """The JSON value in ``path``; ``empty`` when there is no such file."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return empty
    except (OSError, ValueError) as error:
        raise _damaged(path, error) from None


def _damaged(path: Path, error: Exception) -> NewsearchError:
    return NewsearchError(f"the index's record of its sources ({path}) is damaged ({error}); "
                          "rebuild it with 'newsearch index --rebuild'")

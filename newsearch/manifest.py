"""What an index was built from (source folders, files with size, mtime, hash and ids) and what changed since."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import NewsearchError

FILE_NAME = "manifest.json"


@dataclass
class FileEntry:
    """One indexed file as last seen: enough to tell whether it changed, and which documents it gave."""

    size: int
    mtime_ns: int
    content_hash: str
    records: dict[str, str] = field(default_factory=dict)  # document id -> hash of what it was made from
    # (where, reason) for each part that failed, reported again on every run until the file changes
    errors: list[list[str]] = field(default_factory=list)

    def is_unchanged(self, stat: os.stat_result) -> bool:
        """True when size and modification time are what they were (the cheap test before hashing)."""
        return self.size == stat.st_size and self.mtime_ns == stat.st_mtime_ns


@dataclass
class Manifest:
    """The source folders of an index and every file read from them, by absolute path."""

    sources: list[str] = field(default_factory=list)
    files: dict[str, FileEntry] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        """The manifest stored in an index folder, or an empty one."""
        try:
            data = json.loads((folder / FILE_NAME).read_text(encoding="utf-8"))
            files = {path: FileEntry(**entry) for path, entry in data.get("files", {}).items()}
            return cls(sources=list(data.get("sources", [])), files=files)
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError, TypeError, AttributeError) as error:
            raise NewsearchError(f"the index's record of its sources ({folder / FILE_NAME}) is damaged ({error}); "
                                 "rebuild it with 'newsearch index --rebuild'") from None

    def save(self, folder: Path) -> None:
        """Write the manifest atomically: a reader sees the old file or the new one, never half of one."""
        data = {"sources": self.sources, "files": {path: vars(entry) for path, entry in sorted(self.files.items())}}
        temporary = folder / f".{FILE_NAME}.{os.getpid()}.tmp"
        temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, folder / FILE_NAME)

    def files_under(self, root: Path) -> dict[str, FileEntry]:
        """The entries of files inside ``root``."""
        prefix = str(root).rstrip(os.sep) + os.sep
        return {path: entry for path, entry in self.files.items() if path.startswith(prefix) or path == str(root)}

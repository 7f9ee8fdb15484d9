"""An index folder's generations: the live one named in newsearch.json, new ones built beside it, the atomic switch."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

from .errors import IndexNotFound

METADATA_FILE = "newsearch.json"
FORMAT_VERSION = 1
_GENERATION = re.compile(r"^gen-(\d+)$")
_TEMPORARY = re.compile(r"^\.[\w.-]+\.\d+\.tmp(-wal|-shm|-journal)?$")  # .NAME.PID.tmp, then renamed into place


def is_index(folder: Path) -> bool:
    """True when ``folder`` holds a newsearch index."""
    return (folder / METADATA_FILE).is_file()


def read_metadata(folder: Path) -> dict:
    """The index's metadata (format, engine, live generation); IndexNotFound saying what to do otherwise."""
    try:
        metadata = json.loads((folder / METADATA_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexNotFound(f"no index in '{folder}'; run 'newsearch index CORPUS' to build one") from None
    except (OSError, ValueError) as error:
        raise IndexNotFound(f"cannot read the index in '{folder}': {error}") from None
    if not isinstance(metadata, dict):
        raise IndexNotFound(f"'{folder / METADATA_FILE}' is damaged; rebuild the index with 'newsearch index CORPUS'")
    if metadata.get("format") != FORMAT_VERSION or not _GENERATION.match(str(metadata.get("generation", ""))):
        raise IndexNotFound(f"the index in '{folder}' was made by another version of newsearch; "
                            "rebuild it with 'newsearch index CORPUS'")
    return metadata


def live(folder: Path) -> Path:
    """The folder of the generation that queries are answered from."""
    return folder / read_metadata(folder)["generation"]


def stamp(folder: Path) -> tuple[int, int]:
    """Changes whenever another generation goes live (the metadata file is replaced, not rewritten)."""
    try:
        stat = os.stat(folder / METADATA_FILE)
    except FileNotFoundError:
        return (0, 0)
    return stat.st_ino, stat.st_mtime_ns


def new(folder: Path) -> Path:
    """A new, empty generation folder beside the others; it is not live until ``switch``."""
    folder.mkdir(parents=True, exist_ok=True)
    numbers = [int(m.group(1)) for m in map(_GENERATION.match, os.listdir(folder)) if m]
    generation = folder / f"gen-{max(numbers, default=0) + 1:06d}"
    generation.mkdir()
    return generation


def switch(folder: Path, generation: Path, engine: str, options: Mapping | None = None, analysis: int = 0) -> None:
    """Make ``generation`` live in one atomic step: readers see the old one or the new one, never a mix.

    ``options``: the engine options the index keeps (a server's nodes; never a secret); ``analysis``: the
    version of the word analysis its documents were indexed with.
    """
    metadata = {"format": FORMAT_VERSION, "engine": engine, "generation": generation.name, "analysis": analysis}
    if options:
        metadata["engine_options"] = dict(options)
    temporary = folder / f".{METADATA_FILE}.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(metadata) + "\n", encoding="utf-8")
    os.replace(temporary, folder / METADATA_FILE)


def remove_stale(folder: Path, discard: Callable[[Path], None] | None = None) -> None:
    """Delete generations that are not live (replaced ones, and ones left half-built by a killed run).

    ``discard(generation)`` is called before each is deleted (to drop data it keeps elsewhere).
    Call only while holding the write lock, so no build is under way.
    """
    try:
        keep = read_metadata(folder)["generation"]
    except IndexNotFound:
        keep = None
    for entry in os.listdir(folder):
        path = folder / entry
        if _GENERATION.match(entry) and entry != keep:
            if discard is not None:
                discard(path)
            shutil.rmtree(path, ignore_errors=True)
        elif entry.startswith(f".{METADATA_FILE}.") and entry.endswith(".tmp"):
            path.unlink(missing_ok=True)
    if keep is not None:  # temporary files (a state store being migrated) left by a run killed while writing them
        for entry in os.listdir(folder / keep):
            if _TEMPORARY.match(entry):
                (folder / keep / entry).unlink(missing_ok=True)

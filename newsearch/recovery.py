"""A write cut short between the engine's commit and the state store's: its mark, and the repairs after it.

The engine commits first, then the state store (the manifest and the near-duplicate
groups, state.py) in one transaction: a kill or a full disk in between leaves an engine
newer than the store that describes it (documents the manifest does not know, groups
that miss a change). A mark file in
the generation is made before the engine writes and removed once everything is
saved; the next update that finds it compares the engine's ids with the manifest,
re-reads the files whose documents the engine lacks, deletes what no source holds,
and afterwards rewrites stored documents whose group the saved groups disagree with.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from .duplicates import Groups
from .engines.base import Engine
from .manifest import FileEntry, Manifest

MARK_FILE = "write.unfinished"
GHOSTS = ".newsearch-ghosts"  # the manifest entry of documents no source holds (vanished, so they are deleted)


def begin(generation: Path) -> bool:
    """Mark a write under way in ``generation``; True when an earlier write's mark is still there (it was cut)."""
    mark = generation / MARK_FILE
    if mark.exists():
        return True
    with open(mark, "wb") as stream:
        os.fsync(stream.fileno())
    return False


def end(generation: Path) -> None:
    """The write and every save after it are done."""
    (generation / MARK_FILE).unlink(missing_ok=True)


def is_cut(generation: Path) -> bool:
    """True when a write in ``generation`` was cut short and no update has repaired it yet."""
    return (generation / MARK_FILE).exists()


@dataclasses.dataclass(frozen=True)
class Difference:
    """Documents where the engine and the manifest disagree."""

    ghosts: frozenset[str]  # in the engine, from no source file and not added through the API
    missing: frozenset[str]  # listed in the manifest, absent from the engine


def compare(stored: set[str], manifest: Manifest) -> Difference:
    """How the engine's ids ``stored`` and the manifest disagree."""
    listed = manifest.ids()
    return Difference(frozenset(stored - listed - manifest.added()), frozenset(listed - stored))


def prepare(engine: Engine, manifest: Manifest, groups: Groups, roots: list[Path]) -> None:
    """Before the update after a cut write: make it re-read what the engine lacks or the groups never placed,
    and delete what no source holds (unless a file gives it again in this update)."""
    stored = engine.ids()
    difference = compare(stored, manifest)
    placed = set(groups.mapping())
    for id in placed - stored:
        groups.remove(id)
    redo = difference.missing | (stored - placed)
    for path in sorted({path for id in redo for path in manifest.holders(id)}):
        entry = manifest.files[path]
        entry.size, entry.mtime_ns, entry.content_hash = -1, -1, ""
        manifest.put(path, entry, {id: "" if id in redo else digest for id, digest in manifest.records(path).items()})
    manifest.keep_added(stored)
    if difference.ghosts and roots:
        manifest.put(str(roots[0] / GHOSTS), FileEntry(size=-1, mtime_ns=-1, content_hash=""),
                     dict.fromkeys(sorted(difference.ghosts), ""))


def regroup_stored(engine: Engine, groups: Groups) -> None:
    """After that update: store every document with the group the groups hold for it (placing any they lack)."""
    wrong = []
    for article in engine.articles():
        group = groups.group(article.id)
        if group is None:
            group = groups.place(article.id, article.body, article.published)[0]
        if article.group != group:
            wrong.append(dataclasses.replace(article, group=group))
    if wrong:
        engine.write(wrong, [])

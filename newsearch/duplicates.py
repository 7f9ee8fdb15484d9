"""Near-duplicate groups: which articles tell the same story, found from word shingles at index time.

Each document belongs to one group, named by an opaque id; a document with no
near-duplicate has a group of its own. Two bodies are near-duplicates when the
word 5-shingles of the shorter are mostly (CONTAINMENT) in the longer and the
two share a fair part of all their shingles (MIN_JACCARD), so a copy with a
new headline, a trimmed last paragraph or a few edited words joins the group
of the version it repeats, while a short item inside a long report does not.
Candidates come from a consistent sample of each body's shingles (those whose
hash is divisible by SAMPLE), so only documents sharing sampled shingles are
compared, exactly, on their whole shingle sets. Bodies under MIN_WORDS words
are never grouped. The state (every document's group and shingles) is saved
in the index's live generation beside the manifest; ``write`` keeps it and the
engine's ``group`` values in step in one engine write.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import pickle
import re
import secrets
import zlib
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from .article import Article, to_utc_naive
from .engines.base import Engine
from .errors import NewsearchError

FILE_NAME = "duplicates.pickle"
FORMAT = 1  # documents: id -> (group, packed shingles, packed sampled shingles, day published or UNDATED)
SHINGLE_WORDS = 5
MIN_WORDS = 50  # shorter bodies (in words between spaces) are never grouped by body alone
# Dated articles further apart than this are never one story: syndication and updates come within days,
# while recurring notices ("Fed adds reserves via customer repurchases") repeat their wording every week.
WINDOW_DAYS = 3
UNDATED = -1
SAMPLE = 4  # a shingle whose hash is divisible by this is a sampled anchor
# Chosen with benchmarks/duplicates.py: 0.8 missed a tenth of the syndicated copies' pairs; at 0.6 weekly
# templated Reuters notices ("U.S. to sell 13.2 billion dlrs in bills") join the same group.
CONTAINMENT = 0.7  # the share of the shorter body's shingles found in the longer one
MIN_JACCARD = 0.4  # and the share of all shingles the two have in common
UNPACKED = 4096  # shingle sets kept unpacked at once (the rest stay packed: an eighth of the memory)
COMMON_ANCHOR = 1000  # an anchor in more documents than this is boilerplate, not evidence
CONFIRMED = 16  # at most this many candidates per document are compared exactly, most anchors shared first
# A candidate is compared only when the anchors it shares, as a share of the fewer anchors of the two,
# reach this part of CONTAINMENT: an estimate from a sample, so set well below it.
ESTIMATE_FLOOR = 0.5

_WORD = re.compile(r"\w+")


def shingles(body: str) -> frozenset[int]:
    """The body's word 5-shingles as 32-bit hashes; empty for a body under MIN_WORDS words."""
    if len(body.split()) < MIN_WORDS:
        return frozenset()
    words = _WORD.findall(body.lower())
    return frozenset(zlib.crc32(" ".join(gram).encode("utf-8"))
                     for gram in zip(*(words[start:] for start in range(SHINGLE_WORDS))))


def similarity(a: frozenset[int], b: frozenset[int]) -> tuple[float, float]:
    """(containment of the smaller set in the larger, Jaccard) of two shingle sets."""
    if not a or not b:
        return 0.0, 0.0
    shared = len(a & b)
    return shared / min(len(a), len(b)), shared / (len(a) + len(b) - shared)


class Groups:
    """Every document's group and shingles, with a sampled-shingle index to find candidates fast.

    Shingles are kept packed (arrays of 32-bit values) as saved, and unpacked only for
    the documents compared; the index of sampled shingles is built on the first ``place``.
    So a read (stats, the versions of a story) or a write that finds nothing new to place
    costs little on a large index. The thresholds are parameters only so that
    benchmarks/duplicates.py can compare them.
    """

    def __init__(self, containment: float = CONTAINMENT, min_jaccard: float = MIN_JACCARD):
        self.containment, self.min_jaccard = containment, min_jaccard
        self.group_of: dict[str, str] = {}
        self.members: dict[str, set[str]] = defaultdict(set)
        self.changed = False
        self._packed: dict[str, tuple[bytes, bytes]] = {}  # id -> (shingles, anchors), arrays of "I"
        self._unpacked: dict[str, frozenset[int]] = {}  # a cache of recently placed or compared sets
        self._days: dict[str, int] = {}  # id -> the day it was published (an ordinal), or UNDATED
        # sampled shingle -> the id holding it, or a list of ids when several do (most are held by one:
        # a set for each would take four times the memory)
        self._anchors: dict[int, str | list[str]] | None = None

    # -- saving

    @classmethod
    def load(cls, folder: Path) -> Groups:
        """The groups saved in a generation folder; empty when none were saved (a new index)."""
        groups = cls()
        try:
            data = pickle.loads((folder / FILE_NAME).read_bytes())
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r}")
            for id, (group, shingles, anchors, day) in data["documents"].items():
                groups.group_of[id] = group
                groups.members[group].add(id)
                groups._days[id] = day
                if shingles:
                    groups._packed[id] = (shingles, anchors)
        except FileNotFoundError:
            pass
        except (OSError, ValueError, TypeError, KeyError, AttributeError, pickle.UnpicklingError) as error:
            raise NewsearchError(f"the index's near-duplicate groups ({folder / FILE_NAME}) are damaged ({error}); "
                                 "rebuild it with 'newsearch index --rebuild'") from None
        return groups

    def save(self, folder: Path) -> None:
        """Write the groups atomically, as the manifest is written: the old file or the new one, never half.

        Nothing is written when nothing changed since ``load`` (a file is always written for a new index).
        """
        if not self.changed and (folder / FILE_NAME).exists():
            return
        documents = {id: (group, *self._packed.get(id, (b"", b"")), self._days.get(id, UNDATED))
                     for id, group in self.group_of.items()}
        temporary = folder / f".{FILE_NAME}.{os.getpid()}.tmp"
        temporary.write_bytes(pickle.dumps({"format": FORMAT, "documents": documents},
                                           protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(temporary, folder / FILE_NAME)
        self.changed = False

    # -- reading

    def group_members(self, group: str) -> set[str]:
        """The ids in a group (empty for an unknown group)."""
        return set(self.members.get(group, ()))

    def largest(self, count: int) -> list[tuple[str, int]]:
        """The ``count`` largest groups of two or more documents, as (group, size), largest first."""
        sizes = [(group, len(ids)) for group, ids in self.members.items() if len(ids) > 1]
        return sorted(sizes, key=lambda item: (-item[1], item[0]))[:count]

    def grouped_documents(self) -> int:
        """How many documents have at least one near-duplicate."""
        return sum(len(ids) for ids in self.members.values() if len(ids) > 1)

    def group_count(self) -> int:
        """How many groups hold two or more documents."""
        return sum(1 for ids in self.members.values() if len(ids) > 1)

    def near_duplicates(self, a: str, b: str) -> bool:
        """True when two placed documents are similar enough, and close enough in time, for one group."""
        if not self._close_in_time(self._days.get(a, UNDATED), self._days.get(b, UNDATED)):
            return False
        containment, jaccard = similarity(self._shingles(a), self._shingles(b))
        return containment >= self.containment and jaccard >= self.min_jaccard

    @staticmethod
    def _close_in_time(a: int, b: int) -> bool:
        return a == UNDATED or b == UNDATED or abs(a - b) <= WINDOW_DAYS

    # -- changing

    def place(self, id: str, body: str, published: dt.date | None = None) -> tuple[str, bool]:
        """Put a new or changed document in a group: (its group, whether it joined another document's group).

        A changed document first leaves its group; it keeps its old group id only when it
        is left alone in it, so it never shares an id with documents it no longer matches.
        """
        old = self.remove(id)
        self._days[id] = to_utc_naive(published).toordinal() if published is not None else UNDATED
        sketch = shingles(body)
        anchors = _anchors(sketch)
        match = self._best_match(id, sketch, anchors)
        if match is not None:
            self._add(id, self.group_of[match], sketch, anchors)
            return self.group_of[id], True
        group = old if old is not None and not self.members.get(old) else new_group()
        self._add(id, group, sketch, anchors)
        return group, False

    def remove(self, id: str) -> str | None:
        """Forget a document; its former group, or None when it was unknown."""
        group = self.group_of.pop(id, None)
        if group is None:
            return None
        self.changed = True
        packed = self._packed.pop(id, None)
        self._unpacked.pop(id, None)
        self._days.pop(id, None)
        if self._anchors is not None and packed is not None:
            for anchor in array("I", packed[1]):
                holders = self._anchors.get(anchor)
                if holders == id:
                    del self._anchors[anchor]
                elif isinstance(holders, list) and id in holders:
                    holders.remove(id)
                    if len(holders) == 1:
                        self._anchors[anchor] = holders[0]
        self.members[group].discard(id)
        if not self.members[group]:
            del self.members[group]
        return group

    def regroup(self, group: str, keep: set[str] = frozenset()) -> dict[str, str]:
        """Split a group whose members no longer all hang together: id -> new group for those that move.

        Members stay together when a chain of near-duplicate pairs links them. The part
        holding a member of ``keep`` (else the largest part) keeps the group's id; the
        other parts get new ids.
        """
        ids = sorted(self.members.get(group, ()))
        if len(ids) < 2:
            return {}
        parent = {id: id for id in ids}

        def root(id: str) -> str:
            while parent[id] != id:
                parent[id] = parent[parent[id]]
                id = parent[id]
            return id

        for position, a in enumerate(ids):
            for b in ids[position + 1:]:
                if root(a) != root(b) and self.near_duplicates(a, b):
                    parent[root(a)] = root(b)
        parts: dict[str, list[str]] = defaultdict(list)
        for id in ids:
            parts[root(id)].append(id)
        if len(parts) == 1:
            return {}
        staying = max(parts.values(), key=lambda part: (bool(keep & set(part)), len(part)))  # ties: first in id order
        moved = {}
        for part in parts.values():
            if part is staying:
                continue
            fresh = new_group()
            for id in part:
                self.members[group].discard(id)
                self.members[fresh].add(id)
                self.group_of[id] = moved[id] = fresh
        self.changed = True
        return moved

    def _shingles(self, id: str) -> frozenset[int]:
        """A placed document's shingles (empty for a short body), unpacked once."""
        sketch = self._unpacked.get(id)
        if sketch is None:
            packed = self._packed.get(id)
            sketch = frozenset(array("I", packed[0])) if packed else frozenset()
            self._remember(id, sketch)
        return sketch

    def _remember(self, id: str, sketch: frozenset[int]) -> None:
        if len(self._unpacked) >= UNPACKED:
            self._unpacked.clear()
        self._unpacked[id] = sketch

    def _anchor_index(self) -> dict[int, set[str]]:
        """Sampled shingle -> the documents holding it, built from the saved anchors on first use."""
        if self._anchors is None:
            self._anchors = {}
            for id, (_, anchors) in self._packed.items():
                self._index_anchors(id, array("I", anchors))
        return self._anchors

    def _index_anchors(self, id: str, anchors) -> None:
        index = self._anchors
        for anchor in anchors:
            holders = index.get(anchor)
            if holders is None:
                index[anchor] = id
            elif isinstance(holders, str):
                index[anchor] = [holders, id]
            else:
                holders.append(id)

    def _add(self, id: str, group: str, sketch: frozenset[int], anchors: list[int]) -> None:
        self.changed = True
        self.group_of[id] = group
        self.members[group].add(id)
        if sketch:
            self._packed[id] = (array("I", sketch).tobytes(), array("I", anchors).tobytes())
            self._remember(id, sketch)
            self._anchor_index()
            self._index_anchors(id, anchors)

    def _best_match(self, id: str, sketch: frozenset[int], anchors: list[int]) -> str | None:
        """The most similar near-duplicate already placed, or None."""
        if not sketch:
            return None
        index = self._anchor_index()
        shared = Counter()
        for anchor in anchors:
            holders = index.get(anchor)
            if isinstance(holders, str):
                shared[holders] += 1
            elif holders is not None and len(holders) <= COMMON_ANCHOR:
                shared.update(holders)
        shared.pop(id, None)
        floor = ESTIMATE_FLOOR * self.containment
        day = self._days.get(id, UNDATED)
        best, best_score = None, (0.0, 0.0)
        for candidate, count in sorted(shared.items(), key=lambda item: (-item[1], item[0]))[:CONFIRMED]:
            fewer = min(len(anchors), len(self._packed[candidate][1]) // 4)
            if count < floor * fewer:
                break  # sorted by count: the rest share no more
            if not self._close_in_time(day, self._days.get(candidate, UNDATED)):
                continue
            score = similarity(sketch, self._shingles(candidate))
            if score[0] >= self.containment and score[1] >= self.min_jaccard and score > best_score:
                best, best_score = candidate, score
        return best


def _anchors(sketch: Iterable[int]) -> list[int]:
    """The sampled shingles of a set: those whose hash is divisible by SAMPLE."""
    return [value for value in sketch if value % SAMPLE == 0]


def new_group() -> str:
    """A fresh group id, unlike any other."""
    return secrets.token_hex(6)


def write(engine: Engine, groups: Groups, upserts: Iterable[Article], deletes: Iterable[str],
          workers: int = 1) -> None:
    """Apply upserts and deletes to ``engine`` in one write, each article carrying its group.

    An article that joins another document's group is held back to the end of the
    write, when deletions are known: if they split its group, it goes in with its final
    group. Documents already in the index whose group changed (their group split) are
    rewritten in the same write. Into empty groups (a build) nothing can leave a group,
    so nothing is held back, provided ``upserts`` gives each id once (as ``update`` and
    ``Index.add`` do). The caller saves ``groups`` after the engine commits. ``workers`` as in
    Engine.write.
    """
    plan = _Plan(engine, groups)
    engine.write(plan.upserts(upserts, deletes), plan.deleted_ids(), workers=workers)


class _Plan:
    """One write's group bookkeeping (see ``write``)."""

    def __init__(self, engine: Engine, groups: Groups):
        self.engine = engine
        self.groups = groups
        self.deleted: list[str] = []

    def upserts(self, upserts: Iterable[Article], deletes: Iterable[str]) -> Iterator[Article]:
        hold = bool(self.groups.group_of)
        held: dict[str, Article] = {}
        written: set[str] = set()  # each the first of its group in this write, or a build's
        touched: set[str] = set()  # groups that lost a member in this write
        for article in upserts:
            before = self.groups.group_of.get(article.id)
            group, joined = self.groups.place(article.id, article.body, article.published)
            if before is not None and before in self.groups.members:
                touched.add(before)
            if (joined and hold) or article.id in held:
                held[article.id] = article
                continue
            written.add(article.id)
            yield dataclasses.replace(article, group=group)
        self.deleted = list(deletes)
        for id in self.deleted:
            group = self.groups.remove(id)
            if group is not None and group in self.groups.members:
                touched.add(group)
        moved: dict[str, str] = {}
        for group in sorted(touched):
            moved.update(self.groups.regroup(group, keep=written))
        for id, article in held.items():
            yield dataclasses.replace(article, group=self.groups.group_of[id])
        for id in sorted(moved.keys() - held.keys() - written):
            stored = self.engine.get(id)
            if stored is not None:
                yield dataclasses.replace(stored, group=moved[id])

    def deleted_ids(self) -> Iterator[str]:
        """The deletes, read by the engine after every upsert (so after ``upserts`` collected them)."""
        yield from self.deleted

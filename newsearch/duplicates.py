"""Near-duplicate groups: which articles tell the same story, found from word shingles at index time.

Each document belongs to one group, named by an opaque id; a document with no
near-duplicate has a group of its own. Two bodies are near-duplicates when the
word 5-shingles of the shorter are mostly (CONTAINMENT) in the longer and the
two share a fair part of all their shingles (MIN_JACCARD), so a copy with a
new headline, a trimmed last paragraph or a few edited words joins the group
of the version it repeats, while a short item inside a long report does not.
A document keeps only a sketch of its shingles: the SKETCH smallest hashes, a
random sample consistent across bodies (bottom-k). A new body is compared with
the documents dated within WINDOW_DAYS of it (or undated) whose sketches share
one of its KEYS smallest hashes, sketch to sketch, both cut to the hash range
both hold whole (``estimate``): an estimate from at least SKETCH shingles of
the longer body, exact for bodies of fewer. Bodies under MIN_WORDS words are never grouped. The state (every
document's group, day and sketch, about 300 bytes for a long body) is saved
in the index's live generation beside the manifest; ``write`` keeps it and the
engine's ``group`` values in step in one engine write.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import os
import pickle
import re
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence, Set
from pathlib import Path

from .article import Article, to_utc_naive
from .engines.base import Engine
from .errors import NewsearchError

FILE_NAME = "duplicates.pickle"
FORMAT = 2  # documents: id -> (group, packed [day published or UNDATED, sketch...], empty for a short body)
SHINGLE_WORDS = 5
MIN_WORDS = 50  # shorter bodies (in words between spaces) are never grouped by body alone
# Dated articles further apart than this are never one story: syndication and updates come within days,
# while recurring notices ("Fed adds reserves via customer repurchases") repeat their wording every week.
WINDOW_DAYS = 3
UNDATED = 0  # day ordinals start at 1
# Chosen with benchmarks/duplicates.py: 0.8 missed a tenth of the syndicated copies' pairs; at 0.6 weekly
# templated Reuters notices ("U.S. to sell 13.2 billion dlrs in bills") join the same group.
CONTAINMENT = 0.7  # the share of the shorter body's shingles found in the longer one
MIN_JACCARD = 0.4  # and the share of all shingles the two have in common
# Chosen with benchmarks/duplicates.py, thresholds unchanged: on the labelled set a sketch of 32 gave pair
# recall 0.973, 48 0.978, 64 0.976, 80 0.981, 96 0.987 (whole shingle sets: 0.986), precision 1.0 each;
# Reuters 605 to 612 groups (whole sets: 606, the difference borderline rewrites of one story either way).
# 64 meets the targets with room at a sixth of a BBC body's shingles. Lowering CONTAINMENT to 0.65 wins
# recall back but adds groups in Reuters that the whole sets do not make.
SKETCH = 64  # the smallest shingle hashes kept of each body (every one of a body with fewer)
# Two bodies with Jaccard J share one of their KEYS smallest hashes but for about (1 - J) ** KEYS: 2% at
# the 0.4 threshold; 16 or all 64 keys found no more pairs on the labelled set.
KEYS = 8  # the smallest of those, by which candidates are found
COMMON_KEY = 1000  # a key in more documents than this is boilerplate, not evidence
CONFIRMED = 16  # at most this many candidates per document are compared, most keys shared first
EVERY_HASH = 1 << 32  # the limit of a set kept whole
KEY_BUCKETS = 1024  # the key index's sorted arrays, chosen by a key's low bits

_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s")
SKETCH_PIECE_CHARS = 1 << 20  # a longer body is sketched a piece at a time


def shingles(body: str) -> frozenset[int]:
    """The body's word 5-shingles as 32-bit hashes; empty for a body under MIN_WORDS words."""
    if len(body.split()) < MIN_WORDS:
        return frozenset()
    words = _WORD.findall(body.lower())
    return frozenset(zlib.crc32(" ".join(gram).encode("utf-8"))
                     for gram in zip(*(words[start:] for start in range(SHINGLE_WORDS)), strict=False))


def body_sketch(body: str) -> bytes:
    """The body's SKETCH smallest shingle hashes in order, packed as an array("I"); empty for a short body.

    A body longer than SKETCH_PIECE_CHARS is read a piece at a time (cut at white space, each piece's
    shingles continuing the last words of the one before), keeping only the smallest hashes: the same
    sketch as from the whole, without a set of every shingle of a 200 MB body (35 million).
    """
    if len(body) <= SKETCH_PIECE_CHARS:
        return array("I", sorted(shingles(body))[:SKETCH]).tobytes()
    smallest: list[int] = []
    carried: list[str] = []  # the words before this piece that begin shingles ending in it
    counted = start = 0
    while start < len(body):
        space = _SPACE.search(body, start + SKETCH_PIECE_CHARS)
        end = space.start() if space is not None else len(body)
        piece = body[start:end]
        counted += len(piece.split())
        words = carried + _WORD.findall(piece.lower())
        grams = zip(*(words[first:] for first in range(SHINGLE_WORDS)), strict=False)
        hashes = {zlib.crc32(" ".join(gram).encode("utf-8")) for gram in grams}
        smallest = heapq.nsmallest(SKETCH, hashes.union(smallest))
        carried = words[-(SHINGLE_WORDS - 1):]
        start = end
    return array("I", sorted(smallest) if counted >= MIN_WORDS else []).tobytes()


def similarity(a: frozenset[int], b: frozenset[int]) -> tuple[float, float]:
    """(containment of the smaller set in the larger, Jaccard) of two shingle sets."""
    if not a or not b:
        return 0.0, 0.0
    shared = len(a & b)
    return shared / min(len(a), len(b)), shared / (len(a) + len(b) - shared)


def limit(sketch: Sequence[int]) -> int:
    """The hash below which a sketch holds every shingle of its body (the sorted SKETCH smallest hashes)."""
    return EVERY_HASH if len(sketch) < SKETCH else sketch[-1]


def estimate(a: Sequence[int], a_limit: int, b: Sequence[int], b_limit: int) -> tuple[float, float]:
    """``similarity`` of two bodies from their sketches with their limits.

    Both are cut to the shingles hashed under the lower limit, which both hold whole: a
    consistent sample of the two bodies, so its containment and Jaccard estimate theirs
    (exactly when both bodies are short enough to be kept whole), from at least SKETCH
    shingles of the longer body.
    """
    cut = min(a_limit, b_limit)
    return similarity(frozenset(a[:bisect_right(a, cut)]), frozenset(b[:bisect_right(b, cut)]))


class Groups:
    """Every document's group and sketch, with an index of sketch keys to find candidates fast.

    A document's state is its group and one bytes value (its day and sketch, an array of
    32-bit values) as saved; a body's whole shingle set lives only while its sketch is
    worked out (``body_sketch``, in a reading worker or in ``place``).
    The key index is built on the first ``place``, so a read (stats, the versions of a
    story) or a write that finds nothing new to place costs little on a large index.
    ``members`` holds a group's id alone while it has one member (a set per document
    would take more memory than its sketch). The thresholds are parameters only so that
    benchmarks/duplicates.py can compare them.
    """

    def __init__(self, containment: float = CONTAINMENT, min_jaccard: float = MIN_JACCARD):
        self.containment, self.min_jaccard = containment, min_jaccard
        self.group_of: dict[str, str] = {}
        self.members: dict[str, str | set[str]] = {}  # group -> its one id, or the set of its ids
        self.changed = False
        self._packed: dict[str, bytes] = {}  # id -> array "I" of [day, sketch...], for bodies with shingles
        self._keys: _KeyIndex | None = None

    # -- saving

    @classmethod
    def load(cls, folder: Path) -> Groups:
        """The groups saved in a generation folder; empty when none were saved (a new index)."""
        groups = cls()
        try:
            data = pickle.loads((folder / FILE_NAME).read_bytes())
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r}")
            for id, (group, packed) in data["documents"].items():
                groups.group_of[id] = group
                groups._join(group, id)
                if packed:
                    groups._packed[id] = packed
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
        documents = {id: (group, self._packed.get(id, b"")) for id, group in self.group_of.items()}
        temporary = folder / f".{FILE_NAME}.{os.getpid()}.tmp"
        temporary.write_bytes(pickle.dumps({"format": FORMAT, "documents": documents},
                                           protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(temporary, folder / FILE_NAME)
        self.changed = False

    # -- reading

    def group_members(self, group: str) -> set[str]:
        """The ids in a group (empty for an unknown group)."""
        held = self.members.get(group)
        return {held} if isinstance(held, str) else set(held or ())

    def largest(self, count: int) -> list[tuple[str, int]]:
        """The ``count`` largest groups of two or more documents, as (group, size), largest first."""
        sizes = [(group, len(ids)) for group, ids in self.members.items() if not isinstance(ids, str)]
        return sorted(sizes, key=lambda item: (-item[1], item[0]))[:count]

    def grouped_documents(self) -> int:
        """How many documents have at least one near-duplicate."""
        return sum(len(ids) for ids in self.members.values() if not isinstance(ids, str))

    def group_count(self) -> int:
        """How many groups hold two or more documents."""
        return sum(1 for ids in self.members.values() if not isinstance(ids, str))

    def near_duplicates(self, a: str, b: str) -> bool:
        """True when two placed documents are similar enough, and close enough in time, for one group."""
        day_a, sketch_a = self._state(a)
        day_b, sketch_b = self._state(b)
        if not sketch_a or not sketch_b or not self._close_in_time(day_a, day_b):
            return False
        return self._similar(estimate(sketch_a, limit(sketch_a), sketch_b, limit(sketch_b)))

    def _similar(self, score: tuple[float, float]) -> bool:
        return score[0] >= self.containment and score[1] >= self.min_jaccard

    @staticmethod
    def _close_in_time(a: int, b: int) -> bool:
        return a == UNDATED or b == UNDATED or abs(a - b) <= WINDOW_DAYS

    # -- changing

    def place(self, id: str, body: str, published: dt.date | None = None,
              sketch: bytes | None = None) -> tuple[str, bool]:
        """Put a new or changed document in a group: (its group, whether it joined another document's group).

        A changed document first leaves its group; it keeps its old group id only when it
        is left alone in it, so it never shares an id with documents it no longer matches.
        ``sketch``, when given, is ``body_sketch(body)`` worked out elsewhere.
        """
        old = self.remove(id)
        day = to_utc_naive(published).toordinal() if published is not None else UNDATED
        kept = array("I", body_sketch(body) if sketch is None else sketch)
        match = self._best_match(kept, day)
        group = (self.group_of[match] if match is not None
                 else old if old is not None and old not in self.members else new_group())
        self.changed = True
        self.group_of[id] = group
        self._join(group, id)
        if kept:
            packed = array("I", [day]) + kept
            self._packed[id] = packed.tobytes()
            self._key_index().add(packed[:1 + KEYS], id)
        return group, match is not None

    def remove(self, id: str) -> str | None:
        """Forget a document; its former group, or None when it was unknown."""
        group = self.group_of.pop(id, None)
        if group is None:
            return None
        self.changed = True
        packed = self._packed.pop(id, None)
        if self._keys is not None and packed:
            self._keys.remove(array("I", packed)[:1 + KEYS], id)
        self._leave(group, id)
        return group

    def regroup(self, group: str, keep: Set[str] = frozenset()) -> dict[str, str]:
        """Split a group whose members no longer all hang together: id -> new group for those that move.

        Members stay together when a chain of near-duplicate pairs links them. The part
        holding a member of ``keep`` (else the largest part) keeps the group's id; the
        other parts get new ids.
        """
        ids = sorted(self.group_members(group))
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
                self._leave(group, id)
                self._join(fresh, id)
                self.group_of[id] = moved[id] = fresh
        self.changed = True
        return moved

    def _join(self, group: str, id: str) -> None:
        held = self.members.get(group)
        if held is None:
            self.members[group] = id
        elif isinstance(held, str):
            self.members[group] = {held, id}
        else:
            held.add(id)

    def _leave(self, group: str, id: str) -> None:
        held = self.members.get(group)
        if held == id:
            del self.members[group]
        elif isinstance(held, set):
            held.discard(id)
            if len(held) == 1:
                self.members[group] = held.pop()

    def _state(self, id: str) -> tuple[int, array]:
        """A placed document's (day, sketch); the sketch is empty for a short body."""
        packed = array("I", self._packed.get(id, b""))
        return (packed[0], packed[1:]) if packed else (UNDATED, packed)

    def _key_index(self) -> _KeyIndex:
        """The key index, built from the saved sketches on first use."""
        if self._keys is None:
            self._keys = _KeyIndex((array("I", packed)[:1 + KEYS], id) for id, packed in self._packed.items())
        return self._keys

    def _best_match(self, kept: array, day: int) -> str | None:
        """The most similar near-duplicate already placed of a body with this sketch, or None.

        The body is judged by its sketch, as ``near_duplicates`` judges it later: a pair that
        joined here stays linked when ``regroup`` checks its group.
        """
        if not kept:
            return None
        keys = self._key_index()
        shared: Counter[str] = Counter()
        for key in kept[:KEYS]:
            shared.update(keys.holders(key, day, COMMON_KEY))
        best, best_score = None, (0.0, 0.0)
        for candidate in sorted(shared, key=lambda candidate: (-shared[candidate], candidate))[:CONFIRMED]:
            other = self._state(candidate)[1]
            score = estimate(kept, limit(kept), other, limit(other))
            if self._similar(score) and score > best_score:
                best, best_score = candidate, score
        return best


class _KeyIndex:
    """Sketch key -> the documents whose sketch starts with it, found by key and day.

    Each entry is one 64-bit value, the key above the document's day, in sorted arrays
    beside lists of ids: about sixteen bytes an entry (a dict would take a hundred). A key's
    holders sort by day, so a dated document's candidates are read from the few days
    around its own (and the undated), and placing an article costs no more as the archive
    grows years long. The arrays are chosen by a key's low bits: the keys, each sketch's
    smallest hashes, crowd at the low end of the range, but their low bits are uniform.
    """

    def __init__(self, entries: Iterable[tuple[Sequence[int], str]] = ()):
        """``entries``: (day and keys, as a packed sketch starts, id) each."""
        values = [array("Q") for _ in range(KEY_BUCKETS)]
        ids: list[list[str]] = [[] for _ in range(KEY_BUCKETS)]
        for day_and_keys, id in entries:
            day = day_and_keys[0]
            for key in day_and_keys[1:]:
                values[key % KEY_BUCKETS].append(key << 32 | day)
                ids[key % KEY_BUCKETS].append(id)
        for bucket, (bucket_values, bucket_ids) in enumerate(zip(values, ids, strict=True)):
            order = sorted(range(len(bucket_values)), key=bucket_values.__getitem__)
            values[bucket] = array("Q", [bucket_values[at] for at in order])
            ids[bucket] = [bucket_ids[at] for at in order]
        self._values, self._ids = values, ids

    def holders(self, key: int, day: int, most: int) -> list[str]:
        """The ids holding a key that are undated or within WINDOW_DAYS of ``day`` (all of them for UNDATED);
        none when more than ``most`` documents hold it, whatever their day."""
        values, ids = self._values[key % KEY_BUCKETS], self._ids[key % KEY_BUCKETS]
        base = key << 32
        start = bisect_left(values, base)
        end = bisect_right(values, base | 0xFFFFFFFF, start)
        if end - start > most:
            return []
        if day == UNDATED or start == end:
            return ids[start:end]
        undated_end = bisect_right(values, base | UNDATED, start, end)
        first = bisect_left(values, base | max(day - WINDOW_DAYS, UNDATED + 1), undated_end, end)
        return ids[start:undated_end] + ids[first:bisect_right(values, base | (day + WINDOW_DAYS), first, end)]

    def add(self, day_and_keys: Sequence[int], id: str) -> None:
        day = day_and_keys[0]
        for key in day_and_keys[1:]:
            values, ids = self._values[key % KEY_BUCKETS], self._ids[key % KEY_BUCKETS]
            at = bisect_right(values, key << 32 | day)
            values.insert(at, key << 32 | day)
            ids.insert(at, id)

    def remove(self, day_and_keys: Sequence[int], id: str) -> None:
        day = day_and_keys[0]
        for key in day_and_keys[1:]:
            values, ids = self._values[key % KEY_BUCKETS], self._ids[key % KEY_BUCKETS]
            start = bisect_left(values, key << 32 | day)
            end = bisect_right(values, key << 32 | day, start)
            if id in ids[start:end]:
                at = ids.index(id, start, end)
                del values[at], ids[at]


def new_group() -> str:
    """A fresh group id, unlike any other."""
    return os.urandom(6).hex()  # what secrets.token_hex does, without importing hmac and hashlib


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
            group, joined = self.groups.place(article.id, article.body, article.published, article.sketch)
            if before is not None and before in self.groups.members:
                touched.add(before)
            if (joined and hold) or article.id in held:
                held[article.id] = article
                continue
            written.add(article.id)
            yield dataclasses.replace(article, group=group, sketch=None)
        self.deleted = list(deletes)
        for id in self.deleted:
            former = self.groups.remove(id)
            if former is not None and former in self.groups.members:
                touched.add(former)
        moved: dict[str, str] = {}
        for group in sorted(touched):
            moved.update(self.groups.regroup(group, keep=written))
        for id, article in held.items():
            yield dataclasses.replace(article, group=self.groups.group_of[id], sketch=None)
        for id in sorted(moved.keys() - held.keys() - written):
            stored = self.engine.get(id)
            if stored is not None:
                yield dataclasses.replace(stored, group=moved[id])

    def deleted_ids(self) -> Iterator[str]:
        """The deletes, read by the engine after every upsert (so after ``upserts`` collected them)."""
        yield from self.deleted

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
document's group, day and sketch, about 300 bytes for a long body, and its KEYS
keys) is kept in the generation's state store beside the manifest (state.py);
``write`` keeps it and the engine's ``group`` values in step in one engine write.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import os
import re
import zlib
from array import array
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence, Set
from itertools import chain

from .article import Article
from .duplicate_keys import KEYS, UNDATED, WINDOW_DAYS, KeyIndex, StoredRows, day_number, key_rows, rows_by_id, unpacked
from .engines.base import Engine
from .state import State

SHINGLE_WORDS = 5
MIN_WORDS = 50  # shorter bodies (in words between spaces) are never grouped by body alone
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
COMMON_KEY = 1000  # a key in more documents than this is boilerplate, not evidence
CONFIRMED = 16  # at most this many candidates per document are compared, most keys shared first
EVERY_HASH = 1 << 32  # the limit of a set kept whole
# An update places its articles a batch at a time: the stored state their placing asks for (their own rows,
# their keys' holders) is read in three queries a batch rather than about thirty an article.
PLACE_BATCH = 256
PLACE_BATCH_CHARS = 8 * 1024 * 1024  # and fewer when their bodies are long: they wait in memory

_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s")
SKETCH_PIECE_CHARS = 1 << 20  # a longer body is sketched a piece at a time


def shingles(body: str) -> frozenset[int]:
    """The body's word 5-shingles as 32-bit hashes; empty for a body under MIN_WORDS words."""
    if len(body.split(None, MIN_WORDS)) < MIN_WORDS:  # counted no further than needed
        return frozenset()
    return frozenset(_shingle_hashes(_WORD.findall(body.lower())))


def _shingle_hashes(words: list[str]) -> Iterator[int]:
    """The CRC-32 of each run of SHINGLE_WORDS words, joined by spaces (as UTF-8), one map over C functions."""
    grams = zip(*(words[start:] for start in range(SHINGLE_WORDS)), strict=False)
    return map(zlib.crc32, map(str.encode, map(" ".join, grams)))


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
        smallest = heapq.nsmallest(SKETCH, set(_shingle_hashes(words)).union(smallest))
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
    """Every document's group and sketch, kept in a state store (state.py), with what a write changed in memory.

    A document's state is its group and one bytes value (its day and sketch, an array of
    32-bit values); a body's whole shingle set lives only while its sketch is worked out
    (``body_sketch``, in a reading worker or in ``place``). The store finds candidates by
    key with indexed queries; the documents a write places, moves or removes are held in
    memory (their keys in a ``KeyIndex``) until ``State.save`` writes those rows, so a
    write reads and holds what it changes, not the archive. The thresholds are parameters
    only so that benchmarks/duplicates.py can compare them.
    """

    def __init__(self, containment: float = CONTAINMENT, min_jaccard: float = MIN_JACCARD,
                 state: State | None = None):
        self.containment, self.min_jaccard = containment, min_jaccard
        self.state = state if state is not None else State.memory()
        self._stored = self._any_stored()  # False: every lookup is answered from memory (a build)
        self._docs: dict[str, tuple[str, bytes] | None] = {}  # changed in this write: (group, packed) or removed
        # group -> its documents among those changed: the id alone while it is one (a set each would take more
        # memory than a sketch: a build holds every document here)
        self._members: dict[str, str | set[str]] = {}
        self._keys = KeyIndex()  # the keys of the changed documents that have a sketch
        self._stored_rows = StoredRows(self.state.connection)
        self._left: Counter[int] = Counter()  # key -> stored documents holding it that this write changed

    def _any_stored(self) -> bool:
        return self.state.connection.execute("SELECT 1 FROM documents LIMIT 1").fetchone() is not None

    # -- reading

    def group(self, id: str) -> str | None:
        """A placed document's group; None for an unknown id."""
        if id in self._docs:
            held = self._docs[id]
            return None if held is None else held[0]
        if not self._stored:
            return None
        row = self._stored_rows.document(id)
        return None if row is None else row[0]

    def group_members(self, group: str) -> set[str]:
        """The ids in a group (empty for an unknown group)."""
        held = self._members.get(group)
        ids = {held} if isinstance(held, str) else set(held or ())
        if self._stored:
            ids.update(id for id in self._stored_rows.members(group) if id not in self._docs)
        return ids

    def empty(self) -> bool:
        """True when no document is placed."""
        return not self._stored and not any(self._docs.values())

    def mapping(self) -> dict[str, str]:
        """Every placed document's group, by id (reads the whole store: for checks and repairs)."""
        groups = {}
        if self._stored:
            groups = {id: group for id, group in self.state.connection.execute("SELECT id, grp FROM documents")
                      if id not in self._docs}
        groups.update((id, held[0]) for id, held in self._docs.items() if held is not None)
        return groups

    def _sizes(self) -> list[tuple[str, int]]:
        """(group, documents) of every group of two or more."""
        if not self._docs:
            return [(str(group), size) for group, size in self.state.connection.execute(
                "SELECT grp, count(*) FROM documents GROUP BY grp HAVING count(*) > 1")]
        return [(group, size) for group, size in Counter(self.mapping().values()).items() if size > 1]

    def largest(self, count: int | None = None) -> list[tuple[str, int]]:
        """The ``count`` largest groups (None: all) of two or more documents, as (group, size), largest first."""
        return sorted(self._sizes(), key=lambda item: (-item[1], item[0]))[:count]

    def grouped_documents(self) -> int:
        """How many documents have at least one near-duplicate."""
        return sum(size for _, size in self._sizes())

    def group_count(self) -> int:
        """How many groups hold two or more documents."""
        return len(self._sizes())

    def near_duplicates(self, a: str, b: str) -> bool:
        """True when two placed documents are similar enough, and close enough in time, for one group."""
        return self._near(self._state(a), self._state(b))

    def _near(self, a: tuple[int, array], b: tuple[int, array]) -> bool:
        (day_a, sketch_a), (day_b, sketch_b) = a, b
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
        day = day_number(published)
        kept = array("I", body_sketch(body) if sketch is None else sketch)
        match = self._best_match(kept, day)
        group = (self.group(match) if match is not None
                 else old if old is not None and not self.group_members(old) else new_group())
        assert group is not None  # a match is a placed document
        self._set(id, group, (array("I", [day]) + kept).tobytes() if kept else b"")
        return group, match is not None

    def remove(self, id: str) -> str | None:
        """Forget a document; its former group, or None when it was unknown."""
        group = self.group(id)
        if group is not None:
            self._changing(id)
            self._unset(id)
            self._docs[id] = None
        return group

    def _changing(self, id: str) -> None:
        """Note the keys a stored document no longer holds as stored, the first time this write changes it."""
        if self._stored and id not in self._docs:
            row = self._stored_rows.document(id)
            if row is not None:
                self._left.update(array("I", row[1])[1:1 + KEYS])

    def regroup(self, group: str, keep: Set[str] = frozenset()) -> dict[str, str]:
        """Split a group whose members no longer all hang together: id -> new group for those that move.

        Members stay together when a chain of near-duplicate pairs links them. The part
        holding a member of ``keep`` (else the largest part) keeps the group's id; the
        other parts get new ids.
        """
        ids = sorted(self.group_members(group))
        if len(ids) < 2:
            return {}
        packed = {id: self._packed(id) for id in ids}
        states = {id: unpacked(value) for id, value in packed.items()}
        parent = {id: id for id in ids}

        def root(id: str) -> str:
            while parent[id] != id:
                parent[id] = parent[parent[id]]
                id = parent[id]
            return id

        for position, a in enumerate(ids):
            for b in ids[position + 1:]:
                if root(a) != root(b) and self._near(states[a], states[b]):
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
                self._set(id, fresh, packed[id])
                moved[id] = fresh
        return moved

    def _set(self, id: str, group: str, packed: bytes) -> None:
        """Hold a document's new state in memory (its keys in the write's key index)."""
        self._changing(id)
        self._unset(id)
        self._docs[id] = (group, packed)
        held = self._members.get(group)
        if held is None:
            self._members[group] = id
        elif isinstance(held, str):
            self._members[group] = {held, id}
        else:
            held.add(id)
        if packed:
            self._keys.add(array("I", packed)[:1 + KEYS], id)

    def _unset(self, id: str) -> None:
        held = self._docs.get(id)
        if held is not None:
            group, packed = held
            members = self._members.get(group)
            if members == id:
                del self._members[group]
            elif isinstance(members, set):
                members.discard(id)
                if len(members) == 1:
                    self._members[group] = members.pop()
            if packed:
                self._keys.remove(array("I", packed)[:1 + KEYS], id)

    def _packed(self, id: str) -> bytes:
        """A placed document's packed day and sketch (empty for a short body or an unknown id)."""
        if id in self._docs:
            held = self._docs[id]
            return b"" if held is None else held[1]
        if not self._stored:
            return b""
        row = self._stored_rows.document(id)
        return b"" if row is None else row[1]

    def _state(self, id: str) -> tuple[int, array]:
        """A placed document's (day, sketch); the sketch is empty for a short body."""
        return unpacked(self._packed(id))

    def _holders(self, key: int, day: int) -> list[str]:
        """The documents holding a key, undated or within WINDOW_DAYS of ``day`` (all of them for UNDATED);
        none when more than COMMON_KEY documents hold it, whatever their day."""
        found, held = self._keys.holders(key, day)
        if self._stored:
            # Counted through the index alone, up to the limit: the stored holders this write changed count no more.
            left = self._left[key]
            most = COMMON_KEY + 1 + left
            if day == UNDATED and self._stored_rows.count(key, most) == most:  # its window: every holder
                return []
            rows = self._stored_rows.window(key, day)
            found += [id for id in rows if id not in self._docs] if self._docs else rows
            if not found:  # no candidate, whatever the count
                return found
            stored = self._stored_rows.count(key, most)
            if stored == most:
                return []
            held += stored - left
        return [] if held > COMMON_KEY else found

    def prefetch(self, documents: Sequence[tuple[str, dt.date | None, bytes | None]]) -> None:
        """Read at once the stored state that placing these (id, published, sketch) documents asks for."""
        if self._stored and documents:
            self._stored_rows = StoredRows(self.state.connection)  # the last batch's rows are not asked again
            self._stored_rows.fetch_documents(id for id, _, _ in documents)
            pairs = {(key, day_number(published)) for _, published, sketch in documents
                     for key in array("I", sketch or b"")[:KEYS]}
            # the limit this batch's counts may ask: its documents may leave stored holders of its keys
            most = COMMON_KEY + 1 + max((self._left[key] for key, _ in pairs), default=0) + len(documents)
            self._stored_rows.fetch_holders(pairs, most)

    def prefetch_removals(self, ids: Sequence[str]) -> None:
        """Read at once the stored state that removing these documents asks for: their rows and groups."""
        if self._stored and ids:
            self._stored_rows = StoredRows(self.state.connection)
            self._stored_rows.fetch_documents(ids)
            self._stored_rows.fetch_members({row[0] for id in ids if (row := self._stored_rows.document(id))})

    def _best_match(self, kept: array, day: int) -> str | None:
        """The most similar near-duplicate already placed of a body with this sketch, or None.

        The body is judged by its sketch, as ``near_duplicates`` judges it later: a pair that
        joined here stays linked when ``regroup`` checks its group.
        """
        if not kept:
            return None
        shared: Counter[str] = Counter()
        for key in kept[:KEYS]:
            shared.update(self._holders(key, day))
        best, best_score = None, (0.0, 0.0)
        for candidate in sorted(shared, key=lambda candidate: (-shared[candidate], candidate))[:CONFIRMED]:
            other = self._state(candidate)[1]
            score = estimate(kept, limit(kept), other, limit(other))
            if self._similar(score) and score > best_score:
                best, best_score = candidate, score
        return best

    # -- saving (State.save)

    def flush(self) -> None:
        """Write the documents changed in this write, and their keys (State.save calls it in its transaction)."""
        connection = self.state.connection
        (next_doc,) = connection.execute("SELECT coalesce(max(doc), 0) + 1 FROM documents").fetchone()
        before = rows_by_id(connection, "SELECT id, doc, packed FROM documents", list(self._docs)) \
            if self._stored else {}
        moved: list[tuple[str, int]] = []
        gone: list[tuple[int, bytes]] = []
        unchanged: set[str] = set()  # kept their row: only their group changed
        for id, held in self._docs.items():
            if id in before:
                doc, packed = before[id]
                if held is not None and held[1] == packed:  # moved to another group: its keys stay
                    moved.append((held[0], doc))
                    unchanged.add(id)
                else:
                    gone.append((doc, packed))
        connection.executemany("UPDATE documents SET grp = ? WHERE doc = ?", moved)
        connection.executemany("DELETE FROM keys WHERE entry = ? AND doc = ?",
                               ((entry, doc) for doc, packed in gone for entry in key_rows(packed)))
        connection.executemany("DELETE FROM documents WHERE doc = ?", ((doc,) for doc, _ in gone))

        def new_rows() -> Iterator[tuple[int, str, str, bytes]]:  # numbered the same each time (a build's million)
            number = next_doc
            for id, held in self._docs.items():
                if held is not None and id not in unchanged:
                    yield number, id, held[0], held[1]
                    number += 1

        connection.executemany("INSERT INTO documents VALUES (?, ?, ?, ?)", new_rows())
        connection.executemany("INSERT INTO keys VALUES (?, ?)", ((entry, doc) for doc, _, _, packed in new_rows()
                                                                  for entry in key_rows(packed)))

    def saved(self) -> None:
        self._stored = self._any_stored()
        self._docs, self._members, self._keys = {}, {}, KeyIndex()
        self._stored_rows, self._left = StoredRows(self.state.connection), Counter()


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
    ``Index.add`` do). The caller saves ``groups`` (State.save) after the engine commits. ``workers`` as in
    Engine.write.
    """
    plan = _Plan(engine, groups)
    engine.write(plan.upserts(upserts, deletes), plan.deleted_ids(), workers=workers)


def _prefetched(groups: Groups, articles: Iterable[Article]) -> Iterator[Article]:
    """``articles``, each with its sketch, read a batch ahead so that ``groups`` fetches what placing them asks."""
    batch: list[Article] = []
    chars = 0
    for article in chain(articles, [None]):  # None: the end
        if article is not None:
            batch.append(article if article.sketch is not None
                         else dataclasses.replace(article, sketch=body_sketch(article.body)))
            chars += len(article.body)
        if len(batch) == PLACE_BATCH or chars > PLACE_BATCH_CHARS or (article is None and batch):
            groups.prefetch([(queued.id, queued.published, queued.sketch) for queued in batch])
            yield from batch
            batch, chars = [], 0


class _Plan:
    """One write's group bookkeeping (see ``write``)."""

    def __init__(self, engine: Engine, groups: Groups):
        self.engine = engine
        self.groups = groups
        self.deleted: list[str] = []

    def upserts(self, upserts: Iterable[Article], deletes: Iterable[str]) -> Iterator[Article]:
        hold = not self.groups.empty()
        held: dict[str, Article] = {}
        written: set[str] = set()  # each the first of its group in this write, or a build's
        touched: set[str] = set()  # groups that lost a member in this write
        for article in _prefetched(self.groups, upserts) if hold else upserts:
            before = self.groups.group(article.id)
            group, joined = self.groups.place(article.id, article.body, article.published, article.sketch)
            if before is not None and self.groups.group_members(before):
                touched.add(before)
            if (joined and hold) or article.id in held:
                held[article.id] = article
                continue
            written.add(article.id)
            yield dataclasses.replace(article, group=group, sketch=None)
        self.deleted = list(deletes)
        self.groups.prefetch_removals(self.deleted)
        for id in self.deleted:
            former = self.groups.remove(id)
            if former is not None and self.groups.group_members(former):
                touched.add(former)
        moved: dict[str, str] = {}
        for group in sorted(touched):
            moved.update(self.groups.regroup(group, keep=written))
        for id, article in held.items():
            yield dataclasses.replace(article, group=self.groups.group(id) or "", sketch=None)
        for id in sorted(moved.keys() - held.keys() - written):
            stored = self.engine.get(id)
            if stored is not None:
                yield dataclasses.replace(stored, group=moved[id])

    def deleted_ids(self) -> Iterator[str]:
        """The deletes, read by the engine after every upsert (so after ``upserts`` collected them)."""
        yield from self.deleted

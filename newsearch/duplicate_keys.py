"""Near-duplicate candidates by sketch key: the keys of the documents one write changes, held in memory
(``KeyIndex``), and those the state store holds (``StoredRows``), read a batch of placements at a time.

A key is one of a sketch's KEYS smallest hashes (duplicates.py). Each entry is the key above its
document's day, so a key's holders sort by day and a dated document's candidates are read from
the days around its own, WINDOW_DAYS either side, and the undated.
"""

from __future__ import annotations

import datetime as dt
import json
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence

from .article import to_utc_naive

# Dated articles further apart than this are never one story: syndication and updates come within days,
# while recurring notices ("Fed adds reserves via customer repurchases") repeat their wording every week.
WINDOW_DAYS = 3
UNDATED = 0  # day ordinals start at 1
# Two bodies with Jaccard J share one of their KEYS smallest hashes but for about (1 - J) ** KEYS: 2% at
# the 0.4 threshold; 16 or all 64 keys found no more pairs on the labelled set.
KEYS = 8  # the smallest of those, by which candidates are found
KEY_BUCKETS = 1024  # the key index's sorted arrays, chosen by a key's low bits
DAY_BITS = 22  # a stored key row is the key above the day: days up to the year 9999 fit below it
DAY_MASK = (1 << DAY_BITS) - 1


class StoredRows:
    """The store's documents and key holders as the last save left them, read a batch of placements at a time.

    Nothing in the store changes until the write saves, so what a batch read stays true; the
    write's own changes are held by ``Groups`` over it. Only what ``fetch_*`` read is kept (a
    batch's worth: ``Groups`` starts a new one for each batch); anything else is read when asked.
    """

    def __init__(self, connection) -> None:
        self._connection = connection
        self._documents: dict[str, tuple[str, bytes] | None] = {}  # id -> (group, packed), None: not stored
        self._counts: dict[int, tuple[int, int]] = {}  # key -> (its holders counted up to a limit, the limit)
        self._windows: dict[tuple[int, int], list[str]] = {}  # (key, day) -> the holders ``window`` gives
        self._members: dict[str, list[str]] = {}  # group -> its stored documents

    def document(self, id: str) -> tuple[str, bytes] | None:
        """A stored document's (group, packed state); None when the store holds no such id."""
        if id in self._documents:
            return self._documents[id]
        row = self._connection.execute("SELECT grp, packed FROM documents WHERE id = ?", (id,)).fetchone()
        return None if row is None else (str(row[0]), bytes(row[1]))

    def members(self, group: str) -> list[str]:
        """The stored documents of a group."""
        if group in self._members:
            return self._members[group]
        return [id for (id,) in self._connection.execute("SELECT id FROM documents WHERE grp = ?", (group,))]

    def count(self, key: int, most: int) -> int:
        """How many stored documents hold a key, counted through the index alone up to ``most``."""
        if self._uncounted(key, most):
            self._count([key], most)
        return min(self._counts[key][0], most)

    def window(self, key: int, day: int) -> list[str]:
        """The stored holders of a key that are undated or within WINDOW_DAYS of ``day`` (all for UNDATED)."""
        if (key, day) not in self._windows:
            self._read_windows([(key, day)])
        return self._windows[(key, day)]

    def fetch_documents(self, ids: Iterable[str]) -> None:
        """Read the rows of these documents in one query."""
        wanted = [id for id in ids if id not in self._documents]
        found = rows_by_id(self._connection, "SELECT id, grp, packed FROM documents", wanted)
        self._documents.update((id, (str(row[0]), bytes(row[1])) if row is not None else None)
                               for id, row in ((id, found.get(id)) for id in wanted))

    def fetch_members(self, groups: set[str]) -> None:
        """Read the stored documents of these groups in one query."""
        wanted = [group for group in groups if group not in self._members]
        self._members.update((group, []) for group in wanted)
        if wanted:
            rows = self._connection.execute("SELECT grp, id FROM documents WHERE grp IN "
                                            "(SELECT value FROM json_each(?))", (json.dumps(wanted),))
            for group, id in rows:
                self._members[group].append(id)

    def fetch_holders(self, pairs: set[tuple[int, int]], most: int) -> None:
        """Read the window of each (key, day) pair and the count of its key (up to ``most``), as ``Groups._holders``
        asks for them: a dated pair's window first, its key counted only when the window holds someone; an
        undated pair's key counted first, its window (every holder) read only when the key is not common."""
        self._count(sorted({key for key, day in pairs if day == UNDATED and self._uncounted(key, most)}), most)
        self._read_windows(sorted(pair for pair in pairs if pair not in self._windows
                                  and (pair[1] != UNDATED or self._counts[pair[0]][0] < most)))
        self._count(sorted({key for key, day in pairs
                            if self._windows.get((key, day)) and self._uncounted(key, most)}), most)

    def _uncounted(self, key: int, most: int) -> bool:
        """True when a key was never counted, or counting stopped at a limit below ``most``."""
        counted, limit = self._counts.get(key, (0, 0))
        return counted == limit < most

    def _count(self, keys: list[int], most: int) -> None:
        """Count the holders of these keys, each up to ``most``, in one query through the index alone."""
        if keys:
            self._counts.update((key, (counted, most)) for key, counted in self._connection.execute(
                f"SELECT value, (SELECT count(*) FROM (SELECT 1 FROM keys WHERE entry BETWEEN value << {DAY_BITS} "
                f"AND (value << {DAY_BITS}) | {DAY_MASK} LIMIT ?)) FROM json_each(?)", (most, json.dumps(keys))))

    def _read_windows(self, pairs: list[tuple[int, int]]) -> None:
        """Each pair's holders, with their states, in one query: the undated ones first, then by day."""
        ranges = []  # [pair number, first entry, last entry]
        for number, (key, day) in enumerate(pairs):
            base = key << DAY_BITS
            if day == UNDATED:
                ranges.append([number, base, base | DAY_MASK])
            else:
                ranges += [[number, base, base | UNDATED],
                           [number, base | max(day - WINDOW_DAYS, UNDATED + 1), base | (day + WINDOW_DAYS)]]
        self._windows.update((pair, []) for pair in pairs)
        if not ranges:
            return
        rows = self._connection.execute(
            "SELECT json_extract(w.value, '$[0]'), d.id, d.grp, d.packed FROM json_each(?) w JOIN keys k "
            "ON k.entry BETWEEN json_extract(w.value, '$[1]') AND json_extract(w.value, '$[2]') "
            "JOIN documents d ON d.doc = k.doc ORDER BY w.key, k.entry, k.doc", (json.dumps(ranges),))
        for number, id, group, packed in rows:
            self._windows[pairs[number]].append(id)
            self._documents.setdefault(id, (str(group), bytes(packed)))


def rows_by_id(connection, select: str, ids: list[str]) -> dict[str, tuple]:
    """id -> the rest of the row, for the rows of ``select`` (its first column the id) with these ids."""
    if not ids:
        return {}
    return {row[0]: row[1:] for row in connection.execute(
        f"{select} WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(ids),))}


def day_number(published: dt.date | None) -> int:
    """The day ordinal a document is placed by (UNDATED without a date)."""
    return to_utc_naive(published).toordinal() if published is not None else UNDATED


def unpacked(packed: bytes) -> tuple[int, array]:
    """(day, sketch) of a packed state; the sketch is empty for a short body."""
    values = array("I", packed)
    return (values[0], values[1:]) if values else (UNDATED, values)


def key_rows(packed: bytes) -> list[int]:
    """The stored key rows of a packed day and sketch: each of its first KEYS hashes above its day."""
    values = array("I", packed)
    return [key << DAY_BITS | values[0] for key in values[1:1 + KEYS]] if values else []


class KeyIndex:
    """Sketch key -> the documents whose sketch starts with it, found by key and day (one write's documents).

    Each entry is one 64-bit value, the key above the document's day, in sorted arrays
    beside lists of ids: about sixteen bytes an entry (a dict would take a hundred). A key's
    holders sort by day, so a dated document's candidates are read from the few days
    around its own (and the undated). The arrays are chosen by a key's low bits: the keys,
    each sketch's smallest hashes, crowd at the low end of the range, but their low bits are uniform.
    """

    def __init__(self) -> None:
        self._values = [array("Q") for _ in range(KEY_BUCKETS)]
        self._ids: list[list[str]] = [[] for _ in range(KEY_BUCKETS)]

    def holders(self, key: int, day: int) -> tuple[list[str], int]:
        """(the ids holding a key that are undated or within WINDOW_DAYS of ``day``, all of them for UNDATED;
        how many documents hold the key, whatever their day)."""
        values, ids = self._values[key % KEY_BUCKETS], self._ids[key % KEY_BUCKETS]
        base = key << 32
        start = bisect_left(values, base)
        end = bisect_right(values, base | 0xFFFFFFFF, start)
        if day == UNDATED or start == end:
            return ids[start:end], end - start
        undated_end = bisect_right(values, base | UNDATED, start, end)
        first = bisect_left(values, base | max(day - WINDOW_DAYS, UNDATED + 1), undated_end, end)
        return (ids[start:undated_end] + ids[first:bisect_right(values, base | (day + WINDOW_DAYS), first, end)],
                end - start)

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

"""Timeline: how many articles match a query per day, week, month or year, empty periods included."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from .facets import date_bucket

FOLD_RUN = 4  # empty periods in a row that a folded timeline shows as one row


@dataclass(frozen=True)
class Timeline:
    """Matching documents per period, oldest first, from the first period with a match to the last.

    ``periods`` holds ``(label, count)`` with labels as the date facets write them
    (``2022-03-06``, ``2022-W09``, ``2022-03``, ``2022``); a period without matches
    counts 0. ``total`` is every matching document, ``undated`` those without a date
    (in no period). Counts are of documents: each copy of a story counts.
    """

    by: str
    periods: tuple[tuple[str, int], ...]
    total: int
    undated: int
    counts: str = "documents"

    def folded(self, run: int = FOLD_RUN) -> tuple[tuple[str, str, int, int], ...]:
        """The periods as ``(first, last, count, periods)`` rows, ``run`` or more empty periods in a row as one.

        A period alone is ``(label, label, count, 1)``; a folded run ``(first label, last label, 0, periods)``.
        """
        rows: list[tuple[str, str, int, int]] = []
        empty: list[str] = []
        for label, count in (*self.periods, ("", -1)):  # the sentinel ends a last run of empty periods
            if count == 0:
                empty.append(label)
                continue
            if len(empty) >= run:
                rows.append((empty[0], empty[-1], 0, len(empty)))
            else:
                rows.extend((one, one, 0, 1) for one in empty)
            empty = []
            if count > 0:
                rows.append((label, label, count, 1))
        return tuple(rows)

    def to_dict(self) -> dict:
        """JSON-ready values."""
        return {"by": self.by, "counts": self.counts, "total": self.total, "undated": self.undated,
                "periods": [{"period": label, "count": count} for label, count in self.periods]}


def make_timeline(by: str, total: int, counts: Iterable[tuple[str, int]]) -> Timeline:
    """The timeline from per-period counts (the ``published:<by>`` facet over every match)."""
    found = dict(counts)
    if not found:
        return Timeline(by, (), total, total)
    labels = period_labels(min(found, key=_start_of), max(found, key=_start_of), by)
    periods = tuple((label, found.get(label, 0)) for label in labels)
    return Timeline(by, periods, total, total - sum(found.values()))


def period_labels(first: str, last: str, by: str) -> list[str]:
    """Every period's label from ``first`` to ``last`` (labels of unit ``by``), in order."""
    labels, day, end = [], _start_of(first), _start_of(last)
    while day <= end:
        labels.append(date_bucket(day, by))
        day = _next_start(day, by)
    return labels


def _start_of(label: str) -> dt.date:
    """The first day of a period label: 2022-03-06, 2022-W09 (its Monday), 2022-03, 2022."""
    if "-W" in label:
        year, week = label.split("-W")
        return dt.date.fromisocalendar(int(year), int(week), 1)
    parts = [int(part) for part in label.split("-")]
    return dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def _next_start(day: dt.date, by: str) -> dt.date:
    if by == "day":
        return day + dt.timedelta(days=1)
    if by == "week":
        return day + dt.timedelta(weeks=1)
    if by == "month":
        return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return dt.date(day.year + 1, 1, 1)

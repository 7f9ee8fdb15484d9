"""Facets: which counts a query may ask for, how dates fall into buckets, and how counts are ordered."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from .errors import QuerySyntaxError

# Facet name -> the article field whose values it counts.
FIELD_FACETS = {"source": "source", "author": "authors", "language": "language", "category": "categories"}
DATE_FACETS = ("day", "week", "month", "year")  # asked for as published:month etc.
FACET_VALUES = 20  # values kept per facet, most frequent first


def check_facets(names: Iterable[str]) -> tuple[str, ...]:
    """The facet names, normalised and checked; QuerySyntaxError lists the valid ones for an unknown name."""
    checked = []
    for name in names:
        name = name.strip().lower()
        name = {"authors": "author", "categories": "category", "published": "published:month"}.get(name, name)
        if name not in FIELD_FACETS and name not in {f"published:{unit}" for unit in DATE_FACETS}:
            valid = ", ".join([*FIELD_FACETS, *(f"published:{unit}" for unit in DATE_FACETS)])
            raise QuerySyntaxError(f"unknown facet {name!r} (facets: {valid})")
        if name not in checked:
            checked.append(name)
    return tuple(checked)


def facet_fields(names: Iterable[str]) -> set[str]:
    """The article fields an engine must read to count these facets (``published`` for dates)."""
    return {FIELD_FACETS.get(name, "published") for name in names}


def date_bucket(day: dt.date, unit: str) -> str:
    """A date as its bucket: '2022-03-06', '2022-W09' (ISO week), '2022-03' or '2022'."""
    if unit == "day":
        return day.isoformat()[:10]
    if unit == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if unit == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return f"{day.year:04d}"


def count_facets(names: Sequence[str], documents: Iterable[Mapping],
                 kept: int | None = FACET_VALUES) -> dict[str, tuple[tuple[str, int], ...]]:
    """Facet name -> ((value, count), ...), most frequent first, ties by value; at most ``kept`` each (None: all).

    ``documents`` yields, per matching document, its field values: a string or a list of
    strings for source, authors, language and categories, a date (or None) for published.
    A document without a value is not counted in that facet.
    """
    counters = {name: Counter() for name in names}
    for document in documents:
        for name, counter in counters.items():
            if name.startswith("published:"):
                day = document.get("published")
                if day is not None:
                    counter[date_bucket(day, name.split(":", 1)[1])] += 1
                continue
            values = document.get(FIELD_FACETS[name]) or ()
            if isinstance(values, str):
                values = (values,)
            counter.update({value for value in values if value})
    return {name: tuple(sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:kept])
            for name, counter in counters.items()}

"""Facets: which counts a query may ask for, how dates fall into buckets, and how counts are ordered."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from .errors import QuerySyntaxError
from .schema import FACET_FIELDS

FIELD_FACETS = FACET_FIELDS  # facet name -> the article field whose values it counts (newsearch.schema)
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


def count_facets(names: Sequence[str], columns: Mapping[str, Sequence], docnums: Iterable[int],
                 kept: int | None = FACET_VALUES) -> dict[str, tuple[tuple[str, int], ...]]:
    """Facet name -> ((value, count), ...) over ``docnums``, most frequent first, ties by value; ``kept`` each.

    ``columns[field][docnum]`` is a document's value of an article field: a string or a
    tuple of strings for source, authors, language and categories, a date (or None) for
    published. A document without a value is not counted in that facet; ``kept`` None
    keeps every value. Equal values are counted together first, so each distinct
    value (a source, a day) is looked at once rather than once per document.
    """
    docnums = list(docnums)
    counts = {}
    for name in names:
        field = FIELD_FACETS.get(name, "published")
        distinct = Counter(map(columns[field].__getitem__, docnums))
        counter: Counter = Counter()
        if name.startswith("published:"):
            unit = name.split(":", 1)[1]
            for day, count in distinct.items():
                if day is not None:
                    counter[date_bucket(day, unit)] += count
        else:
            for values, count in distinct.items():
                for value in set(values) if isinstance(values, tuple) else (values,):
                    if value:
                        counter[value] += count
        counts[name] = tuple(sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:kept])
    return counts

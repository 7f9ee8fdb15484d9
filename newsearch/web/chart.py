"""The date histogram of a search: publication-date facet counts as bars of a small server-drawn SVG chart."""

from __future__ import annotations

from dataclasses import dataclass

from .. import Results

# newsearch keeps at most this many values of a facet, most frequent first: a list this long may be cut short.
FACET_VALUES = 20
MAX_MONTH_BARS = 24
WIDTH, HEIGHT = 280, 64


@dataclass(frozen=True)
class Bar:
    """One bucket of the chart: its date (``2022`` or ``2022-03``), count, and place in the drawing."""

    label: str
    count: int
    x: float
    y: float
    width: float
    height: float


def date_counts(results: Results) -> list[tuple[str, int]]:
    """Matches per month, or per year when months would be too many; in date order with empty buckets filled.

    Needs the ``published:month`` and ``published:year`` facets; [] when no match has a date.
    """
    months = dict(results.facets.get("published:month", ()))
    if months and len(months) < FACET_VALUES:
        filled = _months_between(min(months), max(months))
        if len(filled) <= MAX_MONTH_BARS:
            return [(month, months.get(month, 0)) for month in filled]
    years = dict(results.facets.get("published:year", ()))
    if not years or len(years) >= FACET_VALUES:
        return sorted(years.items())
    return [(str(year), years.get(str(year), 0)) for year in range(int(min(years)), int(max(years)) + 1)]


def bars(counts: list[tuple[str, int]]) -> list[Bar]:
    """The bars of a histogram of ``counts`` in a WIDTH × HEIGHT drawing; the highest fills the height."""
    if not counts:
        return []
    top = max(count for _, count in counts) or 1
    step = WIDTH / len(counts)
    gap = min(step * 0.15, 4.0)
    drawn = []
    for number, (label, count) in enumerate(counts):
        height = max(HEIGHT * count / top, 1.0 if count else 0.0)
        drawn.append(Bar(label, count, round(number * step + gap / 2, 2), round(HEIGHT - height, 2),
                         round(step - gap, 2), round(height, 2)))
    return drawn


def _months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    months: list[str] = []
    while f"{year:04d}-{month:02d}" <= last and len(months) <= MAX_MONTH_BARS:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months

"""Publication dates: the one place that turns date text into ``date``/``datetime`` values."""

from __future__ import annotations

import datetime as dt
import re

from .article import to_utc_naive

_DAY_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RELATIVE = re.compile(r"^(\d+)\s*([dwmy])$")
_RELATIVE_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}
_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T?(\d{2})(\d{2})(\d{2})?)?Z?$")
_SLASHED = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})")


def parse_date(value: object) -> dt.date | None:
    """A ``datetime`` (aware when a zone is given) or a ``date`` from common date spellings, else None.

    Understands ISO 8601 (``2022-03-21``, ``2022-03-21T10:00:00+02:00``, ``...Z``),
    RFC 2822 as in feeds (``Mon, 21 Mar 2022 10:00:00 GMT``), compact
    ``20220321``, slashed ``2022/03/21`` and Unix timestamps given as numbers.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)):
        try:
            return dt.datetime.fromtimestamp(value / 1000 if value > 1e11 else value, dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    text = str(value).strip()
    if not text:
        return None
    if _DAY_ONLY.match(text):
        return _checked(dt.date.fromisoformat, text)
    compact = _COMPACT.match(text)  # before fromisoformat, which (3.11+) reads "20220321" as a midnight
    if compact:
        y, m, d, hh, mm, ss = compact.groups()
        if hh is None:
            return _checked(dt.date, int(y), int(m), int(d))
        zone = dt.timezone.utc if text.endswith("Z") else None
        return _checked(dt.datetime, int(y), int(m), int(d), int(hh), int(mm), int(ss or 0), tzinfo=zone)
    iso = _checked(dt.datetime.fromisoformat, text.replace(" ", "T", 1))
    if iso is not None:
        return iso
    slashed = _SLASHED.match(text)
    if slashed:
        return _checked(dt.date, *map(int, slashed.groups()))
    try:
        import email.utils  # only for RFC 2822 dates: it costs a CLI start 6 ms

        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def parse_bound(text: str, *, end: bool) -> dt.datetime | None:
    """The first (or, with ``end``, the last) moment of ``YYYY``, ``YYYY-MM``, a day or a datetime, in UTC.

    Relative forms count back from now: ``7d``, ``2w``, ``3m`` (30 days), ``1y`` (365).
    Used for ``since``/``until`` filters and date ranges; None when the text is not a date.
    """
    relative = _RELATIVE.match(text.strip().lower())
    if relative:
        days = int(relative.group(1)) * _RELATIVE_DAYS[relative.group(2)]
        try:
            return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0) - dt.timedelta(days=days)
        except OverflowError:
            return None
    try:
        return _absolute_bound(text, end=end)
    except (OverflowError, ValueError):
        return None


def _absolute_bound(text: str, *, end: bool) -> dt.datetime | None:
    partial = _PARTIAL.match(text.strip())
    if partial:
        year, month, day = (int(part) if part else None for part in partial.groups())
        try:
            start = dt.datetime(year, month or 1, day or 1)
        except ValueError:
            return None
        if not end:
            return start
        if day:
            return start + dt.timedelta(days=1, microseconds=-1)
        if month:
            next_month = dt.datetime(year + month // 12, month % 12 + 1, 1)
            return next_month - dt.timedelta(microseconds=1)
        return dt.datetime(year + 1, 1, 1) - dt.timedelta(microseconds=1)
    moment = parse_date(text)
    if moment is None:
        return None
    return to_utc_naive(moment)


def _checked(make, *args, **kwargs):
    try:
        return make(*args, **kwargs)
    except (ValueError, TypeError, OverflowError):
        return None

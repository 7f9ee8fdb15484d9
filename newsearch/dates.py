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
# Month names (and their common abbreviations) in the languages of the corpora, for the loose parser.
_MONTH_NAMES = (
    "january february march april may june july august september october november december",
    "januar februar märz april mai juni juli august september oktober november dezember",
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "januari februari maart april mei juni juli augustus september oktober november december",
    "jan feb mar apr may jun jul aug sep oct nov dec", "jän feb mär apr mai jun jul aug sept okt nov dez",
)
MONTHS = {name: number for names in _MONTH_NAMES for number, name in enumerate(names.split(), start=1)}
_LOOSE_ISO = re.compile(r"\b((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})(?!\d)")
_DOTTED = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.((?:19|20)\d{2})\b")
_DAY_FIRST_SLASHED = re.compile(r"\b(\d{1,2})/(\d{1,2})/((?:19|20)\d{2})\b")
_TIMESTAMP = re.compile(r"^\d{10}(?:\d{3})?$")
_LOOSE_TOKEN = re.compile(r"\d+|[^\W\d_]+")
_TWELVE_HOUR = re.compile(r"\d\s*[ap]\.?m\b", re.IGNORECASE)


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
            return dt.datetime.fromtimestamp(value / 1000 if value > 1e11 else value, dt.UTC)
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
        zone = dt.UTC if text.endswith("Z") else None
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


def parse_loose_date(text: str) -> dt.date | None:
    """The day in date text the strict ``parse_date`` rejects, else None: the fallback for page metadata.

    Reads ``2019-11-18 17:19:53 GMT``, ``Fri 6:45 PM, Feb 16, 2018``, ``24. Januar 2022``,
    ``3 de mayo de 2022``, ``20.06.2019 11:43``, ``14/01/2020`` (``05/04/2022 08:43 am`` as
    month first; a slashed day and month that could be either are refused) and Unix
    timestamps. Only the day is kept: the zone of such text is rarely certain.
    """
    text = text.strip()
    if _TIMESTAMP.match(text):
        moment = parse_date(int(text))
        return moment.date() if isinstance(moment, dt.datetime) else None
    for pattern, order in ((_LOOSE_ISO, (0, 1, 2)), (_DOTTED, (2, 1, 0))):
        match = pattern.search(text)
        if match:
            parts = [int(part) for part in match.groups()]
            return _checked(dt.date, *(parts[i] for i in order))
    slashed = _DAY_FIRST_SLASHED.search(text)
    if slashed:
        first, second, year = map(int, slashed.groups())
        if first > 12:
            day, month = first, second
        elif second > 12 or _TWELVE_HOUR.search(text):
            month, day = first, second  # month first, as in the US
        else:
            return None  # day and month could be either way round
        return _checked(dt.date, year, month, day)
    return _named_month_date(text)


def _named_month_date(text: str) -> dt.date | None:
    """A day written with its month's name: the year, and the day number nearest the month that is not a time."""
    tokens = [(match.group(), match.start(), match.end()) for match in _LOOSE_TOKEN.finditer(text)]
    month = next(((MONTHS[word.lower()], position) for position, (word, _, _) in enumerate(tokens)
                  if word.lower() in MONTHS), None)
    years = [int(word) for word, _, _ in tokens if len(word) == 4 and word.isdigit() and 1900 < int(word) < 2100]
    if month is None or not years:
        return None
    days = [(abs(position - month[1]), int(word)) for position, (word, start, end) in enumerate(tokens)
            if word.isdigit() and len(word) <= 2 and 1 <= int(word) <= 31
            and text[start - 1:start] != ":" and text[end:end + 1] != ":"]
    if not days:
        return None
    return _checked(dt.date, years[0], month[0], min(days)[1])


def parse_bound(text: str, *, end: bool) -> dt.datetime | None:
    """The first (or, with ``end``, the last) moment of ``YYYY``, ``YYYY-MM``, a day or a datetime, in UTC.

    Relative forms count back from now: ``7d``, ``2w``, ``3m`` (30 days), ``1y`` (365).
    Used for ``since``/``until`` filters and date ranges; None when the text is not a date.
    """
    relative = _RELATIVE.match(text.strip().lower())
    if relative:
        days = int(relative.group(1)) * _RELATIVE_DAYS[relative.group(2)]
        try:
            return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0) - dt.timedelta(days=days)
        except OverflowError:
            return None
    try:
        return _absolute_bound(text, end=end)
    except (OverflowError, ValueError):
        return None


def _absolute_bound(text: str, *, end: bool) -> dt.datetime | None:
    partial = _PARTIAL.match(text.strip())
    if partial:
        year = int(partial.group(1))  # always there; month and day may not be
        month, day = (int(part) if part else None for part in partial.groups()[1:])
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

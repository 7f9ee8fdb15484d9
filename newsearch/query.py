"""The query language's engine-neutral rules: which fields exist, what is well formed, and request limits."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from .engines.base import SORTS, SearchRequest
from .errors import QuerySyntaxError

# Field names a query may use (``author`` and ``category`` are aliases of the list fields).
FIELDS = ("title", "body", "authors", "author", "source", "language", "url", "path", "id",
          "categories", "category", "published")
MAX_QUERY_CHARS = 4000
MAX_LIMIT = 1000
MAX_PAGE = 10_000
_FIELD_PREFIX = re.compile(r"(?<![\w.\-/])([A-Za-z_]\w*):(?!//)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def build_request(text: str, *, limit: int = 10, page: int = 1, sort: str = "relevance",
                  since: dt.datetime | None = None, until: dt.datetime | None = None,
                  sources: Iterable[str] = ()) -> SearchRequest:
    """A SearchRequest after checking the query text and options; QuerySyntaxError says what is wrong."""
    text = _CONTROL.sub(" ", text).strip()
    check_syntax(text)
    if not 1 <= limit <= MAX_LIMIT:
        raise QuerySyntaxError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
    if not 1 <= page <= MAX_PAGE:
        raise QuerySyntaxError(f"page must be between 1 and {MAX_PAGE}, not {page}")
    if sort not in SORTS:
        raise QuerySyntaxError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    if since and until and since > until:
        raise QuerySyntaxError(f"since ({since:%Y-%m-%d}) is after until ({until:%Y-%m-%d})")
    return SearchRequest(text=text, limit=limit, page=page, sort=sort, since=since, until=until,
                         sources=tuple(s for s in sources if s.strip()))


def check_syntax(text: str) -> None:
    """Raise QuerySyntaxError pointing at the first problem: empty text, unbalanced quotes or brackets, unknown fields."""
    if not text:
        raise QuerySyntaxError("the query is empty")
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(f"the query is {len(text)} characters long; the most is {MAX_QUERY_CHARS}")
    quote_at = None
    depth: list[tuple[str, int]] = []
    closing = {")": "(", "]": "[", "}": "{"}
    for position, char in enumerate(text):
        if char == '"':
            quote_at = None if quote_at is not None else position
        elif quote_at is not None:
            continue
        elif char in "([{":
            depth.append((char, position))
        elif char in closing:
            if not depth or depth[-1][0] not in (closing[char], "[", "{"):
                raise _error(text, position, f"'{char}' has no opening bracket")
            depth.pop()
    if quote_at is not None:
        raise _error(text, quote_at, 'this " has no closing quote')
    if depth:
        char, position = depth[-1]
        raise _error(text, position, f"'{char}' is never closed")
    outside_quotes = re.sub(r'"[^"]*"', lambda m: " " * len(m.group()), text)
    for match in _FIELD_PREFIX.finditer(outside_quotes):
        if match.group(1).lower() not in FIELDS:
            raise _error(text, match.start(1), f"unknown field '{match.group(1)}' (fields: {', '.join(FIELDS)})")
        value = outside_quotes[match.end():match.end() + 1]
        if not value.strip() and not text[match.end():match.end() + 1] == '"':
            raise _error(text, match.start(1), f"field '{match.group(1)}:' has no value")


def _error(text: str, position: int, problem: str) -> QuerySyntaxError:
    return QuerySyntaxError(f"{problem}, at character {position + 1} of the query: {text}")

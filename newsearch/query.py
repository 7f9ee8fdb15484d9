"""The query language's engine-neutral rules: which fields exist, what is well formed, and request limits."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator

from .engines.base import SORTS, SearchRequest
from .errors import QuerySyntaxError
from .facets import check_facets
from .snippets import SNIPPET_CHARS
from .dates import parse_bound

# Field names a query may use (``author`` and ``category`` are aliases of the list fields).
FIELDS = ("title", "body", "authors", "author", "source", "language", "url", "path", "id",
          "categories", "category", "published")
MAX_QUERY_CHARS = 4000
_CONTEXT = 40  # characters of the query shown either side of a problem
MAX_LIMIT = 1000
MAX_PAGE = 10_000
MAX_EXPANSIONS = 1000  # index words a prefix or fuzzy word may stand for
SIMILAR_TERMS = 12  # telling words of an article that `similar` searches for
MIN_SNIPPET_CHARS = 40
_FIELD_PREFIX = re.compile(r"(?<![\w.\-/])([A-Za-z_]\w*):(?!//)")
_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"})
_WILDCARD = re.compile(r"[^\s()]*\*[^\s()]*")
_COMPARISON = re.compile(r"[<>]?=?")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def build_request(text: str | None, *, limit: int = 10, page: int = 1, sort: str = "relevance",
                  since: dt.datetime | None = None, until: dt.datetime | None = None,
                  sources: Iterable[str] = (), facets: Iterable[str] = (), snippets: bool = True,
                  snippet_chars: int = SNIPPET_CHARS, collapse: bool = False) -> SearchRequest:
    """A SearchRequest after checking the query text and options; QuerySyntaxError says what is wrong.

    ``text`` None makes a request that is not a text query (``similar``): only its options are checked.
    """
    if text is not None:
        if not isinstance(text, str):
            raise QuerySyntaxError(f"the query must be text, not {type(text).__name__}")
        text = _CONTROL.sub(" ", text).strip()
        check_syntax(text)
    for name, value in (("limit", limit), ("page", page), ("snippet_chars", snippet_chars)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise QuerySyntaxError(f"{name} must be a whole number, not {value!r}")
    for name, values in (("source", sources), ("facet", facets)):
        if any(not isinstance(value, str) for value in values):
            raise QuerySyntaxError(f"each {name} must be text, not {list(values)!r}")
    if not 1 <= limit <= MAX_LIMIT:
        raise QuerySyntaxError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
    if not 1 <= page <= MAX_PAGE:
        raise QuerySyntaxError(f"page must be between 1 and {MAX_PAGE}, not {page}")
    if not isinstance(collapse, bool):
        raise QuerySyntaxError(f"collapse must be True or False, not {collapse!r}")
    if sort not in SORTS:
        raise QuerySyntaxError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    if since and until and since > until:
        raise QuerySyntaxError(f"since ({since:%Y-%m-%d}) is after until ({until:%Y-%m-%d})")
    if snippet_chars < MIN_SNIPPET_CHARS:
        raise QuerySyntaxError(f"snippet_chars must be at least {MIN_SNIPPET_CHARS}, not {snippet_chars}")
    return SearchRequest(text=text or "", limit=limit, page=page, sort=sort, since=since, until=until,
                         sources=tuple(s for s in sources if s.strip()), facets=check_facets(facets),
                         snippets=snippets, snippet_chars=snippet_chars, collapse=collapse)


_PROTECTED = re.compile(r'"[^"]*"|(?<![\w.\-/])[A-Za-z_]\w*:(?:"[^"]*"|\[[^\]]*\]|\{[^}]*\}|\([^)]*\)|\S+)')
_WORD = re.compile(r"\w+")


def plain_words(text: str) -> Iterator[re.Match]:
    """The words of a query searched as typed: not operators, field names or values, quoted, prefix or fuzzy words."""
    protected = [(m.start(), m.end()) for m in _PROTECTED.finditer(text)]
    for match in _WORD.finditer(text):
        if match.group() in _OPERATORS or match.group() == "TO":
            continue
        if any(start <= match.start() < end for start, end in protected):
            continue
        before, after = text[match.start() - 1:match.start()], text[match.end():match.end() + 1]
        if before in ("~", "^", "\\") or after in ("*", "~", "^"):
            continue
        yield match


def check_syntax(text: str) -> None:
    """Raise QuerySyntaxError pointing at the first problem: empty text, unbalanced quotes or brackets, unknown fields."""
    if not text:
        raise QuerySyntaxError("the query is empty")
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(f"the query is {len(text)} characters long; the most is {MAX_QUERY_CHARS}: "
                               f"{text[:_CONTEXT]}…")
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
        start = match.end() + len(_COMPARISON.match(outside_quotes, match.end()).group())  # published:>=2022
        value = outside_quotes[start:start + 1]
        if not value.strip() and not text[start:start + 1] == '"':
            raise _error(text, match.start(1), f"field '{match.group(1)}:' has no value")
        if match.group(1).lower() == "published":
            _check_dates(text, match.end())
    _check_operators(text, re.sub(r'"[^"]*"', lambda m: "w" * len(m.group()), text))  # a phrase is a word here
    outside_ranges = re.sub(r"\[[^\]]*\]|\{[^}]*\}", lambda m: " " * len(m.group()), outside_quotes)
    for match in _WILDCARD.finditer(outside_ranges):
        word = match.group()
        if word.index("*") != len(word) - 1 or not word[:-1].strip("*:+-"):
            raise _error(text, match.start(), f"'{word}': '*' may only end a word, as in evacuat*")


def _check_operators(text: str, phrases_as_words: str) -> None:
    """Raise QuerySyntaxError for an AND, OR or NOT with nothing to join or negate."""
    words = [(m.group(), m.start()) for m in re.finditer(r"[^\s()]+|[()]", phrases_as_words)]
    if all(word in _OPERATORS or word in "+-()" for word, _ in words):
        raise _error(text, words[0][1] if words else 0, "the query has operators but no words to search for")
    for number, (word, position) in enumerate(words):
        before = words[number - 1][0] if number else "("
        after = words[number + 1][0] if number + 1 < len(words) else ")"
        if word in _OPERATORS:
            if after in _OPERATORS - {"NOT"} or after == ")":
                raise _error(text, position, f"'{word}' needs a word after it")
            if word != "NOT" and (before in _OPERATORS or before == "("):
                raise _error(text, position, f"'{word}' needs a word before it")


def _check_dates(text: str, start: int) -> None:
    """Raise QuerySyntaxError unless the value after ``published:`` is a date, a comparison or a range of dates."""
    value = re.match(r"\[[^\]]*\]|\{[^}]*\}|\S+", text[start:])
    if value is None:
        return
    body = value.group().strip("[]{}")
    bounds = re.split(r"\s+TO\s+", body) if value.group()[0] in "[{" else [re.sub(r"^[<>]=?", "", body)]
    for bound in bounds:
        bound = bound.strip().rstrip(")")
        if bound and bound != "*" and parse_bound(bound, end=False) is None:
            raise _error(text, start, f"published: cannot read {bound!r} as a date (use YYYY, YYYY-MM or YYYY-MM-DD)")


def _error(text: str, position: int, problem: str) -> QuerySyntaxError:
    """The problem, where it is, and the query around it (cut to a readable line)."""
    if len(text) <= 2 * _CONTEXT:
        return QuerySyntaxError(f"{problem}, at character {position + 1} of the query: {text}")
    start, end = max(0, position - _CONTEXT), min(len(text), position + _CONTEXT)
    excerpt = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
    return QuerySyntaxError(f"{problem}, at character {position + 1} of the query: {excerpt}")

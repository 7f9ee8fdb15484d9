"""SearchRequest: a checked query (its tree and tiers) with paging, sorting, filters and facets."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..errors import QuerySyntaxError
from ..facets import FACET_VALUES, check_facets
from ..schema import TEXT_FIELDS
from ..snippets import SNIPPET_CHARS
from .deadline import Deadline
from .marks import Marks
from .parser import clean, parse
from .tree import Node, tiers

SORTS = ("relevance", "date")
MAX_LIMIT = 1000
MAX_PAGE = 10_000
MIN_SNIPPET_CHARS = 40


@dataclass(frozen=True)
class SearchRequest:
    """A validated query: its tree, the tiers ranked one after another, paging, sorting and filters."""

    text: str  # the query as typed (control characters removed): what a suggestion rewrites
    query: Node | None = None  # None: not a text query (``similar``)
    tiers: tuple[Node, ...] = ()  # see tree.tiers
    marks: Marks = field(default_factory=Marks)  # what snippets mark
    limit: int = 10
    page: int = 1
    sort: str = "relevance"
    since: dt.datetime | None = None  # naive UTC, inclusive
    until: dt.datetime | None = None  # naive UTC, inclusive
    sources: tuple[str, ...] = ()
    facets: tuple[str, ...] = ()  # checked names from newsearch.facets: source, author, published:month, ...
    snippets: bool = True
    snippet_chars: int = SNIPPET_CHARS  # about the most characters of a snippet
    collapse: bool = False  # one hit per near-duplicate group (see Engine.search)
    facet_values: int | None = FACET_VALUES  # values kept per facet, most frequent first; None keeps all
    deadline: Deadline | None = None  # engines check it as they work (newsearch.query.deadline)

    def searching(self, query: Node) -> SearchRequest:
        """This request for another tree (after synonyms or a respelling), its tiers and marks worked out."""
        ranked = tiers(query, TEXT_FIELDS)
        return dataclasses.replace(self, query=query, tiers=ranked, marks=Marks.of(ranked[0]))


def build_request(text: str | None, *, limit: int = 10, page: int = 1, sort: str = "relevance",
                  since: dt.datetime | None = None, until: dt.datetime | None = None,
                  sources: Iterable[str] = (), facets: Iterable[str] = (), snippets: bool = True,
                  snippet_chars: int = SNIPPET_CHARS, collapse: bool = False) -> SearchRequest:
    """A SearchRequest after parsing the query text and checking the options; QuerySyntaxError says what is wrong.

    ``text`` None makes a request that is not a text query (``similar``): only its options are checked.
    """
    if text is not None and not isinstance(text, str):
        raise QuerySyntaxError(f"the query must be text, not {type(text).__name__}")
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
    request = SearchRequest(text=clean(text) if text is not None else "", limit=limit, page=page, sort=sort,
                            since=since, until=until, sources=tuple(s for s in sources if s.strip()),
                            facets=check_facets(facets), snippets=snippets, snippet_chars=snippet_chars,
                            collapse=collapse)
    return request.searching(parse(text)) if text is not None else request

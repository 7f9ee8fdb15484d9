"""The search parameters that the API and the page share, with the server's bounds on them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Query

from .. import QuerySyntaxError

MAX_QUERY_CHARS = 1000
MAX_LIMIT = 100
MAX_DEPTH = 1000  # the deepest hit a page may reach (page × limit): deep paging costs as much as it shows
MAX_SNIPPET_CHARS = 2000
MAX_SOURCES, MAX_SOURCE_CHARS, MAX_FACETS = 20, 200, 10


@dataclass(frozen=True)
class SearchParams:
    """One search as a URL states it."""

    q: str = ""
    limit: int = 10
    page: int = 1
    sort: str = "relevance"
    since: str = ""
    until: str = ""
    sources: tuple[str, ...] = ()
    facets: tuple[str, ...] = ()
    snippet_chars: int = 720
    collapse: bool = True
    recent: bool = False

    def options(self) -> dict:
        """The keyword arguments of ``Index.query`` (facets aside)."""
        return {"limit": self.limit, "page": self.page, "sort": self.sort, "since": self.since or None,
                "until": self.until or None, "source": list(self.sources), "snippet_chars": self.snippet_chars,
                "collapse": self.collapse, "recent": self.recent}


def search_params(
    q: Annotated[str, Query(max_length=MAX_QUERY_CHARS, description="The query, in newsearch's query language "
                            "(words, \"phrases\", AND/OR/NOT, field:value, published:[… TO …], prefix*, "
                            "fuzzy~).")] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Hits per page.")] = 10,
    page: Annotated[int, Query(ge=1, description=f"Page of hits; page × limit may not pass {MAX_DEPTH}.")] = 1,
    sort: Annotated[Literal["relevance", "date"],
                    Query(description="Order of hits (date: newest first).")] = "relevance",
    since: Annotated[str, Query(max_length=40, description="Only articles published on or after this date "
                                "(2022-03-01, 2022-03, 2022, 7d, 2w, 3m, 1y).")] = "",
    until: Annotated[str, Query(max_length=40, description="Only articles published on or before this date.")] = "",
    source: Annotated[list[str] | None, Query(description="Only articles from this source (repeatable).")]
    = None,
    facet: Annotated[list[str] | None, Query(description="Count matching articles by source, author, "
                                      "language, category or published:day|week|month|year (repeatable).")] = None,
    snippet_chars: Annotated[int, Query(ge=40, le=MAX_SNIPPET_CHARS,
                                        description="About the longest a snippet may be.")] = 720,
    collapse: Annotated[bool, Query(description="One hit per story: near-duplicates folded into their "
                                    "best-ranked copy (false: every copy).")] = True,
    recent: Annotated[bool, Query(description="Blend relevance with age: a score halves for every 30 days "
                                  "before the newest hit (with sort=relevance).")] = False,
) -> SearchParams:
    """The search parameters of a request, within the server's bounds (QuerySyntaxError: 400 otherwise)."""
    if page * limit > MAX_DEPTH:
        raise QuerySyntaxError(f"page {page} of {limit} hits is too deep: page × limit may be at most {MAX_DEPTH}")
    sources, facets = tuple(source or ()), tuple(facet or ())
    if len(sources) > MAX_SOURCES or len(facets) > MAX_FACETS or any(len(s) > MAX_SOURCE_CHARS for s in sources):
        raise QuerySyntaxError(f"at most {MAX_SOURCES} source parameters of at most {MAX_SOURCE_CHARS} characters, "
                               f"and {MAX_FACETS} facet parameters")
    return SearchParams(q=q, limit=limit, page=page, sort=sort, since=since, until=until,
                        sources=sources, facets=facets, snippet_chars=snippet_chars, collapse=collapse,
                        recent=recent)

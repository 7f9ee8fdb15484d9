"""The JSON API: search, article, similar, stats and health, in the shapes of the CLI's --json output."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from .. import Index
from . import cursors
from .params import MAX_LIMIT, MAX_QUERY_CHARS, SearchParams, search_params
from .served import served_index

router = APIRouter(prefix="/api", tags=["api"])


class HitOut(BaseModel):
    """One hit, as a line of `newsearch query --json`; the snippet is escaped HTML with <b> marks."""

    id: str
    score: float
    title: str
    source: str
    published: str | None
    url: str
    path: str
    authors: list[str]
    language: str
    snippet: str
    group: str
    duplicates: int


class ResultsOut(BaseModel):
    """A page of hits, then the summary object of `newsearch query --json` (total, facets, suggestion)."""

    hits: list[HitOut]
    total: int
    stories: int | None
    page: int
    limit: int
    facets: dict[str, dict[str, int]]
    suggestion: str | None
    ran_suggestion: bool


class SearchOut(ResultsOut):
    """A page of hits and the summary, then the cursor of the next page (null on the last)."""

    next_cursor: str | None


class ArticleOut(BaseModel):
    """A stored article, as `newsearch show --json` prints it."""

    id: str
    title: str
    authors: list[str]
    published: str | None
    source: str
    url: str
    language: str
    categories: list[str]
    path: str
    body: str
    warnings: list[str]


class StatsOut(BaseModel):
    """What the index holds, as `newsearch stats --json` prints it."""

    path: str
    engine: str
    documents: int
    sources: dict[str, int]
    first_published: str | None
    last_published: str | None
    size_bytes: int
    corpus: list[str]
    grouped_documents: int
    groups: int
    largest_groups: list[dict]


class HealthOut(BaseModel):
    status: str
    documents: int


class ErrorOut(BaseModel):
    """Every error: its HTTP status and one line saying what is wrong."""

    status: int
    message: str


ERRORS = {400: {"model": ErrorOut, "description": "Bad query or parameter"},
          503: {"model": ErrorOut, "description": "No index yet"}}
ArticleId = Annotated[str, Path(description="The article's id, as in a hit's `id`.")]


@router.get("/search", response_model=SearchOut, responses=ERRORS)
def search(params: Annotated[SearchParams, Depends(search_params)],
           index: Annotated[Index, Depends(served_index)],
           cursor: Annotated[str, Query(max_length=40, description="The `next_cursor` of the page before: the "
                                        "next page, also past the page × limit cap (every other parameter "
                                        "as before).")] = "") -> dict:
    """Ranked hits with highlighted snippets, facet counts and a spelling suggestion, as `newsearch query`;
    `next_cursor` continues to the next page while there is one."""
    if cursor:
        params = cursors.follow(cursor, params)
    results = index.query(params.q, facets=params.facets, **params.options())
    return {**results.to_dict(), "next_cursor": cursors.next_cursor(results)}


@router.get("/export", responses={**ERRORS, 200: {"content": {"application/x-ndjson": {}, "text/csv": {}},
                                                  "description": "Every hit, one line each"}})
def export(params: Annotated[SearchParams, Depends(search_params)], index: Annotated[Index, Depends(served_index)],
           format: Annotated[Literal["jsonl", "csv"], Query(description="JSON Lines (one hit object a line, as "
                                                            "`newsearch query --json`) or CSV with a header.")]
           = "jsonl") -> StreamingResponse:
    """Every matching article, streamed with no page cap, as `newsearch query --all` (page and limit ignored)."""
    options = {name: value for name, value in params.options().items() if name not in ("limit", "page")}
    lines = index.export(params.q, format=format, **options)
    return StreamingResponse(lines, media_type="application/x-ndjson" if format == "jsonl" else "text/csv",
                             headers={"Content-Disposition": f'inline; filename="newsearch.{format}"'})


class TimelineOut(BaseModel):
    """Matching articles per period, as `newsearch timeline --json` prints them."""

    by: str
    counts: str
    total: int
    undated: int
    periods: list[dict]


@router.get("/timeline", response_model=TimelineOut, responses=ERRORS)
def timeline(index: Annotated[Index, Depends(served_index)],
             q: Annotated[str, Query(max_length=MAX_QUERY_CHARS, description="The query.")],
             by: Annotated[Literal["day", "week", "month", "year"], Query(description="Length of a period.")] = "week",
             since: Annotated[str, Query(max_length=40, description="Only articles published on or after this date.")] = "",
             until: Annotated[str, Query(max_length=40, description="Only articles published on or before this date.")] = "",
             source: Annotated[list[str], Query(description="Only articles from this source (repeatable).")] = None,
             ) -> dict:
    """How many articles match per day, week, month or year (every copy counted), as `newsearch timeline`."""
    return index.timeline(q, by=by, since=since or None, until=until or None, source=list(source or ())).to_dict()


@router.get("/articles/{id:path}", response_model=ArticleOut, responses={**ERRORS, 404: {"model": ErrorOut}})
def article(id: ArticleId, index: Annotated[Index, Depends(served_index)]) -> dict:
    """One stored article with all its fields, as `newsearch show`."""
    return index.get(id).to_dict()


@router.get("/similar/{id:path}", response_model=ResultsOut, responses={**ERRORS, 404: {"model": ErrorOut}})
def similar(id: ArticleId, index: Annotated[Index, Depends(served_index)],
            limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10) -> dict:
    """Articles like this one (more like this), without it, as `newsearch similar`."""
    return index.similar(id, limit=limit).to_dict()


@router.get("/stats", response_model=StatsOut, responses=ERRORS)
def stats(index: Annotated[Index, Depends(served_index)]) -> dict:
    """Documents, documents per source, date range and size on disk, as `newsearch stats`."""
    return index.stats().to_dict()


@router.get("/health", response_model=HealthOut, responses=ERRORS)
def health(index: Annotated[Index, Depends(served_index)]) -> dict:
    """`ok` and the number of documents when the index opens and answers; 503 otherwise."""
    return {"status": "ok", "documents": index.stats().documents}

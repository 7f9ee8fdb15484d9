"""The JSON API: search, export, article, similar, duplicates, timeline, stats and health; each answers what the
matching command prints with --json (export: the lines of `query --all`)."""

from __future__ import annotations

import os
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from .. import Index
from . import cursors
from .params import MAX_LIMIT, MAX_QUERY_CHARS, SearchParams, search_params
from .served import served_index, served_timeout
from .shedding import DeadlineStream
from .shown import public, public_rows

router = APIRouter(prefix="/api", tags=["api"])


class HitOut(BaseModel):
    """One hit, as `newsearch query --jsonl` prints each; the snippet is escaped HTML with <b> marks."""

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
    """A page of hits with the totals, facets and suggestion, as `newsearch query --json` prints it."""

    hits: list[HitOut]
    total: int
    stories: int | None
    page: int
    limit: int
    facets: dict[str, dict[str, int]]
    suggestion: str | None
    ran_suggestion: bool


class SearchOut(ResultsOut):
    """What `newsearch query --json` prints, then the cursor of the next page (null on the last)."""

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


class VersionOut(BaseModel):
    """Another version of a story: the article without its body."""

    id: str
    title: str
    source: str
    published: str | None
    url: str
    path: str
    group: str


class DuplicatesOut(BaseModel):
    """The other versions of an article's story, oldest first, as `newsearch similar ID --duplicates --json`."""

    id: str
    total: int
    duplicates: list[VersionOut]


class PeriodOut(BaseModel):
    period: str
    count: int


class TimelineOut(BaseModel):
    """Matching articles per period, as `newsearch timeline --json` prints it."""

    by: str
    counts: str
    total: int
    undated: int
    periods: list[PeriodOut]


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
    pid: int  # the server process that answered: with `serve --workers N`, one of the N


class ErrorOut(BaseModel):
    """Every error: its HTTP status and one line saying what is wrong."""

    status: int
    message: str


ERRORS: dict[int | str, dict[str, Any]] = {400: {"model": ErrorOut, "description": "Bad query or parameter"},
          503: {"model": ErrorOut, "description": "No index yet"}}
ArticleId = Annotated[str, Path(description="The article's id, as in a hit's `id`.")]


@router.get("/search", response_model=SearchOut, responses=ERRORS)
async def search(request: Request, params: Annotated[SearchParams, Depends(search_params)],
                 index: Annotated[Index, Depends(served_index)],
                 timeout: Annotated[float, Depends(served_timeout)],
                 cursor: Annotated[str, Query(max_length=40, description="The `next_cursor` of the page before: "
                                              "the next page, also past the page × limit cap (every other "
                                              "parameter as before).")] = "") -> dict:
    """Ranked hits with highlighted snippets, facet counts and a spelling suggestion, as `newsearch query`;
    `next_cursor` continues to the next page while there is one. A search still running after the server's
    timeout answers 503; fuzzy and prefix searches take turns in a few slots of their own."""
    if cursor:
        params = cursors.follow(cursor, params)
    results = await request.app.state.slots.run(
        request, params.q, timeout,
        lambda deadline: index.query(params.q, facets=params.facets, timeout=deadline, **params.options()))
    return public({**results.to_dict(), "next_cursor": cursors.next_cursor(results)})


@router.get("/export", responses={**ERRORS, 200: {"content": {"application/x-ndjson": {}, "text/csv": {}},
                                                  "description": "Every hit, one line each"}})
async def export(request: Request, params: Annotated[SearchParams, Depends(search_params)],
                 index: Annotated[Index, Depends(served_index)],
                 timeout: Annotated[float, Depends(served_timeout)],
                 format: Annotated[Literal["jsonl", "csv"], Query(description="JSON Lines (one hit object a line, "
                                                                  "as `newsearch query --jsonl`) or CSV with a "
                                                                  "header.")] = "jsonl") -> StreamingResponse:
    """Every matching article, streamed with no page cap, as `newsearch query --all` (page and limit ignored).
    Each page of 1,000 hits has the server's timeout: a first page past it answers 503 (and runs in the search
    slots, as a search does); a later one ends the stream early, the connection closed before its end."""
    options = {name: value for name, value in params.options().items() if name not in ("limit", "page", "recent")}
    lines = public_rows(await request.app.state.slots.run(
        request, params.q, timeout, lambda deadline: index.export(params.q, format=format, timeout=deadline,
                                                                  **options)), format)
    return DeadlineStream(lines, media_type="application/x-ndjson" if format == "jsonl" else "text/csv",
                             headers={"Content-Disposition": f'inline; filename="newsearch.{format}"'})


@router.get("/timeline", response_model=TimelineOut, responses=ERRORS)
async def timeline(request: Request, index: Annotated[Index, Depends(served_index)],
             timeout: Annotated[float, Depends(served_timeout)],
             q: Annotated[str, Query(max_length=MAX_QUERY_CHARS, description="The query.")],
             by: Annotated[Literal["day", "week", "month", "year"], Query(description="Length of a period.")] = "week",
             since: Annotated[str, Query(max_length=40, description="Only articles published on or after "
                                         "this date.")] = "",
             until: Annotated[str, Query(max_length=40, description="Only articles published on or before "
                                         "this date.")] = "",
             source: Annotated[list[str] | None, Query(description="Only articles from this source "
                                                       "(repeatable).")] = None,
             ) -> dict:
    """How many articles match per day, week, month or year (every copy counted), as `newsearch timeline`."""
    counts = await request.app.state.slots.run(
        request, q, timeout, lambda deadline: index.timeline(q, by=by, since=since or None, until=until or None,
                                                             source=list(source or ()), timeout=deadline))
    return counts.to_dict()


class CompletionOut(BaseModel):
    text: str
    kind: str


class SuggestOut(BaseModel):
    """Completions of the typed text: words from the articles' titles (most used first), then titles."""

    q: str
    suggestions: list[CompletionOut]


@router.get("/suggest", response_model=SuggestOut, responses=ERRORS)
def suggest(index: Annotated[Index, Depends(served_index)],
            q: Annotated[str, Query(max_length=200, description="What has been typed so far.")] = "",
            limit: Annotated[int, Query(ge=1, le=10, description="Most completions.")] = 10) -> dict:
    """Up to 10 completions of what is being typed, for the search box (`kind`: `word` or `title`)."""
    return {"q": q, "suggestions": [completion.to_dict() for completion in index.suggest(q, limit=limit)]}


@router.get("/articles/{id:path}", response_model=ArticleOut, responses={**ERRORS, 404: {"model": ErrorOut}})
def article(id: ArticleId, index: Annotated[Index, Depends(served_index)]) -> dict:
    """One stored article with all its fields, as `newsearch show`."""
    return public(index.get(id).to_dict())


@router.get("/similar/{id:path}", response_model=ResultsOut, responses={**ERRORS, 404: {"model": ErrorOut}})
def similar(id: ArticleId, index: Annotated[Index, Depends(served_index)],
            timeout: Annotated[float, Depends(served_timeout)],
            limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10) -> dict:
    """Articles like this one (more like this), without it, as `newsearch similar`."""
    return public(index.similar(id, limit=limit, timeout=timeout).to_dict())


@router.get("/duplicates/{id:path}", response_model=DuplicatesOut, responses={**ERRORS, 404: {"model": ErrorOut}})
def duplicates(id: ArticleId, index: Annotated[Index, Depends(served_index)]) -> dict:
    """The other versions of this article's story (its near-duplicates), as `newsearch similar --duplicates`."""
    versions = index.duplicates(id)
    return public({"id": id, "total": len(versions), "duplicates": [version.to_listing() for version in versions]})


@router.get("/stats", response_model=StatsOut, responses=ERRORS)
def stats(index: Annotated[Index, Depends(served_index)]) -> dict:
    """Documents, documents per source, date range and size on disk, as `newsearch stats`."""
    return public(index.stats().to_dict())


@router.get("/health", response_model=HealthOut, responses=ERRORS)
def health(index: Annotated[Index, Depends(served_index)]) -> dict:
    """`ok`, the number of documents and the answering process's id when the index opens and answers;
    503 otherwise."""
    return {"status": "ok", "documents": index.stats().documents, "pid": os.getpid()}

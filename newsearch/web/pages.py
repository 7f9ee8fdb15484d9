"""The search page and the article view: server-rendered HTML whose whole state is in the URL."""

from __future__ import annotations

import dataclasses
import math
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from .. import Index
from . import chart
from .params import MAX_DEPTH, MAX_QUERY_CHARS, SearchParams, search_params
from .served import served_index, served_timeout

router = APIRouter(include_in_schema=False)
PAGE_FACETS = ("source", "published:month", "published:year")
SIMILAR_SHOWN = 5
PAGE_LINKS = 2  # page numbers shown either side of the current one


@router.get("/", response_class=HTMLResponse)
async def search_page(request: Request, params: Annotated[SearchParams, Depends(search_params)]):
    """The search box; with a query, its hits, facets, date chart, suggestion and pages."""
    context = {"params": params, "results": None, "url": _search_url(params)}
    if params.q.strip():
        # The index is opened only for a search: the bare search box works before one exists.
        results = await request.app.state.slots.run(
            request, params.q, served_timeout(request),
            lambda deadline: served_index(request).query(params.q, facets=PAGE_FACETS, timeout=deadline,
                                                         **params.options()))
        counts = chart.date_counts(results)
        last_page = max(1, min(math.ceil(results.total / params.limit), MAX_DEPTH // params.limit))
        context.update(
            results=results, first=(params.page - 1) * params.limit + 1, dates=[item for item in counts if item[1]],
            bars=chart.bars(counts), chart_size=(chart.WIDTH, chart.HEIGHT), last_page=last_page,
            pages=range(max(1, params.page - PAGE_LINKS), min(last_page, params.page + PAGE_LINKS) + 1),
            article_url=lambda id: _article_url(id, params),
            feed_url="/feed.atom?" + urlencode([("q", params.q)]),
        )
    return _render(request, "search.html", context)


@router.get("/articles/{id:path}", response_class=HTMLResponse)
def article_page(request: Request, id: str, params: Annotated[SearchParams, Depends(search_params)],
                 index: Annotated[Index, Depends(served_index)]):
    """One article in full, the query's words marked, with a way back to the search and similar articles."""
    marked = index.mark(id, params.q)
    similar = index.similar(id, limit=SIMILAR_SHOWN, snippets=False)
    return _render(request, "article.html", {
        "params": params, "marks": marked, "article": marked.article, "similar": similar,
        "back": _search_url(params)(), "article_url": lambda other: _article_url(other, SearchParams(q=params.q)),
        "original": marked.article.url if marked.article.url.lower().startswith(("http://", "https://")) else "",
    })


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """An error as a page with the search box (holding the query, to correct it), so a reader can go on."""
    params = SearchParams(q=request.query_params.get("q", "")[:MAX_QUERY_CHARS])
    return _render(request, "error.html", {"status": status, "message": message, "params": params}, status)


def _render(request: Request, template: str, context: dict, status: int = 200) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(request, template, context, status_code=status)


def _query_pairs(params: SearchParams) -> list[tuple[str, str | int]]:
    """The URL parameters that state a search; defaults are left out."""
    pairs: list[tuple[str, str | int]] = [("q", params.q)]
    pairs += [("source", source) for source in params.sources]
    for name, default in (("since", ""), ("until", ""), ("sort", "relevance"), ("limit", 10), ("page", 1)):
        value = getattr(params, name)
        if value != default:
            pairs.append((name, value))
    return pairs


def _search_url(params: SearchParams):
    """A function giving the search page's URL for ``params`` with some changed (``page=2``, ``sources=()``)."""
    def url(**changes) -> str:
        changed = dataclasses.replace(params, **{"page": 1, **changes}) if changes else params
        return "/?" + urlencode(_query_pairs(changed))
    return url


def _article_url(id: str, params: SearchParams) -> str:
    return f"/articles/{quote(id, safe='')}?" + urlencode(_query_pairs(params))

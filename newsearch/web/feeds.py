"""Atom 1.0 feeds of a search or a saved search, newest first, for feed readers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote
from xml.etree import ElementTree

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from .. import Hit, Index, QuerySyntaxError, WatchNotFound
from .params import MAX_LIMIT, MAX_QUERY_CHARS
from .served import served_index, served_timeout

router = APIRouter(include_in_schema=False)
ATOM = "http://www.w3.org/2005/Atom"
ENTRIES = 20
MEDIA_TYPE = "application/atom+xml; charset=utf-8"


@router.get("/feed.atom")
async def feed(request: Request, index: Annotated[Index, Depends(served_index)],
               timeout: Annotated[float, Depends(served_timeout)],
               q: Annotated[str, Query(max_length=MAX_QUERY_CHARS)] = "",
               watch: Annotated[str, Query(max_length=64)] = "",
               limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = ENTRIES) -> Response:
    """The newest articles matching ``q``, or the saved search ``watch``, as an Atom feed (each story once);
    searched as ``/api/search`` is (its slots, and the server's timeout: 503 past it)."""
    if bool(q.strip()) == bool(watch):
        raise QuerySyntaxError("a feed needs either q (a query) or watch (a saved search's name), not both")
    sources: tuple[str, ...] = ()
    title = f"newsearch: {q}"
    if watch:
        saved = {one.name: one for one in index.watches()}
        if watch not in saved:
            raise WatchNotFound(f"no saved search named '{watch}'")
        q, sources, title = saved[watch].query, saved[watch].sources, f"newsearch: {watch} ({saved[watch].query})"
    results = await request.app.state.slots.run(
        request, q, timeout, lambda deadline: index.query(q, limit=limit, sort="date", source=list(sources),
                                                          timeout=deadline))
    base = str(request.base_url).rstrip("/")
    hits = [] if results.ran_suggestion else list(results)
    return Response(atom(title, str(request.url), f"{base}/?q={quote(q)}", hits, base), media_type=MEDIA_TYPE)


def atom(title: str, feed_url: str, page_url: str, hits: list[Hit], base: str) -> bytes:
    """The Atom document: feed id, title, updated and links, then one entry per hit (id, title, link, updated,
    summary with the snippet as HTML). An undated article takes the time the feed was made."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    moments = [_moment(hit.published) or now for hit in hits]
    root = ElementTree.Element("feed", xmlns=ATOM)
    _text(root, "id", feed_url)
    _text(root, "title", title)
    _text(root, "updated", _rfc3339(max(moments, default=now)))
    ElementTree.SubElement(root, "link", rel="self", type="application/atom+xml", href=feed_url)
    ElementTree.SubElement(root, "link", rel="alternate", type="text/html", href=page_url)
    _text(ElementTree.SubElement(root, "author"), "name", "newsearch")
    _text(root, "generator", "newsearch")
    for hit, moment in zip(hits, moments, strict=True):
        entry = ElementTree.SubElement(root, "entry")
        article_url = f"{base}/articles/{quote(hit.id, safe='')}"
        _text(entry, "id", article_url)
        _text(entry, "title", hit.title or hit.id)
        ElementTree.SubElement(entry, "link", rel="alternate", type="text/html", href=article_url)
        if hit.url.lower().startswith(("http://", "https://")):
            ElementTree.SubElement(entry, "link", rel="related", href=hit.url)
        _text(entry, "updated", _rfc3339(moment))
        if hit.published:
            _text(entry, "published", _rfc3339(moment))
        if hit.authors or hit.source:
            _text(ElementTree.SubElement(entry, "author"), "name", ", ".join(hit.authors) or hit.source)
        _text(entry, "summary", hit.snippet.html(), type="html")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(root, encoding="utf-8",
                                                                             xml_declaration=False)


def _text(parent: ElementTree.Element, tag: str, text: str, **attributes: str) -> ElementTree.Element:
    element = ElementTree.SubElement(parent, tag, attributes)
    element.text = text
    return element


def _moment(published: dt.date | None) -> dt.datetime | None:
    """A publication date or time as an aware UTC datetime (a naive time is UTC; a date is its midnight)."""
    if published is None:
        return None
    if not isinstance(published, dt.datetime):
        published = dt.datetime(published.year, published.month, published.day)
    if published.tzinfo is None:
        return published.replace(tzinfo=dt.UTC)
    return published.astimezone(dt.UTC)


def _rfc3339(moment: dt.datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")

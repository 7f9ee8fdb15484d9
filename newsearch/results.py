"""Hit, Snippet and Results: what a query returns, whatever engine answered it."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Snippet:
    """Short passages of an article with the matched words marked.

    ``parts`` alternates plain and matched text as ``(text, is_match)`` pairs, so
    every output (terminal colour, ``[...]`` marks, HTML) is rendered from one source.
    """

    parts: tuple[tuple[str, bool], ...] = ()

    def render(self, before: str = "[", after: str = "]") -> str:
        """The snippet as text with each match between ``before`` and ``after``."""
        return "".join(f"{before}{text}{after}" if is_match else text for text, is_match in self.parts)

    def html(self) -> str:
        """The snippet as HTML: matches in ``<b>…</b>``, everything else escaped."""
        return "".join(f"<b>{html.escape(text)}</b>" if is_match else html.escape(text)
                       for text, is_match in self.parts)

    @property
    def matches(self) -> tuple[str, ...]:
        """The marked words, in order."""
        return tuple(text for text, is_match in self.parts if is_match)

    def __str__(self) -> str:
        return self.render()

    def __bool__(self) -> bool:
        return bool(self.parts)


@dataclass(frozen=True)
class Hit:
    """One ranked article in a result list."""

    id: str
    score: float
    title: str
    source: str
    published: dt.date | None
    url: str
    path: str
    authors: tuple[str, ...]
    language: str
    snippet: Snippet

    def to_dict(self) -> dict:
        """The hit as JSON-ready values; the snippet as escaped HTML with ``<b>`` marks."""
        return {
            "id": self.id,
            "score": round(self.score, 4),
            "title": self.title,
            "source": self.source,
            "published": self.published.isoformat() if self.published else None,
            "url": self.url,
            "path": self.path,
            "authors": list(self.authors),
            "language": self.language,
            "snippet": self.snippet.html(),
        }


@dataclass(frozen=True)
class Results:
    """One page of hits and the number of documents that matched in all; iterating yields the hits."""

    hits: tuple[Hit, ...]
    total: int
    page: int
    limit: int

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    def __getitem__(self, position: int) -> Hit:
        return self.hits[position]

"""Hit, Snippet and Results: what a query returns, whatever engine answered it."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .article import aware_moment

FacetCounts = dict[str, tuple[tuple[str, int], ...]]  # facet name -> ((value, count), ...), most frequent first


SEPARATOR = " … "  # between two fragments of a snippet, and the only ellipsis there
_ELLIPSES = ("...", "…")
_ELLIPSIS_START = re.compile(r"^\s*(?:\.{3,}|…)\s*")
_ELLIPSIS_END = re.compile(r"\s*(?:\.{3,}|…)\s*$")


@dataclass(frozen=True)
class Fragment:
    """One passage of a snippet: whole sentences, or one long sentence cut around its match.

    ``cut_start`` and ``cut_end`` say the passage begins or ends inside a sentence.
    """

    parts: tuple[tuple[str, bool], ...]
    cut_start: bool = False
    cut_end: bool = False

    @property
    def text(self) -> str:
        """The passage as plain text."""
        return "".join(text for text, _ in self.parts)


@dataclass(frozen=True)
class Snippet:
    """Short passages of an article with the matched words marked.

    ``parts`` alternates plain and matched text as ``(text, is_match)`` pairs, so
    every output (terminal colour, ``[...]`` marks, HTML) is rendered from one source.
    ``fragments`` are the passages it was made of (empty for a whole marked text).
    """

    parts: tuple[tuple[str, bool], ...] = ()
    fragments: tuple[Fragment, ...] = ()

    @classmethod
    def of(cls, fragments: Iterable[Fragment]) -> Snippet:
        """The fragments in order, one ellipsis between two of them and where the first starts or the last ends cut."""
        fragments = tuple(fragment for fragment in fragments if fragment.parts)
        parts: list[tuple[str, bool]] = []
        for number, fragment in enumerate(fragments):
            own = list(fragment.parts)
            if number:
                parts.append((SEPARATOR, False))
            elif fragment.cut_start:
                parts.append(("… ", False))
            if (number or fragment.cut_start) and not own[0][1] \
                    and own[0][0].lstrip().startswith(_ELLIPSES):  # the text's own "..." would make two
                own[0] = (_ELLIPSIS_START.sub("", own[0][0]), False)
            if (number < len(fragments) - 1 or fragment.cut_end) and not own[-1][1] \
                    and own[-1][0].rstrip().endswith(_ELLIPSES):
                own[-1] = (_ELLIPSIS_END.sub("", own[-1][0]), False)
            parts.extend(own)
        if fragments and fragments[-1].cut_end:
            parts.append((" …", False))
        merged: list[tuple[str, bool]] = []
        for text, is_match in parts:
            if merged and merged[-1][1] == is_match:
                merged[-1] = (merged[-1][0] + text, is_match)
            elif text:
                merged.append((text, is_match))
        return cls(tuple(merged), fragments)

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
    """One ranked article in a result list; ``published`` as ``Article.published``: an aware datetime, or None."""

    id: str
    score: float
    title: str
    source: str
    published: dt.datetime | None
    url: str
    path: str
    authors: tuple[str, ...]
    language: str
    snippet: Snippet
    group: str = ""  # the near-duplicate group: the same story as every hit with this group
    duplicates: int = 0  # with collapsing: how many other matching documents of the group this hit stands for

    def __post_init__(self) -> None:
        object.__setattr__(self, "published", aware_moment(self.published))  # also from indexes built before

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
            "group": self.group,
            "duplicates": self.duplicates,
        }


@dataclass(frozen=True)
class Results:
    """One page of hits and the number of documents that matched in all; iterating yields the hits.

    ``total`` counts matching documents (every copy); when the query collapsed
    near-duplicates, ``stories`` counts matching groups (each story once) and pages
    are pages of stories; otherwise ``stories`` is None. Facets count documents.

    ``facets`` maps each facet asked for (``source``, ``author``, ``language``,
    ``category``, ``published:day|week|month|year``) to ``(value, count)`` pairs over
    all matching documents, most frequent first; dates read ``2022-03-06``,
    ``2022-W09``, ``2022-03``, ``2022``. ``suggestion`` is a respelled query when the
    query found few or no articles and the respelling finds more; ``ran_suggestion``
    says the hits are the suggestion's, because the query itself found nothing.
    """

    hits: tuple[Hit, ...]
    total: int
    page: int
    limit: int
    facets: FacetCounts = field(default_factory=dict)
    suggestion: str | None = None
    ran_suggestion: bool = False
    stories: int | None = None

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    def __getitem__(self, position: int) -> Hit:
        return self.hits[position]

    def to_dict(self) -> dict:
        """The answer of ``query --json`` and the HTTP API: the hits, the page and limit, then the summary's keys."""
        return {"hits": [hit.to_dict() for hit in self.hits], "page": self.page, "limit": self.limit,
                **self.summary()}

    def summary(self) -> dict:
        """Total, stories, facets (name -> {value: count}) and suggestion as JSON-ready values."""
        return {"total": self.total, "stories": self.stories,
                "facets": {name: dict(counts) for name, counts in self.facets.items()},
                "suggestion": self.suggestion, "ran_suggestion": self.ran_suggestion}

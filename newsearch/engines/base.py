"""The Engine interface: what the Index facade needs from a search engine, in newsearch's own types."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from ..article import Article
from ..facets import FACET_VALUES
from ..results import Results, Snippet
from ..snippets import SNIPPET_CHARS

SORTS = ("relevance", "date")


@dataclass(frozen=True)
class SearchRequest:
    """A validated query: the query text plus paging, sorting and filters."""

    text: str
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


@dataclass(frozen=True)
class EngineStats:
    """Counts an engine can give cheaply about what it holds."""

    documents: int
    sources: dict[str, int] = field(default_factory=dict)
    first_published: dt.date | None = None
    last_published: dt.date | None = None


class Engine(Protocol):
    """A search engine holding one index. Implementations live beside this module, one per engine.

    Each class also has ``create(folder, options=None)`` and ``open(folder, options=None)``
    (classmethods giving an Engine for a generation folder; ``options`` are the engine options,
    such as a server's address, kept in the index's metadata). An engine whose data lives
    outside the folder (a server) also writes engines.EXTERNAL_FILE there and has the
    classmethods ``stored_options(options)`` (what of them the index may keep: never a secret)
    and ``discard(folder, options)`` (drop the data of a generation being removed).
    """

    collapses: bool  # True when ``search`` and ``similar`` can collapse near-duplicates (request.collapse)

    def activate(self) -> None:
        """Called just before this generation goes live: point names shared with other apps at it
        (nothing to do for an engine whose data lives in the generation folder)."""

    def write(self, upserts: Iterable[Article], deletes: Iterable[str], workers: int = 1) -> None:
        """Replace or add ``upserts`` (same id = replace) and remove ``deletes``, as one transaction.

        ``workers`` above 1 lets the engine write in that many spawned processes (whoosh does
        when it fills an empty index; the others ignore it: their writers have threads of their own).

        Each article's ``group`` (its near-duplicate group, chosen by newsearch.duplicates)
        is indexed as a keyword that is stored, returned by ``get`` and read per document
        at query time for collapsing. An empty group is a group of the document alone.
        ``deletes`` is read after every upsert has been taken.
        """

    def search(self, request: SearchRequest) -> Results:
        """One page of ranked hits with snippets.

        With ``request.collapse`` the page lists stories, not copies: of all matching
        documents sharing a group, only the best-ranked (by the request's sort) is a hit,
        with ``Hit.duplicates`` the number of the group's other matching documents;
        paging counts stories; ``Results.stories`` is the number of matching groups and
        ``Results.total`` still the number of matching documents; facets count documents.
        Every hit carries ``Hit.group``, collapsed or not.
        """

    def similar(self, id: str, request: SearchRequest, terms: int) -> Results | None:
        """Articles like this one (None if no such id), searched by its ``terms`` most telling words,
        without itself; paged, filtered and faceted as ``request`` says (its text is not used)."""

    def mark(self, id: str, text: str) -> tuple[Article, Snippet, Snippet] | None:
        """The article with this id (None if none) and its whole title and body with the query's matches marked."""

    def variants(self, word: str, distance: int) -> tuple[str, dict[str, int]]:
        """``word`` as the index holds words (folded, stemmed; "" for a stop word), and the index terms
        within ``distance`` edits of it (itself included), each with the number of documents holding it."""

    def spelled(self, term: str) -> str:
        """An index term as the articles write it, lower-cased (a stem becomes one of its words)."""

    def get(self, id: str) -> Article | None:
        """The stored article with this id, or None."""

    def optimize(self) -> None:
        """Merge the index into as few parts as the engine can, for faster queries."""

    def ids(self) -> set[str]:
        """The ids of every document held."""

    def count(self) -> int:
        """How many documents the index holds."""

    def articles(self) -> Iterator[Article]:
        """Every stored article, in no particular order."""

    def stats(self) -> EngineStats:
        """Document count, documents per source and the range of publication dates."""

    def close(self) -> None:
        """Release files and searchers."""

"""The Engine base class: what the Index facade needs from a search engine, in newsearch's own types.

An engine translates the query tree (newsearch.query) and stores documents, nothing
more: the language, the fields (newsearch.schema), the tiers and the marks are
newsearch's. Optional steps have no-op defaults; what an engine can do beyond the
contract is said by its capability flags.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from ..article import Article
from ..errors import NewsearchError
from ..query import SearchRequest
from ..results import Results, Snippet


@dataclass(frozen=True)
class EngineStats:
    """Counts an engine can give cheaply about what it holds."""

    documents: int
    sources: dict[str, int] = field(default_factory=dict)
    first_published: dt.date | None = None
    last_published: dt.date | None = None


class Engine(abc.ABC):
    """A search engine holding one index generation. Implementations live beside this module, one per engine,
    and are found by name through the ``newsearch.engines`` entry points (see newsearch.engines)."""

    name: ClassVar[str]
    # -- capabilities
    collapses: ClassVar[bool] = False  # ``search`` and ``similar`` collapse near-duplicates (request.collapse)
    phrase_slop: ClassVar[bool] = True  # "words"~N: phrases whose words may stand apart
    option_names: ClassVar[tuple[str, ...]] = ()  # the options an index of this engine keeps (a server's nodes)
    # The most text (title and body, in characters) one article may have; longer ones are refused per file
    # (None: the readers' own limit, readers.files.MAX_ARTICLE_BYTES).
    max_article_chars: ClassVar[int | None] = None

    @classmethod
    @abc.abstractmethod
    def create(cls, folder: Path, options: Mapping | None = None) -> Engine:
        """A new, empty index for the generation folder ``folder``; ``options`` are the engine's (a server's
        address), as the index keeps them plus those given for this process."""

    @classmethod
    @abc.abstractmethod
    def open(cls, folder: Path, options: Mapping | None = None) -> Engine:
        """The index of the generation folder ``folder``; IndexNotFound when there is none."""

    @classmethod
    def stored_options(cls, options: Mapping | None) -> dict:
        """The options an index of this engine keeps in its metadata (checked; never a secret)."""
        if options:
            raise NewsearchError(f"the {cls.name} engine takes no options ({', '.join(sorted(options))})")
        return {}

    @classmethod
    def discard(cls, folder: Path, options: Mapping | None = None) -> None:
        """Drop what a generation being removed keeps outside its folder (nothing for embedded engines)."""

    def activate(self) -> None:
        """Called just before this generation goes live: point names shared with other apps at it."""

    def unfinished(self) -> set[str]:
        """Ids of writes that may not have completed (engines without transactions), to redo."""
        return set()

    def settle(self) -> None:
        """Told once the writes so far are complete and recorded (engines without transactions)."""

    def optimize(self) -> None:
        """Merge the index into as few parts as the engine can, for faster queries."""

    @abc.abstractmethod
    def write(self, upserts: Iterable[Article], deletes: Iterable[str], workers: int = 1) -> None:
        """Replace or add ``upserts`` (same id = replace) and remove ``deletes``, as one transaction.

        ``workers`` above 1 lets the engine write in that many spawned processes (whoosh does
        when it fills an empty index; the others ignore it: their writers have threads of their own).
        Each article's ``group`` (its near-duplicate group, chosen by newsearch.duplicates)
        is indexed as a keyword that is stored, returned by ``get`` and read per document
        at query time for collapsing. An empty group is a group of the document alone.
        ``deletes`` is read after every upsert has been taken.
        """

    @abc.abstractmethod
    def search(self, request: SearchRequest) -> Results:
        """One page of ranked hits with snippets: ``request.tiers`` translated and ranked one after another.

        With ``request.collapse`` the page lists stories, not copies: of all matching
        documents sharing a group, only the best-ranked (by the request's sort) is a hit,
        with ``Hit.duplicates`` the number of the group's other matching documents;
        paging counts stories; ``Results.stories`` is the number of matching groups and
        ``Results.total`` still the number of matching documents; facets count documents.
        Every hit carries ``Hit.group``, collapsed or not.
        """

    @abc.abstractmethod
    def similar(self, id: str, request: SearchRequest, terms: int) -> Results | None:
        """Articles like this one (None if no such id), searched by its ``terms`` most telling words,
        without itself; paged, filtered and faceted as ``request`` says (it has no query)."""

    @abc.abstractmethod
    def mark(self, id: str, request: SearchRequest) -> tuple[Article, Snippet, Snippet] | None:
        """The article with this id (None if none) and its whole title and body with the query's matches marked."""

    @abc.abstractmethod
    def variants(self, word: str, distance: int) -> tuple[str, dict[str, int]]:
        """``word`` as the index holds words (folded, stemmed; "" for a stop word), and the index terms
        within ``distance`` edits of it (itself included), each with the number of documents holding it."""

    @abc.abstractmethod
    def frequencies(self, words: list[str]) -> dict[str, int]:
        """How many documents hold each word as the index analyses it (stemmed, in any language it holds;
        0 for a stop word or a word of several)."""

    @abc.abstractmethod
    def forms(self, word: str, documents: int = 3) -> Counter:
        """How ``word`` (as the index analyses it) is written, case kept, in the bodies of up to
        ``documents`` articles holding it: each written form and how often."""

    @abc.abstractmethod
    def get(self, id: str) -> Article | None:
        """The stored article with this id, or None."""

    @abc.abstractmethod
    def ids(self) -> set[str]:
        """The ids of every document held."""

    @abc.abstractmethod
    def count(self) -> int:
        """How many documents the index holds."""

    @abc.abstractmethod
    def articles(self) -> Iterator[Article]:
        """Every stored article, in no particular order."""

    @abc.abstractmethod
    def stats(self) -> EngineStats:
        """Document count, documents per source and the range of publication dates."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release files and searchers."""

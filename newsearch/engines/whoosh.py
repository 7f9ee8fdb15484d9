"""The Whoosh engine (whoosh-reloaded): schema, writing, searching and snippet spans; the only whoosh importer."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import collectors, query
from whoosh.analysis import CharsetFilter, Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.support.charset import accent_map

from ..article import Article, to_utc_naive
from ..errors import IndexLocked, IndexNotFound
from ..results import Hit, Results
from ..snippets import make_snippet
from .base import EngineStats, SearchRequest
from .whoosh_query import parse
from .whoosh_ranking import LiveBM25F

NAME = "whoosh"
WRITER_MEMORY_MB = 256
OPEN_ATTEMPTS = 5


class _NameWordsFilter(Filter):
    """At index time, a multi-word name is also indexed word by word, so ``author:smith`` finds "Jo Smith"."""

    def __call__(self, tokens):
        for token in tokens:
            whole = token.text
            yield token
            if token.mode == "index" and " " in whole:
                for word in whole.split():
                    token.text = word
                    yield token


def analyzer(field: str):
    """The analyzer a field is indexed with (the relevance benchmark compares rankings over the same tokens)."""
    return _schema()[field].analyzer


def _schema() -> Schema:
    words = RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map)
    prose = words | StopFilter() | StemFilter(cachesize=100_000)
    names = RegexTokenizer(r"[^\x1f]+") | LowercaseFilter() | CharsetFilter(accent_map) | _NameWordsFilter()
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=prose, stored=True),
        body=TEXT(analyzer=prose, stored=True),
        authors=TEXT(analyzer=names, stored=True, phrase=False),
        source=TEXT(analyzer=names, stored=True, phrase=False),
        source_exact=ID(sortable=True),
        language=TEXT(analyzer=names, stored=True, phrase=False),
        categories=TEXT(analyzer=names, stored=True, phrase=False),
        url=ID(stored=True),
        path=ID(stored=True),
        published=DATETIME(sortable=True),
        published_text=STORED(),
        warnings=STORED(),  # the date as the source gave it, zone included; `published` is naive UTC
    )


class WhooshEngine:
    """An index in a folder of Whoosh segment files."""

    def __init__(self, index: whoosh_index.Index, folder: Path):
        self._index = index
        self._folder = folder
        self._schema = index.schema  # read once: whoosh re-reads the table of contents on every access
        self._local = threading.local()  # one searcher per thread: whoosh searchers are not shared safely

    @classmethod
    def create(cls, folder: Path) -> WhooshEngine:
        """A new, empty index in ``folder`` (created if missing)."""
        folder.mkdir(parents=True, exist_ok=True)
        return cls(FileStorage(str(folder)).create_index(_schema()), folder)

    @classmethod
    def open(cls, folder: Path) -> WhooshEngine:
        """The index in ``folder``; IndexNotFound when there is none."""
        try:
            return cls(FileStorage(str(folder)).open_index(), folder)
        except (whoosh_index.EmptyIndexError, FileNotFoundError):
            raise IndexNotFound(f"no index data in '{folder}'; run 'newsearch index CORPUS' to build it") from None
        except OSError as error:
            raise IndexNotFound(f"cannot read the index in '{folder}': {error.strerror or error}") from None

    # -- writing

    def write(self, upserts: Iterable[Article], deletes: Iterable[str]) -> None:
        try:
            writer = self._index.writer(limitmb=WRITER_MEMORY_MB)
        except LockError:
            raise IndexLocked(f"the index in '{self._index.storage.folder}' is being written by another process") from None
        try:
            fresh = self._index.doc_count_all() == 0  # nothing to replace: plain adds are much cheaper
            for article in upserts:
                fields = _document(article)
                if fresh:
                    writer.add_document(**fields)
                else:
                    writer.update_document(**fields)
            # Deletes come last and reach only committed documents, never one added by this writer.
            for id in deletes:
                writer.delete_by_term("id", id)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    # -- reading

    def _searcher(self):
        """This thread's searcher, reopened when the index changed on disk.

        Never ``searcher.refresh()``: in whoosh-reloaded 2.7.5 it can keep serving
        documents deleted since; a fresh searcher cannot. A commit in another process
        may delete segment files between our reading the table of contents and opening
        them, so opening is retried; files gone for good (a replaced generation) are
        IndexNotFound, which the Index answers by moving to the live generation.
        """
        searcher = getattr(self._local, "searcher", None)
        for attempt in range(OPEN_ATTEMPTS):
            try:
                if searcher is not None and searcher.up_to_date():
                    return searcher
                fresh = self._index.searcher(weighting=LiveBM25F())
            except (whoosh_index.EmptyIndexError, FileNotFoundError) as error:
                if attempt == OPEN_ATTEMPTS - 1:
                    raise IndexNotFound(f"the index files in '{self._folder}' are gone: {error}") from None
                time.sleep(0.01 * (attempt + 1))
                continue
            if searcher is not None:
                searcher.close()
            self._local.searcher = searcher = fresh
            return searcher
        raise AssertionError("unreachable")

    def search(self, request: SearchRequest) -> Results:
        searcher = self._searcher()
        strict, loose = self._parse(request.text)
        condition = _filter(request, searcher.schema)
        first, stop = (request.page - 1) * request.limit, request.page * request.limit
        # Documents with every term come first; then, for plain-term queries, those with some of them.
        tiers = [strict] if loose == strict else [strict, query.AndNot(loose, strict)]
        hits, total = [], 0
        for tier in tiers:
            wanted = max(stop - total, 1)
            if request.sort == "date":
                results = _collect(searcher, tier, wanted, condition, by_date=True)
                ranked = list(results)
            else:
                results, ranked = _ranked(searcher, tier, wanted, condition)
            hits.extend(ranked[max(first - total, 0):max(stop - total, 0)])
            total += len(results)
        return Results(tuple(self._hit(hit) for hit in hits), total, request.page, request.limit)

    def _parse(self, text: str) -> tuple[query.Query, query.Query]:
        return parse(text, self._schema, self._searcher().reader())

    def _hit(self, hit) -> Hit:
        stored = hit.fields()
        body = stored.get("body", "")
        terms = {text for field, text in hit.matched_terms() if field == "body"}
        spans = list(_spans(self._schema["body"].analyzer, body, terms)) if terms else []
        return Hit(
            id=stored["id"],
            score=float(hit.score or 0.0),
            title=stored.get("title", ""),
            source=stored.get("source", ""),
            published=_published(stored),
            url=stored.get("url", ""),
            path=stored.get("path", ""),
            authors=tuple(stored.get("authors") or ()),
            language=stored.get("language", ""),
            snippet=make_snippet(body, spans),
        )

    def get(self, id: str) -> Article | None:
        stored = self._searcher().document(id=id)
        return _article(stored) if stored is not None else None

    def articles(self) -> Iterator[Article]:
        reader = self._searcher().reader()
        for docnum in reader.all_doc_ids():
            yield _article(reader.stored_fields(docnum))

    def optimize(self) -> None:
        try:
            writer = self._index.writer(limitmb=WRITER_MEMORY_MB)
        except LockError:
            raise IndexLocked(f"the index in '{self._index.storage.folder}' is being written by another process") from None
        writer.commit(optimize=True)

    def ids(self) -> set[str]:
        reader = self._searcher().reader()
        return {reader.stored_fields(docnum)["id"] for docnum in reader.all_doc_ids()}

    def count(self) -> int:
        return self._searcher().doc_count()

    def stats(self) -> EngineStats:
        reader = self._searcher().reader()
        live = [docnum for docnum in reader.all_doc_ids()]
        sources = Counter()
        if live and reader.has_column("source_exact"):
            column = reader.column_reader("source_exact")
            sources = Counter(column[docnum] for docnum in live)
            sources.pop("", None)
        dates = []
        for docnum in live:
            value = _published(reader.stored_fields(docnum))
            if value is not None:
                dates.append(value)
        return EngineStats(
            documents=len(live), sources=dict(sources.most_common()),
            first_published=min(dates, key=to_utc_naive, default=None),
            last_published=max(dates, key=to_utc_naive, default=None),
        )

    def close(self) -> None:
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None:
            searcher.close()
            self._local.searcher = None
        self._index.close()


def _document(article: Article) -> dict:
    """Whoosh fields for an article; lists and the original date are stored as given."""
    fields = {
        "id": article.id, "title": article.title, "body": article.body,
        "authors": "\x1f".join(article.authors), "_stored_authors": list(article.authors),
        "source": article.source, "source_exact": article.source,
        "language": article.language,
        "categories": "\x1f".join(article.categories), "_stored_categories": list(article.categories),
        "url": article.url, "path": article.path,
    }
    if article.warnings:
        fields["warnings"] = list(article.warnings)
    if article.published is not None:
        fields["published"] = to_utc_naive(article.published)
        fields["published_text"] = article.published.isoformat()
    return fields


def _article(stored: dict) -> Article:
    return Article(
        id=stored["id"], title=stored.get("title", ""), body=stored.get("body", ""),
        published=_published(stored), authors=tuple(stored.get("authors") or ()),
        source=stored.get("source", ""), url=stored.get("url", ""), language=stored.get("language", ""),
        categories=tuple(stored.get("categories") or ()), path=stored.get("path", ""),
        warnings=tuple(stored.get("warnings") or ()),
    )


def _published(stored: dict) -> dt.date | None:
    value = stored.get("published_text")
    if not value:
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value) if len(value) == 10 else dt.datetime.fromisoformat(value)


def _collect(searcher, tier: query.Query, limit: int, condition: query.Query | None, *, by_date: bool = False):
    """The top ``limit`` hits of one query, with matched terms recorded for the snippets.

    whoosh's default top-N collector prunes sub-queries it judges unable to reach the
    current minimum score, and in whoosh-reloaded 2.7.5 that misjudges sums over title
    and body: top-10 lists missed real hits for 17 of 300 Reuters queries. Pruning is off.
    """
    if by_date:
        collector = collectors.SortingCollector("published", limit=limit, reverse=True)
    else:
        collector = collectors.TopCollector(limit, usequality=False, replace=0)
    collector = collectors.TermsCollector(collector)
    if condition is not None:
        collector = collectors.FilterCollector(collector, condition)
    searcher.search_with_collector(tier, collector)
    return collector.results()


def _ranked(searcher, tier: query.Query, wanted: int, condition: query.Query | None):
    """Hits by score, equal scores by id.

    Position on disk differs between an updated index and a fresh build, and must not
    decide which of several equal hits make the page: every hit tied with the last
    one wanted is collected before choosing.
    """
    limit = wanted * 2
    results = _collect(searcher, tier, limit, condition)
    while len(results.top_n) == limit and _rounded(results.score(wanted - 1)) == _rounded(results.score(limit - 1)):
        limit *= 4
        results = _collect(searcher, tier, limit, condition)
    return results, sorted(results, key=lambda hit: (-_rounded(hit.score), hit["id"]))


def _rounded(score: float) -> float:
    """Scores equal but for floating-point noise (summation order differs between segments) compare equal."""
    return round(score, 7)


def _filter(request: SearchRequest, schema: Schema) -> query.Query | None:
    clauses = []
    if request.since or request.until:
        clauses.append(query.DateRange("published", request.since, request.until))
    if request.sources:
        analyzer = schema["source"].analyzer
        terms = [token.text for source in request.sources for token in analyzer(source, mode="query")]
        clauses.append(query.Or([query.Term("source", term) for term in terms]))
    return query.And(clauses) if clauses else None


def _spans(analyzer, text: str, terms: set) -> Iterator[tuple[int, int, str]]:
    """(start, end, term) for every word of ``text`` whose indexed form is one of ``terms``."""
    wanted = {term.decode("utf-8") if isinstance(term, bytes) else term for term in terms}
    for token in analyzer(text, chars=True, mode="index", removestops=False):
        if token.text in wanted:
            yield token.startchar, token.endchar, token.text

"""Index, the facade (create, open, build, add, delete, update, query, get, stats) used by apps, CLI and web."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import os
import shutil
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import duplicates, engines, export, generations, query as query_language, recovery, stored
from .analysis import ANALYSIS_VERSION
from .article import Article, to_utc_naive
from .dates import parse_bound
from .duplicates import Groups
from .engines.base import Engine
from .errors import IndexExists, IndexNotFound, NewsearchError, QuerySyntaxError, quoted
from .lock import WriteLock
from .manifest import FileEntry, Manifest
from .query import SearchRequest, recency, spelling, synonyms
from .query.deadline import check as check_deadline
from .results import Results, Snippet
from .snippets import SNIPPET_CHARS
from .state import State
from .suggestions import Completion, Completions
from .timeline import Timeline, make_timeline
from .watches import Alert, Watch, Watches

LARGEST_GROUPS = 5  # groups listed by stats

if TYPE_CHECKING:  # reading files is imported only by what writes: a query starts faster
    from .indexer import Progress, UpdateReport



@dataclass(frozen=True)
class IndexStats:
    """What an index holds and how big it is on disk."""

    path: str
    engine: str
    documents: int
    sources: dict[str, int] = field(default_factory=dict)
    first_published: dt.date | None = None
    last_published: dt.date | None = None
    size_bytes: int = 0
    corpus: tuple[str, ...] = ()
    grouped_documents: int = 0  # documents with at least one near-duplicate
    groups: int = 0  # near-duplicate groups (of two or more documents)
    largest_groups: tuple[tuple[str, int, str], ...] = ()  # (group, documents, title of one of them), largest first

    def to_dict(self) -> dict:
        """JSON-ready values."""
        return {
            "path": self.path, "engine": self.engine, "documents": self.documents, "sources": self.sources,
            "first_published": self.first_published.isoformat() if self.first_published else None,
            "last_published": self.last_published.isoformat() if self.last_published else None,
            "size_bytes": self.size_bytes, "corpus": list(self.corpus),
            "grouped_documents": self.grouped_documents, "groups": self.groups,
            "largest_groups": [{"group": group, "documents": size, "title": title}
                               for group, size, title in self.largest_groups],
        }


@dataclass(frozen=True)
class CheckReport:
    """Whether an index opens and answers, and what an update would still change."""

    documents: int
    pending: UpdateReport
    unknown: int = 0  # documents added through the API, not from a corpus folder
    missing: int = 0  # documents the manifest lists that the index lacks (deleted through the API, or damage)
    ghosts: int = 0  # documents no source file gives and the API did not add (a write cut short, or damage)
    cut: bool = False  # a write was cut short after the engine's commit; the next update repairs it

    @property
    def ok(self) -> bool:
        """True when the index matches its sources and every file reads."""
        return not self.pending.pending and self.pending.ok and not self.missing and not self.ghosts and not self.cut

    def to_dict(self) -> dict:
        """JSON-ready values."""
        return {"ok": self.ok, "documents": self.documents, "unknown": self.unknown, "missing": self.missing,
                "ghosts": self.ghosts, "cut": self.cut, "pending": self.pending.to_dict()}

    def summary(self) -> str:
        """One line: the verdict and the counts behind it."""
        if self.missing or self.ghosts or self.cut:
            remedy = ("run 'newsearch update' to repair it" if self.cut
                      else "rebuild it with 'newsearch index --rebuild'")
            return (f"incomplete: {self.missing} documents of the source files are missing from the index, "
                    f"{self.ghosts} documents in it come from no source"
                    + ("; a write was cut short" if self.cut else "") + f"; {remedy}")
        verdict = "ok" if self.ok else "out of date" if self.pending.pending else "ok, but some files fail"
        return (f"{verdict}: {self.documents} documents; {self.pending.summary()}"
                + (f"; {len(self.pending.known)} failures seen before" if self.pending.known else "")
                + (f"; {self.unknown} added through the API" if self.unknown else ""))


@dataclass(frozen=True)
class MarkedArticle:
    """A stored article with its whole title and body marked where a query matches (for an article view)."""

    article: Article
    title: Snippet
    body: Snippet


class ArticleNotFound(NewsearchError):
    """No article has the id asked for."""


class Index:
    """A search index in a folder: build it from article files or records, then query it.

    Use ``Index.create``, ``Index.open`` or ``Index.build``; an Index is a context
    manager, and its query methods may be called from several threads at once. It
    follows the live generation: after another process rebuilds the index, the
    next query answers from the new one.
    """

    def __init__(self, folder: Path, engine_options: Mapping | None = None):
        self.folder = folder
        self._runtime_options = dict(engine_options or {})  # e.g. an API key: used, never stored
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._engine: Engine | None = None
        self._engine_name = engines.DEFAULT
        self._readers: dict[int, int] = {}  # id(engine) -> reads in flight on it
        self._retired: list[Engine] = []  # replaced engines, closed once their last read ends
        self._engine_for_live()
        self._synonyms = synonyms.read_groups(folder)
        self._completions: tuple[tuple, Completions] | None = None  # (what the index held, its completions)
        self._completing = threading.Lock()

    # -- opening

    @classmethod
    def create(cls, path: str | os.PathLike, overwrite: bool = False, engine: str | None = None,
               **engine_options) -> Index:
        """A new, empty index in ``path``; with ``overwrite``, an index already there is replaced.

        ``engine`` is ``whoosh`` (the default, pure Python), ``tantivy`` (``pip install
        newsearch[tantivy]``) or ``typesense`` (``pip install newsearch[typesense]``, a server
        cluster); the index remembers it. None: ``$NEWSEARCH_ENGINE``, else whoosh.
        ``engine_options`` are the engine's, for typesense ``nodes=["http://host:8108", ...]`` and
        ``api_key_env="VARIABLE"``, ``api_key_file=PATH`` or ``api_key=KEY`` (used, never stored).
        """
        folder = Path(path)
        engine = engine or engines.default()
        engine_class = engines.engine_class(engine)
        stored = engines.stored_options(engine, engine_options)
        _check_can_create(folder, overwrite)
        with WriteLock(folder):
            _publish(folder, engine, engine_class, engine_options, stored, lambda created, generation: None)
        return cls(folder, engine_options)

    @classmethod
    def open(cls, path: str | os.PathLike, **engine_options) -> Index:
        """The index in ``path``; IndexNotFound (telling the user to build one) when there is none.

        ``engine_options`` add to the ones the index keeps, for this process only (``api_key=``).
        """
        return cls(Path(path), engine_options)

    @classmethod
    def build(cls, path: str | os.PathLike, corpus=None, progress: Progress | None = None,
              wait: float = 0.0, workers: int = 1, engine: str | None = None, allow_shrink: bool = False,
              exclude: Iterable[str] | None = None, **engine_options) -> UpdateReport:
        """Build the index from scratch beside the live one, and switch to it atomically once complete.

        Queries keep answering from the old index until the switch. ``corpus`` is a
        folder or several; None rebuilds from the folders the live index was built from.
        ``workers``, ``exclude`` and ``allow_shrink`` as in ``update`` (a rebuild that would hold
        less than half the live index's documents from files stops, and one that finds no article
        file at all always does). ``engine`` and ``engine_options`` as in ``create``; None keeps
        the live index's engine, and the same engine keeps its options unless new ones are given.
        """
        folder = Path(path)
        if not generations.is_index(folder):
            _check_can_create(folder, overwrite=False)
        live_engine, live_options = _live_engine(folder)
        if engine is None:
            engine = live_engine
        engine_class = engines.engine_class(engine)
        if engine == live_engine and not set(engine_options) & set(engine_class.option_names):
            engine_options = {**live_options, **engine_options}
        stored = engines.stored_options(engine, engine_options)
        with WriteLock(folder, wait):
            _remove_stale(folder, engine_options)
            live_sources, live_exclude, live_documents = _live_sources(folder)
            names = _corpus_names(corpus) or live_sources
            if not names:
                raise NewsearchError("name the corpus folders to index: newsearch index CORPUS")
            from .indexer import check_rebuild, resolve_roots, update

            roots = resolve_roots(names)

            def fill(writer: Engine, generation: Path) -> UpdateReport:
                with _writing(folder, lambda: State.open(generation)) as store:
                    manifest = Manifest(store, exclude=live_exclude if exclude is None else list(exclude))
                    groups = Groups(state=store)
                    report = _writing(folder, lambda: update(writer, manifest, groups, roots, progress,
                                                             workers=workers, skip=folder))
                    check_rebuild(report, live_documents, names, allow_shrink)
                    _writing(folder, lambda: store.save(groups, manifest))
                _settled(writer)
                return report

            return _publish(folder, engine, engine_class, engine_options, stored, fill)

    def close(self) -> None:
        """Release the engine's files."""
        with self._lock:
            for engine in [*self._retired, self._engine]:
                if engine is not None:
                    engine.close()
            self._engine, self._retired = None, []

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _engine_for_live(self) -> Engine:
        """The engine of the live generation, reopened when another generation went live."""
        with self._lock:
            stamp = generations.stamp(self.folder)
            if self._engine is None or stamp != self._stamp:
                # A rebuild may switch and remove the old generation between our two reads: try again.
                for attempt in range(3):
                    try:
                        metadata = generations.read_metadata(self.folder)
                        _check_analysis(self.folder, metadata)
                        engine_class = engines.engine_class(metadata.get("engine", engines.DEFAULT))
                        options = {**metadata.get("engine_options", {}), **self._runtime_options}
                        engine = engine_class.open(self.folder / metadata["generation"], options)
                        self._engine_name = metadata.get("engine", engines.DEFAULT)
                        break
                    except IndexNotFound:
                        if attempt == 2 or generations.stamp(self.folder) == stamp:
                            raise
                        stamp = generations.stamp(self.folder)
                if self._engine is not None:
                    if self._readers.get(id(self._engine)):
                        self._retired.append(self._engine)  # reads in flight finish on it first
                    else:
                        self._engine.close()
                self._engine, self._stamp = engine, stamp
            return self._engine

    def _reading(self, action):
        """Run a read on the live engine; when its generation was replaced meanwhile, run it on the new one.

        The engine a read runs on stays open until the read ends, even when another thread moves
        this Index to a new generation meanwhile. A read that fails while the index it was reading
        went out of date (the old generation's files removed under it: whoosh raises anything from
        TypeError to ReaderClosed then) is run again on the live generation.
        """
        for attempt in range(3):
            self._engine_for_live()
            with self._lock:
                engine, stamp = self._engine, self._stamp
                assert engine is not None  # _engine_for_live has just opened it
                self._readers[id(engine)] = self._readers.get(id(engine), 0) + 1
            try:
                return action(engine)
            except NewsearchError as error:
                if not isinstance(error, IndexNotFound) or attempt == 2 or generations.stamp(self.folder) == stamp:
                    raise
            except Exception:
                if attempt == 2 or generations.stamp(self.folder) == stamp:
                    raise
            finally:
                self._release(engine)

    def _release(self, engine: Engine) -> None:
        """One read on ``engine`` ended: close it if it was replaced and this was its last read."""
        with self._lock:
            left = self._readers.pop(id(engine)) - 1
            if left:
                self._readers[id(engine)] = left
            elif any(retired is engine for retired in self._retired):
                self._retired = [retired for retired in self._retired if retired is not engine]
                engine.close()

    # -- writing

    def add(self, records: Iterable[Article | Mapping], wait: float = 0.0) -> int:
        """Add articles, or dicts with the JSON fields (``id`` required); an existing id is replaced."""
        articles = [record if isinstance(record, Article) else _record_article(record) for record in records]
        self._write(list({article.id: article for article in articles}.values()), (), wait)  # the last of an id wins
        return len(articles)

    def delete(self, ids: Iterable[str], wait: float = 0.0) -> None:
        """Remove the articles with these ids (unknown ids are ignored)."""
        self._write((), list(ids), wait)

    def _write(self, articles: Sequence[Article], ids: Sequence[str], wait: float) -> None:
        """One engine write of upserts and deletes, near-duplicate groups kept in step and saved after it."""
        with WriteLock(self.folder, wait):
            engine = self._engine_for_live()
            generation = generations.live(self.folder)
            with _writing(self.folder, lambda: stored.open_state(generation, writing=True)) as store:
                groups, manifest = Groups(state=store), Manifest(store)
                manifest.mark_added(ids, present=False)
                manifest.mark_added(article.id for article in articles)
                cut = _writing(self.folder, lambda: recovery.begin(generation))
                _writing(self.folder, lambda: duplicates.write(engine, groups, articles, ids))
                _writing(self.folder, lambda: store.save(groups, manifest))
            _settled(engine)
            if not cut:  # an earlier cut write stays marked until an update repairs it
                recovery.end(generation)

    def update(self, corpus=None, progress: Progress | None = None, dry_run: bool = False,
               wait: float = 0.0, workers: int = 1, allow_shrink: bool = False,
               exclude: Iterable[str] | None = None) -> UpdateReport:
        """Bring the index in line with its corpus folders: read new and changed files, drop vanished ones.

        ``corpus`` is a folder or several; None means the folders this index was built
        from. ``progress(done, total)`` is called as files are read. Everything is
        committed once, at the end; files that fail are listed in the report and the
        rest is indexed. With ``dry_run`` nothing is written. ``workers`` above 1 reads
        files in that many spawned processes (the CLI uses every core); a script that
        passes it must guard its top level with ``if __name__ == "__main__":``.
        An update that would delete more than half the documents files gave stops with
        NewsearchError, before writing, unless ``allow_shrink``. ``exclude``: patterns of paths
        never read (see readers.files.is_excluded), remembered by the index; None keeps the
        remembered ones. The index's own folder is never read, wherever it lies.
        """
        # A dry run writes nothing, not even the lock file.
        with contextlib.nullcontext() if dry_run else WriteLock(self.folder, wait):
            if not dry_run:
                _remove_stale(self.folder, self._runtime_options)
            engine = self._engine_for_live()
            generation = generations.live(self.folder)
            with _writing(self.folder, lambda: stored.open_state(generation, writing=not dry_run)) as store:
                manifest = Manifest(store)
                names = _corpus_names(corpus) or manifest.sources
                if not names:
                    raise NewsearchError("this index has no corpus folders yet; name one: newsearch update CORPUS")
                from .indexer import resolve_roots, update

                roots = resolve_roots(names)
                if exclude is not None:
                    manifest.exclude = list(exclude)
                if dry_run:
                    return update(engine, manifest, Groups(), roots, progress, dry_run, workers, skip=self.folder)
                _redo_unfinished(engine, manifest, roots)
                groups = Groups(state=store)
                cut = _writing(self.folder, lambda: recovery.begin(generation))
                if cut:
                    recovery.prepare(engine, manifest, groups, roots)
                report = _writing(self.folder, lambda: update(engine, manifest, groups, roots, progress, dry_run,
                                                              workers, allow_shrink, self.folder))
                if cut:
                    _writing(self.folder, lambda: recovery.regroup_stored(engine, groups))
                _writing(self.folder, lambda: store.save(groups, manifest))
            _settled(engine)
            recovery.end(generation)
        return report

    def optimize(self, wait: float = 0.0) -> None:
        """Merge the index's segments into one (updates also merge small segments as they go)."""
        with WriteLock(self.folder, wait):
            engine = self._engine_for_live()
            _writing(self.folder, engine.optimize)

    def check(self) -> CheckReport:
        """Open the index, run a query, and compare it with its sources without changing anything."""
        engine = self._engine_for_live()
        engine.search(query_language.build_request("newsearch", limit=1))
        generation = generations.live(self.folder)
        with stored.open_state(generation) as store:
            manifest = Manifest(store)
            held = engine.ids()
            difference = recovery.compare(held, manifest)
            unknown = len(held & manifest.added())
        from .indexer import UpdateReport

        pending = self.update(dry_run=True) if manifest.sources else UpdateReport(dry_run=True)
        return CheckReport(documents=len(held), pending=pending, unknown=unknown,
                           missing=len(difference.missing), ghosts=len(difference.ghosts),
                           cut=recovery.is_cut(generation))

    # -- reading

    def query(self, text: str, limit: int = 10, page: int = 1, sort: str = "relevance",
              since: str | dt.date | None = None, until: str | dt.date | None = None,
              source: str | Iterable[str] | None = None, facets: Iterable[str] = (),
              snippets: bool = True, snippet_chars: int = SNIPPET_CHARS, collapse: bool = True,
              recent: bool = False, timeout: float | query_language.Deadline | None = None) -> Results:
        """Ranked hits with snippets for a query; iterate the result for the hits, ``.total`` for the count.

        With ``collapse`` (the default) near-duplicates show as one story: the best-ranked
        copy is the hit, ``Hit.duplicates`` counts the other matching copies, pages are
        pages of stories and ``.stories`` counts them; ``.total`` and facets count documents.
        ``collapse=False`` lists every copy.
        ``since``/``until`` take dates, ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or relative
        ``7d``, ``2w``, ``3m``, ``1y``; ``source`` keeps only hits from these sources.
        ``facets`` names counts to make over all matching articles (``source``, ``author``,
        ``language``, ``category``, ``published:day|week|month|year``): ``Results.facets``.
        ``snippet_chars`` caps a snippet's length; ``snippets=False`` skips them.
        ``recent`` blends relevance with age (newsearch.query.recency: the score halves for every
        30 days before the newest of the best 200 hits); it re-ranks relevance, not a date sort.
        ``timeout`` (seconds) stops a query still searching after that long with QueryTimeout
        (the whoosh engine checks as it collects, tantivy and Typesense between the query's parts);
        a ``Deadline`` may also be given, which another thread can ``stop()`` sooner.
        Bad input of any kind raises QuerySyntaxError.
        """
        if not isinstance(text, str):
            raise QuerySyntaxError(f"the query must be text, not {type(text).__name__}")
        if not isinstance(recent, bool) or (recent and sort != "relevance"):
            raise QuerySyntaxError("recent must be True or False, and goes with sort='relevance'")
        request = _request(text, limit=limit, page=page, sort=sort, since=since, until=until, source=source,
                           facets=facets, snippets=snippets, snippet_chars=snippet_chars, collapse=collapse,
                           timeout=timeout)
        if not recent or page * limit > recency.RECENT_POOL:
            return self._reading(lambda engine: self._search(engine, request))
        pooled = dataclasses.replace(request, limit=recency.RECENT_POOL, page=1)
        results = self._reading(lambda engine: self._search(engine, pooled))
        hits = recency.reranked(results.hits)[(page - 1) * limit:page * limit]
        return dataclasses.replace(results, hits=tuple(hits), page=page, limit=limit)

    def similar(self, id: str, limit: int = 10, page: int = 1, since: str | dt.date | None = None,
                until: str | dt.date | None = None, source: str | Iterable[str] | None = None,
                facets: Iterable[str] = (), snippets: bool = True,
                snippet_chars: int = SNIPPET_CHARS, collapse: bool = True,
                timeout: float | query_language.Deadline | None = None) -> Results:
        """Articles like the one with this id (more like this), found by its most telling words; not itself.

        Options as for ``query`` (near-duplicates collapsed by default); ArticleNotFound when
        no article has this id. Its own near-duplicates: ``duplicates``.
        """
        self._check_id(id)
        request = _request(None, limit=limit, page=page, since=since, until=until, source=source,
                           facets=facets, snippets=snippets, snippet_chars=snippet_chars, collapse=collapse,
                           timeout=timeout)
        results = self._reading(lambda engine: engine.similar(id, _collapsible(request, engine),
                                                              query_language.SIMILAR_TERMS))
        if results is None:
            raise ArticleNotFound(f"no article with id {quoted(id)} in '{self.folder}'")
        return results

    def duplicates(self, id: str) -> list[Article]:
        """The other versions of this article's story (its near-duplicates), oldest first, undated last.

        ArticleNotFound when no article has this id; an empty list when it has no near-duplicates.
        """
        article = self.get(id)
        with stored.open_state(generations.live(self.folder)) as store:
            members = Groups(state=store).group_members(article.group) - {id}
        found = [other for other in (self._reading(lambda engine, m=m: engine.get(m)) for m in members)
                 if other is not None and other.group == article.group]
        return sorted(found, key=lambda other: (other.published is None, _sort_moment(other), other.id))

    def timeline(self, text: str, by: str = "week", since: str | dt.date | None = None,
                 until: str | dt.date | None = None, source: str | Iterable[str] | None = None,
                 timeout: float | query_language.Deadline | None = None) -> Timeline:
        """How many articles match a query per day, week, month or year, from the first period with a
        match to the last, empty periods as zero (``Timeline.periods``). Counts documents, every copy
        of a story included (a story republished often weighs more, as it did in the news).

        Filters and ``timeout`` as for ``query``; QuerySyntaxError for bad input, including an unknown ``by``.
        """
        if by not in ("day", "week", "month", "year"):
            raise QuerySyntaxError(f"by must be one of day, week, month, year, not {by!r}")
        if not isinstance(text, str):
            raise QuerySyntaxError(f"the query must be text, not {type(text).__name__}")
        request = dataclasses.replace(
            _request(text, limit=1, since=since, until=until, source=source, facets=[f"published:{by}"],
                     snippets=False, timeout=timeout), facet_values=None)
        results = self._reading(lambda engine: engine.search(self._expanded(request)))
        return make_timeline(by, results.total, results.facets[f"published:{by}"])

    def _search(self, engine: Engine, request) -> Results:
        if engine.count() == 0:
            raise IndexNotFound(f"the index in '{self.folder}' holds no documents; "
                                "run 'newsearch index CORPUS' to fill it")
        request = _collapsible(request, engine)
        results = engine.search(self._expanded(request))
        check_deadline(request.deadline)
        shown = None
        if results.total >= spelling.FEW_HITS:
            # a one-word query whose hits never show the word as typed may hold a typo that stems like another
            # word ("markeing"); checking longer queries so doubled the p95 of two- and three-word queries
            if not request.snippets or not spelling.is_one_word(request.query):
                return results
            shown = {word.lower() for hit in results for match in hit.snippet.matches for word in match.split()}
            if not shown:
                return results
        respelling = spelling.suggest(request.text, request.query, engine, shown)
        if respelling is None:
            return results
        check_deadline(request.deadline)
        tree, suggestion = respelling
        respelled_request = request.searching(tree)
        if results.total:  # only its count is wanted: its hits are shown only when the query found none
            respelled_request = dataclasses.replace(respelled_request, snippets=False)
        respelled = engine.search(self._expanded(respelled_request))
        check_deadline(request.deadline)
        if respelled.total <= results.total:
            return results
        if results.total == 0:
            return dataclasses.replace(respelled, suggestion=suggestion, ran_suggestion=True)
        return dataclasses.replace(results, suggestion=suggestion)

    def _check_id(self, id: str) -> None:
        """ArticleNotFound for an id no article can have: not text, or text with bytes that are not UTF-8
        (a command line's undecodable argument), which no engine could even look up."""
        if not isinstance(id, str):
            raise ArticleNotFound(f"an article id is text, not {type(id).__name__}")
        if not _is_utf8(id):
            raise ArticleNotFound(f"no article with id {quoted(id)} in '{self.folder}': it is not valid UTF-8")

    def _expanded(self, request: SearchRequest) -> SearchRequest:
        """The request with its words' name variants and synonyms searched too."""
        if request.query is None:  # not a text query: nothing to expand
            return request
        return request.searching(synonyms.expand(request.query, self._synonyms))

    def get(self, id: str) -> Article:
        """The stored article with this id; ArticleNotFound when there is none."""
        self._check_id(id)
        article = self._reading(lambda engine: engine.get(id))
        if article is None:
            raise ArticleNotFound(f"no article with id {quoted(id)} in '{self.folder}'")
        return article

    def mark(self, id: str, text: str) -> MarkedArticle:
        """The article with this id, its whole title and body with the words the query ``text`` finds marked.

        Marks what a snippet of the article would mark (stems, variants, phrases); an
        empty query marks nothing. QuerySyntaxError for a bad query, ArticleNotFound
        when no article has this id.
        """
        self._check_id(id)
        if not text.strip():
            article = self.get(id)
            return MarkedArticle(article, Snippet(((article.title, False),)), Snippet(((article.body, False),)))
        if not _is_utf8(text):
            raise QuerySyntaxError(f"the query {quoted(text)} is not valid UTF-8 text")
        request = self._expanded(query_language.build_request(text))
        marked = self._reading(lambda engine: engine.mark(id, request))
        if marked is None:
            raise ArticleNotFound(f"no article with id {quoted(id)} in '{self.folder}'")
        return MarkedArticle(*marked)

    def articles(self) -> list[Article]:
        """Every stored article, in no particular order (for exports and comparisons)."""
        return self._reading(lambda engine: list(engine.articles()))

    def stats(self) -> IndexStats:
        """Documents, documents per source, the range of publication dates, and size on disk."""
        counts = self._reading(lambda engine: engine.stats())
        generation = generations.live(self.folder)
        size = sum(p.stat().st_size for p in generation.rglob("*") if p.is_file())
        with stored.open_state(generation) as store:
            groups = Groups(state=store)
            sizes = groups.largest()
            largest = []
            for group, members in sizes[:LARGEST_GROUPS]:
                titles = sorted(article.title for article in (self._reading(lambda engine, m=m: engine.get(m))
                                                              for m in groups.group_members(group)) if article)
                largest.append((group, members, titles[0] if titles else ""))
            sources = tuple(Manifest(store).sources)
        return IndexStats(path=str(self.folder), engine=self._engine_name, documents=counts.documents,
                          sources=counts.sources,
                          first_published=counts.first_published, last_published=counts.last_published,
                          size_bytes=size, corpus=sources, grouped_documents=sum(size for _, size in sizes),
                          groups=len(sizes), largest_groups=tuple(largest))

    # -- following: saved searches, alerts, exports

    def export(self, text: str, format: str = "jsonl", sort: str = "relevance", since: str | dt.date | None = None,
               until: str | dt.date | None = None, source: str | Iterable[str] | None = None,
               snippets: bool = True, snippet_chars: int = SNIPPET_CHARS, collapse: bool = True,
               timeout: float | query_language.Deadline | None = None) -> Iterator[str]:
        """Every hit of a query, no page cap, as lines of ``jsonl`` (one ``query --json`` object each) or
        ``csv`` (a header first); read a page at a time, so memory does not grow with the number of hits.

        Options as for ``query``; QuerySyntaxError for bad input and QueryTimeout for a first page
        not found in time, both before the first line. ``timeout`` bounds each page of
        export.BATCH hits (a Deadline given bounds the first; later pages get as many seconds):
        a later page past it raises QueryTimeout from the iterator, after the lines before it.
        """
        if format not in export.FORMATS:
            raise QuerySyntaxError(f"format must be one of {', '.join(export.FORMATS)}, not {format!r}")
        per_page = timeout.seconds if isinstance(timeout, query_language.Deadline) else timeout
        search = functools.partial(self.query, text, sort=sort, since=since, until=until, source=source,
                                   snippets=snippets, snippet_chars=snippet_chars, collapse=collapse,
                                   timeout=per_page)
        first = search(limit=export.BATCH, page=1, timeout=timeout)  # bad input fails here, before any line
        return export.rows(export.every_hit(search, first=first), format)

    def suggest(self, text: str, limit: int = 10) -> list[Completion]:
        """Up to ``limit`` completions of typed ``text``: its last word completed from the words of the titles
        (most used first), then titles starting with it. The first call reads every title (about a second
        per 20,000 articles), and again once the index has another generation or number of articles."""
        if not isinstance(text, str):
            raise QuerySyntaxError(f"the text to complete must be text, not {type(text).__name__}")
        key = self._reading(lambda engine: (generations.stamp(self.folder), engine.count()))
        with self._completing:  # one thread reads the titles; the others wait for them
            if self._completions is None or self._completions[0] != key:
                titles = self._reading(lambda engine: Completions(article.title for article in engine.articles()))
                self._completions = (key, titles)
            completions = self._completions[1]
        return completions.complete(text, limit)

    def watch(self, name: str, query: str, source: str | Iterable[str] | None = None) -> Watch:
        """Save a search under ``name`` (replacing one of that name), kept with the index through updates and
        rebuilds; ``source`` keeps only articles from these sources. QuerySyntaxError for a bad query or name."""
        sources = [source] if isinstance(source, str) else list(source or ())
        try:
            self.query(query, limit=1, source=sources, snippets=False)
        except IndexNotFound:
            if not generations.is_index(self.folder):
                raise  # an index that exists but is still empty may be given searches before its first update
        return Watches(self.folder).add(name, query, sources)

    def watches(self) -> list[Watch]:
        """The saved searches, by name."""
        generations.read_metadata(self.folder)  # IndexNotFound where there is no index
        return Watches(self.folder).saved()

    def unwatch(self, name: str) -> None:
        """Forget a saved search; WatchNotFound (a NewsearchError) when there is none of that name."""
        generations.read_metadata(self.folder)
        Watches(self.folder).remove(name)

    def alerts(self, names: str | Iterable[str] = (), peek: bool = False) -> list[Alert]:
        """For each saved search (all, or those named), the matching articles that entered the index since it
        last reported, newest first, as ``Alert(watch, hit)``; then they count as reported, unless ``peek``.

        A search's first run reports what matches now. Near-duplicates of an article already
        reported are not reported again, and of new copies of one story only the newest is.
        """
        names = [names] if isinstance(names, str) else list(names)
        with contextlib.ExitStack() as opened:
            groups: list[Groups] = []

            def story(id: str) -> tuple[str, set[str]]:
                if not groups:  # opened once, and only when a search has something new to check
                    groups.append(Groups(state=opened.enter_context(stored.open_state(
                        generations.live(self.folder)))))
                group = groups[0].group(id) or f"alone:{id}"
                return group, groups[0].group_members(group)

            return Watches(self.folder).alerts(self.query, story, names, peek)


def _check_can_create(folder: Path, overwrite: bool) -> None:
    if generations.is_index(folder):
        if not overwrite:
            raise IndexExists(f"an index already exists in '{folder}'; open it, or create with overwrite=True")
    elif folder.is_file() or (folder.is_dir() and any(not p.name.startswith(".") for p in folder.iterdir())):
        raise IndexExists(f"'{folder}' exists and is not a newsearch index; choose another index folder")


def _check_analysis(folder: Path, metadata: dict) -> None:
    """NewsearchError asking for a rebuild when the live generation's words were analysed another way
    (an older stemmer or stop list): its stems must never be mixed with new ones."""
    if metadata.get("analysis") != ANALYSIS_VERSION:
        raise NewsearchError(f"the index in '{folder}' was made by an older version of newsearch, which analysed "
                             "words differently; rebuild it: newsearch index --rebuild")


def _live_sources(folder: Path) -> tuple[list[str], list[str], int]:
    """The live generation's corpus folders, excluded patterns, and how many documents its files gave."""
    try:
        generation = generations.live(folder)
    except IndexNotFound:
        return [], [], 0
    with stored.open_state(generation) as store:
        manifest = Manifest(store)
        return manifest.sources, manifest.exclude, manifest.document_count()


def _publish(folder: Path, engine: str, engine_class, engine_options: Mapping | None, stored: Mapping, fill):
    """A new generation in ``engine``, written by ``fill(engine, generation)``, then made live in one step.

    Call holding the write lock. A failure removes the half-built generation; once it is live,
    replaced generations are removed. Returns what ``fill`` returned.
    """
    generation = generations.new(folder)
    try:
        writer = engine_class.create(generation, engine_options)
        outcome = fill(writer, generation)
        writer.activate()
        writer.close()
        generations.switch(folder, generation, engine, stored, analysis=ANALYSIS_VERSION)
    except BaseException:
        _abandon(generation, engine_options)
        raise
    _remove_stale(folder, engine_options)
    synonyms.write_defaults(folder)
    return outcome


def _collapsible(request: SearchRequest, engine: Engine) -> SearchRequest:
    """The request as ``engine`` can answer it: every copy listed where it cannot collapse near-duplicates."""
    return request if engine.collapses or not request.collapse else dataclasses.replace(request, collapse=False)


def _live_engine(folder: Path) -> tuple[str, dict]:
    """The engine of the index in ``folder`` and the options it keeps; the default engine where there is none."""
    try:
        metadata = generations.read_metadata(folder)
    except IndexNotFound:
        return engines.default(), {}
    return metadata.get("engine", engines.DEFAULT), dict(metadata.get("engine_options") or {})


def _abandon(generation: Path, options: Mapping | None) -> None:
    """Remove a generation that never went live, and what its engine made for it elsewhere (best effort)."""
    with contextlib.suppress(Exception):
        engines.discard(generation, options)
    shutil.rmtree(generation, ignore_errors=True)


def _remove_stale(folder: Path, runtime_options: Mapping | None) -> None:
    """Remove replaced generations, and the data their engine keeps outside them (a server's collection)."""
    _, options = _live_engine(folder)
    options = {**options, **(runtime_options or {})}
    generations.remove_stale(folder, lambda generation: engines.discard(generation, options))


def _redo_unfinished(engine: Engine, manifest: Manifest, roots: list[Path]) -> None:
    """Make this update redo what a killed write may have left half-done (engines without transactions).

    Files that gave a document of that write count as changed, every document of theirs as
    changed too (so all are written again, and those they no longer give deleted); its
    documents that no file gives are listed under a file that no longer exists, so the
    update deletes them.
    """
    unfinished = engine.unfinished()
    if not unfinished or not roots:
        return
    holders = {id: manifest.holders(id) for id in unfinished}
    for path in sorted({path for paths in holders.values() for path in paths}):
        entry = manifest.files[path]
        entry.size, entry.mtime_ns, entry.content_hash = -1, -1, ""
        manifest.put(path, entry, dict.fromkeys(manifest.records(path), ""))
    orphans = {id for id, paths in holders.items() if not paths}
    if orphans:
        manifest.put(str(roots[0] / ".newsearch-unfinished-write"),
                     FileEntry(size=-1, mtime_ns=-1, content_hash=""), dict.fromkeys(sorted(orphans), ""))


def _settled(engine: Engine) -> None:
    """Tell an engine without transactions that its writes are complete and recorded."""
    engine.settle()


def _corpus_names(corpus) -> list:
    if corpus is None:
        return []
    if isinstance(corpus, (str, os.PathLike)):
        return [corpus]
    return list(corpus)


def _writing(folder: Path, action):
    """Run a write; a full disk or a permission problem becomes a one-line error saying where."""
    try:
        return action()
    except OSError as error:
        raise NewsearchError(f"cannot write the index in '{folder}': {error.strerror or error}") from error


def _record_article(record: Mapping) -> Article:
    if not isinstance(record, Mapping) or record.get("id") in (None, ""):
        raise NewsearchError(f"a record to add needs an 'id': {str(record)[:80]}")
    from .readers import article_from_record

    return article_from_record(record, id=str(record["id"]))


def _request(text: str | None, *, source, facets, since, until, timeout=None, **options) -> SearchRequest:
    """A checked SearchRequest from the options of ``Index.query`` and ``Index.similar``; ``timeout``
    (seconds or a Deadline) becomes its deadline."""
    for name, value in (("query", text), ("since", since), ("until", until),
                        *(("source", one) for one in ([source] if isinstance(source, str) else source or ()))):
        if isinstance(value, str) and not _is_utf8(value):
            raise QuerySyntaxError(f"the {name} {quoted(value)} is not valid UTF-8 text")
    request = query_language.build_request(
        text, sources=[source] if isinstance(source, str) else list(source or ()),
        facets=[facets] if isinstance(facets, str) else facets,
        since=_bound("since", since, end=False), until=_bound("until", until, end=True), **options)
    if timeout is None:
        return request
    deadline = timeout if isinstance(timeout, query_language.Deadline) else query_language.Deadline(timeout)
    return dataclasses.replace(request, deadline=deadline)


def _sort_moment(article: Article) -> dt.datetime:
    """A publication date comparable with any other (undated: the earliest moment)."""
    return to_utc_naive(article.published) if article.published else dt.datetime.min


def _bound(name: str, value: str | dt.date | None, *, end: bool) -> dt.datetime | None:
    """A since/until option as a naive UTC datetime."""
    if value is None or value == "":
        return None
    moment = parse_bound(value.isoformat() if isinstance(value, dt.date) else str(value), end=end)
    if moment is None:
        raise QuerySyntaxError(f"{name}: cannot read {value!r} as a date "
                               "(use YYYY, YYYY-MM, YYYY-MM-DD or 7d, 2w, 3m, 1y)")
    return moment


def _is_utf8(text: str) -> bool:
    """False for text holding lone surrogates (how Python passes on bytes it could not decode)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True

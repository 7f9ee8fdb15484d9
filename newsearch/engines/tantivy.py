"""The tantivy engine (``pip install newsearch[tantivy]``): the same index model, query language and results,
on tantivy's compiled inverted index.

Ranking is BM25 over a field holding title and body together, the title twice (BM25F with one length
per article, where the Whoosh engine normalises each field by its own length); statistics include
documents deleted since the last merge, as in Lucene.
"""

from __future__ import annotations

import math
import os
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import tantivy

from ..analysis import DEFAULT_LANGUAGE, written_forms
from ..article import Article
from ..errors import IndexLocked, IndexNotFound, NewsearchError, quoted
from ..facets import FIELD_FACETS
from ..query import Marks, SearchRequest, TermMarks
from ..query.collapse import page_of_stories
from ..query.deadline import check as check_deadline
from ..query.spelling import edit_distance
from ..results import Hit, Results, Snippet
from ..schema import WEIGHTS
from ..snippets import MARK_CHARS, mark_all, scanned, snippet_in
from . import tantivy_analysis as analysis
from .base import Engine, EngineStats
from .tantivy_query import Translator, has_field
from .tantivy_spans import TextSpans

NAME = "tantivy"
WRITER_HEAP = 256_000_000  # bytes tantivy buffers before writing a segment
# The most text one article may have: its body goes in twice (its own field and the BM25F words field),
# and the binding copies a document twice on its way in, so an article costs about seven times its size at
# once (120 MB beside 2,000 stories peaked at 980 MB: benchmarks/file_memory.py --huge); longer ones are
# refused per file.
MAX_ARTICLE_CHARS = 64 * 1024 * 1024
ALL = 1_000_000_000  # "every bucket" for aggregations
GROUP_BUCKETS = 64  # groups counted at first when collapsing (see _group_counts): the cost grows with it
MAX_GROUP_BUCKETS = 60_000  # below tantivy's limit of 65,000 buckets an aggregation may make
# A page of stories counts each tier's groups (two aggregations, most of a query's time at 1M articles) in
# other threads while it ranks the tiers (tantivy leaves Python's lock while it searches): one a core beside
# the one ranking, at most one a tier. On 2 cores one thread answers as fast as two at 99,000 articles and
# faster at 990,000 (p95 with snippets 15.8-16.4 ms against 16.0-19.2, four runs each).
MAX_COUNTING_THREADS = 2
Occur = tantivy.Occur


class TantivyEngine(Engine):
    """An index in a folder of tantivy segment files."""

    name = NAME
    collapses = True
    max_article_chars = MAX_ARTICLE_CHARS

    def __init__(self, index: tantivy.Index, folder: Path):
        self._index = index
        self._folder = folder
        self._schema = index.schema
        self._lock = threading.Lock()
        self._seen: tuple[int, int] | None = None
        self._searcher: tantivy.Searcher | None = None
        self._languages: tuple[str, ...] = ()
        # indexes made before group numbers collapse from stored articles (see _found, _group_counts)
        self._numbered = has_field(self._schema, analysis.GROUP_NUMBER, 0)
        self._counting: tuple[int, ThreadPoolExecutor] | None = None  # (the process it was started in, the pool)
        self._text_spans = TextSpans()

    @classmethod
    def create(cls, folder: Path, options: Mapping | None = None) -> TantivyEngine:
        """A new, empty index in ``folder`` (created if missing)."""
        folder.mkdir(parents=True, exist_ok=True)
        index = tantivy.Index(analysis.build_schema(), path=str(folder), reuse=False)
        analysis.register(index)
        return cls(index, folder)

    @classmethod
    def open(cls, folder: Path, options: Mapping | None = None) -> TantivyEngine:
        """The index in ``folder``; IndexNotFound when there is none."""
        if not (folder / "meta.json").is_file():
            raise IndexNotFound(f"no index data in '{folder}'; run 'newsearch index CORPUS' to build it")
        try:
            index = tantivy.Index.open(str(folder))
        except ValueError as error:
            raise IndexNotFound(f"cannot read the index in '{folder}': {error}") from None
        analysis.register(index)
        return cls(index, folder)

    def activate(self) -> None:
        """Nothing to do: the index lives in its generation folder."""

    # -- writing

    def _writer(self) -> tantivy.IndexWriter:
        """tantivy's writer; the caller holds newsearch's write lock, so no other writer runs.

        A writer killed mid-commit leaves tantivy's temporary files (``.tmpXXXX``) behind;
        unused segment files it removes itself once a new writer commits.
        """
        for leftover in self._folder.glob(".tmp*"):
            leftover.unlink(missing_ok=True)
        try:
            return self._index.writer(heap_size=WRITER_HEAP, num_threads=1)
        except ValueError as error:
            raise IndexLocked(f"the index in '{self._folder}' is being written by another process: {error}") from None

    def write(self, upserts: Iterable[Article], deletes: Iterable[str], workers: int = 1) -> None:
        writer = self._writer()
        try:
            searcher = self._current()
            fresh = searcher.num_docs == 0
            replaced: set[str] = set()
            written = _Seen()
            for article in upserts:
                if len(article.title) + len(article.body) > MAX_ARTICLE_CHARS:
                    raise NewsearchError(f"article {quoted(article.id)} has more than {MAX_ARTICLE_CHARS // 2**20} "
                                         f"MB of text, the most the {NAME} engine takes; nothing was written")
                key = analysis.group_key(article.group, article.id)
                joined = written.check_and_add(key) or (not fresh and searcher.doc_freq("group_key", key) > 0)
                if not fresh:
                    writer.delete_documents_by_term("id", article.id)
                    replaced.add(article.id)
                writer.add_document(analysis.document(article, joined))
            # A delete reaches only documents added before it: an id upserted in this write stays.
            for id in deletes:
                if id not in replaced:
                    writer.delete_documents_by_term("id", id)
        except BaseException:
            writer.rollback()
            writer.wait_merging_threads()
            raise
        writer.commit()
        writer.wait_merging_threads()

    def optimize(self) -> None:
        """tantivy merges segments as it writes; this commits, waits for merges and removes unused files."""
        writer = self._writer()
        writer.commit()
        writer.garbage_collect_files()
        writer.wait_merging_threads()

    # -- reading

    def _current(self) -> tantivy.Searcher:
        """A searcher over the last commit (reloaded when another process committed since)."""
        try:
            stat = os.stat(self._folder / "meta.json")
        except FileNotFoundError:
            raise IndexNotFound(f"the index files in '{self._folder}' are gone") from None
        seen = (stat.st_ino, stat.st_mtime_ns)
        with self._lock:
            if self._searcher is None or seen != self._seen:
                self._index.reload()
                self._searcher, self._seen = self._index.searcher(), seen
                self._languages = self._present_languages(self._searcher)
            return self._searcher

    def _present_languages(self, searcher: tantivy.Searcher) -> tuple[str, ...]:
        buckets = searcher.aggregate(tantivy.Query.all_query(),
                                     {"languages": {"terms": {"field": "analysis", "size": ALL}}})
        present = {bucket["key"] for bucket in buckets["languages"]["buckets"]}
        return tuple(sorted(present | {DEFAULT_LANGUAGE},
                            key=lambda code: (code != DEFAULT_LANGUAGE, code)))

    def _translator(self) -> Translator:
        searcher = self._current()
        return Translator(self._schema, searcher, self._languages)

    def search(self, request: SearchRequest) -> Results:
        translator = self._translator()
        return self._results(translator, [translator.translate(tier) for tier in request.tiers], request,
                             lambda language: translator.marks(request.marks, language))

    def similar(self, id: str, request: SearchRequest, terms: int) -> Results | None:
        translator = self._translator()
        searcher = translator.searcher
        found = self._stored(searcher, id)
        if found is None:
            return None
        language = found["analysis"]
        counts = Counter(analysis.prose(language).analyze(f"{found['title']}\n{found['body']}"))
        documents = max(searcher.num_docs, 1)
        body = analysis.text_field("body", language)
        weights = {word: count * math.log(1 + documents / max(searcher.doc_freq(body, word), 1))
                   for word, count in counts.items()}
        telling = sorted(weights.items(), key=lambda item: (-item[1], item[0]))[:terms]
        if not telling:
            return Results((), 0, request.page, request.limit, {})
        top = telling[0][1]
        likeness = tantivy.Query.boolean_query([
            (Occur.Should, tantivy.Query.boost_query(self._word(language, word), weight / top))
            for word, weight in telling])
        without = tantivy.Query.boolean_query([(Occur.Must, likeness), (Occur.MustNot,
                                               tantivy.Query.term_query(self._schema, "id", id))])
        words = {word for word, _ in telling}
        return self._results(translator, [without], request, lambda _: TermMarks(words=frozenset(words)))

    def mark(self, id: str, request: SearchRequest) -> tuple[Article, Snippet, Snippet] | None:
        translator = self._translator()
        stored = self._stored(translator.searcher, id)
        if stored is None:
            return None
        language = stored.get("analysis", DEFAULT_LANGUAGE)
        marked = [mark_all(value, self._text_spans.spans(value[:MARK_CHARS], language,
                                                         translator.marks(Marks.of(request.tiers[0], field), language)))
                  for field, value in (("title", stored.get("title", "")), ("body", stored.get("body", "")))]
        return analysis.article_of(stored), marked[0], marked[1]

    def _word(self, language: str, word: str) -> tantivy.Query:
        """One indexed word in title (weighted) and body."""
        title = tantivy.Query.term_query(self._schema, analysis.text_field("title", language), word)
        return tantivy.Query.boolean_query([
            (Occur.Should, tantivy.Query.boost_query(title, WEIGHTS["title"])),
            (Occur.Should, tantivy.Query.term_query(self._schema, analysis.text_field("body", language), word)),
        ])

    def _results(self, translator: Translator, tiers: list, request: SearchRequest, marks_for) -> Results:
        """One page of the tiers' hits, each tier ranked after the one before, with facets and snippets."""
        searcher = translator.searcher
        condition = self._filter(request)
        tiers = [self._within(tier, condition) for tier in tiers if tier is not None]
        check_deadline(request.deadline)  # tantivy's search cannot be stopped: checked between its parts
        if request.collapse:
            hits, total, stories, copies = self._stories(searcher, tiers, request)
        else:
            hits, total = self._copies(searcher, tiers, request)
            stories, copies = None, Counter()
        check_deadline(request.deadline)
        facets = self._facets(searcher, tiers, request) if request.facets and tiers else {}
        marks: dict[str, TermMarks] = {}
        shown = []
        for found in hits:
            stored, score = found.stored(searcher), found.score
            snippet = Snippet()
            if request.snippets:
                language = stored.get("analysis", DEFAULT_LANGUAGE)
                if language not in marks:
                    marks[language] = marks_for(language)
                snippet = self._snippet(stored.get("body", ""), language, marks[language], request.snippet_chars)
            shown.append(_hit(stored, 0.0 if request.sort == "date" else score, snippet,
                              copies.get(found.group, 1) - 1 if request.collapse else 0))
        return Results(tuple(shown), total, request.page, request.limit, facets, stories=stories)

    def _snippet(self, body: str, language: str, marks: TermMarks, chars: int) -> Snippet:
        """The body's best sentences with the query's words and phrases marked (see snippets.snippet_in)."""
        terms = {*marks.words, *marks.prefixes, *(word for word, _ in marks.fuzzy)}
        return snippet_in(body, terms, lambda part: self._text_spans.spans(part, language, marks), chars=chars)

    def _copies(self, searcher: tantivy.Searcher, tiers: list, request: SearchRequest) -> tuple[list, int]:
        """One page of every matching document, tier after tier, and how many match."""
        first, stop = (request.page - 1) * request.limit, request.page * request.limit
        hits: list[_Found] = []
        total = 0
        for tier in tiers:
            check_deadline(request.deadline)
            if len(hits) == stop - first:
                total += _matching(searcher, tier)
                continue
            wanted = max(stop - total, 1)
            ranked, count, _ = self._ranked(searcher, tier, wanted, by_date=request.sort == "date")
            hits.extend(ranked[max(first - total, 0):max(stop - total, 0)])
            total += count
        return hits, total

    def _stories(self, searcher: tantivy.Searcher, tiers: list, request: SearchRequest):
        """A page of stories (newsearch.query.collapse): (hits, matching documents, matching groups,
        group -> matching documents); copies per group come from ``_joined_copies``, counted in other
        threads while the tiers are ranked (``_group_counts`` for an index without group numbers)."""
        first, stop = (request.page - 1) * request.limit, request.page * request.limit
        matching: dict[int, int] = {}  # id(tier) -> how many documents it matches, once ranked
        every: dict[int, Counter] = {}  # id(tier) -> documents per group, when ranking read all its matches
        copies: dict[int, Future] = ({id(tier): self._counter().submit(_joined_copies, searcher, self._schema, tier)
                                      for tier in tiers} if self._numbered else {})

        def rank(tier, wanted: int) -> tuple[list, int]:
            ranked, matching[id(tier)], groups = self._ranked(searcher, tier, wanted, by_date=request.sort == "date")
            if groups is not None:
                every[id(tier)] = groups
            return ranked, matching[id(tier)]

        def counts(tier) -> tuple[Counter, int]:
            if id(tier) in every:  # no aggregation needed
                in_groups = Counter({group: count for group, count in every[id(tier)].items() if count > 1})
                return in_groups, matching[id(tier)] - sum(in_groups.values())
            if not self._numbered:
                return _group_counts(searcher, tier)
            if id(tier) not in matching:
                matching[id(tier)] = _matching(searcher, tier)
            in_groups = copies[id(tier)].result()
            return in_groups, matching[id(tier)] - sum(in_groups.values())

        try:
            page = page_of_stories(tiers, first, stop, rank, lambda hit: hit.group, counts)
        finally:
            for counting in copies.values():
                counting.cancel()  # those not started: a tier ranked whole, or a search given up
        return page.hits, page.total, page.stories, page.copies

    def _counter(self) -> ThreadPoolExecutor:
        """The threads counting groups, started on first use in this process (a forked server's own)."""
        with self._lock:
            if self._counting is None or self._counting[0] != os.getpid():
                threads = max(1, min(MAX_COUNTING_THREADS, (os.cpu_count() or 1) - 1))
                self._counting = os.getpid(), ThreadPoolExecutor(threads, "newsearch-counting")
            return self._counting[1]

    def _ranked(self, searcher: tantivy.Searcher, tier, wanted: int, *,
                by_date: bool) -> tuple[list[_Found], int, Counter | None]:
        """The first ``wanted`` hits of one tier, how many it matches, and, when the search read every
        match, how many fall in each group; equal scores ranked by id."""
        if by_date:
            result = searcher.search(tier, limit=wanted, count=True, order_by_field="recency",
                                     order=tantivy.Order.Asc)
            found = self._found(searcher, [(0.0, address) for _, address in result.hits])
            return found, result.count, _per_group(found, result.count)
        limit = wanted * 2
        while True:
            result = searcher.search(tier, limit=limit, count=True)
            scores = [round(score, 5) for score, _ in result.hits]
            if len(scores) < limit or scores[wanted - 1] != scores[-1]:
                break
            limit *= 4  # every hit tied with the last one wanted is read before choosing
        found = self._found(searcher, result.hits)
        cut = scores[min(wanted, len(scores)) - 1] if scores else 0.0  # hits score in descending order
        tied = {score for score, times in Counter(scores).items() if times > 1 and score >= cut}  # ids order them
        ids = {number: hit.id(searcher) for number, hit in enumerate(found) if scores[number] in tied}
        order = sorted(range(len(found)), key=lambda number: (-scores[number], ids.get(number, "")))
        return [found[number] for number in order[:wanted]], result.count, _per_group(found, result.count)

    def _found(self, searcher: tantivy.Searcher, hits: list) -> list[_Found]:
        """(score, address) hits with their groups: from fast fields, or from the stored articles of an index
        made before group numbers (read once, and kept)."""
        if self._numbered:
            numbers = searcher.fast_field_values(analysis.GROUP_NUMBER, [address for _, address in hits])
            return [_Found(score, address, number) for (score, address), number in zip(hits, numbers, strict=True)]
        found = []
        for score, address in hits:
            stored = _document(searcher, address)
            found.append(_Found(score, address, _group_key(stored), stored))
        return found

    def _filter(self, request: SearchRequest) -> tantivy.Query | None:
        clauses = []
        if request.since or request.until:
            clauses.append(tantivy.Query.range_query(self._schema, "published", tantivy.FieldType.Date,
                                                     request.since, request.until))
        if request.sources:
            whole = analysis.whole()
            names = [tantivy.Query.term_query(self._schema, "source_name", name)
                     for source in request.sources for name in whole.analyze(source)]
            clauses.append(tantivy.Query.boolean_query([(Occur.Should, name) for name in names]))
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else tantivy.Query.boolean_query([(Occur.Must, c) for c in clauses])

    @staticmethod
    def _within(tier: tantivy.Query, condition: tantivy.Query | None) -> tantivy.Query:
        if condition is None:
            return tier
        return tantivy.Query.boolean_query([(Occur.Must, tier), (Occur.Must, tantivy.Query.const_score_query(
            condition, 0.0))])

    def _facets(self, searcher: tantivy.Searcher, tiers: list, request: SearchRequest) -> dict:
        """Facet counts over every document the tiers match, filters applied."""
        names = request.facets
        matching = tiers[0] if len(tiers) == 1 else tantivy.Query.boolean_query(
            [(Occur.Should, tier) for tier in tiers])
        fields = {name: (analysis.DATE_BUCKETS[name.split(":", 1)[1]] if name.startswith("published:")
                         else analysis.FACET_FIELDS[FIELD_FACETS[name]]) for name in names}
        counted = searcher.aggregate(matching, {
            f"facet{number}": {"terms": {"field": fields[name], "size": ALL}} for number, name in enumerate(names)})
        facets = {}
        for number, name in enumerate(names):
            buckets = [(bucket["key"], bucket["doc_count"]) for bucket in counted[f"facet{number}"]["buckets"]]
            facets[name] = tuple(sorted(buckets, key=lambda item: (-item[1], item[0]))[:request.facet_values])
        return facets

    def variants(self, word: str, distance: int) -> tuple[str, dict[str, int]]:
        searcher = self._current()
        # each language with the stem it gives (a language that gives none is left out, not paired with the next's)
        stemmed = [(language, stem) for language in self._languages
                   for stem in analysis.prose(language).analyze(word)[:1]]
        if not stemmed:
            return "", {}
        near: dict[str, int] = {}
        for language, stem in stemmed:
            body = analysis.text_field("body", language)
            for term, documents in searcher.terms_with_prefix(body, stem[:2]):
                if abs(len(term) - len(stem)) <= distance and edit_distance(term, stem) <= distance:
                    near[term] = near.get(term, 0) + documents
            near.setdefault(stem, 0)
        return stemmed[0][1], near

    def _indexed(self, word: str) -> list[tuple[str, str]]:
        """(language, stem) of a one-word ``word`` in each language the index holds."""
        found = []
        for language in self._languages:
            stems = analysis.prose(language).analyze(word)
            if len(stems) == 1:
                found.append((language, stems[0]))
        return found

    def frequencies(self, words: list[str]) -> dict[str, int]:
        searcher = self._current()
        return {word: max((searcher.doc_freq(analysis.text_field("body", language), stem)
                           for language, stem in self._indexed(word)), default=0) for word in words}

    def forms(self, word: str, documents: int = 3) -> Counter:
        searcher = self._current()
        written: Counter = Counter()
        for language, stem in self._indexed(word):
            body = analysis.text_field("body", language)
            result = searcher.search(tantivy.Query.term_query(self._schema, body, stem), limit=documents, count=False)
            for _, address in result.hits:
                written.update(written_forms(scanned(_document(searcher, address).get("body", "")), stem,
                                             language))
        return written

    def _stored(self, searcher: tantivy.Searcher, id: str) -> dict | None:
        result = searcher.search(tantivy.Query.term_query(self._schema, "id", id), limit=1, count=False)
        return _document(searcher, result.hits[0][1]) if result.hits else None

    def get(self, id: str) -> Article | None:
        stored = self._stored(self._current(), id)
        return analysis.article_of(stored) if stored is not None else None

    def _every(self) -> Iterator[dict]:
        searcher = self._current()
        if searcher.num_docs:
            for _, address in searcher.search(tantivy.Query.all_query(), limit=searcher.num_docs, count=False).hits:
                yield _document(searcher, address)

    def articles(self) -> Iterator[Article]:
        return (analysis.article_of(stored) for stored in self._every())

    def ids(self) -> set[str]:
        searcher = self._current()
        if not searcher.num_docs:
            return set()
        hits = searcher.search(tantivy.Query.all_query(), limit=searcher.num_docs, count=False).hits
        return {searcher.doc(address).get_first("id") for _, address in hits}

    def count(self) -> int:
        return self._current().num_docs

    def stats(self) -> EngineStats:
        searcher = self._current()
        counted = searcher.aggregate(tantivy.Query.all_query(),
                                     {"sources": {"terms": {"field": "f_source", "size": ALL}}})
        sources = {bucket["key"]: bucket["doc_count"] for bucket in counted["sources"]["buckets"]}
        dated = searcher.aggregate(tantivy.Query.exists_query("published"), {
            "newest": {"min": {"field": "recency"}}, "oldest": {"max": {"field": "recency"}}})
        newest, oldest = dated["newest"]["value"], dated["oldest"]["value"]
        return EngineStats(
            documents=searcher.num_docs,
            sources=dict(sorted(sources.items(), key=lambda item: (-item[1], item[0]))),
            first_published=analysis.moment(-int(oldest)) if oldest is not None else None,
            last_published=analysis.moment(-int(newest)) if newest is not None else None,
        )

    def close(self) -> None:
        with self._lock:
            self._searcher = None
            if self._counting is not None and self._counting[0] == os.getpid():
                self._counting[1].shutdown(cancel_futures=True)
            self._counting = None


def _group_counts(searcher: tantivy.Searcher, tier) -> tuple[Counter, int]:
    """(group -> matching documents, for every group with two or more and some with one; the matching
    documents of the groups not listed, each alone in its group).

    A terms aggregation with a bucket per group stops at tantivy's limit of 65,000 buckets
    (a common word at 100,000 articles); the largest groups come first, so it asks for
    more only while the last group listed still has copies. tantivy counts per segment
    first: a group with one match in each of two segments may be missed there, and
    counted as two stories (``doc_count_error_upper_bound``).
    """
    size = GROUP_BUCKETS
    while True:
        counted = searcher.aggregate(tier, {"groups": {"terms": {"field": "group_key", "size": size}}})["groups"]
        buckets, others = counted["buckets"], counted.get("sum_other_doc_count", 0)
        if not others or buckets[-1]["doc_count"] == 1 or size * 4 > MAX_GROUP_BUCKETS:
            return Counter({bucket["key"]: bucket["doc_count"] for bucket in buckets}), others
        size *= 4


class _Found:
    """A ranked hit: its score, where it is, its group (key or number), and its stored article once read."""

    __slots__ = ("_stored", "address", "group", "score")

    def __init__(self, score: float, address: tantivy.DocAddress, group: int | str, stored: dict | None = None):
        self.score, self.address, self.group, self._stored = score, address, group, stored

    def stored(self, searcher: tantivy.Searcher) -> dict:
        """The stored article (read on first use: only shown hits need it)."""
        if self._stored is None:
            self._stored = _document(searcher, self.address)
        return self._stored

    def id(self, searcher: tantivy.Searcher) -> str:
        """The article's id (from the stored article when read, else without decoding it)."""
        if self._stored is not None:
            return self._stored["id"]
        return searcher.doc(self.address).get_first("id")


def _matching(searcher: tantivy.Searcher, tier) -> int:
    """How many documents a tier matches, counted by an aggregation: it reads no scores, where a search's
    count scores every match (0.2-0.6 ms against 1.0-1.3 for common words at 99,000 articles)."""
    counted = searcher.aggregate(tier, {"matching": {"value_count": {"field": "recency"}}})
    return int(counted["matching"]["value"])


def _per_group(found: list[_Found], matching: int) -> Counter | None:
    """Documents per group of a tier's hits when they are all of its ``matching`` documents, else None."""
    return Counter(hit.group for hit in found) if len(found) == matching else None


def _document(searcher: tantivy.Searcher, address: tantivy.DocAddress) -> dict:
    """The stored article at ``address``."""
    return analysis.stored_values(searcher.doc(address).get_first("article"))


def _joined_copies(searcher: tantivy.Searcher, schema: tantivy.Schema, tier) -> Counter:
    """For an index whose documents mark joining a group (see analysis.document): the tier's matching
    documents in each group where it matches two or more, exact. Only the groups of the tier's joined
    documents can have two (every such group holds one), so only those are counted; the tier's other
    matching documents are each alone. Aggregating over those few documents costs little however
    many the tier matches.
    """
    joined = tantivy.Query.boolean_query([
        (Occur.Must, tier), (Occur.Must, tantivy.Query.term_query(schema, analysis.JOINED, analysis.JOINED_VALUE))])
    keys = [bucket["key"] for bucket in searcher.aggregate(joined, {"groups": {"terms": {
        "field": analysis.GROUP_NUMBER, "size": MAX_GROUP_BUCKETS}}})["groups"]["buckets"]]
    if not keys:
        return Counter()
    members = tantivy.Query.boolean_query([
        (Occur.Must, tier), (Occur.Must, tantivy.Query.term_set_query(schema, analysis.GROUP_NUMBER, keys))])
    counted = searcher.aggregate(members, {"groups": {"terms": {"field": analysis.GROUP_NUMBER,
                                                                "size": len(keys)}}})
    return Counter({bucket["key"]: bucket["doc_count"] for bucket in counted["groups"]["buckets"]
                    if bucket["doc_count"] > 1})


class _Seen:
    """Group keys written so far in one write, as a Bloom filter: a key never written is rarely taken for one
    written (a document marked joined without need, whose group every query matching it then counts: about
    three of a million keys are), never the reverse; 16 MB however large the write."""

    BITS = 1 << 27
    HASHES = 3

    def __init__(self) -> None:
        self._bits = bytearray(self.BITS // 8)

    def check_and_add(self, key: str) -> bool:
        """True when ``key`` was added before (or, rarely, keys sharing all its bits were); adds it."""
        hashed = hash(key)
        first, step = hashed & 0xFFFFFFFF, (hashed >> 32) | 1  # double hashing: first + i * step
        seen = True
        for number in range(self.HASHES):
            bit = (first + number * step) & (self.BITS - 1)
            byte, mask = bit >> 3, 1 << (bit & 7)
            seen = seen and bool(self._bits[byte] & mask)
            self._bits[byte] |= mask
        return seen


def _group_key(stored: dict) -> str:
    """The key a document is collapsed by: its group, or itself when it has none."""
    return analysis.group_key(stored.get("group", ""), stored["id"])


def _hit(stored: dict, score: float, snippet: Snippet, duplicates: int) -> Hit:
    article = analysis.article_of(stored)
    return Hit(id=article.id, score=float(score), title=article.title, source=article.source,
               published=article.published, url=article.url, path=article.path, authors=article.authors,
               language=article.language, snippet=snippet, group=article.group, duplicates=duplicates)

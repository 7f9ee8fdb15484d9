"""The Whoosh engine (whoosh-reloaded): opening, writing, searching, facets and snippet spans."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import pickle
import sys
import threading
import time
import zlib
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from itertools import chain, islice, repeat
from pathlib import Path

import numpy as np
from whoosh import collectors, index as whoosh_index, query
from whoosh.fields import Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.reading import TermNotFound

from .. import packing
from ..analysis import DEFAULT_LANGUAGE, fold, query_terms, stemming_language, written_forms
from ..article import Article, aware_moment, to_utc_naive
from ..errors import IndexLocked, IndexNotFound, NewsearchError
from ..facets import FIELD_FACETS, count_facets
from ..languages import analysis_language
from ..query import Marks, SearchRequest, TermMarks
from ..query.collapse import page_of_stories
from ..query.deadline import Deadline, check as check_deadline
from ..results import Hit, Results, Snippet
from ..snippets import MARK_CHARS, mark_all, match_spans, scanned, snippet_in
from .base import Engine, EngineStats
from .whoosh_analysis import LONG_TEXT_CHARS, STEMS, UNDATED, InLanguage, ProseTokens, Words, build_schema
from .whoosh_query import AndNot, Translator, similar_query
from .whoosh_ranking import FieldsTerm, LiveBM25F
from .whoosh_scoring import Docs, PostingCache, SearcherArrays, WordScorer, as_docs, intersection, minus, union
from .whoosh_segments import LengthsWriter, commit_segments, discard_segments, write_segments

NAME = "whoosh"
WRITER_MEMORY_MB = 256
PARALLEL_MIN_DOCUMENTS = 2000  # a fresh index given fewer is written by one process: spawning costs more
OPEN_ATTEMPTS = 5
SIMILAR_CHARS = 1 << 20  # "more like this" reads no more of a body than this
LEXICON_TIES = 1000  # more equal scores than this are put in id order from the id lexicon (see _by_id)
FORMS_MAX_WORDS = 100_000  # the written forms of a word are looked for in bodies no longer than this
_EPOCH = dt.datetime(1970, 1, 1)
FACET_FIELDS = (*FIELD_FACETS.values(), "published")  # the fields the facets column holds


class WhooshEngine(Engine):
    """An index in a folder of Whoosh segment files."""

    name = NAME
    collapses = True

    def __init__(self, index: whoosh_index.Index, folder: Path):
        self._index = index
        self._folder = folder
        self._schema = index.schema  # read once: whoosh re-reads the table of contents on every access
        self._local = threading.local()  # one searcher per thread: whoosh searchers are not shared safely
        self._query_schemas: dict[tuple[str, ...], Schema] = {}
        self._postings = PostingCache()
        self._fused: dict[str, ProseTokens | None] = {}  # field -> its analyzer in one loop, for snippets
        self._segment_facets: dict[str, dict[str, list]] = {}  # segment id -> its decoded facet columns
        self._segment_facets_lock = threading.Lock()

    @classmethod
    def create(cls, folder: Path, options: Mapping | None = None) -> WhooshEngine:
        """A new, empty index in ``folder`` (created if missing)."""
        folder.mkdir(parents=True, exist_ok=True)
        return cls(FileStorage(str(folder)).create_index(build_schema()), folder)

    @classmethod
    def open(cls, folder: Path, options: Mapping | None = None) -> WhooshEngine:
        """The index in ``folder``; IndexNotFound when there is none."""
        try:
            index = FileStorage(str(folder)).open_index()
        except (whoosh_index.EmptyIndexError, FileNotFoundError):
            raise IndexNotFound(f"no index data in '{folder}'; run 'newsearch index CORPUS' to build it") from None
        except OSError as error:
            raise IndexNotFound(f"cannot read the index in '{folder}': {error.strerror or error}") from None
        except (AttributeError, ImportError, pickle.UnpicklingError):  # a schema naming classes since moved
            index = None
        try:
            if index is None or set(build_schema().names()) - set(index.schema.names()):
                raise NewsearchError(f"the index in '{folder.parent}' was made by an older version of newsearch; "
                                     "rebuild it: newsearch index --rebuild")
            return cls(index, folder)
        except (whoosh_index.EmptyIndexError, FileNotFoundError):  # removed by a rebuild since we opened it
            raise IndexNotFound(f"the index files in '{folder}' are gone") from None

    def activate(self) -> None:
        """Nothing to do: the index lives in its generation folder."""

    # -- writing

    def _writer(self):
        try:
            return LengthsWriter(self._index, limitmb=WRITER_MEMORY_MB, compound=False)
        except LockError:
            raise IndexLocked(f"the index in '{self._folder}' is being written by another process") from None

    def write(self, upserts: Iterable[Article], deletes: Iterable[str], workers: int = 1) -> None:
        writer = self._writer()
        parallel = False
        try:
            fresh = self._index.doc_count_all() == 0  # nothing to replace: plain adds are much cheaper
            upserts = iter(upserts)
            first = list(islice(upserts, PARALLEL_MIN_DOCUMENTS)) if fresh and workers > 1 else []
            parallel = len(first) == PARALLEL_MIN_DOCUMENTS  # a build: one segment per worker process
            if parallel:
                segments = write_segments(writer, chain(first, upserts), workers, _document, _is_long)
            for article in () if parallel else chain(first, upserts):
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
            if parallel:
                discard_segments(writer)
            raise
        if parallel:
            commit_segments(writer, segments)
        else:
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
        searcher = self._searcher()  # one searcher for the whole search: asking again may close this one
        return self._results(searcher, self.tiers(request, searcher), request)

    def tiers(self, request: SearchRequest, searcher=None) -> list[query.Query]:
        """The whoosh queries of the request's tiers, for ``searcher`` (by default this thread's)."""
        searcher = searcher or self._searcher()
        reader = searcher.reader()
        expansions = self._per_searcher("expansions", searcher, lambda _: {})
        translator = Translator(self._query_schema(reader), reader, expansions, request.deadline)
        return [translator.translate(tier) for tier in request.tiers]

    def similar(self, id: str, request: SearchRequest, terms: int) -> Results | None:
        searcher = self._searcher()
        docnum = searcher.document_number(id=id)
        if docnum is None:
            return None
        stored = searcher.stored_fields(docnum)
        # a long body's opening tells what it is about; its whole would be tens of millions of words to count
        opening = _stored_text(stored, "body")[:SIMILAR_CHARS]
        text = InLanguage(f"{stored.get('title', '')}\n{opening}", stored.get("analysis", ""))
        likeness = similar_query(searcher, text, terms)
        return self._results(searcher, [AndNot(likeness, query.Term("id", id))], request)

    def _results(self, searcher, tiers: list, request: SearchRequest) -> Results:
        """One page of the tiers' hits, each tier ranked after the one before, with facets and snippets."""
        check_deadline(request.deadline)
        condition = _filter(request, searcher.schema)
        words = self._word_scorer(searcher, request.deadline)
        recency = self._per_searcher("recency", searcher, _recency) if request.sort == "date" else None
        stories, duplicates = None, {}
        if request.collapse:
            hits, total, stories, duplicates = self._stories(searcher, tiers, request, condition, words, recency)
        else:
            hits, total = _page(searcher, tiers, request, condition, words, recency)
        facets = self._facets(searcher, tiers, condition, request, words) if request.facets else {}
        marks: dict[str, TermMarks] = {}  # language -> the query's marks in its terms
        matched = (_terms_in(searcher, tiers[-1], [hit.docnum for hit in hits], "body", words)
                   if request.snippets else {})
        return Results(tuple(self._hit(hit, request, marks, matched.get(hit.docnum, set()),
                                       duplicates.get(hit.docnum, 0)) for hit in hits),
                       total, request.page, request.limit, facets, stories=stories)

    def _stories(self, searcher, tiers: list, request: SearchRequest, condition, words: WordScorer | None,
                 recency: np.ndarray | None):
        """A page of stories (newsearch.query.collapse): (hits, matching documents, matching groups,
        docnum -> other matching copies)."""
        numbers, shared = self._group_numbers(searcher)
        matches: dict[int, Docs] = {}  # id(tier) -> the documents it matches, found once

        def key(docnum: int) -> int:
            return int(numbers[docnum]) or -1 - docnum

        def rank(tier: query.Query, wanted: int):
            if recency is not None:
                matches[id(tier)], ranked = _newest(searcher, tier, wanted, condition, words, recency)
            else:
                matches[id(tier)], ranked = _ranked(searcher, tier, wanted, condition, words)
            return ranked, len(matches[id(tier)])

        def counts(tier: query.Query) -> tuple[Counter, int]:
            if id(tier) not in matches:
                matches[id(tier)] = _matching(searcher, tier, condition, words)
            docs = matches[id(tier)]
            groups = shared[docs]
            groups = groups[groups != 0]  # the others are stories of one document
            found, copies = np.unique(groups, return_counts=True)
            return Counter(dict(zip(found.tolist(), copies.tolist(), strict=True))), len(docs) - len(groups)

        first, stop = (request.page - 1) * request.limit, request.page * request.limit
        page = page_of_stories(tiers, first, stop, rank, lambda hit: key(hit.docnum), counts)
        return page.hits, page.total, page.stories, {hit.docnum: page.copies.get(key(hit.docnum), 1) - 1
                                                     for hit in page.hits}

    def _per_searcher(self, name: str, searcher, build):
        """``build(searcher)``, kept for this thread until its searcher changes (the index changed)."""
        cached = getattr(self._local, name, None)
        if cached is None or cached[0] is not searcher:
            cached = (searcher, build(searcher))
            setattr(self._local, name, cached)
        return cached[1]

    def _word_scorer(self, searcher, deadline: Deadline | None = None) -> WordScorer | None:
        """Term-at-a-time scoring for this search, sharing the searcher's arrays; None if it cannot rank."""
        words = WordScorer(searcher, self._per_searcher("arrays", searcher, lambda _: SearcherArrays()),
                           self._postings, deadline)
        return words if words.usable() else None

    def _group_numbers(self, searcher) -> tuple[np.ndarray, np.ndarray]:
        """Each document's group as a number (0: in no group), and the same with 0 for the groups of one
        document (no other copy to count: most groups), read once per searcher."""
        def build(searcher):
            numbers = np.frombuffer(_whole_column(searcher, "group_number", 0), dtype=np.int64)
            found, sizes = np.unique(numbers, return_counts=True)
            return numbers, np.where(np.isin(numbers, found[sizes == 1]), 0, numbers)

        return self._per_searcher("group_numbers", searcher, build)

    def _facets(self, searcher, tiers: list, condition: query.Query | None, request: SearchRequest,
                words: WordScorer | None) -> dict:
        """Facet counts over every document the tiers match, filters applied."""
        matching = union([_matching(searcher, tier, condition, words) for tier in tiers], searcher.doc_count_all())
        return count_facets(request.facets, self._facet_columns(searcher), matching.tolist(), request.facet_values)

    def _facet_columns(self, searcher) -> dict[str, list]:
        """field -> every document's facet value, for this searcher (each segment decoded once, then cached)."""
        def build(searcher):
            columns: dict[str, list] = {field: [] for field in FACET_FIELDS}
            parts = {}
            for leaf, _ in searcher.reader().leaf_readers():
                key = leaf.segment().segment_id()
                with self._segment_facets_lock:
                    parts[key] = self._segment_facets.get(key) or _decoded_facets(leaf)
                for field in FACET_FIELDS:
                    columns[field].extend(parts[key][field])
            with self._segment_facets_lock:
                self._segment_facets = parts  # segments merged away are forgotten
            return columns

        return self._per_searcher("facet_columns", searcher, build)

    def _languages(self, reader) -> tuple[str, ...]:
        """The stemming languages of the articles held, English first (read once per reader)."""
        cached = getattr(self._local, "languages", None)
        if cached is None or cached[0] is not reader:
            present = {_text(term) for term in reader.lexicon("analysis")} if "analysis" in self._schema else set()
            cached = self._local.languages = (reader, tuple(sorted(present, key=lambda code: (code != DEFAULT_LANGUAGE,
                                                                                                code))))
        return cached[1]

    def _query_schema(self, reader) -> Schema:
        """The schema whose analyzers stem query words in every language the index holds (English first)."""
        languages = self._languages(reader)
        if languages not in self._query_schemas:
            self._query_schemas[languages] = build_schema(languages)
        return self._query_schemas[languages]

    def _hit(self, hit, request: SearchRequest, marks: dict[str, TermMarks], matched: set[str],
             duplicates: int) -> Hit:
        stored = hit.fields()
        snippet = Snippet()
        if request.snippets:
            language = stored.get("analysis", "")
            if language not in marks:
                marks[language] = request.marks.analysed(self._analyser("body", language), fold)
            snippet = snippet_in(_stored_text(stored, "body"), matched,
                                 lambda part: self._spans(part, "body", language, marks[language], matched),
                                 chars=request.snippet_chars)
        return Hit(
            id=stored["id"],
            score=0.0 if request.sort == "date" else float(hit.score or 0.0),  # the sort key is no relevance
            title=stored.get("title", ""),
            source=stored.get("source", ""),
            published=_published(stored),
            url=stored.get("url", ""),
            path=stored.get("path", ""),
            authors=tuple(stored.get("authors") or ()),
            language=stored.get("language", ""),
            snippet=snippet,
            group=stored.get("group", ""),
            duplicates=duplicates,
        )

    def _spans(self, text: str, fieldname: str, language: str, marks: TermMarks, matched: set[str]) -> list:
        """Where the matched terms and the phrases made of them stand in ``text``, analysed as ``fieldname``."""
        if not matched:
            return []
        phrases = [phrase for phrase in marks.phrases if set(phrase[0]) <= matched]
        words = matched - marks.phrase_only
        fused = self._fusion(fieldname)
        spans = fused.spans(text, language, words) if fused is not None and not phrases else None
        return spans if spans is not None else match_spans(self._tokens(text, fieldname, language), words, phrases)

    def _fusion(self, fieldname: str) -> ProseTokens | None:
        """The field's analyzer in one loop (None for an analyzer of another shape)."""
        if fieldname not in self._fused:
            self._fused[fieldname] = ProseTokens.of(self._schema[fieldname].analyzer)
        return self._fused[fieldname]

    def _tokens(self, text: str, fieldname: str, language: str) -> list[tuple[int, int, str, int]]:
        """(start, end, term, position) of each word of ``text`` as ``fieldname`` indexes it in ``language``."""
        analyzer = self._schema[fieldname].analyzer
        fused = self._fusion(fieldname)
        if fused is not None:
            return fused(text, language)
        return [(token.startchar, token.endchar, token.text, token.pos)
                for token in analyzer(text, chars=True, positions=True, mode="index", language=language)]

    def _analyser(self, fieldname: str, language: str):
        """text -> (term, position) pairs as ``fieldname`` indexes text in ``language``."""
        return lambda text: [(term, position) for _, _, term, position in self._tokens(text, fieldname, language)]

    def mark(self, id: str, request: SearchRequest) -> tuple[Article, Snippet, Snippet] | None:
        searcher = self._searcher()
        docnum = searcher.document_number(id=id)
        if docnum is None:
            return None
        stored = searcher.stored_fields(docnum)
        language = stored.get("analysis", "")
        marked = []
        for fieldname in ("title", "body"):
            value = _stored_text(stored, fieldname)
            marks = Marks.of(request.tiers[0], fieldname).analysed(self._analyser(fieldname, language), fold)
            marked.append(mark_all(value, marks.spans(self._tokens(value[:MARK_CHARS], fieldname, language))))
        return _article(stored), marked[0], marked[1]

    def variants(self, word: str, distance: int) -> tuple[str, dict[str, int]]:
        reader = self._searcher().reader()
        analysed = [token.text for token in self._query_schema(reader)["body"].analyzer(word, mode="query")]
        if len(analysed) != 1:
            return "", {}
        stems = list(dict.fromkeys(analysed[0].split(STEMS)))
        near = {term for stem in stems for term in [stem, *reader.terms_within("body", stem, distance, prefix=1)]}
        return stems[0], {term: reader.doc_frequency("body", term) for term in near}

    def frequencies(self, words: list[str]) -> dict[str, int]:
        reader = self._searcher().reader()
        languages = self._languages(reader)
        found = {}
        for word in words:
            stems = query_terms(word, languages)  # the stemmers the analyzers use, without their token chain
            found[word] = max((reader.doc_frequency("body", stem) for stem in stems[0]), default=0) \
                if len(stems) == 1 else 0
        return found

    def forms(self, word: str, documents: int = 3) -> Counter:
        reader = self._searcher().reader()
        written: Counter = Counter()
        stems = query_terms(word, self._languages(reader))
        for stem in stems[0] if len(stems) == 1 else ():
            try:
                # a long body (a 200 MB article) would be read and decompressed whole for a few words
                docnums = list(islice((docnum for docnum in reader.postings("body", stem).all_ids()
                                       if reader.doc_field_length(docnum, "body", 0) <= FORMS_MAX_WORDS),
                                      documents))
            except TermNotFound:
                continue
            for docnum in docnums:
                stored = reader.stored_fields(docnum)
                written.update(written_forms(scanned(_stored_text(stored, "body")), stem, stored.get("analysis", "")))
        return written

    def get(self, id: str) -> Article | None:
        stored = self._searcher().document(id=id)
        return _article(stored) if stored is not None else None

    def articles(self) -> Iterator[Article]:
        reader = self._searcher().reader()
        for docnum in reader.all_doc_ids():
            yield _article(reader.stored_fields(docnum))

    def optimize(self) -> None:
        self._writer().commit(optimize=True)

    def ids(self) -> set[str]:
        reader = self._searcher().reader()
        return {reader.stored_fields(docnum)["id"] for docnum in reader.all_doc_ids()}

    def count(self) -> int:
        return self._searcher().doc_count()

    def stats(self) -> EngineStats:
        reader = self._searcher().reader()
        live = list(reader.all_doc_ids())
        sources: Counter[str] = Counter()
        if live and reader.has_column("source_exact"):
            column = reader.column_reader("source_exact")
            sources = Counter(column[docnum] for docnum in live)
            sources.pop("", None)
        # The date range from the recency column: reading every stored body for it took seconds on large indexes.
        recency = reader.column_reader("recency") if live and reader.has_column("recency") else None
        seconds = [-recency[docnum] for docnum in live if recency[docnum] != UNDATED] if recency is not None else []
        return EngineStats(
            documents=len(live), sources=dict(sources.most_common()),
            first_published=_moment(min(seconds)) if seconds else None,
            last_published=_moment(max(seconds)) if seconds else None,
        )

    def close(self) -> None:
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None:
            searcher.close()
            self._local.searcher = None
        self._index.close()


def _document(article: Article) -> dict:
    """Whoosh fields for an article; lists and the original date are stored as given."""
    language = stemming_language(analysis_language(article.language, article.body or article.title))
    fields = {
        "id": article.id, "title": Words(article.title, language), "_stored_title": article.title,
        "body": Words(article.body, language), "analysis": language,
        "_stored_body": packing.pack(article.body) if packing.is_long(article.body) else article.body,
        "authors": "\x1f".join(article.authors), "_stored_authors": list(article.authors),
        "source": article.source, "source_exact": article.source,
        "language": article.language,
        "categories": "\x1f".join(article.categories), "_stored_categories": list(article.categories),
        "url": article.url, "path": article.path, "group": article.group, "group_number": _group_number(article.group),
        "facets": json.dumps({
            "source": article.source, "authors": list(article.authors), "language": article.language,
            "categories": list(article.categories),
            "published": article.published.isoformat()[:10] if article.published else None,
        }, ensure_ascii=False).encode("utf-8"),
    }
    if article.warnings:
        fields["warnings"] = list(article.warnings)
    if article.published is not None:
        published = to_utc_naive(article.published)
        fields["published"] = published
        fields["recency"] = -int((published - _EPOCH).total_seconds())
        fields["published_text"] = article.published.isoformat()
    return fields


def _stored_text(stored: Mapping, fieldname: str) -> str:
    """A stored text field's value as text: a long body is stored packed (newsearch.packing), as whoosh
    would pickle it whole (two or three copies) and then deflate that."""
    value = stored.get(fieldname) or ""
    return packing.unpack(value) if isinstance(value, bytes) else value


def _is_long(article: Article) -> bool:
    """True for an article a parallel build writes in its own process: sent to a segment worker, a long
    body would be copied whole through a queue (see whoosh_segments.write_segments)."""
    return len(article.body) > LONG_TEXT_CHARS


def _group_number(group: str) -> int:
    """A group id (hex, from duplicates.new_group) as the number its column holds; 0 for none."""
    try:
        return int(group, 16) if group else 0
    except ValueError:
        return zlib.crc32(group.encode("utf-8")) + 1  # not ours: still one number per group


def _whole_column(searcher, fieldname: str, default: int) -> array:
    """A "q" number column over every segment of a searcher, one value per document number."""
    values = array("q")
    for leaf, _ in searcher.reader().leaf_readers():
        values.extend(_numbers(leaf, fieldname, default))
    return values


def _recency(searcher) -> np.ndarray:
    """Every document's recency (newest first sorts lowest; undated: UNDATED)."""
    return np.array(_whole_column(searcher, "recency", UNDATED), dtype=np.int64)


def _numbers(leaf, fieldname: str, default: int) -> array:
    """A segment's whole "q" number column, one value per document, read in one piece.

    whoosh would unpack each value in Python (a tenth of a second per 100,000); this
    reads whoosh-reloaded 2.7.5's fixed-width column bytes directly (pinned).
    """
    values = array("q")
    if leaf.has_column(fieldname):
        column = leaf.column_reader(fieldname, translate=False)
        values.frombytes(column._dbfile.get(column._basepos, column._count * column._fixedlen))
        if sys.byteorder == "little":
            values.byteswap()  # whoosh packs big-endian ("!q")
    values.extend(repeat(default, leaf.doc_count_all() - len(values)))  # trailing defaults are not written
    return values


def _moment(seconds: int) -> dt.datetime:
    """A recency column value back as a naive UTC datetime."""
    return _EPOCH + dt.timedelta(seconds=seconds)


def _article(stored: dict) -> Article:
    return Article(
        id=stored["id"], title=stored.get("title", ""), body=_stored_text(stored, "body"),
        published=_published(stored), authors=tuple(stored.get("authors") or ()),
        source=stored.get("source", ""), url=stored.get("url", ""), language=stored.get("language", ""),
        categories=tuple(stored.get("categories") or ()), path=stored.get("path", ""),
        warnings=tuple(stored.get("warnings") or ()), group=stored.get("group", ""),
    )


def _decoded_facets(leaf) -> dict[str, list]:
    """A segment's facet column decoded: field -> each document's value (lists as tuples, the day as a date).

    Equal values share one object, so the columns of 100,000 articles take a few MB.
    """
    columns: dict[str, list] = {field: [] for field in FACET_FIELDS}
    column = leaf.column_reader("facets") if leaf.has_column("facets") else ()
    shared: dict = {}
    for data in column:
        values = json.loads(data) if data else {}
        for field in FACET_FIELDS:
            value = values.get(field)
            if isinstance(value, list):
                value = tuple(value)
            elif field == "published" and value:
                value = dt.date.fromisoformat(value)
            columns[field].append(shared.setdefault(value, value))
    for field in FACET_FIELDS:  # documents past the column's end (none written): no values
        columns[field].extend(repeat(None, leaf.doc_count_all() - len(columns[field])))
    return columns


def _published(stored: dict) -> dt.datetime | None:
    value = stored.get("published_text")
    if not value:
        return None
    if not isinstance(value, dt.date):
        value = dt.date.fromisoformat(value) if len(value) == 10 else dt.datetime.fromisoformat(value)
    return aware_moment(value)  # as Article and Hit keep it (a day alone, from an older index: its midnight UTC)


def _page(searcher, tiers: list, request: SearchRequest, condition, words: WordScorer | None,
          recency: np.ndarray | None) -> tuple[list, int]:
    """One page of the tiers' hits (each tier ranked after the one before; newest first with ``recency``)
    and the number of matches."""
    first, stop = (request.page - 1) * request.limit, request.page * request.limit
    hits: list = []  # whoosh's hits, or WordScorer's _ScoredHit
    total = 0
    for tier in tiers:
        check_deadline(words.deadline if words is not None else None)
        if len(hits) == stop - first:
            total += len(_matching(searcher, tier, condition, words))  # the page is full: no ranking
            continue
        wanted = max(stop - total, 1)
        if recency is not None:
            matches, ranked = _newest(searcher, tier, wanted, condition, words, recency)
        else:
            matches, ranked = _ranked(searcher, tier, wanted, condition, words, skip=max(first - total, 0))
        hits.extend(ranked[max(first - total, 0):max(stop - total, 0)])
        total += len(matches)
    return hits, total


class _RecordingTopCollector(collectors.TopCollector):
    """whoosh's TopCollector that also keeps the number of every matching document (``results.docs()``)."""

    deadline: Deadline | None = None
    CHECK_EVERY = 4096  # documents collected between looks at the deadline

    def collect(self, sub_docnum):
        self.docset.add(self.offset + sub_docnum)
        if self.deadline is not None and len(self.docset) % self.CHECK_EVERY == 0:
            self.deadline.check()
        return super().collect(sub_docnum)

    def results(self):
        results = super().results()
        results.docset = self.docset
        return results


def _newest(searcher, tier: query.Query, wanted: int, condition: query.Query | None, words: WordScorer | None,
            recency: np.ndarray) -> tuple[Docs, list]:
    """(the tier's matches; its ``wanted`` newest hits, undated last, equal dates in index order).

    Sorted on the recency column read whole (``_recency``); a segment without dated articles
    has no column (whoosh's sorting collector then failed: 'recency' is not indexed).
    """
    docs = _matching(searcher, tier, condition, words)
    newest = docs[np.lexsort((docs, recency[docs]))[:wanted]]  # docs are sorted: the sort is stable on them
    return docs, [_ScoredHit(searcher, docnum, 0.0) for docnum in newest.tolist()]


def _collect(searcher, tier: query.Query, limit: int, condition: query.Query | None, deadline: Deadline | None = None):
    """The top ``limit`` hits of one query by whoosh's scoring; ``results.docs()`` is every (filtered) match.

    whoosh's default top-N collector prunes sub-queries it judges unable to reach the
    current minimum score, and in whoosh-reloaded 2.7.5 that misjudges sums over title
    and body: top-10 lists missed real hits for 17 of 300 Reuters queries. Pruning is off.
    """
    collector = _RecordingTopCollector(limit, usequality=False, replace=0)
    collector.deadline = deadline
    if condition is not None:
        collector = collectors.FilterCollector(collector, condition)
    searcher.search_with_collector(tier, collector)
    return collector.results()


def _matching(searcher, tier: query.Query, condition: query.Query | None, words: WordScorer | None = None) -> Docs:
    """The numbers of the documents a query matches, filters applied, without scoring them."""
    found = _posting_set(searcher, tier, words)
    if condition is not None:
        found = intersection([found, _posting_set(searcher, condition, words)])
    return found


def _posting_set(searcher, node: query.Query, words: WordScorer | None = None) -> Docs:
    """The documents a query matches: words, their unions, intersections and exclusions are worked out
    from posting arrays (whoosh's matchers step through every document in Python); other parts
    (phrases, ranges, patterns) are asked of whoosh.
    """
    if words is not None:
        check_deadline(words.deadline)
    if words is not None and words.handles(node):
        return words.docs(node)
    if isinstance(node, query.Term):
        if words is not None and type(node) is query.Term and node.fieldname in searcher.schema:
            return words.term_docs(node)
        try:
            return as_docs(searcher.postings(node.fieldname, node.text).all_ids())
        except TermNotFound:
            return as_docs(())
    if isinstance(node, FieldsTerm) or type(node) is query.Or:
        return union([_posting_set(searcher, child, words) for child in node.subqueries], searcher.doc_count_all())
    if type(node) is query.And and node.subqueries:
        return intersection([_posting_set(searcher, child, words) for child in node.subqueries])
    if isinstance(node, query.AndNot):
        return minus(_posting_set(searcher, node.a, words), _posting_set(searcher, node.b, words))
    return as_docs(searcher.docs_for_query(node))


def _terms_in(searcher, tier: query.Query, docnums: list[int], fieldname: str,
              words: WordScorer | None = None) -> dict[int, set[str]]:
    """The query's terms in one field (prefixes and fuzzy words expanded) that each of these documents holds.

    Asked only for the hits shown: recording matched terms while collecting (whoosh's
    TermsCollector) cost a third of the query time, for every match.
    """
    found: dict[int, set[str]] = {docnum: set() for docnum in docnums}
    if not docnums:
        return found
    reader = searcher.reader()
    wanted = sorted(set(docnums))
    for field, term in set(_leaf_terms(tier, reader)):
        if field != fieldname:
            continue
        if words is not None:  # from the postings this search has read already
            for docnum in words.holding(field, term, wanted):
                found[docnum].add(_text(term))
            continue
        try:
            postings = reader.postings(field, term)
        except TermNotFound:
            continue
        for docnum in wanted:
            postings.skip_to(docnum)
            if not postings.is_active():
                break
            if postings.id() == docnum:
                found[docnum].add(_text(term))
    return found


def _leaf_terms(node: query.Query, reader) -> Iterator[tuple[str, bytes]]:
    """The index terms a query's leaves reach (a prefix or fuzzy word: the words it expands to); a word's
    term whether the index holds it or not (asking costs more than its postings, read already).

    Asked leaf by leaf: whoosh's existing_terms on a compound query of ours stops early.
    """
    if type(node) is query.Term:
        yield node.fieldname, reader.schema[node.fieldname].to_bytes(node.text)
        return
    if node.is_leaf():
        yield from node.existing_terms(reader, expand=True)
        return
    for child in node.children():
        yield from _leaf_terms(child, reader)


def _ranked(searcher, tier: query.Query, wanted: int, condition: query.Query | None, words: WordScorer | None,
            skip: int = 0) -> tuple[Docs, list]:
    """(the tier's matches; its best hits by score, equal scores by id).

    Position on disk differs between an updated index and a fresh build, and must not
    decide which of several equal hits make the page: every hit tied with the last
    one wanted is collected before choosing. Word queries are scored term at a time
    (WordScorer); others by whoosh's collector. The order among the first ``skip``
    hits (those before the page) may be left undecided.
    """
    if words is not None and words.handles(tier):
        docs = _matching(searcher, tier, condition, words)
        return docs, _best(searcher, docs, words.scores(tier, docs), wanted, skip)
    limit = wanted * 2
    deadline = words.deadline if words is not None else None
    results = _collect(searcher, tier, limit, condition, deadline)
    while len(results.top_n) == limit and _rounded(results.score(wanted - 1)) == _rounded(results.score(limit - 1)):
        limit = max(limit * 4, len(results) + 1)  # every tied match at once: `[* TO *]` ties them all
        results = _collect(searcher, tier, limit, condition, deadline)
    return as_docs(results.docs()), _by_id(searcher, sorted(results, key=lambda hit: -_rounded(hit.score)),
                                           wanted)


def _by_id(searcher, hits: list, wanted: int) -> list:
    """``hits`` (by score) with equal scores in id order, as far as the first ``wanted`` hits; the ties past
    them in index order.

    Ids are read from the stored fields, except for a run of more than LEXICON_TIES ties
    reaching past the ``wanted``-th hit (``[* TO *]`` ties every match): the id lexicon,
    which is in id order, is walked until enough of them are placed, instead of reading
    every one's stored fields (1.1 s for Reuters' 19,043).
    """
    ordered: list = []
    for _, equal in itertools.groupby(hits, key=lambda hit: _rounded(hit.score)):
        tied = list(equal)
        need = wanted - len(ordered)
        if need <= 0 or len(tied) == 1:
            ordered += tied
        elif len(tied) <= LEXICON_TIES:
            ordered += sorted(tied, key=lambda hit: hit["id"])
        else:
            reader, members, first = searcher.reader(), {hit.docnum: hit for hit in tied}, []
            for term in reader.lexicon("id"):
                first += [members.pop(docnum) for docnum in reader.postings("id", term).all_ids()
                          if docnum in members]
                if len(first) >= need:
                    break
            ordered += first + sorted(members.values(), key=lambda hit: hit.docnum)
    return ordered



class _ScoredHit:
    """A hit scored by WordScorer, read as whoosh's hits are (``docnum``, ``score``, ``fields()``, ``[name]``)."""

    __slots__ = ("_fields", "_searcher", "docnum", "score")

    def __init__(self, searcher, docnum: int, score: float):
        self.docnum, self.score, self._searcher = docnum, score, searcher
        self._fields: dict | None = None

    def fields(self) -> dict:
        if self._fields is None:
            self._fields = self._searcher.stored_fields(self.docnum)
        return self._fields

    def __getitem__(self, name: str):
        return self.fields()[name]


def _best(searcher, docs: Docs, scores: np.ndarray, wanted: int, skip: int = 0) -> list[_ScoredHit]:
    """The ``wanted`` best-scored of ``docs`` and every one tied with the last, by score then id
    (except within runs of equal scores that lie wholly among the first ``skip``)."""
    if not len(scores):
        return []
    cut = len(scores) - min(wanted, len(scores))
    floor = _rounded(float(np.partition(scores, cut)[cut]))
    near = np.flatnonzero(scores > floor - 1e-6)  # a cheap first cut; rounding decides
    hits = sorted((_ScoredHit(searcher, docnum, score) for docnum, score in zip(docs[near].tolist(),
                   scores[near].tolist(), strict=True) if _rounded(score) >= floor),
                  key=lambda hit: -_rounded(hit.score))
    # Ids are read only to order equal scores, and not kept: a document's stored fields (its body too)
    # are the costly part of a deep page, which ranks every hit ahead of it.
    ordered: list[_ScoredHit] = []
    for _, equal in itertools.groupby(hits, key=lambda hit: _rounded(hit.score)):
        tied = list(equal)
        if len(tied) > 1 and len(ordered) + len(tied) > skip:
            tied.sort(key=lambda hit: searcher.stored_fields(hit.docnum)["id"])
        ordered += tied
    return ordered


def _rounded(score: float) -> float:
    """Scores equal but for floating-point noise (summation order differs between segments) compare equal."""
    return round(score, 7)


def _filter(request: SearchRequest, schema: Schema) -> query.Query | None:
    clauses = []
    if request.since or request.until:
        clauses.append(query.DateRange("published", request.since, request.until))
    if request.sources:
        names = schema["source"].analyzer
        terms = [token.text for source in request.sources for token in names(source, mode="query")]
        clauses.append(query.Or([query.Term("source", term) for term in terms]))
    return query.And(clauses) if clauses else None


def _text(term) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term

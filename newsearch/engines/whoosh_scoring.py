"""Word queries matched and scored a word at a time over decoded posting arrays, to the scores whoosh's matchers give.

whoosh scores a document at a time through a tree of matchers: several Python calls per
document and matcher. Here each word's postings are decoded once into arrays (kept across
searches by PostingCache), the documents a query matches are sorted arrays combined with
vectorised set operations (numpy), and a word's BM25F is computed for all the documents
asked at once, with the float64 arithmetic of ``whoosh_ranking._FieldsMatcher`` and whoosh's
sums in the same order, so the scores are whoosh's to the bit. The cost grows with the
postings read, not with Python steps per document. Only trees of words (FieldsTerm) joined
by And, Or and AndNot are scored here; the engine asks whoosh's matchers for anything else.
This reads whoosh-reloaded 2.7.5's W3 posting blocks and length columns (pinned).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

import numpy as np
from whoosh import query
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from ..query.deadline import Deadline, check as check_deadline
from .whoosh_codec import posting_arrays
from .whoosh_ranking import TEXT_FIELDS, FieldsTerm, LiveBM25F, length_bytes

Docs = np.ndarray  # sorted, distinct document numbers of a searcher (int64)
Postings = tuple[np.ndarray, np.ndarray]  # a term's document numbers (sorted) and weights (float64)
EMPTY: Docs = np.zeros(0, dtype=np.int64)
# whoosh's doc_field_length: the length each byte stands for, 1 where the byte is 0
BYTE_LENGTHS = np.array([byte_to_length(value) if value else 1 for value in range(256)], dtype=np.float64)
DENSE_SHARE = 16  # unions of more than 1/16 of the documents are made in a mask over all of them, not by sorting


def as_docs(docnums: Iterable[int]) -> Docs:
    """Document numbers from whoosh (a set, a generator) as Docs."""
    found = np.fromiter(docnums, dtype=np.int64)
    found.sort()
    return found


def union(parts: list[Docs], size: int) -> Docs:
    """The documents in any of ``parts`` (of a searcher of ``size`` documents)."""
    parts = [part for part in parts if len(part)]
    if len(parts) <= 1:
        return parts[0] if parts else EMPTY
    if sum(map(len, parts)) * DENSE_SHARE < size:
        return np.unique(np.concatenate(parts))
    mask = np.zeros(size, dtype=bool)
    for part in parts:
        mask[part] = True
    return np.flatnonzero(mask)


def intersection(parts: list[Docs]) -> Docs:
    """The documents in every one of ``parts``."""
    parts = sorted(parts, key=len)
    found = parts[0]
    for part in parts[1:]:
        found = found[within(part, found)]
    return found


def minus(docs: Docs, excluded: Docs) -> Docs:
    """``docs`` less ``excluded``."""
    if not len(excluded) or not len(docs):
        return docs
    if len(excluded) * 4 < len(docs):  # a few to take out of many: find them, rather than look up every one
        return np.delete(docs, np.searchsorted(docs, excluded[within(docs, excluded)]))
    return docs[~within(excluded, docs)]


def within(sorted_docs: np.ndarray, docnums: np.ndarray) -> np.ndarray:
    """For each of ``docnums``, whether ``sorted_docs`` holds it (a boolean array)."""
    if not len(sorted_docs):
        return np.zeros(len(docnums), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_docs, docnums), len(sorted_docs) - 1)
    return sorted_docs[at] == docnums


class SearcherArrays:
    """What the searches of one searcher share: each text field's lengths (whoosh's byte per document, over
    every segment) and each segment's deleted documents, read once."""

    def __init__(self):
        self._lengths: dict[str, np.ndarray] = {}
        self._deleted: dict[int, np.ndarray] = {}
        self._lock = threading.Lock()

    def lengths(self, leaves: list, fieldname: str) -> np.ndarray:
        """The field's length byte of every document of the searcher whose segments are ``leaves``."""
        with self._lock:
            if fieldname not in self._lengths:
                parts = []
                for leaf, _ in leaves:
                    column = np.frombuffer(length_bytes(leaf, fieldname), dtype=np.uint8)
                    parts += [column, np.zeros(max(leaf.doc_count_all() - len(column), 0), dtype=np.uint8)]
                self._lengths[fieldname] = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint8)
            return self._lengths[fieldname]

    def deleted(self, number: int, leaf) -> np.ndarray:
        """The deleted documents of the searcher's ``number``-th segment (its own numbers), sorted."""
        with self._lock:
            if number not in self._deleted:
                self._deleted[number] = as_docs(leaf.deleted_docs_set) if leaf.has_deletions() else EMPTY
            return self._deleted[number]


class WordScorer:
    """Documents and scores of word queries for one search; each word's postings are read once.

    Document numbers are the searcher's (segment offset added), as whoosh's hits give them.
    """

    def __init__(self, searcher, arrays: SearcherArrays, cache: PostingCache, deadline: Deadline | None = None):
        self.deadline = deadline  # checked before each word's postings in a segment are read
        self._searcher = searcher
        self._cache = cache
        self._reader = searcher.reader()
        self._leaves = list(self._reader.leaf_readers())
        self.size = self._reader.doc_count_all()
        self._weighting = searcher.weighting
        self._arrays = arrays
        self._postings: dict[tuple[str, bytes], Postings] = {}
        self._statistics: dict[int, tuple[dict, float]] = {}

    @classmethod
    def handles(cls, node: query.Query) -> bool:
        """True for a tree this class scores exactly as whoosh would."""
        if isinstance(node, FieldsTerm):
            return all(type(child) is query.Term and child.fieldname in TEXT_FIELDS for child in node.subqueries)
        if type(node) in (query.And, query.Or) and node.boost == 1 and node.subqueries:
            if type(node) is query.Or and node.scale:  # whoosh's coordination bonus (CoordMatcher): not done here
                return False
            return all(cls.handles(child) for child in node.subqueries)
        if isinstance(node, query.AndNot):
            return node.boost == 1 and cls.handles(node.a) and cls.handles(node.b)
        return False

    def usable(self) -> bool:
        """True when the searcher ranks with LiveBM25F (the scores reproduced here)."""
        return isinstance(self._weighting, LiveBM25F)

    def docs(self, node: query.Query) -> Docs:
        """The documents a handled tree matches."""
        if isinstance(node, FieldsTerm):
            return union([self.term_docs(term) for term in node.subqueries], self.size)
        if isinstance(node, query.AndNot):
            return minus(self.docs(node.a), self.docs(node.b))
        parts = [self.docs(child) for child in node.subqueries]
        return intersection(parts) if type(node) is query.And else union(parts, self.size)

    def term_docs(self, term: query.Term) -> Docs:
        """The documents holding one term of any field."""
        return self._term(term)[0]

    def scores(self, node: query.Query, among: Docs) -> np.ndarray:
        """The score of each document of ``among`` (all matched by ``node``), in its order."""
        if isinstance(node, FieldsTerm):
            return self._word_scores(node, among)
        if isinstance(node, query.AndNot):
            return self.scores(node.a, among)
        total = np.zeros(len(among))
        for child in node.subqueries:  # adding 0.0 where a child does not match leaves whoosh's sum as it is
            total += self.scores(child, among)
        return total

    def _word_scores(self, node: FieldsTerm, among: Docs) -> np.ndarray:
        """BM25F of one word over its fields, as _FieldsMatcher.score computes it (0 where it is absent)."""
        fields, weight = self._word_statistics(node)
        K1 = self._weighting.K1
        dense = len(among) * DENSE_SHARE >= self.size  # many documents: add up over all, then pick them
        frequency = np.zeros(self.size if dense else len(among))
        for term in node.subqueries:
            docnums, weights = self._term(term)
            if not len(docnums):
                continue
            boost, B, average = fields[term.fieldname]
            norms = (1 - B) + B * BYTE_LENGTHS / average
            if dense:
                held, rows = docnums, slice(None)
            else:
                at = np.minimum(np.searchsorted(docnums, among), len(docnums) - 1)
                held = docnums[at] == among
                rows = at[held]
            lengths = self._arrays.lengths(self._leaves, term.fieldname)[docnums[rows]]
            frequency[held] += boost * weights[rows] / norms[lengths]
        if dense:
            frequency = frequency[among]
        return weight * frequency * (K1 + 1) / (frequency + K1)

    def _word_statistics(self, node: FieldsTerm) -> tuple[dict, float]:
        key = id(node)
        if key not in self._statistics:
            self._statistics[key] = node.statistics(self._searcher, self._weighting)
        return self._statistics[key]

    def holding(self, fieldname: str, text: bytes, docnums: list[int]) -> set[int]:
        """Which of ``docnums`` hold a term (the index's form of it, as bytes)."""
        wanted = np.array(docnums, dtype=np.int64)
        return set(wanted[within(self._postings_of(fieldname, text)[0], wanted)].tolist())

    def _term(self, term: query.Term) -> Postings:
        return self._postings_of(term.fieldname, self._searcher.schema[term.fieldname].to_bytes(term.text))

    def _postings_of(self, fieldname: str, text: bytes) -> Postings:
        """A term's live postings over every segment, document numbers the searcher's."""
        key = (fieldname, text)
        if key not in self._postings:
            docs, weights = [], []
            for number, (leaf, offset) in enumerate(self._leaves):
                check_deadline(self.deadline)
                local, local_weights = self._cache.postings(leaf, fieldname, text)
                deleted = self._arrays.deleted(number, leaf)
                if len(deleted) and len(local):
                    live = ~within(deleted, local)
                    local, local_weights = local[live], local_weights[live]
                docs.append(local + offset if offset else local)
                weights.append(local_weights)
            self._postings[key] = (np.concatenate(docs), np.concatenate(weights)) if len(docs) > 1 else \
                (docs[0], weights[0]) if docs else (EMPTY, np.zeros(0))
        return self._postings[key]


class PostingCache:
    """Posting lists once decoded, kept for later searches (least recently used go first).

    Reading a list (``whoosh_codec.posting_arrays``: array blocks whole, W3 blocks unpickled with their
    positions) is much of a word query's time, and words recur across queries. Segments never change
    once written, so lists are kept by segment and read again only when evicted; deleted documents are
    left out after the cache. Thread-safe; 16 bytes a posting (as searches use them: no conversion per
    search), and ``OVERHEAD`` postings' worth a list. The arrays are shared: never changed in place.
    """

    OVERHEAD = 64  # what a kept list costs besides its postings (its arrays and key), in postings

    # At 990,000 articles a common word's list is up to 8 MB a segment; 200 queries of title words asked
    # about 400 MB of lists, and with 128 MB kept, asking them again still decoded most of them (p95 385 ms).
    def __init__(self, capacity: int = 32_000_000):
        self.capacity = capacity  # postings kept at most (512 MB)
        self._entries: OrderedDict[tuple[str, str, bytes], Postings] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def postings(self, leaf, fieldname: str, text: bytes) -> Postings:
        """A term's postings in one segment reader, deleted documents included: (docnums int64, weights float64)."""
        key = (leaf.segment().segment_id(), fieldname, text)
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None:
                self._entries.move_to_end(key)
                return cached
        entry = _decoded(leaf, fieldname, text)
        self._keep(key, entry)
        return entry

    def _keep(self, key, entry: Postings) -> None:
        cost = len(entry[0]) + self.OVERHEAD
        with self._lock:
            if key in self._entries or cost > self.capacity:
                return
            self._entries[key] = entry
            self._size += cost
            while self._size > self.capacity:
                _, (docnums, _) = self._entries.popitem(last=False)
                self._size -= len(docnums) + self.OVERHEAD


def _decoded(leaf, fieldname: str, text: bytes) -> Postings:
    """A term's postings in one segment, deleted documents included."""
    try:
        matcher = leaf.postings(fieldname, text)
    except TermNotFound:
        return EMPTY, np.zeros(0)
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    return posting_arrays(matcher)

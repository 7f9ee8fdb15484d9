"""Word queries scored a word at a time from whoosh's posting blocks, to the scores whoosh's matchers give.

whoosh scores a document at a time through a tree of matchers: several Python calls per
document and matcher, which on 100,000 articles made a three-word query take half a second.
Here each word's postings are read a block at a time and scores are added up in dicts, with
the same arithmetic as ``whoosh_ranking._FieldsMatcher`` and whoosh's sums, segment by
segment as whoosh does. Only trees of words (FieldsTerm) joined by And, Or and AndNot
are scored here; the engine asks whoosh's matchers for anything else.
This reads whoosh-reloaded 2.7.5's W3 posting blocks and length columns (pinned).
"""

from __future__ import annotations

import heapq
import threading
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Sequence
from itertools import accumulate, repeat

from whoosh import query
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from ..query.deadline import Deadline, check as check_deadline
from .whoosh_ranking import TEXT_FIELDS, FieldsTerm, LiveBM25F, length_bytes

# Scores closer than this are treated as possibly equal (hits are ranked by scores rounded to 7 decimals).
PRUNING_MARGIN = 1e-6
# The postings of a word in one segment: (document numbers, weights), deleted documents left out.
Postings = tuple[Sequence[int], Sequence[float]]  # lists, or arrays from the cache


class SegmentLengths:
    """Each segment's field lengths as whoosh keeps them (a byte per document), read once per searcher."""

    def __init__(self):
        self._bytes: dict[tuple[int, str], bytes] = {}

    def of(self, number: int, leaf, fieldname: str) -> bytes:
        key = (number, fieldname)
        if key not in self._bytes:
            self._bytes[key] = length_bytes(leaf, fieldname)
        return self._bytes[key]


class WordScorer:
    """Documents and scores of word queries for one search; each word's postings are read once.

    Document numbers are the searcher's (segment offset added), as whoosh's hits give them.
    """

    def __init__(self, searcher, lengths: SegmentLengths, cache: PostingCache, deadline: Deadline | None = None):
        self.deadline = deadline  # checked before each word's postings in a segment are read or scored
        self._searcher = searcher
        self._cache = cache
        self._reader = searcher.reader()
        self._leaves = list(self._reader.leaf_readers())
        self._weighting = searcher.weighting
        self._lengths = lengths
        self._postings: dict[tuple[int, str, bytes], Postings] = {}
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

    def docs(self, node: query.Query) -> set[int]:
        """The documents a handled tree matches."""
        found: set[int] = set()
        for number, (leaf, offset) in enumerate(self._leaves):
            local = self._docs(node, number, leaf)
            found.update(local if not offset else (docnum + offset for docnum in local))
        return found

    def term_docs(self, term: query.Term) -> set[int]:
        """The documents holding one term of any field."""
        found: set[int] = set()
        for number, (leaf, offset) in enumerate(self._leaves):
            docnums = self._live(number, leaf, term)[0]
            found.update(docnums if not offset else (docnum + offset for docnum in docnums))
        return found

    def scores(self, node: query.Query, among: set[int], best: int | None = None) -> dict[int, float]:
        """docnum -> score for the documents of ``among`` (all matched by ``node``).

        With ``best``, only documents that may be among the ``best`` top-scored (or tie
        with the last of them) need be given: see ``_pruned``.
        """
        scored: dict[int, float] = {}
        for number, (leaf, offset) in enumerate(self._leaves):
            end = offset + leaf.doc_count_all()
            local = {docnum - offset for docnum in among if offset <= docnum < end} if offset or \
                len(self._leaves) > 1 else among
            if not local:
                continue
            part = self._pruned(node, number, leaf, local, best) if best else None
            if part is None:
                part = self._scores(node, number, leaf, local)
            scored.update(part if not offset else {docnum + offset: score for docnum, score in part.items()})
        return scored

    # -- one segment

    def _docs(self, node: query.Query, number: int, leaf) -> set[int]:
        if isinstance(node, FieldsTerm):
            found: set[int] = set()
            for term in node.subqueries:
                found.update(self._live(number, leaf, term)[0])
            return found
        if isinstance(node, query.AndNot):
            return self._docs(node.a, number, leaf) - self._docs(node.b, number, leaf)
        parts = [self._docs(child, number, leaf) for child in node.subqueries]
        if type(node) is query.And:
            parts.sort(key=len)
            return parts[0].intersection(*parts[1:])
        return set().union(*parts)

    def _scores(self, node: query.Query, number: int, leaf, among: set[int]) -> dict[int, float]:
        if isinstance(node, FieldsTerm):
            return self._word_scores(node, number, leaf, among)
        if isinstance(node, query.AndNot):
            return self._scores(node.a, number, leaf, among)
        total: dict[int, float] = {}
        for child in node.subqueries:
            for docnum, score in self._scores(child, number, leaf, among).items():
                total[docnum] = total[docnum] + score if docnum in total else score
        return total

    def _pruned(self, node: query.Query, number: int, leaf, among: set[int], best: int) -> dict[int, float] | None:
        """Scores of only the documents holding a rarer word, when those already outscore the rest.

        In "some of the words" of ``calprop corp says``, nearly every article has "says";
        but an article with only "says" (and any other common words) scores at most what
        those words can give, and when ``best`` articles holding a rarer word score more
        than that, the rest need no scores. None when this cannot be shown (score them all).
        """
        words = node.a if isinstance(node, query.AndNot) else node
        if type(words) is not query.Or or not all(isinstance(child, FieldsTerm) for child in words.subqueries):
            return None
        ceilings = {id(child): self._word_statistics(child)[1] * (self._weighting.K1 + 1)  # BM25's saturation
                    for child in words.subqueries}
        by_ceiling = sorted(words.subqueries, key=lambda child: ceilings[id(child)])
        common: list[FieldsTerm] = []
        rare_docs = among
        for child in by_ceiling[:-1]:  # the most common words go first, while enough documents remain
            remaining = [other for other in by_ceiling if other is not child and other not in common]
            docs = among & set().union(*(self._docs(other, number, leaf) for other in remaining))
            if len(docs) < best:
                break
            common.append(child)
            rare_docs = docs
        if not common:
            return None
        scored = self._scores(node, number, leaf, rare_docs)
        if len(scored) < best:
            return None
        threshold = heapq.nlargest(best, scored.values())[-1]
        ceiling = sum(ceilings[id(child)] for child in common)
        return scored if ceiling < threshold - PRUNING_MARGIN else None

    def _word_scores(self, node: FieldsTerm, number: int, leaf, among: set[int]) -> dict[int, float]:
        """BM25F of one word over its fields, as _FieldsMatcher.score computes it."""
        fields, weight = self._word_statistics(node)
        K1 = self._weighting.K1
        frequency: dict[int, float] = {}
        for term in node.subqueries:
            docnums, weights = self._live(number, leaf, term)
            if not docnums:
                continue
            boost, B, average = fields[term.fieldname]
            lengths = self._lengths.of(number, leaf, term.fieldname) or bytes(leaf.doc_count_all())
            # whoosh's doc_field_length: the length a byte stands for, 1 where the byte is 0
            norms = [(1 - B) + B * (byte_to_length(value) if value else 1) / average for value in range(256)]
            if len(among) * 4 < len(docnums):
                by_doc = dict(zip(docnums, weights, strict=True))
                pairs = ((docnum, by_doc[docnum]) for docnum in among if docnum in by_doc)
            else:
                pairs = ((docnum, w) for docnum, w in zip(docnums, weights, strict=True) if docnum in among)
            for docnum, w in pairs:
                part = boost * w / norms[lengths[docnum]]
                frequency[docnum] = frequency[docnum] + part if docnum in frequency else 0.0 + part
        plus = K1 + 1
        return {docnum: weight * f * plus / (f + K1) for docnum, f in frequency.items()}

    def _word_statistics(self, node: FieldsTerm) -> tuple[dict, float]:
        key = id(node)
        if key not in self._statistics:
            self._statistics[key] = node.statistics(self._searcher, self._weighting)
        return self._statistics[key]

    def holding(self, fieldname: str, text: bytes, docnums: list[int]) -> set[int]:
        """Which of ``docnums`` hold a term (the index's form of it, as bytes)."""
        found: set[int] = set()
        for number, (leaf, offset) in enumerate(self._leaves):
            end = offset + leaf.doc_count_all()
            postings = None
            for docnum in docnums:
                if offset <= docnum < end:
                    if postings is None:
                        postings = self._postings_of(number, leaf, fieldname, text)[0]
                    at = bisect_left(postings, docnum - offset)
                    if at < len(postings) and postings[at] == docnum - offset:
                        found.add(docnum)
        return found

    def _live(self, number: int, leaf, term: query.Term) -> Postings:
        """A term's postings in one segment."""
        text = self._searcher.schema[term.fieldname].to_bytes(term.text)
        return self._postings_of(number, leaf, term.fieldname, text)

    def _postings_of(self, number: int, leaf, fieldname: str, text: bytes) -> Postings:
        check_deadline(self.deadline)
        key = (number, fieldname, text)
        if key not in self._postings:
            self._postings[key] = self._cache.postings(leaf, fieldname, text)
        return self._postings[key]


class PostingCache:
    """Long posting lists once decoded, kept for later searches (least recently used go first).

    Decoding whoosh's blocks is most of a word query's time, and the longest lists
    belong to common words that recur across queries. Segments never change once
    written, so lists are kept by segment and read again only when evicted; deleted
    documents are left out after the cache. Thread-safe; compact (arrays, 8 bytes a posting).
    """

    def __init__(self, capacity: int = 4_000_000, min_postings: int = 1024):
        self.capacity = capacity  # postings kept at most
        self.min_postings = min_postings  # shorter lists decode quickly enough
        self._entries: OrderedDict[tuple[str, str, bytes], tuple[array, array]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def postings(self, leaf, fieldname: str, text: bytes) -> Postings:
        """A term's live postings in one segment reader: (docnums, weights)."""
        key = (leaf.segment().segment_id(), fieldname, text)
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None:
                self._entries.move_to_end(key)
        if cached is None:
            docnums, weights = _decoded(leaf, fieldname, text)
            if len(docnums) >= self.min_postings:
                self._keep(key, (array("i", docnums), array("f", weights)))
        else:
            docnums, weights = cached
        deleted = leaf.deleted_docs_set
        if deleted:
            kept = [(docnum, w) for docnum, w in zip(docnums, weights, strict=True) if docnum not in deleted]
            return [docnum for docnum, _ in kept], [w for _, w in kept]
        return docnums, weights

    def _keep(self, key, entry: tuple[array, array]) -> None:
        with self._lock:
            if key in self._entries or len(entry[0]) > self.capacity:
                return
            self._entries[key] = entry
            self._size += len(entry[0])
            while self._size > self.capacity:
                _, (docnums, _) = self._entries.popitem(last=False)
                self._size -= len(docnums)


def _decoded(leaf, fieldname: str, text: bytes) -> Postings:
    """A term's postings in one segment, deleted documents included, read block by block."""
    try:
        matcher = leaf.postings(fieldname, text)
    except TermNotFound:
        return [], []
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    docnums: list[int] = []
    weights: list[float] = []
    if isinstance(matcher, W3LeafMatcher) and not matcher._byteids:
        while matcher.is_active():
            matcher._read_data()
            deltas, block_weights = matcher._data[0], matcher._data[1]
            docnums.extend(accumulate(deltas))  # whoosh's delta_decode, in C
            if block_weights is None or isinstance(block_weights, float):  # all 1.0, or all one value
                weights.extend(repeat(block_weights or 1.0, len(deltas)))
            else:
                weights.extend(block_weights)
            matcher._next_block()
    else:  # a rare word's few postings, kept inline in the term index
        while matcher.is_active():
            docnums.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
    return docnums, weights

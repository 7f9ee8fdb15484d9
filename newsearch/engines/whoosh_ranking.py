"""Ranking for the Whoosh engine: BM25F over title and body with statistics of live documents only."""

from __future__ import annotations

import math
from collections import Counter

from whoosh import matching, query, scoring
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.query.compound import CompoundQuery
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

# Chosen on CISI and Cranfield with benchmarks/relevance.py (see the README's "Relevance").
BM25_B = 0.75
BM25_K1 = 1.2
TITLE_WEIGHT = 2.0
TEXT_FIELDS = ("title", "body")


class LiveBM25F(scoring.BM25F):
    """BM25F computed over live documents only, so an updated index ranks as a fresh build of it would.

    whoosh counts deleted documents in the document count, document frequencies and
    field lengths until their segment is merged away; here they count for nothing, and
    the average length comes from the per-document lengths of live documents, so scores
    match a fresh build's to the bit. One instance serves one searcher.
    Terms in one field (author, source, ...) score as whoosh's per-field BM25 with these
    statistics; words searched in title and body together score as one BM25F term (FieldsTerm).
    """

    def __init__(self):
        super().__init__(B=BM25_B, K1=BM25_K1)
        self._statistics: dict = {}

    def scorer(self, searcher, fieldname, text, qf=1):
        if not searcher.schema[fieldname].scorable:
            return super().scorer(searcher, fieldname, text, qf)
        reader = searcher.get_parent().reader()
        idf = idf_of(self.documents(reader), self.frequency(reader, fieldname, text))
        return _FixedStatisticsScorer(searcher, fieldname, text, self.B, self.K1, qf, idf,
                                      self.average_length(reader, fieldname))

    def documents(self, reader) -> int:
        """Live documents in the index."""
        return max(reader.doc_count(), 1)

    def frequency(self, reader, fieldname: str, text: bytes) -> int:
        """Live documents holding a term (whoosh's own count includes deleted ones until a merge)."""
        key = ("df", fieldname, text)
        if key not in self._statistics:
            if not reader.has_deletions():
                self._statistics[key] = reader.doc_frequency(fieldname, text)
            else:
                try:
                    self._statistics[key] = sum(1 for _ in reader.postings(fieldname, text).all_ids())
                except TermNotFound:
                    self._statistics[key] = 0
        return self._statistics[key]

    def average_length(self, reader, fieldname: str) -> float:
        """The mean length of a field over live documents, from the lengths whoosh keeps per document.

        whoosh keeps each document's length rounded to a byte, and the exact total only
        per segment, deleted documents included. Summing the rounded lengths of live
        documents gives a fresh build and an updated index the same average, to the bit.
        """
        key = ("length", fieldname)
        if key not in self._statistics:
            total = 0
            for leaf, _ in reader.leaf_readers():
                total += _rounded_length_sum(leaf, fieldname)
                total -= sum(leaf.doc_field_length(docnum, fieldname) for docnum in leaf.deleted_docs_set)
            self._statistics[key] = total / self.documents(reader) or 1.0
        return self._statistics[key]


def _rounded_length_sum(leaf, fieldname: str) -> int:
    """The sum of a segment's per-document field lengths as whoosh stores them (one byte each).

    Reads the lengths column in one piece: a lookup per document costs seconds on a
    million documents. This uses whoosh-reloaded 2.7.5's W3 codec internals (pinned).
    """
    return sum(count * byte_to_length(value) for value, count in Counter(length_bytes(leaf, fieldname)).items()
               if value)


def length_bytes(leaf, fieldname: str) -> bytes:
    """A segment's per-document lengths of a field, a byte each (b"" when the field has none)."""
    column = leaf._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return b""
    return column._dbfile.get(column._basepos, column._count)


class _FixedStatisticsScorer(scoring.BM25FScorer):
    """whoosh's BM25F scorer with the collection statistics given rather than read from the searcher."""

    def __init__(self, searcher, fieldname, text, B, K1, qf, idf, average_length):
        self.idf, self.avgfl, self.B, self.K1, self.qf = idf, average_length, B, K1, qf
        self.setup(searcher, fieldname, text)


def idf_of(documents: int, frequency: int) -> float:
    """Robertson–Spärck Jones idf as Lucene smooths it: near 0 for words in most documents, never negative."""
    return math.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))


class FieldsTerm(CompoundQuery):
    """One word searched in several text fields and scored as a single BM25F term.

    A word's occurrences in each field are length-normalised, weighted (title above
    body) and added before BM25's saturation, so a word in the title and the body is
    not counted as two independent matches. Its children are plain Terms, so
    highlighting and term listing work as for any whoosh query.
    """

    JOINT = " | "

    def __init__(self, subqueries, boost=1.0):
        super().__init__(subqueries, boost=boost)

    def normalize(self):
        return self

    def matcher(self, searcher, context=None):
        parts = [term.matcher(searcher, searcher.boolean_context()) for term in self.subqueries]
        parts = [part for part in parts if part.is_active()]
        if not parts:
            return matching.NullMatcher()
        union = parts[0]
        for part in parts[1:]:
            union = matching.UnionMatcher(union, part)
        weighting = context.weighting if context is not None else None
        if not isinstance(weighting, LiveBM25F):
            return union
        fields, weight = self.statistics(searcher, weighting)
        return _FieldsMatcher(union, searcher.reader(), fields, weight, weighting.K1)

    def statistics(self, searcher, weighting: LiveBM25F) -> tuple[dict, float]:
        """({field: (boost, B, average length)}, idf times boost): what scoring this word needs."""
        reader = searcher.get_parent().reader()
        fields = {}
        frequency = 0
        for term in self.subqueries:
            btext = searcher.schema[term.fieldname].to_bytes(term.text)
            frequency = max(frequency, weighting.frequency(reader, term.fieldname, btext))
            fields[term.fieldname] = (term.boost, weighting.B, weighting.average_length(reader, term.fieldname))
        return fields, idf_of(weighting.documents(reader), frequency) * self.boost

    def __hash__(self):
        return hash(("FieldsTerm", tuple(self.subqueries), self.boost))


class _FieldsMatcher(matching.WrappingMatcher):
    """Scores the union of one word's per-field postings with BM25F."""

    def __init__(self, child, reader, fields: dict, weight: float, K1: float):
        super().__init__(child)
        self._reader, self._fields, self._weight, self._K1 = reader, fields, weight, K1

    def _replacement(self, newchild):
        return self.__class__(newchild, self._reader, self._fields, self._weight, self._K1)

    def copy(self):
        return self._replacement(self.child.copy())

    def supports_block_quality(self):
        return False

    def score(self):
        docnum = self.child.id()
        frequency = 0.0
        for part in self.child.term_matchers():
            if not part.is_active() or part.id() != docnum:
                continue
            fieldname = part.term()[0]
            boost, B, average = self._fields[fieldname]
            length = self._reader.doc_field_length(docnum, fieldname, 1)
            frequency += boost * part.weight() / ((1 - B) + B * length / average)
        return self._weight * frequency * (self._K1 + 1) / (frequency + self._K1)


def combine_fields(node: query.Query) -> query.Query:
    """The parsed query with each word searched in title and body turned into one BM25F term.

    A word repeated in the query counts once, with its weight multiplied by its count
    (long questions repeat their key words; weighting them helped most on CISI).
    """
    if isinstance(node, query.Or) and len(node.subqueries) > 1 and all(
            isinstance(child, query.Term) and child.fieldname in TEXT_FIELDS for child in node.subqueries):
        texts = {child.text for child in node.subqueries}
        fields = [child.fieldname for child in node.subqueries]
        if len(texts) == 1 and len(set(fields)) == len(fields):
            return FieldsTerm(list(node.subqueries), boost=node.boost)
    node = node.apply(combine_fields)
    if isinstance(node, (query.And, query.Or)):
        merged: dict = {}
        for child in node.subqueries:
            key = tuple(child.subqueries) if isinstance(child, FieldsTerm) else id(child)
            if key in merged:
                merged[key] = FieldsTerm(list(child.subqueries), boost=merged[key].boost + child.boost)
            else:
                merged[key] = child
        node.subqueries = list(merged.values())
    return node

"""The query tree translated into whoosh queries: each word analysed as the index holds it, searched in its fields."""

from __future__ import annotations

from collections.abc import Iterator

from whoosh import classify, matching, query

from .. import query as tree
from ..errors import QuerySyntaxError
from ..query import MAX_EXPANSIONS
from ..query.deadline import Deadline, check as check_deadline
from ..query.spelling import edit_distance
from ..query.tree import translated_parts
from ..schema import EXACT_FIELDS, NAME_FIELDS, TEXT_FIELDS, WEIGHTS
from .whoosh_analysis import STEMS
from .whoosh_ranking import FieldsTerm


class Translator:
    """Turns query trees into whoosh queries for one reader, analysing words with ``schema`` (the index's
    schema with query analyzers for every language it holds)."""

    def __init__(self, schema, reader, expansions: dict | None = None, deadline: Deadline | None = None):
        self.deadline = deadline  # checked before each part of the tree (a fuzzy word's expansion is costly)
        self.schema = schema
        self.reader = reader
        self.expansions = {} if expansions is None else expansions  # (stem, distance) -> words, for this reader

    def translate(self, node: tree.Node) -> query.Query:
        """The whoosh query of a tree; QuerySyntaxError when a prefix or fuzzy word stands for too many words."""
        translated = self._node(node)
        if translated is None:
            return query.NullQuery
        _check_expansions(translated, self.reader)
        return translated

    def _node(self, node: tree.Node) -> query.Query | None:
        check_deadline(self.deadline)
        if isinstance(node, tree.Every):
            return query.Every()
        if isinstance(node, tree.Nothing):
            return None
        if isinstance(node, tree.Not):
            excluded = self._node(node.child)
            return query.Every() if excluded is None else AndNot(query.Every(), excluded)
        if isinstance(node, tree.And):
            return self._all_of(node)
        if isinstance(node, tree.Or):
            parts = [part for part in map(self._node, node.children) if part is not None]
            if len(parts) <= 1:
                return parts[0] if parts else None
            return query.Or(_merged(parts))  # the second tier ranks by BM25F alone, as the first
        if isinstance(node, tree.DateRange):
            return query.DateRange("published", node.start, node.end)
        return self._leaf(node)

    def _all_of(self, node: tree.And) -> query.Query | None:
        parts = translated_parts(node, self._node, query.Every)
        if parts is None:
            return None
        included, excluded = parts
        positive = included[0] if len(included) == 1 else query.And(_merged(included))
        if not excluded:
            return positive
        return AndNot(positive, excluded[0] if len(excluded) == 1 else query.Or(excluded))

    def _leaf(self, leaf) -> query.Query | None:
        field = leaf.field
        if field is None or field in TEXT_FIELDS:
            fields = TEXT_FIELDS if field is None else (field,)
            return self._text(leaf, fields)
        if field in NAME_FIELDS:
            value = " ".join(self._folded(leaf.text, field)) if isinstance(leaf, tree.Phrase) else \
                "".join(self._folded(leaf.text, field)[:1])
        elif field in EXACT_FIELDS:
            value = leaf.text
        else:
            raise QuerySyntaxError(f"the field {field}: cannot be searched this way")
        if not value:
            return None
        if isinstance(leaf, tree.Prefix):
            return query.Prefix(field, value)
        if isinstance(leaf, tree.Fuzzy):
            return query.FuzzyTerm(field, value, maxdist=leaf.distance, prefixlength=1)
        return query.Term(field, value)

    def _near(self, stem: str, distance: int) -> list[str]:
        """The body's words within ``distance`` edits of ``stem`` that share its first letter (itself included).

        Read from the words starting with that letter and compared here: whoosh's own automaton took 12 s
        for a word two edits away on Reuters. QuerySyntaxError when they are more than a query may search.
        """
        key = (stem, distance)
        if key not in self.expansions:
            near = [term for term in (word.decode("utf-8") for word in self.reader.expand_prefix("body", stem[:1]))
                    if abs(len(term) - len(stem)) <= distance and edit_distance(term, stem) <= distance]
            if len(near) > MAX_EXPANSIONS:
                raise QuerySyntaxError(f"'{stem}~{distance}' matches more than {MAX_EXPANSIONS} words in the index; "
                                       "give more letters")
            self.expansions[key] = near
        return self.expansions[key]

    def _folded(self, text: str, field: str) -> list[str]:
        """The words of ``text`` folded as ``field`` indexes them, not stemmed."""
        analyzer = self.schema[field].analyzer
        return [token.text for token in analyzer(text, mode="query", removestops=False, no_morph=True)]

    def _text(self, leaf, fields: tuple[str, ...]) -> query.Query | None:
        """A word, phrase or pattern in text fields: per field, weighted, each word one BM25F term."""
        if isinstance(leaf, tree.Prefix):
            prefix = "".join(self._folded(leaf.text, "body")[:1])
            return _any([_StemmedPrefix(field, prefix, boost=WEIGHTS[field]) for field in fields]) if prefix else None
        analysed = [token.text for token in self.schema["body"].analyzer(leaf.text, mode="query")]
        if not analysed:
            return None
        if isinstance(leaf, tree.Fuzzy):
            near = dict.fromkeys(term for stem in analysed[0].split(STEMS) for term in self._near(stem, leaf.distance))
            return _any([_word(term, fields) for term in near])
        if len(analysed) == 1:
            return _any([_word(stem, fields) for stem in dict.fromkeys(analysed[0].split(STEMS))])
        slop = leaf.slop if isinstance(leaf, tree.Phrase) else 1
        count = max(len(word.split(STEMS)) for word in analysed)
        variants = dict.fromkeys(tuple(word.split(STEMS)[n] if STEMS in word else word for word in analysed)
                                 for n in range(count))  # one phrase per language the index holds
        return _any([query.Phrase(field, list(words), slop=slop, boost=WEIGHTS[field])
                     for words in variants for field in fields])


def _word(stem: str, fields: tuple[str, ...]) -> query.Query:
    """One indexed word: in one field a Term, in several one BM25F term over them."""
    terms = [query.Term(field, stem, boost=WEIGHTS[field]) for field in fields]
    return terms[0] if len(terms) == 1 else FieldsTerm(terms)


def _any(parts: list[query.Query]) -> query.Query | None:
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else query.Or(parts)


def _merged(parts: list[query.Query]) -> list[query.Query]:
    """Parts with a word typed several times kept once, weighing as many times (long questions repeat
    their key words; weighting them helped most on CISI)."""
    merged: dict = {}
    for part in parts:
        key = tuple(part.subqueries) if isinstance(part, FieldsTerm) else id(part)
        if key in merged:
            merged[key] = FieldsTerm(list(part.subqueries), boost=merged[key].boost + part.boost)
        else:
            merged[key] = part
    return list(merged.values())


def similar_query(searcher, text: str, terms: int) -> query.Query:
    """The ``terms`` words of ``text`` most telling against the whole index (Bo1), each weighted by how telling.

    Each is one BM25F word over title and body, as a typed word is.
    """
    expander = classify.Expander(searcher.reader(), "body")
    expander.add((word.decode("utf-8"), weight) for word, _, weight, _ in searcher.schema["body"].index(text))
    key_terms = expander.expanded_terms(terms, normalize=True)
    words = [FieldsTerm([query.Term("title", word, boost=WEIGHTS["title"]), query.Term("body", word)], boost=weight)
             for word, weight in key_terms]
    return query.Or(words) if words else query.NullQuery


class AndNot(query.AndNot):
    """whoosh's AndNot, but correct when the excluded part's first document comes before the included part's.

    whoosh-reloaded 2.7.5's AndNotMatcher only checks its first document against the
    excluded part when both happen to start on the same document, so ``trams -kyiv``
    could return the first tram article even when it mentions Kyiv.
    """

    def matcher(self, searcher, context=None):
        return _AndNotMatcher(self.a.matcher(searcher, context), self.b.matcher(searcher, searcher.boolean_context()))


class _AndNotMatcher(matching.AndNotMatcher):
    def _find_first(self):
        if self.a.is_active() and self.b.is_active() and self.b.id() < self.a.id():
            self.b.skip_to(self.a.id())
        super()._find_first()


class _StemmedPrefix(query.Prefix):
    """A prefix in a stemmed field: words starting with it, and the stems of such words.

    Stemming cuts endings, so "evacuate" is indexed as ``evacu``, shorter than the
    prefix ``evacuat``; stems that are the prefix less at most its last three letters
    count as matches too.
    """

    def _btexts(self, ixreader):
        yield from ixreader.expand_prefix(self.fieldname, self.text)
        for length in range(max(3, len(self.text) - 3), len(self.text)):
            stem = self.text[:length]
            if (self.fieldname, stem) in ixreader:
                yield stem.encode("utf-8")


def _check_expansions(node: query.Query, reader) -> None:
    """QuerySyntaxError when a prefix or fuzzy word stands for more index words than a query may search."""
    for pattern in _patterns(node):
        for count, _ in enumerate(pattern._btexts(reader), 1):
            if count > MAX_EXPANSIONS:
                shown = f"{pattern.text}*" if isinstance(pattern, query.Prefix) else f"{pattern.text}~"
                raise QuerySyntaxError(f"'{shown}' matches more than {MAX_EXPANSIONS} words in the index; "
                                       "give more letters")


def _patterns(node: query.Query) -> Iterator[query.Query]:
    if isinstance(node, (query.Prefix, query.Wildcard, query.FuzzyTerm)):
        yield node
    for child in node.children():
        yield from _patterns(child)



"""Query text to whoosh queries: the parser's plugins, folding of prefix and fuzzy words, expansion limits."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

from whoosh import classify, matching, qparser, query
from whoosh.util.times import TimeError, long_to_datetime

from ..errors import QuerySyntaxError
from ..query import MAX_EXPANSIONS
from .whoosh_analysis import STEMS
from .whoosh_ranking import TEXT_FIELDS, TITLE_WEIGHT, FieldsTerm, combine_fields

FIELD_ALIASES = {"authors": ["author"], "categories": ["category"]}
COORDINATION = 0.9
_OPEN_RANGE = re.compile(r"(\[)\*\s+(?=TO\b)|(\bTO)\s+\*(?=\s*[\]}])")  # [* TO x] and [x TO *]: whoosh writes [TO x]


class _PrefixOnlyWildcards(qparser.WildcardPlugin):
    """Only a final ``*`` is a wildcard: a question mark in a typed question is punctuation, not a pattern."""

    qmarks = ""
    expr = r"(?P<text>[*])"


_MINUS = re.compile(r"(?<![^\s(])-")
_ONLY_EXCLUSIONS = re.compile(r'\s*(?:-(?:"[^"]*"|[^\s"]+)\s*)+')


def parse(text: str, schema, reader) -> tuple[query.Query, query.Query]:
    """The query with every plain term required, and with plain terms optional (coordinated)."""
    parsed = []
    for loose in (False, True):
        tree = split_stems(folded(read(text, schema, loose=loose), schema))
        _check_expansions(tree, reader)
        parsed.append(combine_fields(tree).normalize())
    return excluding(parsed[0]), excluding(loosened(parsed[1]))


def read(text: str, schema, *, loose: bool) -> query.Query:
    """The parser's tree of ``text``: plain words all required, or (``loose``) optional and coordinated.

    Words are analysed by ``schema``'s fields; QuerySyntaxError for what the parser cannot read.
    The query language is whoosh's parser with our plugins, for every engine: others translate this tree.
    """
    if _ONLY_EXCLUSIONS.fullmatch(text):
        text = _MINUS.sub("NOT ", text)  # '-war' alone means what 'NOT war' means: everything else
    group = qparser.OrGroup.factory(COORDINATION) if loose else qparser.AndGroup
    parser = qparser.MultifieldParser(["title", "body"], schema, group=group,
                                      fieldboosts={"title": TITLE_WEIGHT, "body": 1.0})
    parser.remove_plugin_class(qparser.WildcardPlugin)
    parser.add_plugin(_PrefixOnlyWildcards())
    # +word and -word only at the start of a word: kyiv-cafe and 2022-03 stay whole
    parser.add_plugin(qparser.PlusMinusPlugin(plusexpr=r"(?<![^\s(])\+", minusexpr=r"(?<![^\s(])-"))
    parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
    parser.add_plugin(qparser.GtLtPlugin())
    parser.add_plugin(qparser.FuzzyTermPlugin())
    try:
        tree = parser.parse(_OPEN_RANGE.sub(lambda m: m.group(1) or m.group(2), text), normalize=False)
    except TimeError as error:
        raise QuerySyntaxError(f"cannot read a date in the query {text!r}: {error}") from None
    except Exception as error:  # whoosh's date parsing raises bare Exception for values it cannot read
        raise QuerySyntaxError(f"cannot understand the query {text!r}: {error}") from None
    problem = next(_errors(tree), None)
    if problem:
        raise QuerySyntaxError(f"cannot understand the query {text!r}: {problem}")
    return tree


@dataclass(frozen=True)
class Marks:
    """What a snippet marks for a query: its phrases, and the words searched only inside phrases."""

    phrases: tuple[tuple[tuple[str, ...], int], ...]
    phrase_only: frozenset[str]

    @classmethod
    def of(cls, node: query.Query, fieldname: str) -> Marks:
        """The phrases (indexed words, slop) and phrase-only words of ``node`` in one field; exclusions ignored."""
        phrases, words = [], set()

        def walk(child: query.Query) -> None:
            if isinstance(child, query.Not):
                return
            if isinstance(child, query.AndNot):
                walk(child.a)
            elif isinstance(child, query.Phrase):
                if child.fieldname == fieldname:
                    phrases.append((tuple(child.words), child.slop))
            elif isinstance(child, query.Term):
                if child.fieldname == fieldname:
                    words.add(child.text)
            else:
                for grandchild in child.children():
                    walk(grandchild)

        walk(node)
        in_phrases = {word for phrase, _ in phrases for word in phrase}
        return cls(tuple(dict.fromkeys(phrases)), frozenset(in_phrases - words))


def similar_query(searcher, text: str, terms: int) -> query.Query:
    """The ``terms`` words of ``text`` most telling against the whole index (Bo1), each weighted by how telling.

    Each is one BM25F word over title and body, as a typed word is.
    """
    expander = classify.Expander(searcher.reader(), "body")
    expander.add((word.decode("utf-8"), weight) for word, _, weight, _ in searcher.schema["body"].index(text))
    key_terms = expander.expanded_terms(terms, normalize=True)
    words = [FieldsTerm([query.Term("title", word, boost=TITLE_WEIGHT), query.Term("body", word)], boost=weight)
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


def excluding(node: query.Query) -> query.Query:
    """The query with every whoosh AndNot replaced by the corrected one (normalize() creates them from NOTs)."""
    node = node.apply(excluding)
    if type(node) is query.AndNot:
        return AndNot(node.a, node.b)
    return node


def split_stems(node: query.Query) -> query.Query:
    """Words analysed into stems in several languages (joined by STEMS) searched as any of those stems.

    A word searched in title and body (an Or of one Term per field) becomes an Or of
    such field groups, one per stem, so each stem still scores as one BM25F term; a
    phrase becomes one phrase per language.
    """
    if isinstance(node, query.Or) and node.subqueries and all(
            isinstance(child, query.Term) and STEMS in child.text for child in node.subqueries):
        stems = dict.fromkeys(node.subqueries[0].text.split(STEMS))
        return query.Or([query.Or([query.Term(child.fieldname, stem, boost=child.boost) for child in node.subqueries],
                                  boost=node.boost) for stem in stems])
    if isinstance(node, query.Term) and STEMS in node.text:
        return query.Or([query.Term(node.fieldname, stem, boost=node.boost)
                         for stem in dict.fromkeys(node.text.split(STEMS))])
    if isinstance(node, query.Phrase) and any(STEMS in word for word in node.words):
        count = max(len(word.split(STEMS)) for word in node.words)
        variants = dict.fromkeys(tuple(word.split(STEMS)[n] if STEMS in word else word for word in node.words)
                                 for n in range(count))
        return query.Or([query.Phrase(node.fieldname, list(words), slop=node.slop, boost=node.boost)
                         for words in variants])
    return node.apply(split_stems)


def loosened(node: query.Query) -> query.Query:
    """The "some of the words" tier: only words are optional; exclusions and field restrictions still apply.

    whoosh's OR grouping would make ``corridor NOT shelling`` match anything without
    "shelling", and ``corridor source:reuters`` match any Reuters article.
    """
    if not isinstance(node, query.Or):
        return node
    excluded = [child.query for child in node.subqueries if isinstance(child, query.Not)]
    restrictions = [child for child in node.subqueries
                    if not isinstance(child, query.Not) and not _is_words(child)]
    words = [child for child in node.subqueries if _is_words(child)]
    loose: query.Query = query.Or(words, scale=node.scale) if len(words) > 1 else (words or [query.Every()])[0]
    if restrictions:
        loose = query.And([loose, *restrictions])
    if excluded:
        loose = query.AndNot(loose, query.Or(excluded) if len(excluded) > 1 else excluded[0])
    return loose.normalize()


def _is_words(node: query.Query) -> bool:
    """True for words, phrases and patterns searched in title and body."""
    if isinstance(node, query.Not):
        return False
    fields = {term_field for term_field, _ in node.iter_all_terms()} if node.has_terms() or node.children() else set()
    if isinstance(node, (query.Prefix, query.FuzzyTerm, query.Wildcard)):
        fields = {node.fieldname}
    return bool(fields) and fields <= set(TEXT_FIELDS)


def folded(node: query.Query, schema) -> query.Query:
    """Prefix and fuzzy words analysed like indexed words: case and accents folded, stemmed where the field is."""
    if isinstance(node, (query.Prefix, query.FuzzyTerm)) and node.fieldname in schema:
        field = schema[node.fieldname]
        if getattr(field, "analyzer", None) is None or not field.scorable:
            return node
        stem = isinstance(node, query.FuzzyTerm)
        words = [t.text for t in field.analyzer(node.text, mode="query", removestops=False, no_morph=not stem)]
        if not words:
            return node
        if isinstance(node, query.Prefix) and node.fieldname in TEXT_FIELDS:
            return _StemmedPrefix(node.fieldname, words[0], boost=node.boost)
        copies = []
        for stem in dict.fromkeys(words[0].split(STEMS)):  # a fuzzy word near its stem in any language
            copy = node.copy()
            copy.text = stem
            copies.append(copy)
        return copies[0] if len(copies) == 1 else query.Or(copies)
    return node.apply(lambda child: folded(child, schema))


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
        count = 0
        for _ in pattern._btexts(reader):
            count += 1
            if count > MAX_EXPANSIONS:
                shown = f"{pattern.text}*" if isinstance(pattern, query.Prefix) else f"{pattern.text}~"
                raise QuerySyntaxError(f"'{shown}' matches more than {MAX_EXPANSIONS} words in the index; "
                                       "give more letters")


def _patterns(node: query.Query) -> Iterator[query.Query]:
    if isinstance(node, (query.Prefix, query.Wildcard, query.FuzzyTerm)):
        yield node
    for child in node.children():
        yield from _patterns(child)


def _errors(node: query.Query) -> Iterator[str]:
    """Problems whoosh's parser recorded in the query tree instead of raising."""
    error = getattr(node, "error", None)
    if error:
        yield str(error)
    for child in node.children():
        yield from _errors(child)


def bound_moment(value) -> dt.datetime | None:
    """A date bound of the parser's tree as a naive datetime (a normalised tree holds whoosh's microsecond
    counts; other engines translating the tree read its dates with this)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, int):
        return long_to_datetime(value)
    raise QuerySyntaxError(f"cannot read {value!r} as a date")

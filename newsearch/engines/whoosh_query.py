"""Query text to whoosh queries: the parser's plugins, folding of prefix and fuzzy words, expansion limits."""

from __future__ import annotations

import re
from collections.abc import Iterator

from whoosh import qparser, query
from whoosh.util.times import TimeError

from ..errors import QuerySyntaxError
from ..query import MAX_EXPANSIONS
from .whoosh_ranking import TEXT_FIELDS, TITLE_WEIGHT, combine_fields

FIELD_ALIASES = {"authors": ["author"], "categories": ["category"]}
COORDINATION = 0.9
_OPEN_RANGE = re.compile(r"(\[)\*\s+(?=TO\b)|(\bTO)\s+\*(?=\s*[\]}])")  # [* TO x] and [x TO *]: whoosh writes [TO x]


class _PrefixOnlyWildcards(qparser.WildcardPlugin):
    """Only a final ``*`` is a wildcard: a question mark in a typed question is punctuation, not a pattern."""

    qmarks = ""
    expr = r"(?P<text>[*])"


def parse(text: str, schema, reader) -> tuple[query.Query, query.Query]:
    """The query with every plain term required, and with plain terms optional (coordinated)."""
    parsed = []
    for group in (qparser.AndGroup, qparser.OrGroup.factory(COORDINATION)):
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
        tree = _folded(tree, schema)
        _check_expansions(tree, reader)
        parsed.append(combine_fields(tree).normalize())
    return parsed[0], _loosened(parsed[1])


def _loosened(node: query.Query) -> query.Query:
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


def _folded(node: query.Query, schema) -> query.Query:
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
        copy = node.copy()
        copy.text = words[0]
        return copy
    return node.apply(lambda child: _folded(child, schema))


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

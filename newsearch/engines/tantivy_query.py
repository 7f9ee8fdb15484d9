"""The query tree translated into tantivy queries: each word analysed the way tantivy indexed it, in every
language the index holds."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import tantivy

from .. import query as tree
from ..analysis import DEFAULT_LANGUAGE
from ..errors import QuerySyntaxError
from ..query import MAX_EXPANSIONS, Marks, TermMarks
from ..query.marks import STEM_SLACK
from ..query.tree import translated_parts
from ..schema import EXACT_FIELDS, NAME_FIELDS, TEXT_FIELDS, WEIGHTS
from . import tantivy_analysis as analysis

Occur = tantivy.Occur
# A word searched in title and body scores as BM25 over the words field (title and body together, the title
# twice: BM25F, one length per article). A phrase needs positions, which that field does not keep: it scores
# in its better field plus half the other (a disjunction max), as every word did in an index made before
# the words field (summing the fields ranked worse: CISI nDCG@10 0.347 summed, 0.357 so).
TIE_BREAKER = 0.5


class Translator:
    """Turns query trees into tantivy queries against one searcher."""

    def __init__(self, schema: tantivy.Schema, searcher: tantivy.Searcher, languages: tuple[str, ...]):
        self.schema = schema
        self.searcher = searcher
        self.languages = languages  # of the articles in the index, English first
        self._prose = {language: analysis.prose(language) for language in languages}
        self._folded = analysis.folded()
        self._whole = analysis.whole()
        self._scores_words = has_field(schema, analysis.words_field(DEFAULT_LANGUAGE))

    def translate(self, node: tree.Node) -> tantivy.Query | None:
        """The tantivy query of a tree; None when nothing of it can match (stop words only)."""
        if isinstance(node, tree.Every):
            return tantivy.Query.all_query()
        if isinstance(node, tree.Nothing):
            return None
        if isinstance(node, tree.Not):
            inner = self.translate(node.child)
            everything = tantivy.Query.all_query()
            return everything if inner is None else tantivy.Query.boolean_query(
                [(Occur.Must, everything), (Occur.MustNot, inner)])
        if isinstance(node, tree.And):
            return self._all_of(node)
        if isinstance(node, tree.Or):
            parts = [(Occur.Should, part) for part in map(self.translate, node.children) if part is not None]
            if not parts:
                return None
            return parts[0][1] if len(parts) == 1 else tantivy.Query.boolean_query(parts)
        if isinstance(node, tree.DateRange):
            return self._dates(node)
        return self._leaf(node)

    def marks(self, marks: Marks, language: str) -> TermMarks:
        """What snippets of an article in ``language`` mark for these marks."""
        prose = self._prose.get(language) or analysis.prose(language)

        def analyse(text: str) -> list[tuple[str, int]]:
            return [(token.text, token.position) for token in prose.pre_tokenize(text).tokens]

        return marks.analysed(analyse, lambda text: "".join(self._folded.analyze(text)[:1]))

    # -- translation

    def _all_of(self, node: tree.And) -> tantivy.Query | None:
        translated = translated_parts(node, self.translate, tantivy.Query.all_query)
        if translated is None:
            return None
        included, excluded = translated
        if len(included) == 1 and not excluded:
            return included[0]
        return tantivy.Query.boolean_query([(Occur.Must, part) for part in included]
                                           + [(Occur.MustNot, part) for part in excluded])

    def _leaf(self, leaf) -> tantivy.Query | None:
        field = leaf.field
        if field is None and self._scores_words and self._one_word(leaf):
            return self._text_leaf(leaf, analysis.words_field)
        if field is None or field in TEXT_FIELDS:
            fields = TEXT_FIELDS if field is None else (field,)
            per_field = [(Occur.Should, self._boosted(part, WEIGHTS[name])) for name in fields
                         if (part := self._text_leaf(leaf, partial(analysis.text_field, name))) is not None]
            if not per_field:
                return None
            if len(per_field) == 1:
                return per_field[0][1]
            return tantivy.Query.disjunction_max_query([part for _, part in per_field], TIE_BREAKER)
        if field in NAME_FIELDS:
            return self._name_leaf(leaf, field)
        if field in EXACT_FIELDS:
            if isinstance(leaf, tree.Prefix):
                return self._any_of(field, self._expanded(field, leaf.text, stems=False))
            if isinstance(leaf, tree.Fuzzy):
                return tantivy.Query.fuzzy_term_query(self.schema, field, leaf.text, distance=leaf.distance)
            return tantivy.Query.term_query(self.schema, field, leaf.text)
        raise QuerySyntaxError(f"the field {field}: cannot be searched this way")

    def _one_word(self, leaf) -> bool:
        """True for a leaf that searches single words (not a phrase, nor words joined by punctuation)."""
        if isinstance(leaf, (tree.Prefix, tree.Fuzzy)):
            return True
        return isinstance(leaf, tree.Term) and all(len(self._prose[language].analyze(leaf.text)) <= 1
                                                   for language in self.languages)

    @staticmethod
    def _boosted(translated: tantivy.Query, boost: float) -> tantivy.Query:
        return translated if boost == 1.0 else tantivy.Query.boost_query(translated, boost)

    def _text_leaf(self, leaf, field_of: Callable[[str], str]) -> tantivy.Query | None:
        """A text leaf in the field ``field_of(language)`` of each language the index holds."""
        per_language = []
        for language in self.languages:
            field_name = field_of(language)
            if isinstance(leaf, tree.Prefix):
                prefix = "".join(self._folded.analyze(leaf.text)[:1])
                per_language.append(self._any_of(field_name, self._expanded(field_name, prefix, stems=True)))
            elif isinstance(leaf, tree.Fuzzy):
                for stem in self._prose[language].analyze(leaf.text)[:1]:
                    per_language.append(tantivy.Query.fuzzy_term_query(
                        self.schema, field_name, stem, distance=leaf.distance, transposition_cost_one=True))
            else:
                slop = leaf.slop if isinstance(leaf, tree.Phrase) else 1
                per_language.append(self._words(field_name, self._prose[language].pre_tokenize(leaf.text).tokens,
                                                slop))
        found = [(Occur.Should, part) for part in per_language if part is not None]
        if not found:
            return None
        return found[0][1] if len(found) == 1 else tantivy.Query.boolean_query(found)

    def _words(self, field_name: str, tokens: list, slop: int) -> tantivy.Query | None:
        """One word as a term; several (a phrase, or "kyiv-cafe") as a phrase within ``slop`` (1: adjacent)."""
        if not tokens:
            return None
        if len(tokens) == 1:
            return tantivy.Query.term_query(self.schema, field_name, tokens[0].text)
        first = tokens[0].position
        return tantivy.Query.phrase_query(self.schema, field_name,
                                          [(token.position - first, token.text) for token in tokens],
                                          slop=max(slop - 1, 0))

    def _name_leaf(self, leaf, name: str) -> tantivy.Query | None:
        if isinstance(leaf, tree.Prefix):
            prefix = "".join(self._folded.analyze(leaf.text)[:1])
            return self._any_of(f"{name}_words", self._expanded(f"{name}_words", prefix, stems=False))
        if isinstance(leaf, tree.Fuzzy):
            words = self._folded.analyze(leaf.text)
            return tantivy.Query.fuzzy_term_query(self.schema, f"{name}_words", words[0],
                                                  distance=leaf.distance) if words else None
        words = self._folded.analyze(leaf.text)
        if len(words) == 1 and isinstance(leaf, tree.Term):
            return tantivy.Query.term_query(self.schema, f"{name}_words", words[0])
        whole = self._whole.analyze(leaf.text)
        return tantivy.Query.term_query(self.schema, f"{name}_name", whole[0]) if whole else None

    def _dates(self, node: tree.DateRange) -> tantivy.Query:
        if node.start is None and node.end is None:
            return tantivy.Query.exists_query("published")
        return tantivy.Query.range_query(self.schema, "published", tantivy.FieldType.Date,
                                         node.start, node.end, True, True)

    def _expanded(self, field_name: str, prefix: str, *, stems: bool) -> list[str]:
        """The index words starting with ``prefix`` (and, in stemmed fields, stems it was cut to).

        QuerySyntaxError when they are more than a query may search.
        """
        if not prefix:
            return []
        words = [word for word, _ in self.searcher.terms_with_prefix(field_name, prefix, limit=MAX_EXPANSIONS + 1)]
        if stems:
            for length in range(max(3, len(prefix) - STEM_SLACK), len(prefix)):
                if self.searcher.doc_freq(field_name, prefix[:length]):
                    words.append(prefix[:length])
        if len(words) > MAX_EXPANSIONS:
            raise QuerySyntaxError(f"'{prefix}*' matches more than {MAX_EXPANSIONS} words in the index; "
                                   "give more letters")
        return words

    def _any_of(self, field_name: str, words: list[str]) -> tantivy.Query | None:
        if not words:
            return None
        terms = [(Occur.Should, tantivy.Query.term_query(self.schema, field_name, word)) for word in words]
        return terms[0][1] if len(terms) == 1 else tantivy.Query.boolean_query(terms)


def has_field(schema: tantivy.Schema, name: str, value: str | int = "") -> bool:
    """True when the index's schema declares ``name`` (tantivy's schema lists no fields: asked by a query
    for ``value``, of the field's type)."""
    try:
        tantivy.Query.term_query(schema, name, value)
    except ValueError:
        return False
    return True

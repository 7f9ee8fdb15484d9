"""Query text to tantivy queries: the language's parser tree translated, plus what snippets should mark.

The query language is read by the same parser as for the Whoosh engine (whoosh's
query parser with our plugins, see ``whoosh_query.read``), over a schema whose
title and body keep words as typed; this module analyses each word the way
tantivy indexed it, in every language the index holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import tantivy
from whoosh import query
from whoosh.analysis import RegexTokenizer
from whoosh.fields import TEXT, Schema

from ..errors import QuerySyntaxError
from ..query import MAX_EXPANSIONS
from ..spelling import edit_distance
from . import tantivy_analysis as analysis
from .whoosh_analysis import build_schema as build_whoosh_schema
from .whoosh_query import bound_moment, loosened, read

Occur = tantivy.Occur
STEM_SLACK = 3  # a prefix also finds stems up to this many letters shorter ("evacuat*" finds the stem "evacu")


@lru_cache(maxsize=1)
def parse_schema() -> Schema:
    """The parser's schema: newsearch's fields, with title and body words kept whole for tantivy to analyse."""
    schema = build_whoosh_schema()
    for name in analysis.TEXT_FIELDS:
        schema.remove(name)
        schema.add(name, TEXT(analyzer=RegexTokenizer(r"\S+")))
    return schema


@lru_cache(maxsize=256)
def parsed(text: str) -> tuple[query.Query, query.Query]:
    """The parser's trees of a query: plain words all required, and the looser second tier (cached: a
    paged or faceted search, its snippets and its suggestion parse the same text again)."""
    return (read(text, parse_schema(), loose=False).normalize(),
            loosened(read(text, parse_schema(), loose=True).normalize()))


@dataclass
class Marks:
    """What a snippet marks in one language: indexed words, prefixes, fuzzy words and phrases."""

    words: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)
    fuzzy: set[tuple[str, int]] = field(default_factory=set)
    phrases: list[tuple[tuple[str, ...], int]] = field(default_factory=list)  # words, and slop (1: adjacent)
    phrase_only: set[str] = field(default_factory=set)

    def matched(self, terms: set[str]) -> set[str]:
        """The indexed words among ``terms`` that the query searched for outside phrases."""
        found = terms & self.words
        if self.prefixes or self.fuzzy:
            found |= {term for term in terms - found if self._pattern_matches(term)}
        return found - self.phrase_only

    def _pattern_matches(self, term: str) -> bool:
        if any(term.startswith(prefix) or prefix.startswith(term) and len(prefix) - len(term) <= STEM_SLACK
               for prefix in self.prefixes):
            return True
        return any(abs(len(term) - len(word)) <= distance and edit_distance(term, word) <= distance
                   for word, distance in self.fuzzy)


class Translator:
    """Turns parser trees into tantivy queries against one searcher."""

    def __init__(self, schema: tantivy.Schema, searcher: tantivy.Searcher, languages: tuple[str, ...]):
        self.schema = schema
        self.searcher = searcher
        self.languages = languages  # of the articles in the index, English first
        self._prose = {language: analysis.prose(language) for language in languages}
        self._folded = analysis.folded()
        self._whole = analysis.whole()

    def tiers(self, text: str) -> list[tantivy.Query | None]:
        """The query with every plain word required, then (if different) the rest of the looser query."""
        strict_tree, loose_tree = parsed(text)
        strict = self.translate(strict_tree)
        if loose_tree == strict_tree:
            return [strict]
        loose = self.translate(loose_tree)
        if strict is None or loose is None:
            return [strict if loose is None else loose]
        return [strict, tantivy.Query.boolean_query([(Occur.Must, loose), (Occur.MustNot, strict)])]

    def marks(self, text: str, language: str) -> Marks:
        """What snippets of an article in ``language`` mark for this query."""
        marks = Marks()
        self._collect_marks(parsed(text)[0], language, marks)
        in_phrases = {word for phrase, _ in marks.phrases for word in phrase}
        marks.phrase_only = in_phrases - marks.words
        return marks

    # -- translation

    def translate(self, node: query.Query) -> tantivy.Query | None:
        """The tantivy query for a parser tree node; None when nothing of it can match (stop words only)."""
        if node is query.NullQuery:
            return None
        if isinstance(node, query.Every):
            return tantivy.Query.all_query()
        if isinstance(node, query.Not):
            inner = self.translate(node.query)
            everything = tantivy.Query.all_query()
            return everything if inner is None else tantivy.Query.boolean_query(
                [(Occur.Must, everything), (Occur.MustNot, inner)])
        if isinstance(node, query.AndNot):
            positive, negative = self.translate(node.a), self.translate(node.b)
            if positive is None or negative is None:
                return positive
            return tantivy.Query.boolean_query([(Occur.Must, positive), (Occur.MustNot, negative)])
        if isinstance(node, query.AndMaybe):
            required, optional = self.translate(node.a), self.translate(node.b)
            if required is None or optional is None:
                return required
            return tantivy.Query.boolean_query([(Occur.Must, required), (Occur.Should, optional)])
        if isinstance(node, query.And):
            return self._joined(node, Occur.Must)
        if isinstance(node, (query.Or, query.DisjunctionMax)):
            return self._joined(node, Occur.Should)
        return self._boosted(self._leaf(node), node.boost)

    def _joined(self, node: query.Query, occur: Occur) -> tantivy.Query | None:
        parts, negatives = [], []
        for child in node.children():
            if isinstance(child, query.Not) and occur == Occur.Must:
                negative = self.translate(child.query)
                if negative is not None:
                    negatives.append((Occur.MustNot, negative))
                continue
            translated = self.translate(child)
            if translated is not None:
                parts.append((occur, translated))
        if not parts:
            return None
        if len(parts) == 1 and not negatives:
            return self._boosted(parts[0][1], node.boost)
        return self._boosted(tantivy.Query.boolean_query(parts + negatives), node.boost)

    @staticmethod
    def _boosted(translated: tantivy.Query | None, boost: float) -> tantivy.Query | None:
        if translated is None or boost == 1.0:
            return translated
        return tantivy.Query.boost_query(translated, boost)

    def _leaf(self, node: query.Query) -> tantivy.Query | None:
        name = getattr(node, "fieldname", None)
        if isinstance(node, (query.DateRange, query.NumericRange)) and name == "published":
            return self._dates(node.start, node.end, node.startexcl, node.endexcl)
        if isinstance(node, query.Term) and name == "published":
            return self._dates(node.text, node.text, False, False)
        if name in analysis.TEXT_FIELDS:
            return self._text_leaf(node, name)
        if name in analysis.NAME_FIELDS:
            return self._name_leaf(node, name)
        if name in analysis.EXACT_FIELDS:
            if isinstance(node, query.Term):
                return tantivy.Query.term_query(self.schema, name, node.text)
            if isinstance(node, query.Prefix):
                return self._any_of(name, self._expanded(name, node.text, stems=False))
        raise QuerySyntaxError(f"the tantivy engine cannot search {node} (field {name!r})")

    def _text_leaf(self, node: query.Query, name: str) -> tantivy.Query | None:
        per_language = []
        for language in self.languages:
            field_name = analysis.text_field(name, language)
            if isinstance(node, query.Prefix):
                prefix = self._folded.analyze(node.text)
                per_language.append(self._any_of(field_name, self._expanded(field_name, "".join(prefix[:1]),
                                                                            stems=True)))
            elif isinstance(node, query.FuzzyTerm):
                for stem in self._prose[language].analyze(node.text)[:1]:
                    per_language.append(tantivy.Query.fuzzy_term_query(
                        self.schema, field_name, stem, distance=min(node.maxdist, 2), transposition_cost_one=True))
            elif isinstance(node, (query.Term, query.Phrase)):
                text = node.text if isinstance(node, query.Term) else " ".join(node.words)
                slop = 1 if isinstance(node, query.Term) else node.slop
                per_language.append(self._words(field_name, self._prose[language].pre_tokenize(text).tokens, slop))
            else:
                raise QuerySyntaxError(f"the tantivy engine cannot search {node}")
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

    def _name_leaf(self, node: query.Query, name: str) -> tantivy.Query | None:
        if isinstance(node, query.Prefix):
            prefix = "".join(self._folded.analyze(node.text)[:1])
            return self._any_of(f"{name}_words", self._expanded(f"{name}_words", prefix, stems=False))
        if isinstance(node, query.FuzzyTerm):
            return tantivy.Query.fuzzy_term_query(self.schema, f"{name}_words", node.text,
                                                  distance=min(node.maxdist, 2))
        text = node.text if isinstance(node, query.Term) else " ".join(getattr(node, "words", ()))
        words = self._folded.analyze(text)
        if len(words) == 1:
            return tantivy.Query.term_query(self.schema, f"{name}_words", words[0])
        whole = self._whole.analyze(text)
        return tantivy.Query.term_query(self.schema, f"{name}_name", whole[0]) if whole else None

    def _dates(self, start, end, start_excluded: bool, end_excluded: bool) -> tantivy.Query:
        return tantivy.Query.range_query(self.schema, "published", tantivy.FieldType.Date,
                                         bound_moment(start), bound_moment(end), not start_excluded, not end_excluded)

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

    # -- marks

    def _collect_marks(self, node: query.Query, language: str, marks: Marks) -> None:
        if isinstance(node, query.Not):
            return
        if isinstance(node, query.AndNot):
            self._collect_marks(node.a, language, marks)
            return
        if getattr(node, "fieldname", None) == "body" and node.is_leaf():
            prose = analysis.prose(language)
            if isinstance(node, query.Prefix):
                marks.prefixes.update(self._folded.analyze(node.text)[:1])
            elif isinstance(node, query.FuzzyTerm):
                marks.fuzzy.update((stem, node.maxdist) for stem in prose.analyze(node.text)[:1])
            elif isinstance(node, (query.Term, query.Phrase)):
                text, slop = (node.text, 1) if isinstance(node, query.Term) else (" ".join(node.words), node.slop)
                tokens = prose.pre_tokenize(text).tokens
                if len(tokens) == 1:
                    marks.words.add(tokens[0].text)
                elif tokens:  # stop words left out of a phrase leave gaps its words may span
                    gaps = tokens[-1].position - tokens[0].position - (len(tokens) - 1)
                    marks.phrases.append((tuple(token.text for token in tokens), slop + gaps))
            return
        for child in node.children():
            self._collect_marks(child, language, marks)

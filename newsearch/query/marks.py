"""What a snippet marks for a query: its words, patterns and phrases, as typed and then as an engine indexes them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..snippets import Span, Token, match_spans
from .spelling import edit_distance
from .tree import Fuzzy, Node, Phrase, Prefix, Term, leaves

STEM_SLACK = 3  # a prefix also finds stems up to this many letters shorter ("evacuat*" finds the stem "evacu")

# text -> (term, position) pairs, as an engine indexes a text field of one language
Analyse = Callable[[str], list[tuple[str, int]]]


@dataclass(frozen=True)
class Marks:
    """The words, prefixes, fuzzy words and phrases a query searches in an article's body, as typed
    (exclusions left out)."""

    words: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    fuzzy: tuple[tuple[str, int], ...] = ()
    phrases: tuple[tuple[str, int], ...] = ()  # (text, slop)

    @classmethod
    def of(cls, node: Node | None, field: str = "body") -> Marks:
        """The marks of a query tree for one text field (words typed without a field count for every one)."""
        words, prefixes, fuzzy, phrases = [], [], [], []
        for leaf in leaves(node) if node is not None else ():
            if getattr(leaf, "field", "") not in (None, field):
                continue
            if isinstance(leaf, Term):
                words.append(leaf.text)
            elif isinstance(leaf, Prefix):
                prefixes.append(leaf.text)
            elif isinstance(leaf, Fuzzy):
                fuzzy.append((leaf.text, leaf.distance))
            elif isinstance(leaf, Phrase):
                phrases.append((leaf.text, leaf.slop))
        return cls(tuple(dict.fromkeys(words)), tuple(dict.fromkeys(prefixes)), tuple(dict.fromkeys(fuzzy)),
                   tuple(dict.fromkeys(phrases)))

    def analysed(self, analyse: Analyse, fold: Callable[[str], str]) -> TermMarks:
        """These marks in index terms: words and phrases through ``analyse``, prefixes through ``fold``."""
        words: set[str] = set()
        phrases = []
        for text, slop in [(word, 1) for word in self.words] + list(self.phrases):
            terms = analyse(text)
            if len(terms) == 1:
                words.add(terms[0][0])
            elif terms:  # stop words left out of a phrase leave gaps its words may span
                gaps = terms[-1][1] - terms[0][1] - (len(terms) - 1)
                phrases.append((tuple(term for term, _ in terms), slop + gaps))
        fuzzy = tuple((terms[0][0], distance) for text, distance in self.fuzzy if (terms := analyse(text)))
        in_phrases = {term for phrase, _ in phrases for term in phrase}
        return TermMarks(frozenset(words), tuple(fold(prefix) for prefix in self.prefixes if fold(prefix)),
                         fuzzy, tuple(dict.fromkeys(phrases)), frozenset(in_phrases - words))


@dataclass(frozen=True)
class TermMarks:
    """Marks in the terms of one engine's index, for one language."""

    words: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    fuzzy: tuple[tuple[str, int], ...] = ()
    phrases: tuple[tuple[tuple[str, ...], int], ...] = ()  # terms, and slop (1: adjacent)
    phrase_only: frozenset[str] = frozenset()  # terms searched only inside phrases

    def matched(self, terms: set[str]) -> set[str]:
        """The terms among ``terms`` that the query searched for outside phrases."""
        found = terms & self.words
        if self.prefixes or self.fuzzy:
            found |= {term for term in terms - found if self._pattern_matches(term)}
        return found - self.phrase_only

    def spans(self, tokens: list[Token]) -> list[Span]:
        """Where these marks stand among a text's tokens ((start, end, term, position), as indexed)."""
        present = {term for _, _, term, _ in tokens}
        phrases = [phrase for phrase in self.phrases if set(phrase[0]) <= present]
        return match_spans(tokens, self.matched(present), phrases)

    def _pattern_matches(self, term: str) -> bool:
        if any(term.startswith(prefix) or (prefix.startswith(term) and len(prefix) - len(term) <= STEM_SLACK)
               for prefix in self.prefixes):
            return True
        return any(abs(len(term) - len(word)) <= distance and edit_distance(term, word) <= distance
                   for word, distance in self.fuzzy)

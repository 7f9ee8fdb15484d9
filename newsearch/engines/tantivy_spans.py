"""Where a query's words and phrases stand in a text, found as the tantivy engine analyses it.

tantivy's tokenizer splits at every character that is not a letter or a digit, so
each piece of a text between white space holds whole tokens. A snippet of a text
made only of words (no phrase, prefix or fuzzy word) splits it at white space, analyses
only the pieces it has not seen before (remembered per language, with the terms they
hold), and looks again only for the pieces holding a wanted term: most pieces of news
text recur, and tokenizing every text whole cost most of a query with snippets.
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict

from ..query import TermMarks
from ..snippets import Span
from . import tantivy_analysis as analysis

PIECES = 100_000  # pieces remembered per language (about 25 MB); past this they are forgotten and learnt again
PIECE_CHARS = 4_000_000  # and past this many characters in them (text without spaces is one long piece)

PieceTokens = tuple[tuple[int, int, str], ...]  # start and end in the piece, and the indexed term, of each token


class TextSpans:
    """Spans of marks in texts, with the pieces of text seen so far (safe to share between threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pieces: dict[str, _Pieces] = {}

    def spans(self, text: str, language: str, marks: TermMarks) -> list[Span]:
        """(start, end, term) of each place in ``text`` that ``marks`` mark, analysed in ``language``."""
        if marks.phrases or marks.prefixes or marks.fuzzy:
            return _tokenized_spans(text, language, marks)
        with self._lock:
            pieces = self._pieces.get(language)
            if pieces is None:
                pieces = self._pieces[language] = _Pieces(language)
            holding = pieces.holding(text, marks.words)
        return _placed(text, holding)


def _placed(text: str, holding: dict[str, list[tuple[int, int, str]]]) -> list[Span]:
    """(start, end, term) of the tokens of ``holding`` (piece -> its wanted tokens) wherever a piece stands
    in ``text`` between white space, in text order."""
    spans: list[Span] = []
    for piece, tokens in holding.items():
        at = text.find(piece)
        while at >= 0:
            end = at + len(piece)
            if (at == 0 or text[at - 1].isspace()) and (end == len(text) or text[end].isspace()):
                spans.extend((at + start, at + stop, term) for start, stop, term in tokens)
            at = text.find(piece, end)  # the piece holds no white space: no whole one starts inside this one
    spans.sort()
    return spans


def _tokenized_spans(text: str, language: str, marks: TermMarks) -> list[Span]:
    """Spans of ``marks`` among the tokens of the whole text (what phrases, prefixes and fuzzy words need).

    Marks of whole words only need the tokens that are one of their terms (a phrase's words are
    matched by position, so the words between them are not needed either); prefixes and fuzzy
    words are matched against every token.
    """
    tokens = analysis.prose(language).pre_tokenize(text).tokens
    if marks.prefixes or marks.fuzzy:
        return marks.spans([(token.char_offset_from, token.char_offset_to, token.text, token.position)
                            for token in tokens])
    wanted = marks.words | {term for terms, _ in marks.phrases for term in terms}
    return marks.spans([(token.char_offset_from, token.char_offset_to, term, token.position)
                        for token in tokens if (term := token.text) in wanted])


class _Pieces:
    """The pieces of text seen in one language, the pieces holding each term, and the tokens of those
    that held a wanted term."""

    def __init__(self, language: str):
        self._analyzer = analysis.prose(language)
        self._known: set[str] = set()
        self._holding: defaultdict[str, set[str]] = defaultdict(set)  # term -> pieces holding it
        self._tokens: dict[str, PieceTokens] = {}
        self._chars = 0  # in the pieces known

    def holding(self, text: str, terms: frozenset[str]) -> dict[str, list[tuple[int, int, str]]]:
        """The pieces of ``text`` holding a token indexed as one of ``terms``, each with those tokens."""
        present = set(text.split())
        unknown = present.difference(self._known)
        if unknown:
            chars = sum(map(len, unknown))
            if len(self._known) + len(unknown) > PIECES or self._chars + chars > PIECE_CHARS:
                self._known.clear()
                self._holding.clear()
                self._tokens.clear()
                self._chars = 0
                unknown, chars = present, sum(map(len, present))
            self._learn(unknown)
            self._chars += chars
        found: dict[str, list[tuple[int, int, str]]] = {}
        for term in terms:
            for piece in present.intersection(self._holding.get(term, ())):
                found.setdefault(piece, []).extend(token for token in self._tokens_of(piece) if token[2] == term)
        return found

    def _learn(self, pieces: set[str]) -> None:
        """Analyse ``pieces`` (in one call: a line each) and remember the terms each holds."""
        ordered = list(pieces)
        starts, at = [], 0
        for piece in ordered:
            starts.append(at)
            at += len(piece) + 1
        holding, find = self._holding, bisect.bisect_right
        for token in self._analyzer.pre_tokenize("\n".join(ordered)).tokens:
            holding[token.text].add(ordered[find(starts, token.char_offset_from) - 1])
        self._known.update(ordered)

    def _tokens_of(self, piece: str) -> PieceTokens:
        if piece not in self._tokens:
            self._tokens[piece] = tuple((token.char_offset_from, token.char_offset_to, token.text)
                                        for token in self._analyzer.pre_tokenize(piece).tokens)
        return self._tokens[piece]

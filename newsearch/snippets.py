"""Snippets: the sentences of a text that best cover the matched words and phrases, with those marked.

Sentences are found in the text's own structure, and only around the matches: a
paragraph starts at a blank line or an indented line, a line break inside a paragraph
is a hard wrap (Reuters keeps them), not a sentence end, and a sentence ends at . ! or ?
(with any closing quote) before a word that can begin one, not after an initial, a
title (Mr.), a dotted abbreviation (U.S.) or a month before its day, nor at an ellipsis.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice

from .results import SEPARATOR, Fragment, Snippet

FRAGMENTS = 3
SNIPPET_CHARS = 720
MIN_FRAGMENT_CHARS = 40  # a further fragment needs at least this much room left
SCAN_CHARS = 200_000  # snippets read no more of a body than this, so their time and memory are bounded
REACH = 3_000  # how far from a match its paragraph's ends are looked for; beyond, the sentence counts as cut
SPANS_PER_TERM = 50  # matches of one term looked at, the first ones in the text
MARK_CHARS = 1 << 20  # an article view marks the query's words in no more of a body than this (the rest shown plain)
WINDOW_CHARS = 20_000  # past the opening, a body is read this much at a time around a likely match
WINDOWS = 20  # windows read at most
FIND_PIECE_CHARS = 8 << 20  # a long body is searched for likely matches this much at a time

Span = tuple[int, int, str]  # start, end, and the indexed term the span matched
Token = tuple[int, int, str, int]  # start, end, indexed term and word position of one word of a text
Phrase = tuple[tuple[str, ...], int]  # the indexed terms of a phrase, and how far apart they may be (1: adjacent)
Sentence = tuple[int, int, bool, bool]  # start, end, and whether it truly starts / ends there (not a window's edge)

_BREAK = re.compile(r"\n[ \t]*\n\s*|\n[ \t]+")  # a blank line, or a line break before an indented line
# a run of . ! ? … and any closing quotes before white space (the run spelt out so that the search skips
# to its first character: a pattern opening with a repeat is tried at every position, four times slower)
_END = re.compile(r"[.!?…][.!?…]*[\"'”’)\]]*(?=\s)")
_OPENING = "\"'“‘([«"
_TITLES = frozenset({"mr", "mrs", "ms", "dr", "prof", "sen", "sens", "rep", "reps", "gov", "gen", "lt", "col", "sgt",
                     "capt", "cmdr", "adm", "rev", "st", "mt", "hon", "messrs", "pres", "supt", "vs", "v"})
_BEFORE_NUMBERS = frozenset({"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
                             "no", "nos", "vol", "fig", "p", "pp", "art", "sec", "ch"})
# Words that begin a sentence after an initial or a dotted abbreviation ("in the U.S. The bank..."),
# where a name would not ("J. Smith", "U.S. Treasury").
_STARTERS = frozenset({"The", "A", "An", "He", "She", "It", "They", "We", "I", "You", "But", "And", "Or", "So", "Yet",
                       "In", "On", "At", "By", "For", "From", "To", "With", "This", "That", "These", "Those", "There",
                       "Its", "His", "Her", "Their", "Our", "Some", "Most", "Many", "Such", "However", "Meanwhile",
                       "If", "When", "While", "As", "After", "Before", "Although", "Because"})
_DOTTED = re.compile(r"[A-Za-z](?:\.[A-Za-z])*")


def scanned(text: str) -> str:
    """The part of a body snippets read: all of it, or its first ``SCAN_CHARS`` characters ending at a line end."""
    if len(text) <= SCAN_CHARS:
        return text
    line_end = text.rfind("\n", SCAN_CHARS // 2, SCAN_CHARS)
    return text[:line_end if line_end > 0 else SCAN_CHARS]


def snippet_in(text: str, terms: Iterable[str], spans_in: Callable[[str], list[Span]], *,
               chars: int = SNIPPET_CHARS) -> Snippet:
    """``make_snippet`` of a body, in bounded time and memory whatever its length.

    ``spans_in(part)`` gives the spans of the query's words in a part of the body; ``terms`` are
    the indexed forms (stems) of the words the body matched. The opening (``scanned``) is read
    first; when it holds no match, windows of WINDOW_CHARS around later places where one of
    ``terms`` may begin (found by its letters, a piece at a time) are read in turn, at most
    WINDOWS of them, so a word met only at the end of a 200 MB article still gets its snippet.
    """
    opening = scanned(text)
    spans = spans_in(opening)
    if spans or len(opening) == len(text):
        return make_snippet(opening, spans, chars=chars)
    for place in islice(_places(text, terms, len(opening)), WINDOWS):
        window = _window(text, place)
        spans = spans_in(window)
        if spans:
            return make_snippet(window, spans, chars=chars)
    return make_snippet(opening, [], chars=chars)


def _places(text: str, terms: Iterable[str], start: int) -> Iterator[int]:
    """Offsets from ``start`` on, in order, where a word begins with the opening letters of one of
    ``terms`` (all but the last letter of a longer stem, which may end a word differently: happi, happy)."""
    openings = {term[:-1] if len(term) > 4 else term for term in terms if term}
    for piece_start in range(start, len(text), FIND_PIECE_CHARS):
        piece = text[piece_start:piece_start + FIND_PIECE_CHARS + 64].lower()
        found: set[int] = set()
        for opening in openings:
            at = piece.find(opening)
            while 0 <= at < FIND_PIECE_CHARS and len(found) < WINDOWS:
                if at == 0 or not piece[at - 1].isalnum():
                    found.add(at)
                at = piece.find(opening, at + 1)
        for at in sorted(found):
            yield piece_start + at


def _window(text: str, place: int) -> str:
    """About WINDOW_CHARS of ``text`` around ``place``, from a line start to a line end where there are."""
    low, high = max(0, place - WINDOW_CHARS // 2), min(len(text), place + WINDOW_CHARS // 2)
    start = text.find("\n", low, place)
    end = text.rfind("\n", place, high)
    return text[start + 1 if start >= 0 else low:end if end >= 0 else high]


def match_spans(tokens: Iterable[Token], words: set[str], phrases: Sequence[Phrase] = ()) -> list[Span]:
    """Spans of the tokens that are one of ``words``, and one span for each whole occurrence of a phrase.

    A word searched only inside a phrase is marked only where the phrase occurs.
    """
    tokens = list(tokens)
    spans = [(start, end, term) for start, end, term, _ in tokens if term in words]
    for terms, slop in phrases:
        if not terms:
            continue
        for first, (start, _, term, position) in enumerate(tokens):
            if term != terms[0]:
                continue
            end, at, found = tokens[first][1], position, 1
            for _, later_end, later_term, later_position in tokens[first + 1:]:
                if later_position - at > slop:
                    break
                if later_term == terms[found]:
                    end, at, found = later_end, later_position, found + 1
                    if found == len(terms):
                        break
            if found == len(terms):
                spans.append((start, end, " ".join(terms)))
    return spans


def make_snippet(text: str, spans: list[Span], *, fragments: int = FRAGMENTS, chars: int = SNIPPET_CHARS) -> Snippet:
    """Up to ``fragments`` sentences covering the most distinct terms, in text order, matches marked.

    They take about ``chars`` characters in all: whole sentences while they fit, then
    a sentence cut around its first match (marked as cut). Sentences next to each other
    make one fragment. Without spans, the text's lead sentences stand in.
    """
    spans = _first_per_term(_outermost(sorted(spans, key=lambda span: (span[0], -span[1]))))
    if not spans:
        return _lead(text, fragments, chars)
    kept: list[tuple[Sentence, list[Span], int]] = []
    room = chars
    for sentence, inside in _best_cover(_candidates(text, spans), fragments):  # the most telling first
        if kept:
            room -= len(SEPARATOR)
            if room < MIN_FRAGMENT_CHARS:
                break
        kept.append((sentence, inside, room))
        room -= min(sentence[1] - sentence[0], room)
    kept.sort()
    pieces = [_fragment(text, sentence, inside, limit) for sentence, inside, limit in kept]
    return Snippet.of(_joined(text, [sentence for sentence, _, _ in kept], pieces))


def mark_all(text: str, spans: list[Span]) -> Snippet:
    """The whole of ``text``, its line breaks and spaces kept, with every span marked (for an article view)."""
    parts: list[tuple[str, bool]] = []
    position = 0
    for start, end, _ in _outermost(sorted(spans, key=lambda span: (span[0], -span[1]))):
        parts.extend(((text[position:start], False), (text[start:end], True)))
        position = end
    parts.append((text[position:], False))
    return Snippet(tuple(_merged(parts)))


def sentences_around(text: str, position: int) -> list[Sentence]:
    """The sentences of the paragraph holding ``position`` (as far as ``REACH`` on either side)."""
    return _Paragraph(text, position).sentences()


class _Paragraph:
    """The paragraph holding a position (as far as ``REACH`` on either side), its line breaks read as spaces.

    Sentence ends are judged only where asked: a snippet wants the few sentences
    holding matches, and a paragraph may hold many more.
    """

    def __init__(self, text: str, position: int):
        low, high = max(0, position - REACH), min(len(text), position + REACH)
        start = low
        for found in _BREAK.finditer(text, low, position):
            start = found.end()
        after = _BREAK.search(text, position, high)
        end = after.start() if after else high
        self.text = text
        self.starts_known = start > low or low == 0
        self.ends_known = after is not None or high == len(text)
        self.start, self.end = _stripped(text, start, end)
        self._marks = list(_END.finditer(text, self.start, self.end))  # each may end a sentence
        self._mark_ends = [mark.end() for mark in self._marks]
        self._judged: dict[int, bool] = {}

    def __bool__(self) -> bool:
        return self.start < self.end

    def holds(self, position: int) -> bool:
        return self.start <= position < self.end

    def sentences(self) -> list[Sentence]:
        """All its sentences, in order."""
        sentences: list[Sentence] = []
        start = self.start
        for number, mark in enumerate(self._marks):
            if self._ends(number):
                sentences.append((start, mark.end(), self.starts_known or bool(sentences), True))
                start, _ = _stripped(self.text, mark.end(), self.end)
        if start < self.end:
            sentences.append((start, self.end, self.starts_known or bool(sentences), self.ends_known))
        return sentences

    def sentence_at(self, position: int) -> Sentence:
        """The sentence holding ``position`` (a word's start): the first one before the paragraph, the last after."""
        before = bisect.bisect_right(self._mark_ends, position)
        start, first = self.start, True
        for number in range(before - 1, -1, -1):
            if self._ends(number):
                start, _ = _stripped(self.text, self._marks[number].end(), self.end)
                first = False
                break
        for number in range(before, len(self._marks)):
            if self._ends(number):
                return start, self._marks[number].end(), self.starts_known or not first, True
        return start, self.end, self.starts_known or not first, self.ends_known

    def _ends(self, number: int) -> bool:
        if number not in self._judged:
            self._judged[number] = _ends_sentence(self.text, self._marks[number], self.end)
        return self._judged[number]


def _ends_sentence(text: str, found: re.Match, limit: int) -> bool:
    """Whether the punctuation ``found`` ends its sentence, judged by the words on either side."""
    end = found.end()
    following = text[end:min(limit, end + 60)].split(None, 1)
    if not following:
        return True
    after = following[0]
    first = after.lstrip(_OPENING)[:1] or after[:1]
    if first.islower():
        return False
    mark = found.group()
    if mark.startswith("..") or "…" in mark:
        return False  # in news an ellipsis marks words left out of a quote, rarely a sentence's end
    if not mark.startswith("."):
        return True  # ! and ? end a sentence before a capital
    word = (text[max(0, found.start() - 40):found.start()].rsplit(None, 1)[-1:] or [""])[0].lstrip(_OPENING)
    if word.lower() in _TITLES:
        return False
    if word.lower() in _BEFORE_NUMBERS and first.isdigit():
        return False
    if _DOTTED.fullmatch(word) and (len(word) == 1 or "." in word):  # an initial (J.) or U.S., a.m.
        return after.strip(_OPENING + ",;:") in _STARTERS
    return True


def _candidates(text: str, spans: list[Span]) -> list[tuple[Sentence, list[Span]]]:
    """The sentences holding spans, each with its spans, in text order."""
    candidates: list[tuple[Sentence, list[Span]]] = []
    paragraph = None
    for span in spans:
        if candidates and candidates[-1][0][0] <= span[0] < candidates[-1][0][1] and span[1] <= candidates[-1][0][1]:
            candidates[-1][1].append(span)  # in the sentence of the span before
            continue
        if paragraph is None or not paragraph.holds(span[0]):
            paragraph = _Paragraph(text, span[0])
            if not paragraph:
                paragraph = None
                continue
        sentence = paragraph.sentence_at(span[0])
        if span[1] > sentence[1]:
            continue  # a phrase across a sentence end
        if candidates and candidates[-1][0] == sentence:
            candidates[-1][1].append(span)
        else:
            candidates.append((sentence, [span]))
    return candidates


def _lead(text: str, count: int, chars: int) -> Snippet:
    """The text's first sentences, up to ``count`` and while they fit in ``chars`` (the first cut if it must be)."""
    kept: list[Sentence] = []
    used, start = 0, 0
    while len(kept) < count:
        start, _ = _stripped(text, start, min(len(text), start + REACH))
        paragraph = sentences_around(text, start) if start < len(text) else []
        for sentence in paragraph:
            length = sentence[1] - sentence[0]
            if len(kept) == count or (kept and used + length > chars):
                return Snippet.of(_joined(text, kept, [_fragment(text, kept[0], [], chars)] + [
                    _fragment(text, sentence, [], chars) for sentence in kept[1:]]))
            kept.append(sentence)
            used += length + 1
        if not paragraph or not paragraph[-1][3]:
            break  # the end of the text, or of a paragraph too long to read whole
        start = paragraph[-1][1]
    return Snippet.of(_joined(text, kept, [_fragment(text, sentence, [], chars) for sentence in kept]))


def _joined(text: str, sentences: list[Sentence], pieces: list[Fragment]) -> list[Fragment]:
    """Fragments of sentences next to each other in the text (nothing but spaces between) made one."""
    joined: list[Fragment] = []
    for number, piece in enumerate(pieces):
        between = (sentences[number - 1][1], sentences[number][0]) if number else (0, 0)
        if number and not joined[-1].cut_end and not piece.cut_start and between[1] - between[0] <= REACH \
                and not text[between[0]:between[1]].strip():
            last = joined[-1]
            joined[-1] = Fragment(tuple(_merged([*last.parts, (" ", False), *piece.parts])), last.cut_start,
                                  piece.cut_end)
        else:
            joined.append(piece)
    return joined


def _outermost(spans: list[Span]) -> list[Span]:
    """Spans not inside an earlier one (a word of a marked phrase is not marked again)."""
    kept: list[Span] = []
    for span in spans:
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def _first_per_term(spans: list[Span]) -> list[Span]:
    """The first ``SPANS_PER_TERM`` spans of each term, so a word repeated all over a long text costs no more."""
    seen: dict[str, int] = {}
    kept = []
    for span in spans:
        times = seen[span[2]] = seen.get(span[2], 0) + 1
        if times <= SPANS_PER_TERM:
            kept.append(span)
    return kept


def _best_cover(candidates: list, count: int) -> list:
    """Greedily pick sentences: each next one adds the most terms not yet shown, then the most matches."""
    chosen: list = []
    covered: set[str] = set()
    remaining = [({term for _, _, term in candidate[1]}, candidate) for candidate in candidates]
    while remaining and len(chosen) < count:
        best = max(remaining, key=lambda entry: (len(entry[0] - covered), len(entry[0]), len(entry[1][1]),
                                                 -entry[1][0][0]))
        remaining.remove(best)
        chosen.append(best[1])
        covered |= best[0]
    return chosen


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _fragment(text: str, sentence: Sentence, inside: list[Span], limit: int) -> Fragment:
    """The sentence with its matches marked; a sentence over ``limit`` is cut around its first match."""
    start, end, starts_known, ends_known = sentence
    left, right = start, end
    if end - start > limit:
        anchor = inside[0][0] if inside else start
        left = _word_start(text, max(start, anchor - limit // 3), anchor)
        right = _word_end(text, min(end, left + limit), max(left, inside[0][1] if inside else left))
    parts: list[tuple[str, bool]] = []
    position = left
    for span_start, span_end, _ in inside:
        if span_start < position or span_end > right:
            continue
        parts.append((_flat(text[position:span_start]), False))
        parts.append((_flat(text[span_start:span_end]), True))
        position = span_end
    parts.append((_flat(text[position:right]), False))
    return Fragment(tuple(_merged(parts)), left > start or not starts_known, right < end or not ends_known)


def _word_start(text: str, position: int, bound: int) -> int:
    """``position`` moved forward to the start of a word (not past ``bound``)."""
    while position < bound and position > 0 and not text[position - 1].isspace():
        position += 1
    return position


def _word_end(text: str, position: int, bound: int) -> int:
    """``position`` moved back to the end of a word (not before ``bound``)."""
    while position > bound and position < len(text) and not text[position].isspace():
        position -= 1
    return position


def _flat(text: str) -> str:
    """Each run of white space as one space (split and joined: a third of the time of a regular expression)."""
    flat = " ".join(text.split())
    if not flat:
        return " " if text else ""
    if text[0].isspace():
        flat = " " + flat
    if text[-1].isspace():
        flat += " "
    return flat


def _merged(parts: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """Adjacent parts of the same kind joined, empty ones dropped."""
    merged: list[tuple[str, bool]] = []
    for text, is_match in parts:
        if not text:
            continue
        if merged and merged[-1][1] == is_match:
            merged[-1] = (merged[-1][0] + text, is_match)
        else:
            merged.append((text, is_match))
    return merged

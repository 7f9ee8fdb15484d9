"""Snippets: the sentences of a text that best cover the matched words and phrases, with those marked."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from .results import Snippet

# A sentence ends at . ! ? … (and closing quotes or brackets) followed by a space, or at a line end:
# "2.3 percent" and "U.S." stay inside their sentence.
_SENTENCE = re.compile(r"(?:[^.!?…\n]|[.!?…]+(?![\"'”’)\]]*(?:\s|$)))*(?:[.!?…]+[\"'”’)\]]*|\n|$)")
FRAGMENTS = 3
SNIPPET_CHARS = 720
MIN_FRAGMENT_CHARS = 40  # a further fragment needs at least this much room left
SEPARATOR = " … "

Span = tuple[int, int, str]  # start, end, and the indexed term the span matched
Token = tuple[int, int, str, int]  # start, end, indexed term and word position of one word of a text
Phrase = tuple[tuple[str, ...], int]  # the indexed terms of a phrase, and how far apart they may be (1: adjacent)


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
            for later_start, later_end, later_term, later_position in tokens[first + 1:]:
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
    a sentence cut around its first match. Without spans, the opening of the text stands in.
    """
    sentences = [_stripped(text, m.start(), m.end()) for m in _SENTENCE.finditer(text)]
    sentences = [(start, end) for start, end in sentences if start < end]
    if not sentences:
        return Snippet()
    if not spans:
        start, end = sentences[0]
        return Snippet(tuple(_merged(_fragment(text, start, end, [], chars))))
    spans = _outermost(sorted(spans, key=lambda span: (span[0], -span[1])))
    candidates = []
    for start, end in sentences:
        inside = [span for span in spans if span[0] >= start and span[1] <= end]
        if inside:
            candidates.append((start, end, inside))
    kept, room = [], chars
    for start, end, inside in _best_cover(candidates, fragments):  # the most telling first
        if kept:
            room -= len(SEPARATOR)
            if room < MIN_FRAGMENT_CHARS:
                break
        kept.append((start, end, inside, room))
        room -= min(end - start, room)
    parts: list[tuple[str, bool]] = []
    for number, (start, end, inside, limit) in enumerate(sorted(kept)):
        if number:
            parts.append((SEPARATOR, False))
        parts.extend(_fragment(text, start, end, inside, limit))
    return Snippet(tuple(_merged(parts)))


def mark_all(text: str, spans: list[Span]) -> Snippet:
    """The whole of ``text``, its line breaks and spaces kept, with every span marked (for an article view)."""
    parts: list[tuple[str, bool]] = []
    position = 0
    for start, end, _ in _outermost(sorted(spans, key=lambda span: (span[0], -span[1]))):
        parts.extend(((text[position:start], False), (text[start:end], True)))
        position = end
    parts.append((text[position:], False))
    return Snippet(tuple(_merged(parts)))


def _outermost(spans: list[Span]) -> list[Span]:
    """Spans not inside an earlier one (a word of a marked phrase is not marked again)."""
    kept: list[Span] = []
    for span in spans:
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def _best_cover(candidates: list, count: int) -> list:
    """Greedily pick sentences: each next one adds the most terms not yet shown, then the most matches."""
    chosen, covered = [], set()
    remaining = list(candidates)
    while remaining and len(chosen) < count:
        def gain(candidate):
            terms = {term for _, _, term in candidate[2]}
            return (len(terms - covered), len(terms), len(candidate[2]), -candidate[0])
        best = max(remaining, key=gain)
        remaining.remove(best)
        chosen.append(best)
        covered.update(term for _, _, term in best[2])
    return chosen


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _fragment(text: str, start: int, end: int, inside: list[Span], limit: int) -> list[tuple[str, bool]]:
    """The sentence with its matches marked; a sentence over ``limit`` is cut around its first match."""
    left, right = start, end
    if end - start > limit:
        anchor = inside[0][0] if inside else start
        left = _word_start(text, max(start, anchor - limit // 3), start)
        right = _word_end(text, min(end, left + limit), end)
    parts: list[tuple[str, bool]] = [("… ", False)] if left > start else []
    position = left
    for span_start, span_end, _ in inside:
        if span_start < position or span_end > right:
            continue
        parts.append((_flat(text[position:span_start]), False))
        parts.append((_flat(text[span_start:span_end]), True))
        position = span_end
    parts.append((_flat(text[position:right]), False))
    if right < end:
        parts.append((" …", False))
    return parts


def _word_start(text: str, position: int, bound: int) -> int:
    """``position`` moved forward to the start of a word (not before ``bound``)."""
    while position > bound and not text[position - 1].isspace():
        position += 1
        if position >= len(text):
            break
    return position


def _word_end(text: str, position: int, bound: int) -> int:
    """``position`` moved back to the end of a word (not after ``bound``)."""
    while position < bound and position > 0 and not text[position].isspace():
        position -= 1
    return position


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


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

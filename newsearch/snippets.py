"""Snippets: the sentences of a text that best cover the matched words, with those words marked."""

from __future__ import annotations

import re

from .results import Snippet

_SENTENCE = re.compile(r"[^.!?…\n]*(?:[.!?…]+[\"'”’)\]]*|\n|$)")
FRAGMENTS = 3
FRAGMENT_CHARS = 240
SEPARATOR = " … "

Span = tuple[int, int, str]  # start, end, and the indexed term the span matched


def make_snippet(text: str, spans: list[Span], *, fragments: int = FRAGMENTS,
                 fragment_chars: int = FRAGMENT_CHARS) -> Snippet:
    """Up to ``fragments`` sentences that cover the most distinct terms, in text order, matches marked.

    Without spans, the opening of the text stands in, unmarked.
    """
    sentences = [_stripped(text, m.start(), m.end()) for m in _SENTENCE.finditer(text)]
    sentences = [(start, end) for start, end in sentences if start < end]
    if not sentences:
        return Snippet()
    if not spans:
        start, end = sentences[0]
        return Snippet(tuple(_merged(_fragment(text, start, end, [], fragment_chars))))
    spans = sorted(spans)
    candidates = []
    for start, end in sentences:
        inside = [span for span in spans if span[0] >= start and span[1] <= end]
        if inside:
            candidates.append((start, end, inside))
    chosen = sorted(_best_cover(candidates, fragments), key=lambda item: item[0])
    parts: list[tuple[str, bool]] = []
    for number, (start, end, inside) in enumerate(chosen):
        if number:
            parts.append((SEPARATOR, False))
        parts.extend(_fragment(text, start, end, inside, fragment_chars))
    return Snippet(tuple(_merged(parts)))


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

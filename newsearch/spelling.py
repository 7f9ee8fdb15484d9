"""Spelling suggestions: when a query finds few articles, respell its rare words as common index words near them."""

from __future__ import annotations

from collections.abc import Callable

from .query import plain_words

FEW_HITS = 5  # a query finding fewer articles than this may get a suggestion
MORE_COMMON = 10  # a respelling must be in this many times more documents than the word typed
MIN_WORD = 4  # shorter words are never respelled

# word -> (the word as indexed, {index term within ``distance`` edits: documents holding it})
Variants = Callable[[str, int], tuple[str, dict[str, int]]]
Spelled = Callable[[str], str]  # index term -> a word of the articles indexed as it


def suggest(text: str, variants: Variants, spelled: Spelled) -> str | None:
    """The query with each rare word replaced by the most common close index word; None if nothing changes."""
    changed = False
    pieces, position = [], 0
    respellings: dict[str, str | None] = {}  # a word typed many times is looked up once
    for match in plain_words(text):
        word = match.group()
        if not word.isalpha() or len(word) < MIN_WORD:
            continue
        if word not in respellings:
            respellings[word] = _respelling(word, variants)
        replacement = respellings[word]
        if replacement is not None:
            pieces.extend([text[position:match.start()], spelled(replacement)])
            position = match.end()
            changed = True
    if not changed:
        return None
    pieces.append(text[position:])
    return "".join(pieces)


def _respelling(word: str, variants: Variants) -> str | None:
    """The closest index term much more common than ``word`` (1 edit for short words, 2 for longer), or None."""
    allowed = 1 if len(word) <= 5 else 2
    indexed, near = variants(word, allowed)
    if not indexed:
        return None  # a stop word, or nothing left after analysis
    own = near.get(indexed, 0)
    best = None
    for candidate, documents in near.items():
        if candidate == indexed or documents < max(own * MORE_COMMON, 1):
            continue
        key = (edit_distance(indexed, candidate), -documents, candidate)
        if best is None or key < best:
            best = key
    return best[2] if best else None


def edit_distance(a: str, b: str) -> int:
    """Damerau–Levenshtein distance (adjacent transpositions count as one edit)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]

"""Spelling suggestions: when a query finds few articles, respell its rare words as common index words near them."""

from __future__ import annotations

from collections.abc import Callable

from .tree import Node, Term, leaves, rewrite_leaves

FEW_HITS = 5  # a query finding fewer articles than this may get a suggestion
MORE_COMMON = 10  # a respelling must be in this many times more documents than the word typed
MIN_WORD = 4  # shorter words are never respelled

# word -> (the word as indexed, {index term within ``distance`` edits: documents holding it})
Variants = Callable[[str, int], tuple[str, dict[str, int]]]
Spelled = Callable[[str], str]  # index term -> a word of the articles indexed as it


def suggest(text: str, node: Node, variants: Variants, spelled: Spelled) -> tuple[Node, str] | None:
    """The query with each rare word typed as a word replaced by the most common close index word: its
    tree and its text (``text`` is what was typed); None if nothing changes."""
    respellings: dict[str, str | None] = {}  # a word typed many times is looked up once

    def respelled(leaf):
        if not isinstance(leaf, Term) or leaf.field is not None or leaf.at < 0:
            return leaf
        word = leaf.text
        if not word.isalpha() or len(word) < MIN_WORD:
            return leaf
        if word not in respellings:
            respellings[word] = _respelling(word, variants)
        replacement = respellings[word]
        return leaf if replacement is None else Term(spelled(replacement), at=leaf.at)

    changed = rewrite_leaves(node, respelled)
    if changed == node:
        return None
    pieces, position = [], 0
    for before, after in zip(leaves(node, excluded=True), leaves(changed, excluded=True), strict=True):
        if isinstance(before, Term) and isinstance(after, Term) and before.at >= position and before.text != after.text:
            pieces.extend([text[position:before.at], after.text])
            position = before.at + len(before.text)
    pieces.append(text[position:])
    return changed, "".join(pieces)


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

"""Spelling suggestions: when a query finds few articles, respell its typos as words the archive holds.

Candidates are the words one edit away from the typed word (a letter dropped, added,
swapped or replaced), judged by how many articles hold them as the index analyses
words; words two edits away come from the index's own terms. A word the archive holds
is respelled only for one far more common, and never when the articles write it with a
capital (a name: ``DeCrane`` is not ``decline``). Among candidates, more articles and
closer keys on a keyboard win.
"""

from __future__ import annotations

from collections import Counter
from typing import Protocol

from ..analysis import STOP_WORDS
from .tree import Node, Term, leaves, rewrite_leaves

FEW_HITS = 5  # a query finding fewer articles than this may get a suggestion
MORE_COMMON = 10  # a respelling must be in this many times more documents than the word typed
MIN_WORD = 4  # shorter words are never respelled
TYPED_CHECKED = 10  # documents whose text shows whether a typed word is written as typed
CHECKED = 40  # documents whose text shows whether a candidate is a word the articles write
SHORTLIST = 5  # likeliest candidates whose written forms are read
FOUND_RATIO = 3  # with articles found, a respelling must be in this many times more documents
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_KEYS = {key: (row, column) for row, keys in enumerate(("qwertyuiop", "asdfghjkl", "zxcvbnm"))
         for column, key in enumerate(keys)}  # where each key is on a QWERTY keyboard
# How likely a typist makes each kind of slip: a letter dropped or two swapped most, a letter added a little
# less, a neighbouring key next; any other letter least.
_SLIP, _ADDED, _NEIGHBOUR, _OTHER = 1.0, 0.8, 0.3, 0.1


class Lexicon(Protocol):
    """What suggestions need of an engine."""

    def frequencies(self, words: list[str]) -> dict[str, int]:
        """Documents holding each word, as the index analyses it (0 for a stop word)."""

    def forms(self, word: str, documents: int = CHECKED) -> Counter:
        """How the word (as the index analyses it) is written in up to ``documents`` articles holding it."""

    def variants(self, word: str, distance: int) -> tuple[str, dict[str, int]]:
        """The word as indexed, and index terms within ``distance`` edits of it with their document counts."""


def suggest(text: str, node: Node, lexicon: Lexicon, shown: set[str] | None = None) -> tuple[Node, str] | None:
    """The query with each typo typed as a word replaced by the likeliest word the archive holds: its
    tree and its text (``text`` is what was typed); None if nothing changes.

    ``shown``: when the query (of one word) found articles, the words their snippets marked (lower case);
    then only a word they never show as typed is looked at, and only a far commoner word replaces it.
    """
    respellings: dict[str, str | None] = {}  # a word typed many times is looked up once

    def respelled(leaf):
        if not isinstance(leaf, Term) or leaf.field is not None or leaf.at < 0:
            return leaf
        word = leaf.text
        if not word.isalpha() or len(word) < MIN_WORD or word.lower() in STOP_WORDS:
            return leaf  # a stop word is searched for nowhere: nothing to respell
        if shown is not None and word.lower() in shown:
            return leaf
        if word not in respellings:
            respellings[word] = respelling(word, lexicon, found=shown is not None)
        replacement = respellings[word]
        return leaf if replacement is None else Term(replacement, at=leaf.at)

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


def is_one_word(node: Node) -> bool:
    """True for a query of one word typed without a field (and perhaps exclusions)."""
    return sum(isinstance(leaf, Term) and leaf.field is None for leaf in leaves(node)) == 1 and all(
        isinstance(leaf, Term) for leaf in leaves(node))


def respelling(word: str, lexicon: Lexicon, found: bool = False) -> str | None:
    """The likeliest intended word for ``word`` as the articles write it, or None to keep it.

    ``found``: the query found articles (by the word's stem); only a word the articles never write as
    typed is respelled then, and only for one in more than FOUND_RATIO times as many articles.
    """
    typed = word.lower()
    written = lexicon.forms(word, TYPED_CHECKED)
    if typed in {form.lower() for form in written}:
        if found or _is_name(written):
            return None  # a word the articles write so, a name above all: never "corrected"
        ratio = MORE_COMMON
    else:
        ratio = FOUND_RATIO if found else 0
    candidates = sorted(edits(typed))
    counted = lexicon.frequencies([word, *candidates])
    needed = max(counted[word] * ratio, 1)
    near = {candidate: counted[candidate] for candidate in candidates if counted[candidate] >= needed}
    ranked = sorted(near, key=lambda candidate: (-near[candidate] * closeness(typed, candidate), candidate))
    for candidate in ranked[:SHORTLIST]:
        forms = lexicon.forms(candidate, CHECKED)
        spellings = {form.lower(): form for form in sorted(forms, key=lambda form: forms[form])}
        if candidate in spellings:  # a word the articles write, not only a stem they hold
            return spellings[candidate] if _is_name(forms) else candidate
    if found or len(typed) <= 5:
        return None
    return _two_edits_away(typed, needed, lexicon)


def _two_edits_away(typed: str, needed: int, lexicon: Lexicon) -> str | None:
    """The commonest index word whose written form is two edits from ``typed`` (the index's terms are stems:
    their written forms are checked against what was typed)."""
    indexed, terms = lexicon.variants(typed, 2)
    common = sorted((documents, term) for term, documents in terms.items() if documents >= needed and term != indexed)
    for _, term in reversed(common[-SHORTLIST:]):
        forms = lexicon.forms(term, CHECKED)
        nearest = min(forms, key=lambda form: (edit_distance(form.lower(), typed), -forms[form], form), default="")
        if nearest and edit_distance(nearest.lower(), typed) <= 2:
            return nearest if _is_name(forms) else nearest.lower()
    return None


def _is_name(forms: Counter) -> bool:
    """True when the articles write a word with a capital every time."""
    return bool(forms) and all(form[:1].isupper() for form in forms)


def edits(word: str) -> set[str]:
    """The words one edit from ``word``: a letter dropped, two neighbours swapped, one replaced or added."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    found = {left + right[1:] for left, right in splits if right}
    found |= {left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1}
    found |= {left + letter + right[1:] for left, right in splits if right for letter in _LETTERS}
    found |= {left + letter + right for left, right in splits for letter in _LETTERS}
    found.discard(word)
    return found


def closeness(typed: str, candidate: str) -> float:
    """How likely a typist aiming at ``candidate`` wrote ``typed`` (one edit apart)."""
    if len(typed) < len(candidate) or (len(typed) == len(candidate) and sorted(typed) == sorted(candidate)):
        return _SLIP  # a letter dropped, or two swapped
    if len(typed) > len(candidate):
        return _ADDED
    wrong, meant = next((a, b) for a, b in zip(typed, candidate, strict=True) if a != b)
    return _NEIGHBOUR if _neighbours(wrong, meant) else _OTHER


def _neighbours(a: str, b: str) -> bool:
    """True for keys next to each other on a QWERTY keyboard (in a row, or diagonally in the rows around it)."""
    if a not in _KEYS or b not in _KEYS:
        return False
    (row_a, column_a), (row_b, column_b) = _KEYS[a], _KEYS[b]
    return abs(row_a - row_b) <= 1 and abs(column_a - column_b) <= 1


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



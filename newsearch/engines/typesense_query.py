"""Query text to Typesense search parameters: the language's parser tree as a ``filter_by`` expression, plus
the words and phrases ``q`` ranks by.

Which articles match is decided by ``filter_by`` alone, over fields holding each
article's indexed words (stems, in its language, as the Whoosh engine makes them):
AND, OR, NOT and parentheses nest freely there (a NOT is pushed down to the words,
``words:!=...``), so matching is exact; a phrase is its pairs of adjacent words
(exact for two words). ``q`` only ranks: it holds the words and phrases every
match must contain, so it never narrows the matches further (and makes a longer
phrase exact). Features Typesense cannot express are refused with a
QuerySyntaxError naming them (see UNSUPPORTED); docs/scale-out.md lists the
approximations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TypeGuard

from .. import query as tree
from ..analysis import fold, query_terms
from ..errors import QuerySyntaxError
from ..query import MAX_EXPANSIONS
from ..query.marks import STEM_SLACK
from ..query.spelling import edit_distance
from ..schema import EXACT_FIELDS as EXACT, NAME_FIELDS as NAMES, TEXT_FIELDS

# Query field -> the Typesense field of its indexed words (``words`` holds title and body together).
WORD_FIELDS = {"title": "title_words", "body": "body_words"}
# Query field -> the Typesense field of its pairs of adjacent indexed words ("humanitarian corridor"):
# a phrase of two words is one pair, exactly; a longer one is all its pairs, each somewhere.
PAIR_FIELDS = {"title": "title_pairs", "body": "body_pairs"}
NAME_FIELDS = {name: f"{name}_names" for name in NAMES}
EXACT_FIELDS = {name: "key" if name == "id" else name for name in EXACT}
UNSUPPORTED = "the typesense engine cannot search"

# A filter_by expression is a str, or True (matches everything) or False (matches nothing).


@dataclass
class Plan:
    """One tier of a search: which articles match (``filter``), and what ranks them (``q``)."""

    filter: str | bool
    words: list[str] = field(default_factory=list)  # indexed words every match holds, in query order
    optional: list[str] = field(default_factory=list)  # indexed words some matches hold
    phrases: list[tuple[str, ...]] = field(default_factory=list)  # phrases every match holds

    @property
    def required(self) -> bool:
        """True when q ranks by words and phrases every match holds (so q does not narrow the matches)."""
        return bool(self.words or self.phrases)

    @property
    def ranking_words(self) -> list[str]:
        """The words of q: the required ones, else the optional ones (of which Typesense drops some)."""
        return self.words if self.required else self.optional

    def q(self, words: list[str] | None = None) -> str:
        """The q parameter: words and "phrases"; ``*`` when there is nothing to rank by."""
        parts = list(self.ranking_words if words is None else words)
        parts += [f'"{" ".join(phrase)}"' for phrase in self.phrases]
        return " ".join(parts) or "*"


# Lexicon: (prefix, at most how many) -> index words starting with prefix
Lexicon = Callable[[str, int], list[str]]


class Translator:
    """Turns query trees into Plans, looking words up in the index through ``lexicon``.

    Each tree is first analysed (``analysed``): its words become the index's stems, each searched
    in the fields it names, so that matching and ranking read indexed words only.
    """

    def __init__(self, lexicon: Lexicon, close_words: Callable[[str, int], list[str]], languages: tuple[str, ...]):
        self.lexicon = lexicon
        self.close_words = close_words
        self.languages = languages

    def tiers(self, tiers: tuple[tree.Node, ...]) -> list[Plan]:
        """The Plans of a request's tiers: every word, then (if there is a second tier) some of them."""
        return [self.plan(node, loose=number > 0) for number, node in enumerate(tiers)]

    def plan(self, node: tree.Node, *, loose: bool = False) -> Plan:
        """The Plan of one tier: exact filter, the words and phrases to rank by.

        ``loose``: the some-of-the-words tier, ranked by all its words, phrases counted as their words.
        """
        analysed = self.analysed(node)
        plan = Plan(filter=True)
        self._ranking(analysed, plan, required=True, loose=loose)
        plan.filter = self.condition(analysed)
        plan.words = list(dict.fromkeys(plan.words))
        plan.optional = [word for word in dict.fromkeys(plan.optional) if word not in plan.words]
        return plan

    # -- analysis

    def analysed(self, node: tree.Node) -> tree.Node:
        """The tree with its words as indexed words, each leaf naming the field it searches."""
        if isinstance(node, tree.Not):
            return tree.Not(self.analysed(node.child))
        if isinstance(node, tree.And):
            kept = tuple(part for part in map(self.analysed, node.children) if not _dropped(part))
            if any(not isinstance(child, tree.Not) for child in node.children) and all(
                    isinstance(part, tree.Not) for part in kept):
                return tree.Nothing()  # its words were all stop words
            return tree.And(kept)
        if isinstance(node, tree.Or):
            parts = tuple(part for part in map(self.analysed, node.children) if not _dropped(part))
            return tree.Or(parts, some=node.some) if parts else tree.Nothing()
        if isinstance(node, (tree.Every, tree.Nothing, tree.DateRange)):
            return node
        return self._analysed_leaf(node)

    def _analysed_leaf(self, leaf) -> tree.Node:
        name = leaf.field
        if name in NAME_FIELDS or name in EXACT_FIELDS:
            if not isinstance(leaf, (tree.Term, tree.Phrase)):
                shown = f"{name}:{leaf.text}*" if isinstance(leaf, tree.Prefix) else f"{name}:{leaf.text}~"
                raise QuerySyntaxError(f"{UNSUPPORTED} {shown}; use another engine for this query")
            value = " ".join(fold(leaf.text).split()) if name in NAME_FIELDS else leaf.text
            return tree.Term(value, name) if value else _DROPPED
        fields = TEXT_FIELDS if name is None else (name,)
        if isinstance(leaf, tree.Prefix):
            prefix = fold(leaf.text).strip()
            return _either([tree.Prefix(prefix, field) for field in fields]) if prefix else _DROPPED
        words = query_terms(leaf.text, self.languages)
        if not words:
            return _DROPPED  # stop words only
        if isinstance(leaf, tree.Fuzzy):
            return _either([tree.Fuzzy(stem, field, leaf.distance) for stem in words[0] for field in fields])
        if len(words) == 1:
            return _either([_either([tree.Term(stem, field) for field in fields]) for stem in words[0]])
        slop = leaf.slop if isinstance(leaf, tree.Phrase) else 1
        count = max(len(stems) for stems in words)
        variants = dict.fromkeys(" ".join(stems[min(n, len(stems) - 1)] for stems in words) for n in range(count))
        return _either([_either([tree.Phrase(text, field, slop) for field in fields]) for text in variants])

    # -- matching

    def condition(self, node: tree.Node, positive: bool = True) -> str | bool:
        """The filter_by expression matching what ``node`` (analysed) matches (or, not ``positive``, what it
        does not). A phrase is its pairs of adjacent words, all present (see PAIR_FIELDS).
        """
        def each(child, sign=positive):
            return self.condition(child, sign)

        if isinstance(node, tree.Nothing):
            return not positive
        if isinstance(node, tree.Every):
            return positive
        if isinstance(node, tree.Not):
            return each(node.child, not positive)
        if isinstance(node, tree.And):
            return self._joined([each(child) for child in node.children], positive)
        if isinstance(node, tree.Or):
            grouped = _grouped_words(node.children)
            parts = [words_clause(name, words, positive) for name, words in grouped.items()]
            parts += [each(child) for child in node.children if not _is_word(child)]
            return self._joined(parts, not positive)
        return self._leaf(node, positive)

    @staticmethod
    def _joined(parts: list, conjunction: bool):
        return all_of(parts) if conjunction else any_of(parts)

    def _leaf(self, node, positive: bool) -> str | bool:
        if isinstance(node, tree.DateRange):
            return date_range(node.start, node.end, positive)
        name = node.field
        if name in WORD_FIELDS:
            if isinstance(node, tree.Term):
                return words_clause(WORD_FIELDS[name], [node.text], positive)
            if isinstance(node, tree.Phrase):
                if node.slop > 1:
                    raise QuerySyntaxError(f"{UNSUPPORTED} words near each other (\"...\"~{node.slop}); "
                                           "search the exact phrase, or use another engine")
                words = node.text.split(" ")
                joined = all_of if positive else any_of
                return joined([words_clause(PAIR_FIELDS[name], [pair], positive) for pair in pairs(words)])
            if isinstance(node, tree.Prefix):
                return words_clause(WORD_FIELDS[name], self.prefixed(node.text), positive)
            if isinstance(node, tree.Fuzzy):
                return words_clause(WORD_FIELDS[name], self.near(node.text, node.distance, 1), positive)
        if name in NAME_FIELDS:
            return words_clause(NAME_FIELDS[name], [node.text], positive)
        return words_clause(EXACT_FIELDS[name], [node.text], positive)

    def prefixed(self, prefix: str) -> list[str]:
        """The index words starting with ``prefix``, and stems it was cut to; QuerySyntaxError when too many."""
        if not prefix:
            return []
        found = self.lexicon(prefix, MAX_EXPANSIONS + 1)
        if len(found) > MAX_EXPANSIONS:
            raise QuerySyntaxError(f"'{prefix}*' matches more than {MAX_EXPANSIONS} words in the index; "
                                   "give more letters")
        for length in range(max(3, len(prefix) - STEM_SLACK), len(prefix)):
            found += [word for word in self.lexicon(prefix[:length], MAX_EXPANSIONS) if word == prefix[:length]]
        return sorted(set(found))

    def near(self, word: str, distance: int, kept: int) -> list[str]:
        """The index words within ``distance`` edits of ``word`` sharing its first ``kept`` letters, as far as
        Typesense's typo search finds them (a page of candidates: an approximation on large indexes)."""
        found = [term for term in self.close_words(word, distance) if term.startswith(word[:kept])]
        near = [term for term in found if abs(len(term) - len(word)) <= distance
                and edit_distance(term, word) <= distance]
        if len(near) > MAX_EXPANSIONS:
            raise QuerySyntaxError(f"'{word}~' matches more than {MAX_EXPANSIONS} words in the index; "
                                   "give more letters")
        return near

    # -- ranking

    def _ranking(self, node: tree.Node, plan: Plan, *, required: bool, loose: bool) -> None:
        """Collect the words and phrases q ranks by: in the strict tier the ones every match must hold."""
        if isinstance(node, tree.Not):
            return
        phrase = _phrase(node)
        if phrase:
            if loose:
                plan.optional.extend(phrase)
            elif required:
                plan.phrases.append(phrase)
            return
        word = _word(node)
        if word:
            (plan.words if required and not loose else plan.optional).append(word)
            return
        if isinstance(node, tree.And):
            for child in node.children:
                self._ranking(child, plan, required=required, loose=loose)
        elif isinstance(node, tree.Or):
            for child in node.children:
                self._ranking(child, plan, required=False, loose=loose)


_DROPPED = tree.Or(())  # what is left of stop words: left out of its group


def _dropped(node: tree.Node) -> bool:
    return node is _DROPPED


def _either(parts: list[tree.Node]) -> tree.Node:
    parts = list(dict.fromkeys(parts))
    return parts[0] if len(parts) == 1 else tree.Or(tuple(parts))


def _is_word(node: tree.Node) -> TypeGuard[tree.Term]:
    return isinstance(node, tree.Term) and node.field in WORD_FIELDS


def _grouped_words(children) -> dict[str, list[str]]:
    """Plain words of an OR group by the field they are searched in; ``words`` when title and body share them."""
    by_field: dict[str, list[str]] = {}
    for child in children:
        if _is_word(child) and child.field is not None:  # a word's field is always named
            by_field.setdefault(child.field, []).append(child.text)
    if set(by_field) == set(TEXT_FIELDS) and set(by_field["title"]) == set(by_field["body"]):
        return {"words": by_field["title"]}
    return {WORD_FIELDS[name]: words for name, words in by_field.items()}


def _word(node: tree.Node) -> str | None:
    """The indexed word a node searches in title and body (or one of them), if it is one plain word."""
    if _is_word(node):
        return node.text
    if isinstance(node, tree.Or) and node.children:
        words = [child for child in node.children if _is_word(child)]
        texts = {child.text for child in words}
        if len(words) == len(node.children) and len(texts) == 1:
            return texts.pop()
    return None


def _phrase(node: tree.Node) -> tuple[str, ...] | None:
    """The words of a phrase searched in title and body alike, if ``node`` is one that q can rank by:
    not a phrase of one field alone, nor one whose words stem differently in the index's languages."""
    if isinstance(node, tree.Or) and node.children:
        phrases = [child for child in node.children if isinstance(child, tree.Phrase) and child.slop <= 1]
        variants = {child.text for child in phrases}
        fields = {child.field for child in phrases}
        if len(phrases) == len(node.children) and len(variants) == 1 and fields == set(TEXT_FIELDS):
            return tuple(variants.pop().split(" "))
    return None


def pairs(words) -> list[str]:
    """The adjacent pairs of a phrase's indexed words, as PAIR_FIELDS hold them."""
    return [f"{first} {second}" for first, second in pairwise(words)]


def _quoted(value: str) -> str:
    """A filter_by value in backticks (which may hold commas, colons and spaces)."""
    if "`" in value:
        raise QuerySyntaxError(f"{UNSUPPORTED} a value with a backtick: {value!r}")
    return f"`{value}`"


def words_clause(name: str, words: list[str], positive: bool) -> str | bool:
    """``name`` holds one of ``words`` (or, not ``positive``, none of them)."""
    words = list(dict.fromkeys(words))
    if not words:
        return not positive
    values = _quoted(words[0]) if len(words) == 1 else "[" + ",".join(map(_quoted, words)) + "]"
    return f"{name}:{'=' if positive else '!='}{values}"


def all_of(parts: list) -> str | bool:
    """Filters joined by &&; False (nothing matches) absorbs the rest, True (everything) drops out."""
    return _combined(parts, " && ", absorbing=False)


def any_of(parts: list) -> str | bool:
    """Filters joined by ||; True absorbs the rest, False drops out."""
    return _combined(parts, " || ", absorbing=True)


def _combined(parts: list, operator: str, absorbing: bool) -> str | bool:
    if any(part is absorbing for part in parts):
        return absorbing
    parts = list(dict.fromkeys(part for part in parts if part is not (not absorbing)))
    if not parts:
        return not absorbing
    return parts[0] if len(parts) == 1 else "(" + operator.join(parts) + ")"


def seconds(moment: dt.datetime) -> int:
    """A naive UTC datetime as whole seconds since 1970 (how ``published`` is stored)."""
    return int((moment - dt.datetime(1970, 1, 1)).total_seconds())


def date_range(start: dt.datetime | None, end: dt.datetime | None, positive: bool = True) -> str | bool:
    """Dated articles published between ``start`` and ``end`` (inclusive; None: open), or all others."""
    bounds = ["dated:=true"]
    if start is not None:
        bounds.append(f"published:>={seconds(start)}")
    if end is not None:
        bounds.append(f"published:<={seconds(end)}")
    if positive:
        return all_of(bounds)
    return any_of(["dated:=false"] + [bound.replace(">=", "<").replace("<=", ">") for bound in bounds[1:]])

"""The query tree: newsearch's own nodes, which every engine translates; nothing engine-specific in them.

Leaves keep the words as the user typed them; each engine analyses them the way it
indexed the field (folding, stop words, stemming). ``field`` None means the article's
text fields together (title and body), scored as one BM25F term.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field as dataclass_field, replace
from typing import TypeVar

from ..analysis import WORD_PATTERN

_WORD = re.compile(WORD_PATTERN)


@dataclass(frozen=True)
class Term:
    """A word (or a run of words joined by punctuation, "kyiv-cafe", searched as a phrase)."""

    text: str
    field: str | None = None
    at: int = dataclass_field(default=-1, compare=False, repr=False)  # where the query text has it (-1: not typed)


@dataclass(frozen=True)
class Phrase:
    """Words in this order, at most ``slop`` positions apart (1: adjacent)."""

    text: str
    field: str | None = None
    slop: int = 1


@dataclass(frozen=True)
class Prefix:
    """Any word starting with ``text`` (``evacuat*``)."""

    text: str
    field: str | None = None


@dataclass(frozen=True)
class Fuzzy:
    """Any word within ``distance`` edits of ``text`` (``Mariupl~``)."""

    text: str
    field: str | None = None
    distance: int = 1


@dataclass(frozen=True)
class DateRange:
    """Publication moments from ``start`` to ``end``, both inclusive, naive UTC; None is open. Both None: dated."""

    start: dt.datetime | None = None
    end: dt.datetime | None = None


@dataclass(frozen=True)
class And:
    """Every child matches. ``implicit``: the user only wrote the words side by side (see ``tiers``)."""

    children: tuple[Node, ...]
    implicit: bool = False


@dataclass(frozen=True)
class Or:
    """Any child matches. ``some``: the "some of the words" tier, where matching more of them ranks higher."""

    children: tuple[Node, ...]
    some: bool = False


@dataclass(frozen=True)
class Not:
    """Documents the child does not match (inside an And: excluded from it)."""

    child: Node


@dataclass(frozen=True)
class Every:
    """Every document."""


@dataclass(frozen=True)
class Nothing:
    """No document (what is left of a query whose words the index cannot hold)."""


T = TypeVar("T")  # an engine's query
Leaf = Term | Phrase | Prefix | Fuzzy | DateRange
Node = Term | Phrase | Prefix | Fuzzy | DateRange | And | Or | Not | Every | Nothing
LEAVES = (Term, Phrase, Prefix, Fuzzy, DateRange)
WORD_LEAVES = (Term, Phrase, Prefix, Fuzzy)


def children(node: Node) -> tuple[Node, ...]:
    """The nodes directly below ``node``."""
    if isinstance(node, (And, Or)):
        return node.children
    if isinstance(node, Not):
        return (node.child,)
    return ()


def leaves(node: Node, *, excluded: bool = False) -> Iterator[Leaf]:
    """Every leaf of the tree, in order; those under a Not only with ``excluded``."""
    if isinstance(node, LEAVES):
        yield node
    elif isinstance(node, Not):
        if excluded:
            yield from leaves(node.child, excluded=True)
    else:
        for child in children(node):
            yield from leaves(child, excluded=excluded)


def rewrite_leaves(node: Node, rewrite: Callable[[Leaf], Node]) -> Node:
    """The tree with each leaf replaced by ``rewrite(leaf)`` (synonyms, respellings, expansions)."""
    if isinstance(node, LEAVES):
        return rewrite(node)
    if isinstance(node, (And, Or)):
        return replace(node, children=tuple(rewrite_leaves(child, rewrite) for child in node.children))
    if isinstance(node, Not):
        return Not(rewrite_leaves(node.child, rewrite))
    return node


def translated_parts(node: And, translate: Callable[[Node], T | None],
                     everything: Callable[[], T]) -> tuple[list[T], list[T]] | None:
    """An And as an engine translates it: (the parts every match holds, the parts it excludes), or None when
    nothing can match. A part translated to None (stop words only) is left out; when every part that must
    match is left out nothing can; an And of exclusions alone holds everything else (``everything()``)."""
    included: list[T] = []
    excluded: list[T] = []
    for child in node.children:
        if isinstance(child, Nothing):
            return None
        part = translate(child.child if isinstance(child, Not) else child)
        if part is not None:
            (excluded if isinstance(child, Not) else included).append(part)
    if not included:
        if any(not isinstance(child, Not) for child in node.children):
            return None  # its words were all stop words
        included = [everything()]
    return included, excluded


def simplified(node: Node) -> Node:
    """The same query with single-child groups unwrapped, nested groups of one kind flattened, and
    Every/Nothing folded away; an And of exclusions alone means everything else."""
    if isinstance(node, Not):
        inner = simplified(node.child)
        if isinstance(inner, Nothing):
            return Every()
        if isinstance(inner, Every):
            return Nothing()
        return inner.child if isinstance(inner, Not) else Not(inner)
    if not isinstance(node, (And, Or)):
        return node
    kept: list[Node] = []
    for child in map(simplified, node.children):
        if ((isinstance(child, And) and isinstance(node, And))
                or (isinstance(child, Or) and isinstance(node, Or) and child.some == node.some)):
            kept.extend(child.children)
        else:
            kept.append(child)
    if isinstance(node, And):
        if any(isinstance(child, Nothing) for child in kept):
            return Nothing()
        kept = [child for child in kept if not isinstance(child, Every)] or [Every()]
        if all(isinstance(child, Not) for child in kept):
            kept.insert(0, Every())
    else:
        if any(isinstance(child, Every) for child in kept):
            return Every()
        kept = [child for child in kept if not isinstance(child, Nothing)] or [Nothing()]
    return kept[0] if len(kept) == 1 else replace(node, children=tuple(kept))


def is_words(node: Node, text_fields: tuple[str, ...]) -> bool:
    """True for words, phrases and patterns searched in text fields only (no exclusion, no date, no name)."""
    if isinstance(node, WORD_LEAVES):
        return node.field is None or node.field in text_fields
    if isinstance(node, Or) or (isinstance(node, And) and node.implicit):  # an explicit And: +word, a AND b
        return bool(node.children) and all(is_words(child, text_fields) for child in node.children)
    return False


def tiers(node: Node, text_fields: tuple[str, ...]) -> tuple[Node, ...]:
    """The query's tiers, ranked one after the other: documents with every word typed, then (for words
    typed side by side) documents with some of them. Exclusions and field restrictions hold in both.

    In the second tier every word counts on its own: words in brackets typed side by side, and the
    words of a term joined by punctuation ("shock-sound", searched as a phrase in the first tier).
    """
    strict = simplified(node)
    if not (isinstance(node, And) and node.implicit):
        return (strict,)
    words = [child for child in node.children if is_words(child, text_fields)]
    rest = [child for child in node.children if not is_words(child, text_fields)]
    required = any(isinstance(child, And) and not child.implicit for child in rest)  # +word
    if not words or (len(words) < 2 and not required):
        return (strict,)
    # with a +word, the other words are optional in the second tier; else at least one of them is needed
    some = tuple(word for child in words for word in _separate_words(child))
    loose = simplified(And(tuple(rest) if required else (Or(some, some=True), *rest)))
    if loose == strict:
        return (strict,)
    return strict, simplified(And((loose, Not(strict))))


def _separate_words(node: Node) -> Iterator[Node]:
    """The words of a node typed side by side, each on its own: implicit groups opened, joined words apart."""
    if isinstance(node, And) and node.implicit:
        for child in node.children:
            yield from _separate_words(child)
    elif isinstance(node, Term) and len(parts := list(_WORD.finditer(node.text))) > 1:
        for part in parts:
            yield Term(part.group(), node.field, node.at + part.start() if node.at >= 0 else -1)
    else:
        yield node

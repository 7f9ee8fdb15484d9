"""Name variants and synonyms: the synonyms file's format, and query words expanded into all their variants."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from ..analysis import fold
from ..errors import NewsearchError
from .tree import And, Node, Not, Or, Phrase, Term

FILENAME = "synonyms.txt"
# Common transliteration variants of names in the news; written to a new index's synonyms file.
DEFAULT_GROUPS = (
    ("Kyiv", "Kiev"),
    ("Kharkiv", "Kharkov"),
    ("Mariupol", "Mariupolʼ"),
    ("Odesa", "Odessa"),
    ("Lviv", "Lvov"),
    ("Mykolaiv", "Nikolaev", "Nikolayev"),
    ("Zaporizhzhia", "Zaporizhia", "Zaporozhye"),
    ("Luhansk", "Lugansk"),
    ("Chernihiv", "Chernigov"),
    ("Al-Qaeda", "al Qaida", "al-Qaida", "al Qaeda"),
    ("Gaddafi", "Qaddafi", "Kadhafi"),
)
_HEADER = """\
# Name variants and synonyms: one group per line, variants separated by commas.
# A query word (or words) matching any variant finds them all. Case and accents
# do not matter; a variant of several words (al Qaida) is searched as a phrase.
# Lines starting with # are comments. Edit freely; reopen the index to apply.
"""
_TOKEN = re.compile(r"\w+")

Groups = tuple[tuple[tuple[str, ...], ...], ...]  # each group: its variants as folded word sequences


def read_groups(folder: Path) -> Groups:
    """The groups of ``folder``'s synonyms file, or the default groups when it has none."""
    path = folder / FILENAME
    if not path.is_file():
        return parse_groups(", ".join(group) for group in DEFAULT_GROUPS)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise NewsearchError(f"cannot read the synonyms file '{path}': {error}") from None
    return parse_groups(lines)


def write_defaults(folder: Path) -> None:
    """Write the default groups as ``folder``'s synonyms file, unless it has one."""
    path = folder / FILENAME
    if not path.exists():
        path.write_text(_HEADER + "".join(", ".join(group) + "\n" for group in DEFAULT_GROUPS), encoding="utf-8")


def parse_groups(lines: Iterable[str]) -> Groups:
    """Groups from lines of comma-separated variants; comments, blank lines and one-variant lines ignored."""
    groups = []
    for line in lines:
        line = line.split("#", 1)[0]
        variants = tuple(dict.fromkeys(words for words in (_words(v) for v in line.split(",")) if words))
        if len(variants) > 1:
            groups.append(variants)
    return tuple(groups)


def expand(node: Node, groups: Groups) -> Node:
    """The tree with each word typed without a field (or run of such words side by side) that is a variant
    replaced by all its group's variants, any of which may match.

    Quoted phrases, field values, prefixes and fuzzy words stay as typed.
    """
    if not groups:
        return node
    variants = {variant: group for group in groups for variant in group}
    longest = max(len(variant) for variant in variants)
    return _expanded(node, variants, longest)


def _expanded(node: Node, variants: dict, longest: int) -> Node:
    if isinstance(node, Term):
        if node.field is not None:
            return node
        expanded = _expanded(And((node,)), variants, longest)
        return expanded.children[0] if isinstance(expanded, (And, Or)) else expanded
    if isinstance(node, Not):
        return Not(_expanded(node.child, variants, longest))
    if not isinstance(node, (And, Or)):
        return node
    kept: list[Node] = []
    number, children = 0, node.children
    while number < len(children):
        for size in range(min(longest, len(children) - number), 0, -1):
            run = [child for child in children[number:number + size] if isinstance(child, Term) and child.field is None]
            if (size > 1 and isinstance(node, Or)) or len(run) < size:
                continue
            group = variants.get(tuple(word for term in run for word in _words(term.text)))
            if group is not None:
                kept.append(Or(tuple(Term(" ".join(v)) if len(v) == 1 else Phrase(" ".join(v)) for v in group)))
                number += size
                break
        else:
            child = children[number]
            kept.append(child if isinstance(child, Term) else _expanded(child, variants, longest))
            number += 1
    return replace(node, children=tuple(kept))


def _words(variant: str) -> tuple[str, ...]:
    return tuple(fold(word) for word in _TOKEN.findall(variant))

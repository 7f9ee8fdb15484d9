"""Name variants and synonyms: the synonyms file's format, and query words expanded into all their variants."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from .errors import NewsearchError
from .query import plain_words

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
_JOINER = re.compile(r"[\s\-]+")  # between the words of a variant in a query: spaces or hyphens

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


def expand(text: str, groups: Groups) -> str:
    """The query with each plain word (or run of words) that is a variant replaced by ``(v1 OR v2 OR ...)``.

    Words inside quotes, field values (``title:kiev``), prefixes and fuzzy words stay as typed.
    """
    if not groups:
        return text
    variants = {variant: group for group in groups for variant in group}
    longest = max(len(variant) for variant in variants)
    tokens = list(plain_words(text))
    pieces, position, number = [], 0, 0
    while number < len(tokens):
        for size in range(min(longest, len(tokens) - number), 0, -1):
            run = tokens[number:number + size]
            if not _adjacent(text, run):
                continue
            group = variants.get(tuple(_fold(m.group()) for m in run))
            if group is not None:
                pieces.extend([text[position:run[0].start()], _alternatives(group)])
                position, number = run[-1].end(), number + size
                break
        else:
            number += 1
    pieces.append(text[position:])
    return "".join(pieces)


def _alternatives(group: tuple[tuple[str, ...], ...]) -> str:
    return "(" + " OR ".join(" ".join(words) if len(words) == 1 else f'"{" ".join(words)}"'
                             for words in group) + ")"


def _adjacent(text: str, run: list[re.Match]) -> bool:
    return all(_JOINER.fullmatch(text[a.end():b.start()]) for a, b in zip(run, run[1:]))


def _words(variant: str) -> tuple[str, ...]:
    return tuple(_fold(word) for word in _TOKEN.findall(variant))


def _fold(word: str) -> str:
    """Lower case without accents, as the index folds words."""
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))

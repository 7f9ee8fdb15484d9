"""Completions of what a reader is typing: the words of the articles' titles, most used first, and whole titles."""

from __future__ import annotations

import heapq
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

LIMIT = 10
TITLE_SHARE = 3  # when words would fill the list, one completion in this many may be a title
_WORD = re.compile(r"\w+(?:['’-]\w+)*")
_END = "\U0010ffff"  # sorts after every character: [prefix, prefix + _END) holds the keys starting with prefix


@dataclass(frozen=True)
class Completion:
    """One completion: the whole text to search for, and whether it completes a ``word`` or is a ``title``."""

    text: str
    kind: str

    def to_dict(self) -> dict:
        """JSON-ready values."""
        return {"text": self.text, "kind": self.kind}


class Completions:
    """Every title word (lower-cased, with the number of titles holding it) and every title, sorted for prefix
    look-ups: a completion costs two bisections and a pass over the words that start with the prefix."""

    def __init__(self, titles: Iterable[str]):
        counts: Counter[str] = Counter()
        whole: dict[str, str] = {}
        for title in titles:
            title = " ".join(title.split())
            if not title:
                continue
            counts.update({word.lower() for word in _WORD.findall(title) if len(word) > 1 and not word.isdigit()})
            whole.setdefault(title.casefold(), title)
        self._words = sorted(counts)
        self._counts = [counts[word] for word in self._words]
        self._title_keys = sorted(whole)
        self._titles = [whole[key] for key in self._title_keys]

    def complete(self, text: str, limit: int = LIMIT) -> list[Completion]:
        """Up to ``limit`` completions of ``text``: its last word completed by the title words that start with it
        (most used first, the words before kept), then titles that start with the whole text."""
        text = " ".join(text.split())
        if not text or limit < 1:
            return []
        head, _, last = text.rpartition(" ")
        titles = self._starting(self._title_keys, text.casefold(), limit)
        words = []
        if last and text[-1:].isalnum():
            last = last.lower()
            start, stop = self._range(self._words, last)
            best = heapq.nlargest(limit, range(start, stop), key=lambda at: (self._counts[at], -at))
            words = [Completion(f"{head} {self._words[at]}".lstrip(), "word") for at in best
                     if self._words[at] != last]
        room = limit - min(len(titles), limit // TITLE_SHARE)
        chosen = words[:room] + [Completion(self._titles[at], "title") for at in titles]
        return chosen[:limit]

    @staticmethod
    def _range(keys: list[str], prefix: str) -> tuple[int, int]:
        return bisect_left(keys, prefix), bisect_left(keys, prefix + _END)

    def _starting(self, keys: list[str], prefix: str, limit: int) -> list[int]:
        start, stop = self._range(keys, prefix)
        return list(range(start, min(stop, start + limit)))

"""Plain-text articles, and the whitespace and title rules every reader shares."""

from __future__ import annotations

import re

from ..article import Article
from ..languages import detect

_BLANK_LINES = re.compile(r"\n\s*\n")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200b\u3000]+")
_SENTENCE_END = ".,;:"  # a headline may end in "?" or "!", never in a full stop
MAX_HEADLINE_CHARS = 150
TITLE_CHARS = 80


def normalize_space(text: str) -> str:
    """One line: runs of any white space become a single space."""
    return " ".join(text.split())


def normalize_paragraphs(text: str) -> str:
    """Newlines unified, spaces within lines folded, paragraphs separated by one blank line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = []
    for block in _BLANK_LINES.split(text):
        lines = [_SPACES.sub(" ", line).strip() for line in block.split("\n")]
        block = "\n".join(line for line in lines if line)
        if block:
            paragraphs.append(block)
    return "\n\n".join(paragraphs)


def title_from_body(body: str) -> str:
    """A title made of the text's opening words, cut at a word boundary with an ellipsis."""
    words = normalize_space(body)
    if len(words) <= TITLE_CHARS:
        return words
    cut = words[: TITLE_CHARS + 1].rsplit(" ", 1)[0] if " " in words[:TITLE_CHARS] else words[:TITLE_CHARS]
    return cut.rstrip(" ,;:-–—") + "…"


def split_headline(text: str) -> tuple[str, str]:
    """(headline, rest) when the first paragraph reads as a headline, else ("", text).

    A headline is one short line with no final full stop, followed by a blank line
    and more text.
    """
    parts = text.split("\n\n", 1)
    if len(parts) < 2:
        return "", text
    first, rest = parts
    if "\n" in first or len(first) > MAX_HEADLINE_CHARS or first[-1] in _SENTENCE_END:
        return "", text
    return first, rest


def read_text(text: str, *, id: str, path: str) -> Article:
    """An article from plain text: a headline line when there is one, else a title from the opening words."""
    text = normalize_paragraphs(text)
    headline, body = split_headline(text)
    title = headline or title_from_body(body)
    return Article(id=id, title=title, body=body, language=detect(f"{title}\n{body}"), path=path)

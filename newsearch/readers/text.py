"""Plain-text articles, and the whitespace and title rules every reader shares."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..article import Article
from ..languages import DETECT_CHARS, detect

_BLANK_LINES = re.compile(r"\n\s*\n")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200b\u3000]+")
_ODD_SPACES = re.compile(r"[\t\f\v\u00a0\u2000-\u200b\u3000]")  # _SPACES but the plain space
_SENTENCE_END = ".,;:"  # a headline may end in "?" or "!", never in a full stop
MAX_HEADLINE_CHARS = 150
TITLE_CHARS = 80
TITLE_SCAN_CHARS = 64 * 1024  # a title from the body's opening words reads no more of it
PIECE_CHARS = 1 << 20  # a longer text is normalised a piece at a time


def normalize_space(text: str) -> str:
    """One line: runs of any white space become a single space."""
    return " ".join(text.split())


def normalize_paragraphs(text: str) -> str:
    """Newlines unified, spaces within lines folded, paragraphs separated by one blank line.

    A text longer than PIECE_CHARS is worked on a piece at a time, cut at blank lines (at
    a line end or a space when a paragraph is longer), so a 200 MB text costs its own size
    again and the result's, not many times it in lists of paragraphs and lines.
    """
    if len(text) <= PIECE_CHARS:
        return _normalized(text)
    pieces: list[str] = []
    for start, end, joint in _pieces(text):
        piece = _normalized(text[start:end])
        if piece:
            if pieces:
                pieces.append(joint)
            pieces.append(piece)
    return "".join(pieces)


def _pieces(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, what joins it to the piece before) of pieces of about PIECE_CHARS, cut at a blank line,
    else a line end, else a space (else anywhere), so that each piece normalises as it would in the whole."""
    start, joint = 0, ""
    while start < len(text):
        if len(text) - start <= PIECE_CHARS:
            yield start, len(text), joint
            return
        reach = min(len(text), start + 2 * PIECE_CHARS)
        blank = _BLANK_LINES.search(text, start + PIECE_CHARS, reach)
        if blank is not None:
            cut, after, next_joint = blank.start(), blank.end(), "\n\n"
        else:
            cut, next_joint = text.rfind("\n", start + 1, start + PIECE_CHARS), "\n"
            if cut < 0:
                cut, next_joint = text.rfind(" ", start + 1, start + PIECE_CHARS), " "
            if cut < 0:
                cut, next_joint = start + PIECE_CHARS, ""
            after = cut + len(next_joint)
        yield start, cut, joint
        start, joint = after, next_joint


def _normalized(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = []
    # Most texts have single plain spaces only, which _SPACES would leave as they are: skip its work.
    folding = "  " in text or _ODD_SPACES.search(text) is not None
    for block in _BLANK_LINES.split(text):
        lines = block.split("\n")
        if folding:
            lines = [_SPACES.sub(" ", line) for line in lines]
        lines = [line.strip() for line in lines]
        block = "\n".join(line for line in lines if line)
        if block:
            paragraphs.append(block)
    return "\n\n".join(paragraphs)


def title_from_body(body: str) -> str:
    """A title made of the text's opening words, cut at a word boundary with an ellipsis."""
    words = normalize_space(body[:TITLE_SCAN_CHARS])
    if len(words) <= TITLE_CHARS:
        return words
    cut = words[: TITLE_CHARS + 1].rsplit(" ", 1)[0] if " " in words[:TITLE_CHARS] else words[:TITLE_CHARS]
    return cut.rstrip(" ,;:-–—") + "…"


def split_headline(text: str) -> tuple[str, str]:
    """(headline, rest) when the first paragraph reads as a headline, else ("", text).

    A headline is one short line with no final full stop, followed by a blank line
    and more text.
    """
    end = text.find("\n\n", 0, MAX_HEADLINE_CHARS + 2)  # never split a long text to look at its start
    first = text[:end]
    if end < 0 or "\n" in first or not first or first[-1] in _SENTENCE_END:
        return "", text
    return first, text[end + 2:]


def read_text(text: str, *, id: str, path: str) -> Article:
    """An article from plain text: a headline line when there is one, else a title from the opening words."""
    text = normalize_paragraphs(text)
    headline, body = split_headline(text)
    title = headline or title_from_body(body)
    return Article(id=id, title=title, body=body, language=detect(f"{title}\n{body[:DETECT_CHARS]}"), path=path)

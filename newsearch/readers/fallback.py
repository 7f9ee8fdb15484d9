"""A second opinion on a page's story from trafilatura, asked only where our own extraction finds little.

A body of under 75 words is either a short story or a miss: a forum thread read as the poster's
profile, a live ticker, a results table, a blog post that is a list of links, a shop page, a short
story beside a longer form. Trafilatura is asked on those pages alone (51 of the 990 pages of
extraction-wide, 3 of the 120 of extraction/, so reading stays fast). Measured on ../shared/corpora:
extraction-wide passage F1 0.9188 -> 0.9275, and pages below F1 0.5 where an anchor reaches 0.9
from 14 to 3 of 990; extraction/ unchanged.
"""

from __future__ import annotations

import re
from collections import Counter

from .text import normalize_paragraphs

ASK_BELOW_WORDS = 75  # fewer words than this may be a short story or a miss
MIN_GAIN = 3  # trafilatura's text replaces ours when it has more than this many times the words
MIN_WORDS = 25  # and at least this many: a second stub is no better than the first
MAX_SHARED = 0.3  # or, longer than ours, it holds less than this share of our words: it read another text
# Trafilatura takes half a minute on a 12 MB table; the largest of the 1,110 shared pages has 1.6 MB.
MAX_ASKED_CHARS = 2_000_000
_WORD = re.compile(r"\w+")


def checked_body(body: str, html: str) -> str:
    """``body``, or trafilatura's text of ``html`` when ``body`` is short and that reads as the better story.

    Theirs is better when it has several times our words, or more words and mostly other ones
    (we took a form or a profile, it took the story). Pages of megabytes are not asked, so reading
    one stays bounded in time.
    """
    ours = _WORD.findall(body.lower())
    if len(ours) >= ASK_BELOW_WORDS or len(html) > MAX_ASKED_CHARS:
        return body
    other = second_opinion(html)
    theirs = _WORD.findall(other.lower())
    if len(theirs) < MIN_WORDS or len(theirs) <= len(ours):
        return body
    shared = sum((Counter(ours) & Counter(theirs)).values())
    return other if len(theirs) > len(ours) * MIN_GAIN or shared < len(ours) * MAX_SHARED else body


def second_opinion(html: str) -> str:
    """The story trafilatura finds in ``html`` favouring recall, without comments, paragraphs separated by blank lines.

    Favouring recall scores as well here as its default and takes half the time (its slower fallbacks are skipped).
    """
    # Imported here: it takes a quarter of a second, and most runs never need it.
    import trafilatura

    text = trafilatura.extract(html, include_comments=False, favor_recall=True) or ""
    return normalize_paragraphs(text.replace("\n", "\n\n"))

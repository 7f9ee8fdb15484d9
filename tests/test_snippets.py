"""Snippets' shortcuts give what the long way gives, on real text: a sentence found alone is the one the
whole paragraph's split holds."""

from __future__ import annotations

import gzip
import itertools
import json
import re

import pytest

from newsearch import snippets

from conftest import shared_path

pytestmark = pytest.mark.engine_free


def _bodies(corpus: str, count: int) -> list[str]:
    with gzip.open(shared_path(corpus, f"{corpus}.jsonl.gz"), "rt", encoding="utf-8") as lines:
        return [body for line in itertools.islice(lines, count) if (body := json.loads(line).get("body"))]


def test_the_sentence_found_alone_is_the_one_the_whole_paragraph_holds():
    texts = _bodies("reuters", 300) + _bodies("bbc", 200)
    checked = 0
    for text in texts:
        for word in re.finditer(r"\w+", text):
            paragraph = snippets._Paragraph(text, word.start())
            if not paragraph:
                continue
            whole = paragraph.sentences()
            holding = [sentence for sentence in whole if sentence[0] <= word.start()][-1:] or whole[:1]
            assert paragraph.sentence_at(word.start()) == holding[0], (text[:80], word.group())
            checked += 1
    assert checked > 100_000


def test_a_word_marked_in_the_last_sentence_of_a_paragraph_keeps_its_whole_sentence():
    text = ("The cabinet met on Monday. Ministers discussed the budget at length.\n\n"
            "Officials said the talks would resume. No date was set for the vote")
    snippet = snippets.make_snippet(text, [(text.index("vote"), text.index("vote") + 4, "vote")], fragments=1)
    assert str(snippet) == "No date was set for the [vote]"
    assert not snippet.fragments[0].cut_end

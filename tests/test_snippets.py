"""Snippets' shortcuts give what the long way gives, on real text: a sentence found alone is the one the
whole paragraph's split holds, and the tantivy engine's remembered pieces find the words tokenizing finds."""

from __future__ import annotations

import gzip
import itertools
import json
import re

import pytest

from newsearch import snippets
from newsearch.query import TermMarks

from conftest import shared_path

pytestmark = pytest.mark.engine_free


def _bodies(corpus: str, count: int) -> list[str]:
    with gzip.open(shared_path(corpus, f"{corpus}.jsonl.gz"), "rt", encoding="utf-8") as lines:
        return [body for line in itertools.islice(lines, count) if (body := json.loads(line).get("body"))]


def _passages(count: int) -> list[str]:
    """Passages of real pages in German, Polish, French and more (``with`` passages of extraction-wide)."""
    annotations = json.loads(shared_path("extraction-wide", "annotations.json").read_text(encoding="utf-8"))
    texts = [passage for page in annotations.values() for passage in page.get("with", []) if len(passage) > 80]
    return [text for text in texts if not text.isascii()][:count] + texts[:count // 4]


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


tantivy_spans = pytest.importorskip("newsearch.engines.tantivy_spans",
                                    reason="the tantivy engine is optional: pip install 'newsearch[tantivy]'")


@pytest.mark.parametrize("language", ["en", "de", "fr"])
def test_remembered_pieces_find_the_words_tokenizing_the_whole_text_finds(language, monkeypatch):
    from newsearch.engines import tantivy_analysis

    monkeypatch.setattr(tantivy_spans, "PIECES", 20_000)  # cleared and filled again on the way,
    monkeypatch.setattr(tantivy_spans, "PIECE_CHARS", 100_000)  # by count and by characters
    repeated = "Mariupol-Mariupol " * 300 + "Mariupol-Mariupol-Mariupol " * 200  # a piece inside a longer one
    texts = _bodies("reuters", 150) + _bodies("bbc", 100) + _passages(300) + [repeated]
    spans = tantivy_spans.TextSpans()
    compared = found = 0
    for number, text in enumerate(texts):
        tokens = tantivy_analysis.prose(language).pre_tokenize(text).tokens
        if not tokens:
            continue
        picked = {tokens[0].text, tokens[len(tokens) // 2].text, tokens[-1].text,
                  tokens[number % len(tokens)].text, "absentword"}
        marks = TermMarks(words=frozenset(picked))
        expected = tantivy_spans._tokenized_spans(text, language, marks)
        assert spans.spans(text, language, marks) == expected, text[:80]
        compared += 1
        found += len(expected)
    assert compared > 400 and found > 2_000

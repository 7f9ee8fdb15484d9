"""The Whoosh engine's fused prose tokens (for snippets) are exactly what its analyzer indexes."""

from __future__ import annotations

import pytest
from whoosh.fields import TEXT

from newsearch.engines.whoosh_analysis import ProseTokens, build_schema

from conftest import CORPUS

pytestmark = pytest.mark.only_engine("whoosh")

TEXTS = [
    "The harbour's café — naïve Straße, 2022-03 kyiv-cafe a.b.c x*y I a",
    "İstanbul'da İİ ǅ ﬁnance: lowercasing that changes the length of the text",
    "Das Hochwasser in Köln überflutet die Straßen; les élections présidentielles",
    "To be or not to be: the the THE a an of",
]


@pytest.mark.parametrize("language", ["en", "de", "fr", "ru"])
def test_fused_tokens_equal_the_analyzers(language):
    texts = TEXTS + [path.read_text(encoding="utf-8", errors="replace") for path in sorted(CORPUS.rglob("*.txt"))]
    for field in ("title", "body"):
        analyzer = build_schema()[field].analyzer
        fused = ProseTokens.of(analyzer)
        for text in texts:
            expected = [(token.startchar, token.endchar, token.text, token.pos)
                        for token in analyzer(text, chars=True, positions=True, mode="index", language=language)]
            assert fused(text, language) == expected


def test_other_analyzers_are_not_fused():
    assert ProseTokens.of(build_schema()["authors"].analyzer) is None
    assert ProseTokens.of(build_schema(("en", "de"))["body"].analyzer) is None  # query-time stems in two languages


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_long_text_is_indexed_as_whoosh_indexes_a_short_one(long_article, language, monkeypatch):
    """Past LONG_TEXT_CHARS a body is indexed a piece at a time into arrays of positions: the postings are
    byte for byte those of whoosh's own Positions format, only cheaper (here with pieces of 64 KB, so the
    3 MB text is cut in many places, mid-paragraph among them)."""
    from newsearch.engines import whoosh_analysis

    text = long_article[0] + "\n\n" + TEXTS[0] + " " + TEXTS[2]
    field = build_schema()["body"]
    expected = sorted(TEXT.index(field, text, language=language))  # whoosh's own way, word by word
    monkeypatch.setattr(whoosh_analysis, "LONG_TEXT_CHARS", 2 ** 16)
    assert sorted(field.index(whoosh_analysis.Words(text, language))) == expected

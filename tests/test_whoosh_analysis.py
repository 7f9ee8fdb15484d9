"""The Whoosh engine's fused prose tokens (for snippets) are exactly what its analyzer indexes, and the
spans of a few terms found without analysing every word are those found by analysing every word."""

from __future__ import annotations

import pickle

import pytest
from whoosh.fields import TEXT

from newsearch.engines.whoosh_analysis import InLanguage, ProseTokens, build_schema
from newsearch.snippets import match_spans

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
            for _ in range(2):  # the second time from the words remembered
                assert fused.terms(text, language) == [(term, position) for _, _, term, position in expected]


def test_other_analyzers_are_not_fused():
    assert ProseTokens.of(build_schema()["authors"].analyzer) is None
    assert ProseTokens.of(build_schema(("en", "de"))["body"].analyzer) is None  # query-time stems in two languages


@pytest.mark.parametrize("language", ["en", "de", "fr"])
def test_spans_of_some_terms_equal_those_of_every_token(language):
    fused = ProseTokens.of(build_schema()["body"].analyzer)
    texts = TEXTS + ["oil_price Oil oils OIL's oil-prices 3oil oil3 (oil) «oil» ÖL öl"]
    texts += [path.read_text(encoding="utf-8", errors="replace") for path in sorted(CORPUS.rglob("*.txt"))]
    for round in range(2):  # the second time from the words remembered
        for text in texts:
            tokens = fused(text, language)
            terms = {term for _, _, term, _ in tokens[round::7]} | {"oil", "ol"}
            found = fused.spans(text, language, terms)
            if len(text.lower()) != len(text):
                assert found is None
            else:
                assert found == match_spans(tokens, terms)


@pytest.mark.parametrize("language", ["en", "de"])
def test_indexing_through_the_fused_analyzer_gives_whooshs_postings(language):
    texts = TEXTS + [path.read_text(encoding="utf-8", errors="replace") for path in sorted(CORPUS.rglob("*.txt"))]
    field = build_schema()["body"]
    for text in texts:
        expected = list(TEXT.index(field, text, language=language))
        assert list(field.index(InLanguage(text, language))) == expected


def test_a_text_field_pickles_and_compares_without_its_fused_analyzer():
    field = build_schema()["title"]
    list(field.index(InLanguage("Floods in Kyiv", "en")))
    copy = pickle.loads(pickle.dumps(field))
    assert "_fused" not in copy.__dict__
    assert copy == field == build_schema()["title"]


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

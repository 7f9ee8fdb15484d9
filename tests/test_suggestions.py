"""Completions of typed text from the articles' titles: title words by use, then whole titles."""

from __future__ import annotations

from newsearch.suggestions import Completion, Completions

TITLES = [  # titles of the bundled corpus and of Reuters-21578
    "Aid convoys reach Tessal valley towns after ceasefire deal",
    "Harbour bridge reopens after eight months of repairs",
    "Fish market move to the harbour draws petition",
    "OPEC SAYS OUTPUT CEILING WILL HOLD",
    "OPEC SEES OIL PRICES STEADY",
    "Harbour bridge reopens after eight months of repairs",
]


def test_the_last_word_is_completed_by_the_most_used_title_words():
    completions = Completions(TITLES)
    assert completions.complete("har", limit=2) == [Completion("harbour", "word"), Completion(
        "Harbour bridge reopens after eight months of repairs", "title")]
    assert [c.text for c in completions.complete("opec s")] == [
        "opec says", "opec sees", "opec steady", "OPEC SAYS OUTPUT CEILING WILL HOLD", "OPEC SEES OIL PRICES STEADY"]
    assert [c.text for c in completions.complete("fish  market mo")] == [  # "months": in two articles' titles
        "fish market months", "fish market move", "Fish market move to the harbour draws petition"]


def test_titles_fill_what_words_leave_and_nothing_is_offered_twice():
    completions = Completions(TITLES)
    titles = [c for c in completions.complete("harbour bridge") if c.kind == "title"]
    assert titles == [Completion("Harbour bridge reopens after eight months of repairs", "title")]
    assert completions.complete("harbour") == titles  # the word itself is no completion; a title held twice shows once
    assert completions.complete("") == [] and completions.complete("zebra") == []
    assert len(completions.complete("o", limit=3)) == 3

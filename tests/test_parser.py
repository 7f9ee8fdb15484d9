"""The query language's parser: any text is a query, explicit syntax keeps its meaning and precise errors."""

from __future__ import annotations

import datetime as dt

import pytest

from newsearch import QuerySyntaxError
from newsearch.query import And, DateRange, Fuzzy, Not, Or, Phrase, Prefix, Term, parse
from newsearch.query.tree import tiers

pytestmark = pytest.mark.engine_free

TEXT = ("title", "body")


def words(node) -> list[str]:
    return [child.text for child in node.children]


@pytest.mark.parametrize("text", [
    "<AMERICAN VENTURES INC> HAS COGENERATION",  # Reuters titles
    "Hochwasser an der Selbach: Altstadt von Kellinghausen evakuiert",  # a headline of corpus/
    "U.K. MONEY MARKET SHORTAGE FORECAST REVISED DOWN",
    "Fed's (Volcker) says no change\"",  # a bracket pair is a group; a quote ending a word is a letter
    "corridor) (Mariupol", "O\"Brien wins", "Mariupol 🚌 corridor", "Mariupol\x00 corridor\x07",
    "Update: the ferry — again?", "100% + 5 = ?", "re-elected: 3:1 vote",
])
def test_pasted_text_never_fails(text):
    assert parse(text)


def test_words_side_by_side_are_two_tiers_and_an_unknown_capitalised_field_is_a_word():
    tree = parse("Hochwasser an der Selbach: Altstadt")
    assert words(tree) == ["Hochwasser", "an", "der", "Selbach:", "Altstadt"]
    strict, loose = tiers(tree, TEXT)
    assert strict == And(tuple(Term(word) for word in words(tree)), implicit=True)
    assert loose == And((Or(strict.children, some=True), Not(strict)))


def test_the_second_tier_counts_each_word_of_joined_words_and_bracketed_groups_on_its_own():
    # a Cranfield question: "shock-sound" is a phrase among every word, its two words among some of them
    strict, loose = tiers(parse("papers on shock-sound (wave interaction) ."), TEXT)
    assert Term("shock-sound") in strict.children and Term("wave") in strict.children
    assert loose == And((Or(tuple(Term(word) for word in ("papers", "on", "shock", "sound", "wave", "interaction",
                                                            ".")), some=True), Not(strict)))
    assert [term.at for term in loose.children[0].children[2:4]] == [10, 16]  # where the query has them


def test_headlines_in_capitals_read_and_or_not_as_words():
    assert words(parse("FED NOT EXPECTED TO CUT RATES")) == ["FED", "NOT", "EXPECTED", "TO", "CUT", "RATES"]
    assert parse("Fed NOT rates") == And((Term("Fed"), Not(Term("rates"))), implicit=True)
    assert parse("oil OR gas") == And((Or((Term("oil"), Term("gas"))),), implicit=True)


def test_explicit_syntax_keeps_its_meaning():
    assert tiers(parse('"humanitarian corridor"~2 OR Azov*'), TEXT) == (
        Or((Phrase("humanitarian corridor", slop=2), Prefix("Azov"))),)
    assert tiers(parse("author:\"Dev Okafor\" title:<TX> Mariupl~2"), TEXT)[0] == And(
        (Phrase("Dev Okafor", "authors"), Term("<TX>", "title"), Fuzzy("Mariupl", None, 2)), implicit=True)
    assert tiers(parse("published:[2022-03 TO *]"), TEXT) == (DateRange(dt.datetime(2022, 3, 1), None),)
    assert tiers(parse("published:[* TO *]"), TEXT) == (DateRange(None, None),)  # dated articles
    assert tiers(parse("NOT NOT oil"), TEXT) == (Term("oil"),)
    assert tiers(parse("title:(war peace)"), TEXT)[0] == And((Term("war", "title"), Term("peace", "title")),
                                                             implicit=True)


def test_a_plus_word_stays_required_in_the_second_tier():
    strict, loose = tiers(parse("+Mariupol corridor"), TEXT)
    assert loose == And((Term("Mariupol"), Not(strict)))


@pytest.mark.parametrize("text, message, position", [
    ('"humanitarian corridor', "no closing quote", 1),
    ("(corridor OR Mariupol", "'(' is never closed", 1),
    ("corridor) OR Kyiv", "')' has no opening bracket", 9),
    ("corridor NOT", "'NOT' needs a word after it", 10),
    ("colour:red", "unknown field 'colour'", 1),
    ("published:2022-13", "cannot read '2022-13' as a date", 11),
    ("evac*ate", "'*' may only end a word", 1),
    ("published:>*", "published:> needs a date, not '*'", 12),
    ("harbour published:<=*", "published:<= needs a date, not '*'", 21),
])
def test_syntax_errors_say_what_and_where(text, message, position):
    with pytest.raises(QuerySyntaxError, match=message.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")) \
            as caught:
        parse(text)
    assert f"at character {position} of the query" in str(caught.value)


def test_deep_nesting_is_one_line_error_not_a_recursion_error():
    with pytest.raises(QuerySyntaxError, match="nests brackets or NOT more than 32 deep"):
        parse("(" * 600 + "oil" + ")" * 600)
    with pytest.raises(QuerySyntaxError, match="nests"):
        parse("NOT " * 600 + "oil")


def test_a_query_may_hold_a_few_fuzzy_or_prefix_words_not_hundreds():
    """Each fuzzy or prefix word stands for up to 1,000 index words: 300 of them (issue 19) ran for minutes."""
    from newsearch.query.parser import MAX_PATTERNS

    many = " ".join(f"word{number}~2" for number in range(1, 301))
    with pytest.raises(QuerySyntaxError, match=f"has 300 fuzzy or prefix words .* the most is {MAX_PATTERNS}"):
        parse(many)
    allowed = " ".join([f"harbour{number}~1" for number in range(MAX_PATTERNS - 1)] + ["ferr*"])
    assert len([leaf for leaf in parse(allowed).children if isinstance(leaf, (Fuzzy, Prefix))]) == MAX_PATTERNS
    with pytest.raises(QuerySyntaxError):
        parse(allowed + " -ship~1")  # excluded ones count too

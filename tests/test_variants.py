"""Name variants and synonyms: one spelling of a name finds, and marks, the others."""

from __future__ import annotations

import pytest

from newsearch import Index
from newsearch.cli import cli
from newsearch.query import And, Not, Or, Phrase, Term, parse
from newsearch.query.synonyms import DEFAULT_GROUPS, FILENAME, expand, parse_groups

RECORDS = [
    {"id": "kiev", "title": "Cafe reopens in Kiev", "body": "The café in Kiev reopened. Al-Qaida was not involved."},
    {"id": "kyiv", "title": "Kyiv trams run again", "body": "Trams run in Kyiv again; al Qaeda was mentioned."},
    {"id": "mariupol", "title": "Port of Mariupolʼ shut", "body": "The port of Mariupolʼ is shut."},
    {"id": "kharkov", "title": "Kharkov metro", "body": "The Kharkov metro reopened."},
]


@pytest.fixture
def ix(tmp_path):
    with Index.create(tmp_path / "index") as index:
        index.add(RECORDS)
    with Index.open(tmp_path / "index") as index:
        yield index


def ids(results) -> set[str]:
    return {hit.id for hit in results}


@pytest.mark.parametrize("text, expected", [
    ("Kyiv", {"kiev", "kyiv"}),
    ("KIEV", {"kiev", "kyiv"}),
    ("Al-Qaeda", {"kiev", "kyiv"}),
    ("al qaida", {"kiev", "kyiv"}),
    ("Mariupol", {"mariupol"}),
    ("Kharkiv metro", {"kharkov"}),
])
def test_default_variants_find_each_other(ix, text, expected):
    assert ids(ix.query(text)) == expected


def test_variants_are_marked_in_snippets(ix):
    snippets = {hit.id: hit.snippet.matches for hit in ix.query("Kyiv")}
    assert snippets == {"kiev": ("Kiev",), "kyiv": ("Kyiv",)}
    snippets = {hit.id: hit.snippet.matches for hit in ix.query("al-qaeda")}
    assert snippets == {"kiev": ("Al-Qaida",), "kyiv": ("al Qaeda",)}


def test_excluding_one_variant_excludes_them_all(ix):
    assert ids(ix.query("trams -Kiev")) == set()
    assert ids(ix.query("reopened NOT Kyiv")) == {"kharkov"}


def test_quoted_words_and_field_values_are_searched_as_typed(ix):
    assert ids(ix.query('"Kiev"')) == {"kiev"}
    assert ids(ix.query("title:Kiev")) == {"kiev"}


def test_index_synonyms_file_replaces_the_defaults(ix):
    (ix.folder / FILENAME).write_text("# trams\ntram, streetcar\n\ncafe, coffee house  # a phrase\n", encoding="utf-8")
    with Index.open(ix.folder) as reopened:
        assert ids(reopened.query("streetcar")) == {"kyiv"}
        assert ids(reopened.query("coffee house")) == {"kiev"}
        assert ids(reopened.query("Kyiv")) == {"kyiv"}  # the defaults no longer apply


def test_a_new_index_gets_the_default_synonyms_file(ix):
    written = (ix.folder / FILENAME).read_text(encoding="utf-8")
    assert written.startswith("# Name variants")
    assert parse_groups(written.splitlines()) == parse_groups(", ".join(group) for group in DEFAULT_GROUPS)


def test_expansion_keeps_operators_prefixes_and_fuzzy_words():
    groups = parse_groups(["Kyiv, Kiev", "Al-Qaeda, al Qaida"])
    either = Or((Term("kyiv"), Term("kiev")))
    assert expand(parse("Kiev OR Lviv -Kyiv"), groups) == And((Or((either, Term("Lviv"))), Not(either)), implicit=True)
    assert expand(parse('kiev* kiev~ title:kiev "kiev"'), groups) == parse('kiev* kiev~ title:kiev "kiev"')
    assert expand(parse("al-Qaida attack"), groups) == And(
        (Or((Phrase("al qaeda"), Phrase("al qaida"))), Term("attack")), implicit=True)


def test_cli_query_finds_variants(runner, ix):
    result = runner.invoke(cli, ["query", "Kharkiv", "--index", str(ix.folder)])
    assert result.exit_code == 0, result.output
    assert "[Kharkov] metro" in result.output

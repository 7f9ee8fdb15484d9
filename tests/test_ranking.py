"""Ranking invariants on real news text: a page of hits is the head of the full ranking."""

from __future__ import annotations

import gzip
import itertools
import json

import pytest

from newsearch import Index

from conftest import shared_path

QUERIES = ("rises average", "trade over issue", "corp regular regis", "oil price", "bank rate cut", "grain wheat",
           "dollar yen", "company profit share", "stock market", "qtlry regular pays", "bancshares central unit",
           "insituform raises stake", "deficit narrows", "crude output", "coffee quota talks")


@pytest.fixture(scope="module")
def reuters_index(tmp_path_factory, engine):
    path = shared_path("reuters", "reuters.jsonl.gz")
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in itertools.islice(lines, 6000)]
    folder = tmp_path_factory.mktemp("reuters") / "index"
    with Index.create(folder) as ix:
        ix.add(records)
    return folder


@pytest.mark.parametrize("text", QUERIES)
def test_top_ten_is_the_head_of_the_full_ranking(reuters_index, text):
    # whoosh-reloaded's pruning top-N collector dropped real hits from top-10 lists; ours must not
    with Index.open(reuters_index) as ix:
        top = [hit.id for hit in ix.query(text, limit=10)]
        everything = [hit.id for hit in ix.query(text, limit=1000)]
    assert top == everything[:10]


def test_pages_follow_the_full_ranking(reuters_index):
    with Index.open(reuters_index) as ix:
        everything = [hit.id for hit in ix.query("oil price", limit=60)]
        pages = [hit.id for page in (1, 2, 3) for hit in ix.query("oil price", limit=20, page=page)]
    assert pages == everything


@pytest.fixture(scope="module")
def cranfield_index(tmp_path_factory, engine):
    path = shared_path("cranfield", "docs.jsonl")
    with path.open(encoding="utf-8") as lines:
        records = [record for record in map(json.loads, lines) if record["title"] or record["body"]]
    folder = tmp_path_factory.mktemp("cranfield") / "index"
    with Index.create(folder) as ix:
        ix.add(records)
    return folder


def test_the_words_of_a_hyphenated_word_count_on_their_own_among_some_of_the_words(cranfield_index):
    # Cranfield question 14 and its one complete answer (judged 1 by Cleverdon), which says "shock wave" and
    # "sound" but never "shock-sound": ranked 10th on whoosh and 4th on tantivy when the phrase was one unit
    with Index.open(cranfield_index) as ix:
        top = [hit.id for hit in ix.query("papers on shock-sound wave interaction .", limit=3)]
        title = ix.get("64").title
    assert title == "unsteady oblique interaction of a shock wave with plane disturbances ."
    assert "64" in top

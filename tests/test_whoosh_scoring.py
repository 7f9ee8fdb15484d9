"""The Whoosh engine's word-at-a-time scoring gives whoosh's own scores, on segments with deletions."""

from __future__ import annotations

import random

import pytest

from newsearch import Index
from newsearch.engines.whoosh import _collect
from newsearch.engines.whoosh_scoring import (
    PostingCache,
    SearcherArrays,
    WordScorer,
    as_docs,
    intersection,
    minus,
    union,
)
from newsearch.query import build_request

pytestmark = pytest.mark.only_engine("whoosh")

COMMON = ["said", "market", "year", "company", "share", "price"]
RARE = ["calprop", "kumagai", "cistron", "moduline", "ixto", "pito", "bahia", "selloff"]
QUERIES = ["said market", "calprop said", "calprop kumagai said", "pito market year", "share -price",
           "cistron company cistron", "ixto", "said", "price year said company"]


def _records(start: int, count: int, rng: random.Random) -> list[dict]:
    records = []
    for number in range(start, start + count):
        words = rng.choices(COMMON, k=rng.randint(20, 120)) + rng.sample(RARE, rng.randint(0, 2))
        rng.shuffle(words)
        title = " ".join(rng.sample(COMMON + RARE, 3))
        records.append({"id": f"doc-{number}", "title": title, "body": " ".join(words) + "."})
    return records


@pytest.fixture(scope="module")
def updated_index(tmp_path_factory, engine):
    """A Whoosh index written in several commits, with documents replaced and deleted (so: deletions)."""
    rng = random.Random(5)
    folder = tmp_path_factory.mktemp("scoring") / "index"
    with Index.create(folder, engine="whoosh") as index:
        index.add(_records(0, 300, rng))
        index.add(_records(300, 300, rng))
        index.add(_records(100, 80, rng))  # replaced: the old versions become deleted documents
        index.delete([f"doc-{number}" for number in range(500, 540)])
    with Index.open(folder) as index:
        yield index


def _tiers(engine, text: str) -> list:
    """The whoosh queries of a query's tiers, as the engine searches them."""
    return engine.tiers(build_request(text))


def _some_words(engine, text: str):
    """The second tier's words (any of them), without its exclusion of the first tier."""
    return _tiers(engine, text)[-1].a


def _scorer(searcher, cache: PostingCache | None = None) -> WordScorer:
    return WordScorer(searcher, SearcherArrays(), cache or PostingCache())


def _scored(scorer: WordScorer, node) -> dict[int, float]:
    docs = scorer.docs(node)
    return dict(zip(docs.tolist(), scorer.scores(node, docs).tolist(), strict=True))


@pytest.mark.parametrize("text", QUERIES)
def test_word_scores_equal_whooshs(updated_index, text):
    engine = updated_index._engine
    searcher = engine._searcher()
    assert searcher.reader().has_deletions()
    tiers = _tiers(engine, text)
    scorer = _scorer(searcher)
    for tier in tiers:
        assert WordScorer.handles(tier)
        whooshs = {hit.docnum: hit.score for hit in _collect(searcher, tier, searcher.doc_count_all(), None)}
        ours = _scored(scorer, tier)
        assert set(ours) == set(whooshs)
        assert ours == pytest.approx(whooshs, rel=1e-12, abs=1e-12)


def test_other_queries_are_left_to_whoosh(updated_index):
    engine = updated_index._engine
    for text in ('"said market"', "mark*", "title:said"):
        assert not any(WordScorer.handles(tier) for tier in _tiers(engine, text))


def test_scores_of_some_documents_are_those_of_all(updated_index):
    engine = updated_index._engine
    scorer = _scorer(engine._searcher())
    loose = _some_words(engine, "calprop kumagai said")
    everything = _scored(scorer, loose)
    some = scorer.docs(loose)[::3]
    assert dict(zip(some.tolist(), scorer.scores(loose, some).tolist(), strict=True)) == \
        {docnum: everything[docnum] for docnum in some.tolist()}


def test_cached_postings_give_the_same_hits(updated_index):
    engine = updated_index._engine
    searcher = engine._searcher()
    loose = _some_words(engine, "said market")
    expected = _scored(_scorer(searcher, PostingCache(capacity=0)), loose)
    cache = PostingCache()
    assert _scored(_scorer(searcher, cache), loose) == expected
    assert cache._size > 0
    assert _scored(_scorer(searcher, cache), loose) == expected


def test_a_common_word_can_win(tmp_path):
    # "alpha" is in more articles than "beta", but one article is all about alpha: it must stay first
    filler = " ".join(["report"] * 200)
    records = [{"id": "star", "title": "alpha alpha alpha", "body": "alpha " * 5 + filler}]
    records += [{"id": f"a{n}", "title": "news", "body": f"alpha {filler}"} for n in range(39)]
    records += [{"id": f"b{n}", "title": "news", "body": f"beta {filler}"} for n in range(30)]
    records += [{"id": f"f{n}", "title": "news", "body": filler} for n in range(30)]
    with Index.create(tmp_path / "ix", engine="whoosh") as index:
        index.add(records)
    with Index.open(tmp_path / "ix") as index:
        assert [hit.id for hit in index.query("alpha beta", limit=1)] == ["star"]


@pytest.mark.parametrize("sizes", [(0, 0), (5, 0), (40, 3), (300, 280), (2000, 30)])
def test_set_operations_on_document_arrays_equal_pythons(sizes):
    rng = random.Random(sum(sizes))
    size = 3 * max(sizes) + 1
    a, b = (set(rng.sample(range(size), count)) for count in sizes)
    first, second = as_docs(a), as_docs(b)
    for small in (size, 10**6):  # unions made in a mask over every document, and by sorting
        assert union([first, second], small).tolist() == sorted(a | b)
    assert intersection([first, second]).tolist() == sorted(a & b)
    assert minus(first, second).tolist() == sorted(a - b)
    assert minus(second, first).tolist() == sorted(b - a)

"""The query contract every engine keeps, on real news: Reuters and BBC (21,268 articles) from ../shared.

Pasted headlines never fail and find their article; inflected forms find the same articles;
the whoosh and tantivy engines count the same matches for words drawn from the bodies; every
hit carries its near-duplicate group. The figures are printed (``pytest -s``) for the record.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from pathlib import Path

import pytest

from newsearch import Index, QuerySyntaxError

from conftest import shared_path

SEED = 15
TITLES = 500
TITLES_ON_A_SERVER = 200  # a request each: the first 200 of the same sample keep the suite's time (500: 99.8%)
WORDS = 150
INFLECTIONS = (("ship", "shipping"), ("plan", "planned"), ("cut", "cutting"), ("stop", "stopped"),
               ("run", "running"), ("sell", "selling"), ("rise", "rising"), ("strike", "striking"),
               ("trade", "trading"), ("agree", "agreed"))


def _records() -> list[dict]:
    records = []
    for name in ("reuters", "bbc"):
        with gzip.open(shared_path(name, f"{name}.jsonl.gz"), "rt", encoding="utf-8") as lines:
            records += [json.loads(line) for line in lines]
    return records


@pytest.fixture(scope="session")
def news_records() -> list[dict]:
    return _records()


@pytest.fixture(scope="session")
def news_indexes(tmp_path_factory, news_records) -> dict[str, Path]:
    """engine -> a folder holding Reuters and BBC, built through Index.build from the shared files (filled lazily)."""
    corpus = tmp_path_factory.mktemp("news-corpus")
    for name in ("reuters", "bbc"):
        (corpus / f"{name}.jsonl.gz").symlink_to(shared_path(name, f"{name}.jsonl.gz"))
    built: dict[str, Path] = {}
    built["corpus"] = corpus
    return built


def _index(news_indexes: dict, engine: str, tmp_path_factory) -> Path:
    if engine not in news_indexes:
        folder = tmp_path_factory.mktemp(f"news-{engine}") / "index"
        report = Index.build(folder, news_indexes["corpus"], engine=engine, workers=2)
        assert report.ok, report.failed[:3]
        news_indexes[engine] = folder
    return news_indexes[engine]


@pytest.fixture(scope="module")
def news(news_indexes, engine, tmp_path_factory):
    with Index.open(_index(news_indexes, engine, tmp_path_factory)) as index:
        yield index


def test_pasted_titles_never_fail_and_find_their_own_article(news, news_records, engine):
    count = TITLES if engine != "typesense" else TITLES_ON_A_SERVER
    sample = random.Random(SEED).sample([r for r in news_records if r.get("title", "").strip()], count)
    errors, found = [], 0
    for record in sample:
        try:
            hits = news.query(record["title"], limit=10)
        except QuerySyntaxError as error:
            errors.append(f"{record['title']!r}: {error}")
            continue
        own = news.get(record["id"]).group
        found += any(hit.id == record["id"] or (own and hit.group == own) for hit in hits)
    share = found / count
    print(f"\n{engine}: {len(errors)} errors in {count} titles; own article in the top 10: {share:.1%}")
    assert not errors, errors[:5]
    assert share >= 0.97


def test_inflected_forms_find_the_same_articles(news):
    unequal = [(a, b, news.query(a).total, news.query(b).total) for a, b in INFLECTIONS
               if news.query(a).total != news.query(b).total]
    assert not unequal


def test_every_hit_carries_its_group(news):
    hits = news.query("oil prices", limit=20, collapse=False)
    assert len(hits.hits) == 20
    for hit in hits:
        assert hit.group and hit.group == news.get(hit.id).group, hit


def test_whoosh_and_tantivy_count_the_same_matches(news_indexes, news_records, engine, tmp_path_factory):
    if engine != "tantivy":
        pytest.skip("compared once, on the tantivy engine's pass")
    rng = random.Random(SEED)
    words: list[str] = []
    while len(words) < WORDS:
        body = rng.choice(news_records).get("body", "")
        candidates = re.findall(r"[A-Za-z]{4,}", body)
        if candidates:
            words.append(rng.choice(candidates))
    totals = {}
    for name in ("whoosh", "tantivy"):
        with Index.open(_index(news_indexes, name, tmp_path_factory)) as index:
            totals[name] = [index.query(word, limit=1).total for word in words]
    agree = sum(a == b for a, b in zip(totals["whoosh"], totals["tantivy"], strict=True)) / WORDS
    differ = [(w, a, b) for w, a, b in zip(words, totals["whoosh"], totals["tantivy"], strict=True) if a != b]
    print(f"\nwhoosh and tantivy report equal totals for {agree:.1%} of {WORDS} body words; differ: {differ[:10]}")
    assert agree >= 0.98

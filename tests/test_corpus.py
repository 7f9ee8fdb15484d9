"""The relevance safety net: known queries over the bundled corpus find their articles in the top 3."""

from __future__ import annotations

import pytest

from newsearch import Index

from conftest import CORPUS, SEED_ID

KNOWN = [
    ("Mariupol corridor", SEED_ID),
    ("humanitarian corridor art school", SEED_ID),
    ("tram extension council", "html/tram-line-extension-eastquay.html"),
    ("wildlife corridor forests", "html/karsten-forests-wildlife-route.html"),
    ("Hochwasser Altstadt", "html/hochwasser-selbach-kellinghausen.html"),
    ("festival jazz Vallombre", "html/festival-jazz-record-affluence.html"),
    ("comet astronomer", "txt/amateur-astronomer-discovers-comet.txt"),
    ("railway upgrade Ashby", "nc-2021-0322-rail-upgrade"),
]


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory, engine):
    folder = tmp_path_factory.mktemp("corpus") / "index"
    with Index.create(folder) as ix:
        assert ix.update(CORPUS).ok
    return folder


@pytest.mark.parametrize("text, expected", KNOWN)
def test_known_article_is_in_top_three(corpus_index, text, expected):
    with Index.open(corpus_index) as ix:
        top = [hit.id for hit in ix.query(text, limit=3)]
    assert expected in top, top


def test_seed_is_first_for_the_demo_query(corpus_index):
    with Index.open(corpus_index) as ix:
        assert ix.query("Mariupol corridor")[0].id == SEED_ID

"""Choosing an engine: remembered by the index, kept by rebuilds, refused by name when unknown."""

from __future__ import annotations

import json

import pytest

from newsearch import Index, NewsearchError
from newsearch.cli import cli
from newsearch.engines import engine_class, installed
from conftest import SEED_ID

pytestmark = pytest.mark.engine_free

pytest.importorskip("tantivy", reason="the tantivy engine is optional: pip install 'newsearch[tantivy]'")


def test_the_index_remembers_its_engine_through_rebuilds(tmp_path, tiny_corpus, runner):
    folder = tmp_path / "ix"
    result = runner.invoke(cli, ["index", str(tiny_corpus), "--engine", "tantivy", "--index", str(folder), "-q"])
    assert result.exit_code == 0, result.output
    assert json.loads((folder / "newsearch.json").read_text())["engine"] == "tantivy"
    assert runner.invoke(cli, ["index", "--rebuild", "--index", str(folder), "-q"]).exit_code == 0
    with Index.open(folder) as ix:
        assert ix.stats().engine == "tantivy"
        assert ix.query("Mariupol corridor")[0].id == SEED_ID
    # another engine on request: the rebuild switches to it, and queries answer the same way
    assert runner.invoke(cli, ["index", "--rebuild", "--engine", "whoosh", "--index", str(folder), "-q"]).exit_code == 0
    with Index.open(folder) as ix:
        assert ix.stats().engine == "whoosh"
        assert ix.query("Mariupol corridor")[0].id == SEED_ID


def test_both_engines_find_the_same_articles(tmp_path, tiny_corpus):
    queries = ["Mariupol corridor", '"humanitarian corridor"', "evacuat*", "harbour -ferry", 'source:"valdoria wire"',
               "published:[2022-01-01 TO 2022-12-31]", "author:okafor", 'author:"Dev Okafor"', "title:Mariupol", "Mariupl~"]
    found = {}
    for engine in ("whoosh", "tantivy"):
        Index.build(tmp_path / engine, tiny_corpus, engine=engine)
        with Index.open(tmp_path / engine) as ix:
            found[engine] = {text: sorted(hit.id for hit in ix.query(text, limit=100)) for text in queries}
    assert found["tantivy"] == found["whoosh"]
    assert all(found["whoosh"].values())


def test_an_unknown_engine_is_refused_by_name(tmp_path):
    with pytest.raises(NewsearchError, match="unknown engine 'lucene' \\(engines: whoosh, tantivy, typesense\\)"):
        Index.create(tmp_path / "ix", engine="lucene")
    assert not (tmp_path / "ix").exists()
    assert {"whoosh", "tantivy"} <= set(installed())
    assert engine_class("tantivy").__name__ == "TantivyEngine"

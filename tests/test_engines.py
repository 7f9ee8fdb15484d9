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
               "published:[2022-01-01 TO 2022-12-31]", "author:okafor", 'author:"Dev Okafor"', "title:Mariupol",
               "Mariupl~"]
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


def _imported(path) -> set[str]:
    """The modules a file imports, as written (``.whoosh_query``, ``..query``, ``tantivy``)."""
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
            if not node.module:  # from . import whoosh_query
                found.update("." * node.level + alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


ENGINE_NAMES = ("whoosh", "tantivy", "typesense")


def _engines_named(module: str) -> set[str]:
    """The engines whose modules (or packages) an import names: ``.whoosh_query`` -> {"whoosh"}."""
    parts = module.replace("newsearch.engines.", ".").strip(".").split(".")
    return {part.split("_")[0] for part in parts if part.split("_")[0] in ENGINE_NAMES}


def test_no_engine_imports_another_engines_modules_and_the_query_core_imports_none():
    from conftest import ROOT

    for path in (ROOT / "newsearch" / "engines").glob("*.py"):
        own = path.stem.split("_")[0]
        for module in _imported(path):
            others = _engines_named(module) - {own}
            assert not others, f"{path.name} imports {module}"
    core = [*(ROOT / "newsearch" / "query").glob("*.py"), ROOT / "newsearch" / "schema.py",
            ROOT / "newsearch" / "analysis.py"]
    for path in core:
        for module in _imported(path):
            assert "engines" not in module and not _engines_named(module), f"{path.name} imports {module}"


def test_engines_are_found_through_entry_points_and_share_the_base_class():
    from newsearch.engines import names
    from newsearch.engines.base import Engine

    assert names()[:3] == ("whoosh", "tantivy", "typesense")
    for name in installed():
        engine = engine_class(name)
        assert issubclass(engine, Engine) and engine.name == name
        assert isinstance(engine.collapses, bool) and isinstance(engine.phrase_slop, bool)


def test_a_tantivy_index_made_before_the_words_field_finds_the_same_articles(tmp_path, monkeypatch):
    import gzip
    import itertools

    from newsearch.engines import tantivy_analysis

    from conftest import shared_path

    with gzip.open(shared_path("reuters", "reuters.jsonl.gz"), "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in itertools.islice(lines, 500)]
    queries = ["oil prices", "bank rate cut", "crude-oil output", "opec*", "Volker~", '"money market"']
    found = {}
    for made in ("now", "before"):
        with monkeypatch.context() as patch:
            if made == "before":  # an index without words_en, ..., as tantivy indexes were made before them
                patch.setattr(tantivy_analysis, "words_field", lambda language: f"earlier_{language}")
            with Index.create(tmp_path / made, engine="tantivy") as ix:
                ix.add(records)
        with Index.open(tmp_path / made) as ix:
            found[made] = {text: sorted(hit.id for hit in ix.query(text, limit=1000, collapse=False, snippets=False))
                           for text in queries}
    assert found["before"] == found["now"]
    assert all(found["now"].values())


def test_a_tantivy_index_made_before_group_numbers_collapses_the_same_stories(tmp_path, monkeypatch):
    import gzip
    import itertools

    from newsearch.engines import tantivy_analysis

    from conftest import shared_path

    with gzip.open(shared_path("reuters", "reuters.jsonl.gz"), "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in itertools.islice(lines, 1500)]
    queries = ["oil prices", "bank rate cut", "dividend", "opec*", "tonnes"]
    found = {}
    for made in ("now", "before"):
        with monkeypatch.context() as patch:
            if made == "before":  # without group_number, as tantivy indexes were made before it
                patch.setattr(tantivy_analysis, "GROUP_NUMBER", "earlier_group_number")
            with Index.create(tmp_path / made, engine="tantivy") as ix:
                for start in range(0, len(records), 500):  # copies joining groups written before them
                    ix.add(records[start:start + 500])
                ix.delete([record["id"] for record in records[::7]])
        with Index.open(tmp_path / made) as ix:
            found[made] = {text: [(results.total, results.stories), [(hit.id, hit.duplicates) for hit in results]]
                           for text in queries for results in [ix.query(text, limit=50, snippets=False)]}
        with Index.open(tmp_path / made) as ix:  # a page too short to read every match: groups aggregated
            assert all(ix.query(text, limit=1, snippets=False).stories == found[made][text][0][1]
                       for text in queries)
    assert found["before"] == found["now"]
    assert any(hit[1] for _, hits in found["now"].values() for hit in hits)  # some stories have copies


def test_the_tantivy_engine_rarely_takes_a_new_group_for_one_it_wrote():
    """The write's record of group keys written (which marks documents that joined a group, for collapsing)
    finds every key added before, and takes almost no new key for one: each wrongly marked document makes
    every query that matches it count its group."""
    import os

    from newsearch.engines.tantivy import _Seen

    seen = _Seen()
    keys = [os.urandom(6).hex() for _ in range(200_000)]
    wrongly = sum(seen.check_and_add(key) for key in keys)
    assert all(seen.check_and_add(key) for key in keys[::100])
    assert wrongly <= 2  # one bit a key took about 300 of 200,000

"""The public Python API, used as an embedding application would."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from whoosh.fields import ID, Schema
from whoosh.filedb.filestore import FileStorage

from newsearch import (
    Article,
    ArticleNotFound,
    Hit,
    Index,
    IndexExists,
    IndexNotFound,
    NewsearchError,
    QuerySyntaxError,
    Results,
)
from newsearch.generations import live

from conftest import SEED_ID


def test_seed_article_is_first_for_mariupol_corridor(built_index):
    with Index.open(built_index) as ix:
        results = ix.query("Mariupol corridor", limit=5)
    assert isinstance(results, Results)
    first = results[0]
    assert isinstance(first, Hit)
    assert first.id == SEED_ID
    marked = {word.lower() for word in first.snippet.matches}
    assert {"mariupol", "corridors"} <= marked or {"mariupol", "corridor"} <= marked
    assert first.title.startswith("Russia demanded that Ukrainians")
    assert first.score > results[1].score


def test_hits_are_frozen_and_carry_metadata(built_index):
    with Index.open(built_index) as ix:
        hit = ix.query("Tram line extension Eastquay")[0]
    assert hit.source == "The Harbour Gazette"
    assert hit.published == dt.datetime(2023, 4, 12, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert hit.url.startswith("https://harbourgazette.example/")
    with pytest.raises(AttributeError):
        hit.title = "changed"


def test_all_terms_rank_before_some_terms(built_index):
    with Index.open(built_index) as ix:
        results = ix.query("corridor wildlife Karsten zebra", limit=10)
        both = ix.query("corridor Karsten", limit=10)
    # no document has "zebra": the query still finds the ones with most of its words
    assert results.total >= 1
    assert results[0].id == "html/karsten-forests-wildlife-route.html"
    assert both[0].id == "html/karsten-forests-wildlife-route.html"
    assert both.total >= 5  # the other "corridor" articles follow


def test_explicit_and_requires_every_term(built_index):
    with Index.open(built_index) as ix:
        assert ix.query("Mariupol AND zebra").total == 0
        assert ix.query("+Mariupol corridor").total == 1


def test_phrase_and_field_queries(built_index):
    with Index.open(built_index) as ix:
        assert [h.id for h in ix.query('"open the corridor"')] == [SEED_ID]
        assert ix.query('"corridor open the"').total == 0
        authors = {a for h in ix.query("author:okafor", limit=50) for a in h.authors}
        assert "Dev Okafor" in authors
        assert all(h.source == "Valdoria Wire" for h in ix.query('source:"valdoria wire"', limit=50))
        assert {h.language for h in ix.query("language:de", limit=50)} == {"de"}


def test_date_range_query_and_filters(built_index):
    with Index.open(built_index) as ix:
        in_2022 = ix.query("published:[2022-01-01 TO 2022-12-31] OR harbour", limit=100)
        ranged = ix.query("harbour", since="2022", until="2022-12", limit=100)
        everything = ix.query("harbour", limit=100)
    assert ranged.total < everything.total
    assert ranged.total > 0
    assert all(h.published and h.published.year == 2022 for h in ranged)
    assert in_2022.total >= ranged.total


def test_source_filter_and_date_sort(built_index):
    with Index.open(built_index) as ix:
        results = ix.query("harbour OR northfield OR valdoria", source="Northfield Courier", sort="date", limit=50)
    assert results.total > 1
    assert {h.source for h in results} == {"Northfield Courier"}
    dates = [h.published for h in results if h.published]
    keys = [d.isoformat()[:10] for d in dates]
    assert keys == sorted(keys, reverse=True)


def test_date_sort_puts_undated_articles_last(built_index):
    with Index.open(built_index) as ix:
        results = ix.query("harbour", sort="date", limit=50)
    dated = [hit.published is not None for hit in results]
    assert dated == sorted(dated, reverse=True) and not dated[-1] and dated[0]
    assert {hit.score for hit in results} == {0.0}  # the sort key is not a relevance score


def test_pages_do_not_overlap_and_cover_the_total(built_index):
    with Index.open(built_index) as ix:
        everything = ix.query("the OR northfield OR harbour OR valdoria", limit=100)
        pages = [ix.query("the OR northfield OR harbour OR valdoria", limit=3, page=p) for p in (1, 2, 3)]
    ids = [h.id for page in pages for h in page]
    assert ids == [h.id for h in everything][:9]
    assert all(page.total == everything.total for page in pages)


def test_snippet_highlights_stemmed_forms(built_index):
    with Index.open(built_index) as ix:
        hits = ix.query("corridor", limit=10)
    seed = next(h for h in hits if h.id == SEED_ID)
    assert "corridors" in seed.snippet.matches and "corridor" in seed.snippet.matches
    assert "<b>corridors</b>" in seed.snippet.html()
    assert "[corridors]" in str(seed.snippet)


def test_snippet_html_escapes_article_text(tmp_path):
    with Index.create(tmp_path / "ix") as ix:
        ix.add([{"id": "x", "title": "Markup", "body": "Tom & Jerry wrote <script>alert(1)</script> in the corridor."}])
        html = ix.query("corridor")[0].snippet.html()
    assert html == "Tom &amp; Jerry wrote &lt;script&gt;alert(1)&lt;/script&gt; in the <b>corridor</b>."


def test_get_returns_the_stored_article(built_index):
    with Index.open(built_index) as ix:
        article = ix.get("nc-2021-0322-rail-upgrade")
        with pytest.raises(ArticleNotFound, match="no article with id 'missing'"):
            ix.get("missing")
    assert isinstance(article, Article)
    assert article.published == dt.datetime(2021, 3, 22, tzinfo=dt.UTC)
    assert article.source == "Northfield Courier"
    assert "\n\n" in article.body


def test_add_replace_and_delete_records(tmp_path):
    with Index.create(tmp_path / "ix") as ix:
        ix.add([{"id": "a1", "title": "Harbour crane collapses", "body": "A crane fell.", "date": "2024-01-02"},
                Article(id="a2", title="Ferry strike ends", body="Ferries sail again.")])
        assert ix.query("crane").total == 1
        ix.add([{"id": "a1", "title": "Harbour crane repaired", "body": "The crane works."}])
        assert ix.get("a1").title == "Harbour crane repaired"
        assert ix.query("collapses").total == 0
        ix.delete(["a2"])
        assert ix.query("ferry").total == 0
        assert ix.stats().documents == 1


def test_add_rejects_records_without_id(tmp_path):
    with Index.create(tmp_path / "ix") as ix, pytest.raises(Exception, match="needs an 'id'"):
        ix.add([{"title": "No id"}])


def test_deleted_documents_vanish_for_an_open_reader(tmp_path):
    # whoosh-reloaded's searcher.refresh() can keep serving deleted documents; we reopen instead.
    folder = tmp_path / "ix"
    with Index.create(folder) as writer_ix:
        writer_ix.add([{"id": f"d{n}", "title": f"Storm report {n}", "body": "storm"} for n in range(5)])
        with Index.open(folder) as reader_ix:
            assert reader_ix.query("storm").total == 5
            writer_ix.delete(["d1", "d2"])
            assert reader_ix.query("storm").total == 3
            assert {h.id for h in reader_ix.query("storm")} == {"d0", "d3", "d4"}


def test_queries_from_several_threads(built_index):
    failures = []
    with Index.open(built_index) as ix:
        def work():
            try:
                for _ in range(20):
                    assert ix.query("Mariupol corridor")[0].id == SEED_ID
            except Exception as error:  # collected and asserted below
                failures.append(error)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []


def test_update_skips_unchanged_and_handles_changes(tmp_path, tiny_corpus):
    with Index.create(tmp_path / "ix") as ix:
        first = ix.update(tiny_corpus)
        again = ix.update()
        (tiny_corpus / "txt" / "bakery-cooperative-expands.txt").unlink()
        (tiny_corpus / "txt" / "new-pier.txt").write_text("New pier opens\n\nThe pier opened on Friday.\n")
        seed = tiny_corpus / SEED_ID
        seed.write_text(seed.read_text() + "\n\nThe zebra crossing was closed.\n")
        changed = ix.update()
        assert ix.query("zebra")[0].id == SEED_ID
        assert ix.query("pier")[0].title == "New pier opens"
        with pytest.raises(ArticleNotFound):
            ix.get("txt/bakery-cooperative-expands.txt")
    assert (first.added, first.unchanged) == (30, 0)
    assert (again.added, again.changed, again.deleted, again.unchanged) == (0, 0, 0, 30)
    assert (changed.added, changed.changed, changed.deleted, changed.unchanged) == (1, 1, 1, 28)


def test_jsonl_record_changes_are_applied_per_record(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    feed = corpus / "feed.jsonl"
    feed.write_text('{"id": "r1", "title": "One", "body": "alpha"}\n{"id": "r2", "title": "Two", "body": "beta"}\n')
    with Index.create(tmp_path / "ix") as ix:
        ix.update(corpus)
        feed.write_text('{"id": "r2", "title": "Two", "body": "gamma"}\n'
                        '{"id": "r3", "title": "Three", "body": "delta"}\n')
        report = ix.update(corpus)
        assert (report.added, report.changed, report.deleted) == (1, 1, 1)
        assert ix.query("gamma")[0].id == "r2"
        assert ix.query("beta").total == 0
        assert ix.query("alpha").total == 0


def test_bad_files_are_reported_and_the_rest_indexed(tmp_path, tiny_corpus):
    (tiny_corpus / "broken.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    (tiny_corpus / "empty.txt").write_bytes(b"")
    with Index.create(tmp_path / "ix") as ix:
        report = ix.update(tiny_corpus)
        assert report.added == 30
        assert sorted(reason for _, reason in report.failed) == ["binary file, not text", "empty file"]
        assert not report.ok
        # a second run reports the same failures as known ones, not news
        again = ix.update()
        assert again.ok and again.failed == () and again.unchanged == 30
        assert sorted(reason for _, reason in again.known) == ["binary file, not text", "empty file"]


def test_open_missing_index_says_how_to_build_one(tmp_path):
    with pytest.raises(IndexNotFound, match="run 'newsearch index"):
        Index.open(tmp_path / "nothing")


def test_query_on_empty_index_says_how_to_fill_it(tmp_path):
    with Index.create(tmp_path / "ix") as ix, pytest.raises(IndexNotFound, match="holds no documents"):
        ix.query("anything")


def test_create_refuses_to_clobber(tmp_path, built_index):
    with pytest.raises(IndexExists):
        Index.create(built_index)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("precious")
    with pytest.raises(IndexExists, match="not a newsearch index"):
        Index.create(tmp_path / "mine", overwrite=True)
    with Index.create(built_index, overwrite=True) as ix:
        assert ix.stats().documents == 0


@pytest.mark.parametrize("text", ['"unclosed phrase', "(corridor OR kyiv", "corridor) OR kyiv", "nosuchfield:x", "",
                                  "title:"])
def test_bad_queries_raise_query_syntax_error(built_index, text):
    with Index.open(built_index) as ix, pytest.raises(QuerySyntaxError):
        ix.query(text)


@pytest.mark.parametrize("options", [{"since": "yesterday-ish"}, {"limit": 0}, {"page": 0}, {"sort": "random"},
                                     {"since": "2023", "until": "2022"}, {"facets": ["colour"]},
                                     {"snippet_chars": 0}])
def test_bad_query_options_raise_query_syntax_error(built_index, options):
    with Index.open(built_index) as ix, pytest.raises(QuerySyntaxError):
        ix.query("harbour", **options)


def test_stats_counts_sources_and_dates(built_index):
    with Index.open(built_index) as ix:
        stats = ix.stats()
    assert stats.documents == 30
    assert stats.sources["Northfield Courier"] >= 5
    assert stats.first_published.isoformat()[:10] == "2021-02-11"
    assert stats.last_published.isoformat()[:10] == "2024-10-21"
    if stats.engine != "typesense":  # a typesense index keeps its data in the cluster, not on disk
        assert stats.size_bytes > 10_000


def test_an_index_of_an_older_format_asks_to_be_rebuilt(tmp_path):
    with Index.create(tmp_path / "index", engine="whoosh") as ix:
        ix.add([{"id": "a", "title": "Harbour"}])
    FileStorage(str(live(tmp_path / "index"))).create_index(Schema(id=ID(stored=True)))
    with pytest.raises(NewsearchError, match="older version of newsearch; rebuild it: newsearch index --rebuild"):
        Index.open(tmp_path / "index")

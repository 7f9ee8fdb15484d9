"""What results carry beyond ranked hits: facets, spelling suggestions, similar articles, and snippets."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import tracemalloc

import pytest
from test_query import RECORDS

from newsearch import ArticleNotFound, Fragment, QuerySyntaxError, Snippet
from newsearch.cli import cli
from newsearch.snippets import SCAN_CHARS, make_snippet, scanned, sentences_around

from conftest import index_holding, needs, shared_path


@pytest.fixture(scope="module")
def ix(tmp_path_factory, engine):
    with index_holding(tmp_path_factory.mktemp("results") / "index", RECORDS) as index:
        yield index


# -- facets

def test_facets_count_every_matching_article_most_frequent_first(ix):
    results = ix.query("corridor", limit=1, facets=["source", "author", "category", "language", "published:month"])
    assert len(results) == 1 and results.total == 4
    assert results.facets["source"] == (("Reuters", 2), ("Valdoria Wire", 2))
    assert results.facets["author"] == (("Dev Okafor", 2), ("Anselm Duarte", 1), ("Lena Strand", 1))
    assert results.facets["category"] == (("world", 2), ("science", 1))
    assert results.facets["language"] == (("en", 4),)
    assert results.facets["published:month"] == (("2022-03", 2), ("2021-10", 1), ("2022-05", 1))


def test_date_facets_bucket_by_day_week_month_and_year(ix):
    facets = ix.query("corridor Mariupol", facets=["published:day", "published:week", "published:year"]).facets
    assert ("2022-03-06", 1) in facets["published:day"]
    assert ("2022-W09", 1) in facets["published:week"]  # 2022-03-06 is the Sunday of ISO week 9
    assert facets["published:year"] == (("2022", 3), ("2021", 1), ("2023", 1))


def test_facets_combine_with_filters_and_query_syntax(ix):
    results = ix.query("corridor -wildlife", source="Reuters", facets=["author", "published:month"])
    assert results.facets == {"author": (("Dev Okafor", 1), ("Lena Strand", 1)),
                              "published:month": (("2022-03", 1), ("2022-05", 1))}
    results = ix.query("published:2022-03", since="2022-03-10", facets=["source"])
    assert results.facets == {"source": (("Valdoria Wire", 1),)}


def test_unknown_facet_is_a_query_syntax_error(ix):
    with pytest.raises(QuerySyntaxError, match=r"unknown facet 'colour'.*published:month"):
        ix.query("corridor", facets=["colour"])


def test_cli_prints_facets_after_the_hits_and_in_the_json_summary(runner, ix):
    result = runner.invoke(cli, ["query", "corridor", "--facet", "source", "--facet", "published:year",
                                 "--index", str(ix.folder)])
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("source: Reuters (2) · Valdoria Wire (2)\n"
                                           "published:year: 2022 (3) · 2021 (1)")
    result = runner.invoke(cli, ["query", "corridor", "--facet", "author", "--json", "--index", str(ix.folder)])
    summary = json.loads(result.output.splitlines()[-1])
    assert summary["facets"]["author"] == {"Dev Okafor": 2, "Anselm Duarte": 1, "Lena Strand": 1}


# -- spelling suggestions

def test_query_without_hits_runs_the_suggestion_and_says_so(ix):
    results = ix.query("Mariupl corridr")
    assert results.suggestion == "Mariupol corridor" and results.ran_suggestion  # a name, written as the articles do
    assert results[0].id in {"corridor-mariupol", "corridor-shelling"}
    assert results.total == ix.query("mariupol corridor").total


def test_query_with_few_hits_gets_a_suggestion_but_keeps_its_hits(ix):
    results = ix.query("Mariupol corridr")
    assert results.suggestion == "Mariupol corridor" and not results.ran_suggestion
    assert {hit.id for hit in results} == {"corridor-mariupol", "corridor-shelling", "body-only"}


def test_no_suggestion_for_well_spelled_or_field_queries(ix):
    assert ix.query("corridor").suggestion is None
    assert ix.query("Azovstal").suggestion is None
    assert ix.query("source:reuterz").suggestion is None  # field values are not respelled
    assert ix.query("zzzzzz").suggestion is None  # nothing close in the index
    assert ix.query("Strand").suggestion is None  # a name the index holds is never respelled
    assert ix.query("with").suggestion is None  # a stop word is not a typo of "width"


def test_a_typo_one_letter_short_gets_the_word_back(ix):
    assert ix.query("evacuaton").suggestion == "evacuation"
    assert ix.query("coridor").suggestion == "corridor"


def test_cli_prints_did_you_mean(runner, ix):
    result = runner.invoke(cli, ["query", "Mariupol corridr", "--index", str(ix.folder)])
    assert result.output.startswith("Did you mean: Mariupol corridor?"), result.output
    result = runner.invoke(cli, ["query", "Mariupl corridr", "--index", str(ix.folder)])
    assert result.output.startswith("No articles match; showing results for: Mariupol corridor"), result.output


# -- similar

def test_similar_finds_articles_sharing_key_words_not_itself(ix):
    results = ix.similar("corridor-mariupol")
    found = [hit.id for hit in results]
    assert "corridor-mariupol" not in found
    assert found[:2] == ["corridor-azovstal", "corridor-shelling"]
    assert "german" not in found


def test_similar_takes_filters_and_unknown_ids_raise(ix):
    assert {hit.id for hit in ix.similar("corridor-mariupol", source="Valdoria Wire")} == {
        "corridor-shelling", "wildlife-corridor"}
    with pytest.raises(ArticleNotFound):
        ix.similar("no-such-id")


def test_cli_similar(runner, ix):
    result = runner.invoke(cli, ["similar", "corridor-mariupol", "--limit", "1", "--json", "--index", str(ix.folder)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    [hit] = summary["hits"]
    assert hit["id"] == "corridor-azovstal" and summary["total"] >= 2
    lines = runner.invoke(cli, ["similar", "corridor-mariupol", "--limit", "1", "--jsonl", "--index", str(ix.folder)])
    assert [json.loads(line) for line in lines.output.splitlines()] == [hit]
    missing = runner.invoke(cli, ["similar", "no-such-id", "--index", str(ix.folder)])
    assert missing.exit_code == 1 and "no article with id 'no-such-id'" in missing.stderr


# -- publication dates

def test_hits_and_articles_of_a_mixed_index_all_carry_aware_datetimes_and_sort(tmp_path):
    records = [
        {"id": "day", "title": "Ferry day", "body": "The ferry sailed.", "published": "2022-03-06"},
        {"id": "naive", "title": "Ferry naive", "body": "The ferry sailed.", "published": "2022-03-06T10:00:00"},
        {"id": "offset", "title": "Ferry offset", "body": "The ferry sailed.",
         "published": "2022-03-06T11:00:00+02:00"},
        {"id": "zulu", "title": "Ferry zulu", "body": "The ferry sailed.", "published": "2022-03-05T23:30:00Z"},
        {"id": "undated", "title": "Ferry undated", "body": "The ferry sailed."},
    ]
    with index_holding(tmp_path / "index", records) as index:
        hits = list(index.query("ferry", collapse=False))
        articles = [index.get(record["id"]) for record in records]
    dated = [hit for hit in hits if hit.published is not None]
    assert [hit.id for hit in hits if hit.published is None] == ["undated"]
    assert all(isinstance(hit.published, dt.datetime) and hit.published.tzinfo for hit in dated)
    assert [hit.id for hit in sorted(dated, key=lambda hit: hit.published)] == ["zulu", "day", "offset", "naive"]
    utc = dt.UTC
    assert [article.published for article in articles] == [
        dt.datetime(2022, 3, 6, tzinfo=utc), dt.datetime(2022, 3, 6, 10, tzinfo=utc),
        dt.datetime(2022, 3, 6, 9, tzinfo=utc), dt.datetime(2022, 3, 5, 23, 30, tzinfo=utc), None]
    assert articles[2].published.utcoffset() == dt.timedelta(hours=2)  # the source's own offset is kept
    assert {hit.id: hit.published for hit in dated} == {article.id: article.published for article in articles[:4]}


# -- snippets

def test_phrase_query_marks_the_phrase_not_its_scattered_words(ix):
    snippet = ix.query('"corridor for humanitarian"')[0].snippet
    assert snippet.matches == ("corridor for humanitarian",)  # not the first "corridor" of the sentence


@needs("phrase_slop", "refuses words near each other (~N)")
def test_proximity_query_marks_the_words_within_reach(ix):
    snippet = ix.query('"humanitarian corridor"~2', source="Reuters", sort="date")[0].snippet
    assert snippet.matches == ("humanitarian evacuation corridor",)


def test_a_word_searched_also_outside_the_phrase_is_marked_everywhere(ix):
    snippet = ix.query('corridor "humanitarian aid"', limit=1)[0].snippet
    assert snippet.matches == ("corridor", "corridor", "humanitarian aid")


def test_stemmed_forms_are_marked(ix):
    snippet = ix.query("corridors evacuation", source="Reuters", sort="date")[0].snippet
    assert set(snippet.matches) == {"evacuation", "corridor"}
    assert "evacuate" in ix.query("evacuation Mariupol", limit=1)[0].snippet.matches


def test_snippet_prefers_sentences_with_more_distinct_words_and_joins_neighbours():
    text = ("Rain fell. The harbour was quiet. The harbour crane broke. "
            "Workers said the crane and the harbour gate were repaired. Ships waited.")
    words = {"harbour", "crane", "gate"}
    spans = [(text.index(w, i), text.index(w, i) + len(w), w)
             for w in words for i in range(len(text)) if text.startswith(w, i)]
    spans = sorted(set(spans))
    snippet = make_snippet(text, spans, fragments=1)
    assert str(snippet) == "Workers said the [crane] and the [harbour] [gate] were repaired."
    three = make_snippet(text, spans)  # sentences next to each other make one fragment, without an ellipsis
    assert str(three) == ("The [harbour] was quiet. The [harbour] [crane] broke. "
                          "Workers said the [crane] and the [harbour] [gate] were repaired.")
    assert len(three.fragments) == 1


def test_snippet_length_is_configurable_and_snippets_can_be_skipped(ix):
    long = ix.query("corridor", limit=10)
    short = ix.query("corridor", limit=10, snippet_chars=50)
    assert all(len(str(hit.snippet)) <= 60 for hit in short)
    assert max(len(str(hit.snippet)) for hit in long) > 60
    assert not any(hit.snippet for hit in ix.query("corridor", snippets=False))
    with pytest.raises(QuerySyntaxError, match="snippet_chars"):
        ix.query("corridor", snippet_chars=5)


def test_decimal_points_do_not_end_a_sentence():
    text = "Inflation eased to 3.1 percent in August. Nothing else happened."
    snippet = make_snippet(text, [(text.index("percent"), text.index("percent") + 7, "percent")], fragments=1)
    assert str(snippet) == "Inflation eased to 3.1 [percent] in August."


def _reuters(*ids: str) -> dict[str, dict]:
    """Reuters records by id (from ../shared), or skip."""
    found = {}
    with gzip.open(shared_path("reuters", "reuters.jsonl.gz"), "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["id"] in ids:
                found[record["id"]] = record
                if len(found) == len(ids):
                    return found
    raise AssertionError(f"not in the Reuters file: {set(ids) - set(found)}")


def _spans(text: str, *words: str) -> list:
    return [(text.index(word), text.index(word) + len(word), word.lower()) for word in words]


def test_hard_wrapped_lines_make_one_sentence_and_abbreviations_do_not_end_one():
    records = _reuters("reuters-3325", "reuters-3426", "reuters-158")
    body = records["reuters-3426"]["body"]  # "...rumor that Nebraska\nGov. Kay Orr was ... Democratic Sen. Edward"
    around = sentences_around(body, body.index("Yeutter"))
    sentences = [" ".join(body[start:end].split()) for start, end, _, _ in around]
    assert sentences == ["U.S. Trade Representative Clayton Yeutter declined to comment publicly on a rumor that "
                         "Nebraska Gov. Kay Orr was considering appointing him to replace Democratic Sen. Edward "
                         "Zorinsky, who died last week."]
    body = records["reuters-3325"]["body"]  # "<Guinness PLC> said William G.\nPietersen has been named..."
    snippet = make_snippet(body, _spans(body, "Pietersen"), fragments=1)
    assert str(snippet).startswith("<Guinness PLC> said William G. [Pietersen] has been named president")
    assert str(snippet).endswith("North American Wine and Spirits operations.")
    body = records["reuters-158"]["body"]  # '...under the name "Continental Express."\nThe company, however, ...'
    assert str(make_snippet(body, _spans(body, "independent"))) == "The company, however, will remain [independent]."
    assert str(make_snippet(body, _spans(body, "Justice"))).endswith(
        "unit was approved by the U.S. Department of [Justice].")


def test_a_long_sentence_is_cut_around_its_match_with_one_ellipsis_between_fragments():
    body = _reuters("reuters-3325")["reuters-3325"]["body"]
    cut = make_snippet(body, _spans(body, "finance"), chars=80)
    assert [(fragment.cut_start, fragment.cut_end) for fragment in cut.fragments] == [(True, True)]
    assert str(cut).startswith("… ") and str(cut).endswith(" …") and "[finance]" in str(cut)
    two = make_snippet(body, _spans(body, "finance", "Lunghino"), chars=300)
    assert [(fragment.cut_start, fragment.cut_end) for fragment in two.fragments] == [(False, False), (True, True)]
    assert str(two).count("…") == 2 and "human resources. … an interim basis by Donald J. [Lunghino]" in str(two)


def test_an_ellipsis_in_the_text_neither_ends_a_sentence_nor_doubles_the_separator():
    body = _reuters("reuters-17615")["reuters-17615"]["body"]  # '"No decision ... on chairman Volcker ... He has\n'
    quote = str(make_snippet(body, _spans(body, "Fitzwater"), fragments=1))
    assert quote.startswith('"No decision has been made on chairman Volcker ... He has not discussed this')
    joined = Snippet.of([Fragment((("made on chairman ", False), ("Volcker", True), (" ...", False))),
                         Fragment((("... he said.", False),))])
    assert str(joined) == "made on chairman [Volcker] … he said."


def test_a_hit_matched_only_in_its_title_shows_the_lead_sentences(tmp_path):
    records = _reuters("reuters-853", "reuters-309")
    with index_holding(tmp_path / "index", records.values()) as index:
        hit = next(hit for hit in index.query("title:takeover") if hit.id == "reuters-853")
    assert "takeover" not in hit.snippet.render().lower()
    assert hit.snippet.render().startswith("The federal Securities and Exchange Commission (SEC) is looking for")
    assert hit.snippet.render().count(". ") >= 2 and not hit.snippet.fragments[0].cut_start


def test_a_huge_body_is_read_only_around_its_matches():
    body = _reuters("reuters-3325")["reuters-3325"]["body"]
    huge = "\n    ".join([body] * (20_000_000 // len(body)))
    assert len(scanned(huge)) <= SCAN_CHARS and huge.startswith(scanned(huge))
    spans = [(start, start + 8, "lunghino") for start in (huge.index("Lunghino"), huge.rindex("Lunghino"))]
    tracemalloc.start()
    snippet, lead = make_snippet(huge, spans), make_snippet(huge, [])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert str(snippet).count("[Lunghino]") == 2 and str(lead).startswith("<Guinness PLC> said")
    assert peak < 1_000_000  # a copy of the body, or its lines, would take 20 MB or more


# -- whole articles marked (the article view of the web page)

def test_mark_marks_every_match_in_the_whole_title_and_body_keeping_its_text(ix):
    marked = ix.mark("corridor-shelling", "corridor humanitarian")
    assert marked.article.id == "corridor-shelling"
    assert marked.title.render() == "Shelling closes the [corridor]"
    assert marked.body.matches == ("corridor", "corridor", "humanitarian")
    assert "".join(text for text, _ in marked.body.parts) == marked.article.body


def test_mark_follows_stems_phrases_prefixes_and_synonyms(ix):
    assert ix.mark("corridor-azovstal", "evacuate").body.matches == ("evacuation",)
    assert ix.mark("corridor-shelling", '"corridor for humanitarian"').body.matches == ("corridor for humanitarian",)
    assert ix.mark("corridor-mariupol", "evacuat*").body.matches == ("evacuate",)
    assert ix.mark("kyiv-cafe", "Kiev").title.matches == ("Kyiv",)
    assert ix.mark("corridor-mariupol", "corridor -shelling").body.matches == ("corridor",)


def test_mark_without_a_query_marks_nothing_and_errors_are_the_query_errors(ix):
    plain = ix.mark("german", "  ")
    assert plain.body.matches == () and plain.body.render() == plain.article.body
    with pytest.raises(ArticleNotFound):
        ix.mark("no-such-id", "corridor")
    with pytest.raises(QuerySyntaxError):
        ix.mark("german", '"unclosed')


def test_results_to_dict_is_the_cli_json_object_and_its_hits_the_jsonl_lines(runner, ix):
    results = ix.query("corridor", limit=2, page=2, facets=["source"])
    shape = results.to_dict()
    assert shape["hits"] == [hit.to_dict() for hit in results]
    assert (shape["page"], shape["limit"]) == (2, 2)
    assert {key: shape[key] for key in results.summary()} == results.summary()
    printed = runner.invoke(cli, ["query", "corridor", "--limit", "2", "--page", "2", "--facet", "source", "--json",
                                  "--index", str(ix.folder)])
    assert json.loads(printed.output) == shape
    printed = runner.invoke(cli, ["query", "corridor", "--limit", "2", "--page", "2", "--facet", "source", "--jsonl",
                                  "--index", str(ix.folder)])
    assert [json.loads(line) for line in printed.output.splitlines()] == shape["hits"]


def test_recent_blends_relevance_with_age(tmp_path):
    records = [{"id": "old", "title": "Harbour ferry strike", "body": "The harbour ferry strike began.",
                "published": "2021-01-04"},
               {"id": "new", "title": "Council meeting", "body": "The council spoke about the harbour ferry.",
                "published": "2021-06-01"}]
    with index_holding(tmp_path / "ix", records) as ix:
        assert [hit.id for hit in ix.query("harbour ferry")] == ["old", "new"]
        recent = ix.query("harbour ferry", recent=True)
        assert [hit.id for hit in recent] == ["new", "old"] and recent.total == 2
        assert recent[1].score < ix.query("harbour ferry")[0].score / 2 ** 4  # five months: five halvings
        with pytest.raises(QuerySyntaxError):
            ix.query("harbour ferry", recent=True, sort="date")

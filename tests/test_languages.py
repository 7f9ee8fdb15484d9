"""Articles in other languages are stemmed in their language, and queries are analysed the same way."""

from __future__ import annotations

import pytest

from newsearch import Index
from newsearch.languages import analysis_language, detect, language_code
from conftest import index_holding

RECORDS = [
    {"id": "de", "title": "Hochwasser in der Altstadt", "language": "de-DE",
     "body": "Die Hochwasser der letzten Wochen erreichten die Altstadt. Die Feuerwehr war nicht rechtzeitig vor "
             "Ort, und die Stadt hat sich auf den nächsten Sturm vorbereitet."},
    {"id": "ru", "title": "Эвакуация из Мариуполя",  # no language given: detected from the text
     "body": "Эвакуация жителей Мариуполя началась в понедельник, но она была прервана из-за обстрелов. "
             "Власти города сообщили, что это не первая попытка эвакуации."},
    {"id": "fr", "title": "Les inondations", "language": "French",
     "body": "Les inondations de la semaine dernière ont touché la vieille ville. Les pompiers sont arrivés "
             "pour aider les habitants avec des bateaux."},
    {"id": "en", "title": "Evacuations from Mariupol", "language": "en",
     "body": "The evacuations of residents began on Monday, and they were interrupted by shelling."},
]


@pytest.fixture(scope="module")
def ix(tmp_path_factory, engine):
    with index_holding(tmp_path_factory.mktemp("languages") / "index", RECORDS) as index:
        yield index


@pytest.mark.parametrize("text, expected", [
    ("Hochwassers", "de"),  # German genitive, stemmed as German
    ("hochwasser altstadt", "de"),
    ("эвакуации", "ru"),  # another case of эвакуация
    ("эвакуацию Мариуполь", "ru"),
    ("inondation", "fr"),
    ("evacuation", "en"),
])
def test_inflected_forms_find_articles_in_their_language(ix, text, expected):
    assert [hit.id for hit in ix.query(text)] == [expected]


def test_snippets_mark_forms_stemmed_in_the_article_language(ix):
    assert ix.query("эвакуацию")[0].snippet.matches[0] == "Эвакуация"
    assert ix.query('"die Hochwasser"')[0].snippet.matches == ("Die Hochwasser",)


def test_similar_uses_the_article_language(ix):
    with Index.create(ix.folder.parent / "similar") as other:
        other.add([*RECORDS, {"id": "de2", "title": "Feuerwehr im Einsatz", "language": "de",
                              "body": "Die Feuerwehr pumpte das Hochwasser aus den Kellern der Altstadt."}])
        assert [hit.id for hit in other.similar("de2")][:1] == ["de"]


def test_fuzzy_prefix_and_suggestions_work_on_other_languages(ix):
    assert [hit.id for hit in ix.query("Hochwaser~")] == ["de"]
    assert [hit.id for hit in ix.query("Hochwass*")] == ["de"]
    results = ix.query("Hochwaser")
    assert results.suggestion == "hochwasser" and [hit.id for hit in results] == ["de"]


@pytest.mark.parametrize("metadata, code", [
    ("de", "de"), ("de-DE", "de"), ("pt_BR", "pt"), ("German", "de"), ("Русский", "ru"), ("", ""), ("??", ""),
])
def test_language_metadata_becomes_a_code(metadata, code):
    assert language_code(metadata) == code


def test_detection_reads_common_words_and_declines_when_unsure():
    assert detect(RECORDS[0]["body"]) == "de"
    assert detect(RECORDS[1]["body"]) == "ru"
    assert detect(RECORDS[2]["body"]) == "fr"
    assert detect("Mariupol, Kharkiv, Odesa") == ""
    assert analysis_language("es", RECORDS[0]["body"]) == "es"  # metadata wins

"""Articles in other languages are stemmed in their language, and queries are analysed the same way."""

from __future__ import annotations

import gzip
import json

import pytest

from newsearch import Index
from newsearch.languages import analysis_language, detect, language_code
from newsearch.readers import read_article

from conftest import index_holding, shared_path

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
    assert results.suggestion == "Hochwasser" and [hit.id for hit in results] == ["de"]  # as the article writes it


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


# One news paragraph per language detection knows, each long enough to decide on.
PARAGRAPHS = {
    "en": "The council said on Monday that the bridge would stay closed for another week, and that the repairs "
          "were taking longer than expected because of the flooding in the spring.",
    "de": "Der Stadtrat hat am Montag beschlossen, dass die Brücke noch eine Woche gesperrt bleibt, weil die "
          "Reparaturen wegen des Hochwassers im Frühjahr länger dauern, als es die Stadt erwartet hatte.",
    "fr": "Le conseil municipal a annoncé lundi que le pont restera fermé une semaine de plus, car les travaux "
          "sont plus longs que prévu après les inondations du printemps dans la vallée.",
    "es": "El ayuntamiento anunció el lunes que el puente seguirá cerrado una semana más, porque las obras "
          "están tardando más de lo previsto por las inundaciones de la primavera en el valle.",
    "it": "Il consiglio comunale ha annunciato lunedì che il ponte resterà chiuso per un'altra settimana, perché "
          "i lavori sono più lunghi del previsto a causa delle alluvioni della primavera nella valle.",
    "pt": "A câmara municipal anunciou na segunda-feira que a ponte vai continuar fechada por mais uma semana, "
          "porque as obras estão a demorar mais do que o previsto devido às cheias da primavera no vale.",
    "nl": "De gemeenteraad heeft maandag gezegd dat de brug nog een week dicht blijft, omdat de reparaties door "
          "de overstromingen van het voorjaar langer duren dan de stad had verwacht.",
    "sv": "Kommunen meddelade på måndagen att bron kommer att vara stängd i ytterligare en vecka, eftersom "
          "reparationerna tar längre tid än väntat efter översvämningarna i våras och det är inte klart när.",
    "da": "Kommunen meddelte mandag, at broen vil være lukket i endnu en uge, fordi reparationerne tager "
          "længere tid end ventet efter oversvømmelserne i foråret, og det er ikke klart, hvornår den blev åbnet.",
    "no": "Kommunen sa mandag at brua vil være stengt i enda en uke, fordi reparasjonene tar lengre tid enn "
          "ventet etter flommen i vår, og det er ikke klart når den ble åpnet igjen etter at den ble stengt.",
    "fi": "Kaupunki kertoi maanantaina, että silta on suljettuna vielä viikon, koska korjaukset ovat kestäneet "
          "odotettua kauemmin kevään tulvien jälkeen, ja se ei ole vielä selvää, milloin se avataan.",
    "hu": "A városi tanács hétfőn azt közölte, hogy a híd még egy hétig zárva marad, mert a javítás a tavaszi "
          "árvíz miatt tovább tart, mint ahogy azt a város várta, és még nem tudni, mikor nyit meg.",
    "ro": "Consiliul local a anunțat luni că podul va rămâne închis încă o săptămână, pentru că lucrările "
          "durează mai mult decât era prevăzut din cauza inundațiilor din primăvară și nu este clar când.",
    "tr": "Belediye pazartesi günü yaptığı açıklamada köprünün bir hafta daha kapalı kalacağını, çünkü "
          "onarımların bahardaki sel nedeniyle beklenenden çok daha uzun sürdüğünü ve bu yüzden gecikme olduğunu "
          "söyledi.",
    "ru": "Городской совет в понедельник сообщил, что мост будет закрыт ещё на неделю, так как ремонт после "
          "весеннего наводнения занимает больше времени, чем ожидалось, и это не первая задержка.",
    "uk": "Міська рада в понеділок повідомила, що міст буде закрито ще на тиждень, оскільки ремонт після "
          "весняної повені триває довше, ніж очікували, і це вже не перша затримка для міста.",
}


@pytest.mark.parametrize("code", sorted(PARAGRAPHS))
def test_detection_knows_each_supported_language(code):
    assert detect(PARAGRAPHS[code]) == code


def _shared_article(tmp_path, folder, key):
    (source,) = folder.glob(f"{key}*.html.gz")
    path = tmp_path / f"{key}.html"
    path.write_bytes(gzip.decompress(source.read_bytes()))
    return read_article(path)


def test_portuguese_pages_are_detected_as_portuguese(tmp_path):
    pages = [(shared_path("extraction", "html"), key) for key in ("3252222e61fe7898", "b3c19dd5f0612d09",
                                                                  "f6ac15a4d9851139")]
    wide = shared_path("extraction-wide")
    annotations = json.loads((wide / "annotations.json").read_text(encoding="utf-8"))
    pages += [(wide / "html", key) for key, entry in annotations.items() if ".com.br/" in entry["url"]]
    assert len(pages) >= 5
    for folder, key in pages:
        assert detect(_shared_article(tmp_path, folder, key).body) == "pt", key


def test_detection_agrees_with_the_metadata_of_shared_pages(tmp_path):
    """On extraction/ (English, Russian, Portuguese, German pages), where metadata names a language detection knows."""
    folder = shared_path("extraction", "html")
    agree = checked = 0
    for path in sorted(folder.glob("*.html.gz")):
        article = _shared_article(tmp_path, folder, path.name[:16])
        if article.language in PARAGRAPHS and len(article.body) >= 300:
            checked += 1
            agree += detect(article.body) == article.language
    assert checked >= 100 and agree >= 0.95 * checked

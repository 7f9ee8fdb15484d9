"""File -> Article: one test per format and per failure, on small real files written into tmp_path."""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import json
import os
from pathlib import Path

import pytest

from newsearch.article import Article
from newsearch.dates import parse_loose_date
from newsearch.errors import ReadError
from newsearch.readers import article_from_record, find_files, parse_bound, parse_date, read_file

pytestmark = pytest.mark.engine_free

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED = SHARED / "seed" / "000_fdb48ad2d1f0ca55.txt"

UTC = dt.UTC
PARAGRAPH = "Officials in the city said the first corridor would open at nine in the morning."


def _write(folder: Path, name: str, content: str | bytes) -> Path:
    """Write a test file (UTF-8 for text) under ``folder``, creating subfolders, and return its path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def _read_one(path: Path, root: Path) -> Article:
    """The single article of a file that must read without errors."""
    result = read_file(path, root)
    assert result.errors == (), result.errors
    assert len(result.articles) == 1, result.articles
    return result.articles[0]


def _only_error(path: Path, root: Path) -> ReadError:
    """The single error of a file that gives no articles."""
    result = read_file(path, root)
    assert result.articles == ()
    assert len(result.errors) == 1, result.errors
    return result.errors[0]


def _page(head: str = "", body: str = "", html_attrs: str = "") -> str:
    return f"<!DOCTYPE html>\n<html{html_attrs}><head>{head}</head><body>{body}</body></html>"


def _json_ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


# --- plain text -------------------------------------------------------------------------------


def test_txt_headline_line_becomes_title(tmp_path):
    path = _write(tmp_path, "bridge.txt", (
        "Harbour bridge closes to lorries\n"
        "\n"
        "The city council voted on Tuesday to close the old harbour bridge to heavy traffic.\n"
        "\n"
        "Engineers found cracks in two of its piers during an inspection in February.\n"
    ))
    article = _read_one(path, tmp_path)
    assert article.title == "Harbour bridge closes to lorries"
    assert article.body == (
        "The city council voted on Tuesday to close the old harbour bridge to heavy traffic.\n"
        "\n"
        "Engineers found cracks in two of its piers during an inspection in February."
    )


def test_txt_paragraphs_are_kept_and_whitespace_normalised(tmp_path):
    path = _write(tmp_path, "crlf.txt", (
        "Storm warning issued?\r\n\r\n"
        "Forecasters   warned of gales\ton Friday.\r\n"
        "The warning covers the coast.\r\n"
        "\r\n\r\n   \r\n"
        "Ferries may be cancelled.\r\n"
    ))
    article = _read_one(path, tmp_path)
    assert article.title == "Storm warning issued?"  # a headline may end in "?"
    assert article.body == (
        "Forecasters warned of gales on Friday.\nThe warning covers the coast.\n\nFerries may be cancelled."
    )


@pytest.mark.parametrize("space", ["  ", "\t", "\u00a0", "\u2009", "\u200b", "\u3000", "\x0b", "\x0c"])
def test_any_run_of_spaces_alone_in_a_text_becomes_one_space(space):
    from newsearch.readers.text import normalize_paragraphs

    line = f"Forecasters{space}warned of gales on Friday.\nThe warning covers the coast.{space}"
    assert normalize_paragraphs(line) == "Forecasters warned of gales on Friday.\nThe warning covers the coast."


def test_txt_without_headline_gets_title_from_opening_words(tmp_path):
    first = (
        "The city council voted on Tuesday evening to close the old harbour bridge to all heavy traffic "
        "from the first of May, citing safety concerns raised by engineers."
    )
    path = _write(tmp_path, "council-vote.txt", f"{first}\n\nThe bridge was built in 1902.\n")
    article = _read_one(path, tmp_path)
    assert article.title == "The city council voted on Tuesday evening to close the old harbour bridge to all…"
    assert "council-vote" not in article.title
    assert article.body == f"{first}\n\nThe bridge was built in 1902."


def test_txt_first_paragraph_ending_with_full_stop_is_not_a_headline(tmp_path):
    path = _write(tmp_path, "short.txt", "Prices rose again.\n\nBread now costs more than ever.\n")
    article = _read_one(path, tmp_path)
    assert article.body == "Prices rose again.\n\nBread now costs more than ever."
    assert article.title == "Prices rose again. Bread now costs more than ever."


def test_txt_id_and_path_come_from_the_file(tmp_path):
    path = _write(tmp_path, "2022/03/story.txt", "Headline\n\nBody text.\n")
    result = read_file(path, tmp_path)
    assert result.path == str(path)
    assert result.content_hash == hashlib.sha1(path.read_bytes()).hexdigest()
    (article,) = result.articles
    assert article.id == "2022/03/story.txt"
    assert article.path == str(path)


def test_seed_article_title_is_its_opening_words():
    if not SEED.exists():
        pytest.skip(f"{SEED} is absent: the shared seed sits beside the repository only in the project's workspace")
    article = _read_one(SEED, SEED.parent)
    assert article.title.startswith("Russia demanded")
    assert article.title == "Russia demanded that Ukrainians in the besieged city of Mariupol lay down their…"
    assert "000_fdb48ad2d1f0ca55" not in article.title
    assert article.id == "000_fdb48ad2d1f0ca55.txt"
    assert article.body.startswith("Russia demanded that Ukrainians in the besieged city of Mariupol")
    assert "\n\n" in article.body


# --- JSON and JSON Lines ----------------------------------------------------------------------


def test_json_single_object_becomes_one_article(tmp_path):
    path = _write(tmp_path, "news/one.json", json.dumps({
        "title": "Harbour bridge closes",
        "body": "The council voted on Tuesday.\n\nEngineers found cracks.",
        "published": "2022-03-21T10:00:00+02:00",
        "authors": ["Jane Doe", "John Roe"],
        "source": "Harbour Gazette",
        "url": "https://example.org/bridge",
        "language": "EN",
        "categories": ["Local", "Transport"],
    }))
    article = _read_one(path, tmp_path)
    assert article.id == "news/one.json"
    assert article.title == "Harbour bridge closes"
    assert article.body == "The council voted on Tuesday.\n\nEngineers found cracks."
    assert article.published == dt.datetime(2022, 3, 21, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert article.authors == ("Jane Doe", "John Roe")
    assert article.source == "Harbour Gazette"
    assert article.url == "https://example.org/bridge"
    assert article.language == "en"
    assert article.categories == ("Local", "Transport")
    assert article.path == str(path)


def test_json_list_gives_one_article_per_item(tmp_path):
    path = _write(tmp_path, "news/list.json", json.dumps([
        {"title": "First", "body": "One."},
        {"title": "Second", "body": "Two."},
    ]))
    result = read_file(path, tmp_path)
    assert result.errors == ()
    assert [(a.id, a.title, a.body) for a in result.articles] == [
        ("news/list.json:1", "First", "One."),
        ("news/list.json:2", "Second", "Two."),
    ]


def test_json_articles_wrapper_is_read_as_a_list(tmp_path):
    path = _write(tmp_path, "wrapped.json", json.dumps({"articles": [{"title": "A"}, {"title": "B"}]}))
    result = read_file(path, tmp_path)
    assert [(a.id, a.title) for a in result.articles] == [("wrapped.json:1", "A"), ("wrapped.json:2", "B")]


def test_jsonl_malformed_line_is_reported_and_other_lines_read(tmp_path):
    path = _write(tmp_path, "feeds/feed.jsonl", "\n".join([
        json.dumps({"title": "First", "body": "One."}),
        "",
        '{"title": "Broken", "body": ',
        json.dumps({"title": "Fourth", "body": "Four."}),
    ]) + "\n")
    result = read_file(path, tmp_path)
    assert [(a.id, a.title) for a in result.articles] == [
        ("feeds/feed.jsonl:1", "First"),
        ("feeds/feed.jsonl:4", "Fourth"),
    ]
    (error,) = result.errors
    assert error.path == f"{path} line 3"
    assert error.reason.startswith("invalid JSON")
    assert str(path) in str(error) and "line 3" in str(error)


@pytest.mark.parametrize("key", ["text", "content", "articleBody"])
def test_record_body_aliases_fill_body(key):
    article = article_from_record({"title": "T", key: "Para one.\n\n\n  Para   two."}, id="x")
    assert article.body == "Para one.\n\nPara two."


def test_record_field_aliases_map_onto_article_fields(tmp_path):
    path = _write(tmp_path, "alias.jsonl", json.dumps({
        "headline": "Bridge closes",
        "content": "The council voted.",
        "date": "2022-03-21",
        "author": "Jane Doe",
        "category": "Local",
        "site": "Harbour Gazette",
        "link": " https://example.org/b ",
        "lang": "EN",
    }) + "\n")
    article = _read_one(path, tmp_path)
    assert article.title == "Bridge closes"
    assert article.body == "The council voted."
    assert article.published == dt.datetime(2022, 3, 21, tzinfo=dt.UTC)
    assert isinstance(article.published, dt.datetime) and article.published.utcoffset() == dt.timedelta(0)
    assert article.authors == ("Jane Doe",)
    assert article.categories == ("Local",)
    assert article.source == "Harbour Gazette"
    assert article.url == "https://example.org/b"
    assert article.language == "en"


def test_record_authors_from_person_objects_are_names_without_duplicates():
    record = {"title": "T", "author": [{"name": "Jane Doe"}, "  John   Roe ", {"name": "Jane Doe"}, ""]}
    assert article_from_record(record, id="x").authors == ("Jane Doe", "John Roe")


def test_record_own_id_is_kept(tmp_path):
    path = _write(tmp_path, "own.jsonl", "\n".join([
        json.dumps({"id": "gazette-1234", "title": "Own id"}),
        json.dumps({"id": 42, "title": "Numeric id"}),
        json.dumps({"id": "", "title": "Empty id"}),
    ]))
    result = read_file(path, tmp_path)
    assert [a.id for a in result.articles] == ["gazette-1234", "42", "own.jsonl:3"]


def test_record_ids_derive_from_relative_path(tmp_path):
    root = tmp_path / "corpus"
    single = _write(root, "2022/03/one.json", json.dumps({"title": "Single"}))
    listed = _write(root, "2022/03/list.json", json.dumps([{"title": "A"}, {"title": "B"}]))
    lines = _write(root, "2022/03/feed.jsonl", json.dumps({"title": "A"}) + "\n" + json.dumps({"title": "B"}))
    assert [a.id for a in read_file(single, root).articles] == ["2022/03/one.json"]
    assert [a.id for a in read_file(listed, root).articles] == ["2022/03/list.json:1", "2022/03/list.json:2"]
    assert [a.id for a in read_file(lines, root).articles] == ["2022/03/feed.jsonl:1", "2022/03/feed.jsonl:2"]


def test_record_without_title_gets_title_from_body():
    article = article_from_record({"body": "Short body."}, id="x")
    assert article.title == "Short body."


def test_record_without_title_and_body_is_an_error(tmp_path):
    with pytest.raises(ReadError, match="neither a title nor a body") as caught:
        article_from_record({"author": "Jane Doe", "title": "  ", "body": ""}, id="x", path="some.json")
    assert caught.value.path == "some.json"

    path = _write(tmp_path, "list.json", json.dumps([{"title": "Fine"}, {"author": "Jane Doe"}]))
    result = read_file(path, tmp_path)
    assert [a.title for a in result.articles] == ["Fine"]
    (error,) = result.errors
    assert error.path == f"{path} item 2"
    assert error.reason == "record has neither a title nor a body"


def test_non_object_json_record_is_an_error(tmp_path):
    with pytest.raises(ReadError, match="record is a JSON list, not an object"):
        article_from_record(["title", "body"], id="x", path="x.json")

    top = _write(tmp_path, "string.json", json.dumps("just a string"))
    error = _only_error(top, tmp_path)
    assert error.path == str(top)
    assert error.reason == "record is a JSON str, not an object"

    items = _write(tmp_path, "items.json", json.dumps([5, {"title": "Fine"}]))
    result = read_file(items, tmp_path)
    assert [a.id for a in result.articles] == ["items.json:2"]
    assert [(e.path, e.reason) for e in result.errors] == [(f"{items} item 1", "record is a JSON int, not an object")]

    lines = _write(tmp_path, "lines.jsonl", json.dumps({"title": "Fine"}) + "\n[1, 2]\n")
    result = read_file(lines, tmp_path)
    assert [(e.path, e.reason) for e in result.errors] == [(f"{lines} line 2", "record is a JSON list, not an object")]


def test_invalid_json_file_is_one_error_naming_the_file(tmp_path):
    path = _write(tmp_path, "broken.json", '{"title": "Broken"')
    error = _only_error(path, tmp_path)
    assert error.path == str(path)
    assert error.reason.startswith("invalid JSON")


def test_record_hash_ignores_key_order():
    one = article_from_record({"title": "T", "body": "B"}, id="x")
    two = article_from_record({"body": "B", "title": "T"}, id="x")
    assert one.content_hash == two.content_hash != ""


# --- HTML metadata ----------------------------------------------------------------------------


def test_html_json_ld_news_article_gives_metadata(tmp_path):
    head = "<title>Ignored title | Ignored Site</title>" + _json_ld({
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": "Corridor opens in Mariupol",
        "author": {"@type": "Person", "name": "Jane Doe"},
        "datePublished": "2022-03-21T10:00:00+02:00",
        "publisher": {"@type": "Organization", "name": "Daily Planet"},
        "inLanguage": "en-GB",
    })
    path = _write(tmp_path, "ld.html", _page(head, f"<h1>Other heading</h1><article><p>{PARAGRAPH}</p></article>"))
    article = _read_one(path, tmp_path)
    assert article.title == "Corridor opens in Mariupol"
    assert article.authors == ("Jane Doe",)
    assert article.published == dt.datetime(2022, 3, 21, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert article.published.utcoffset() == dt.timedelta(hours=2)
    assert article.source == "Daily Planet"
    assert article.language == "en"
    assert article.body == PARAGRAPH
    assert article.id == "ld.html"


def test_html_json_ld_author_list_of_persons_gives_all_names(tmp_path):
    head = _json_ld({
        "@type": "NewsArticle",
        "headline": "Two bylines",
        "author": [{"@type": "Person", "name": "Jane Doe"}, {"@type": "Person", "name": "John Roe"}],
    })
    path = _write(tmp_path, "authors.html", _page(head, f"<article><p>{PARAGRAPH}</p></article>"))
    assert _read_one(path, tmp_path).authors == ("Jane Doe", "John Roe")


def test_html_json_ld_inside_graph_is_found(tmp_path):
    head = _json_ld({
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "Not the article"},
            {"@type": "NewsArticle", "headline": "Graph headline", "author": {"@type": "Person", "name": "Ann Lee"},
             "datePublished": "2022-03-21T08:00:00Z"},
        ],
    })
    path = _write(tmp_path, "graph.html", _page(head, f"<article><p>{PARAGRAPH}</p></article>"))
    article = _read_one(path, tmp_path)
    assert article.title == "Graph headline"
    assert article.authors == ("Ann Lee",)
    assert article.published == dt.datetime(2022, 3, 21, 8, 0, tzinfo=UTC)


def test_html_json_ld_top_level_list_is_searched(tmp_path):
    head = _json_ld([
        {"@type": "BreadcrumbList", "name": "Crumbs"},
        {"@type": ["ReportageNewsArticle"], "headline": "List headline", "author": "Jane Doe"},
    ])
    path = _write(tmp_path, "list.html", _page(head, f"<article><p>{PARAGRAPH}</p></article>"))
    article = _read_one(path, tmp_path)
    assert article.title == "List headline"
    assert article.authors == ("Jane Doe",)


def test_html_json_ld_article_body_is_used_when_substantial(tmp_path):
    ld_body = "The corridor opened at nine. " * 10 + "\n\nBuses left the city centre soon after."
    head = _json_ld({"@type": "NewsArticle", "headline": "H", "articleBody": ld_body})
    page = _page(head, "<article><p>Teaser paragraph shown on the page only.</p></article>")
    path = _write(tmp_path, "ldbody.html", page)
    article = _read_one(path, tmp_path)
    assert article.body == ("The corridor opened at nine. " * 10).strip() + "\n\nBuses left the city centre soon after."


def test_html_opengraph_gives_metadata(tmp_path):
    head = (
        "<title>Other title</title>"
        '<meta property="og:title" content="OpenGraph headline">'
        '<meta property="og:site_name" content="Harbour Gazette">'
        '<meta property="og:url" content="https://example.org/og-story">'
        '<meta property="article:published_time" content="2022-03-21T08:30:00Z">'
        '<meta property="article:author" content="Anna Smith">'
    )
    path = _write(tmp_path, "og.html", _page(head, f"<h1>Page heading</h1><article><p>{PARAGRAPH}</p></article>"))
    article = _read_one(path, tmp_path)
    assert article.title == "OpenGraph headline"
    assert article.source == "Harbour Gazette"
    assert article.url == "https://example.org/og-story"
    assert article.published == dt.datetime(2022, 3, 21, 8, 30, tzinfo=UTC)
    assert article.authors == ("Anna Smith",)


def test_html_plain_meta_tags_give_author_date_url_and_language(tmp_path):
    head = (
        "<title>Plain headline | Plain Site</title>"
        '<meta name="author" content="Jane Doe and John Roe">'
        '<meta name="date" content="2022-03-21">'
        '<link rel="canonical" href="https://example.org/plain">'
        '<meta property="og:url" content="https://example.org/not-canonical">'
    )
    path = _write(tmp_path, "plain.html", _page(head, f"<article><p>{PARAGRAPH}</p></article>", ' lang="de-DE"'))
    article = _read_one(path, tmp_path)
    assert article.authors == ("Jane Doe", "John Roe")
    assert article.published == dt.datetime(2022, 3, 21, tzinfo=dt.UTC)
    assert isinstance(article.published, dt.datetime) and article.published.utcoffset() == dt.timedelta(0)
    assert article.url == "https://example.org/plain"  # the canonical link wins over og:url
    assert article.language == "de"


def test_html_time_element_gives_published(tmp_path):
    body = (
        '<article><p>Updated <time datetime="2022-03-20T09:15:00+01:00">20 March</time></p>'
        f"<p>{PARAGRAPH}</p></article>"
    )
    path = _write(tmp_path, "time.html", _page("<title>Timed</title>", body))
    published = _read_one(path, tmp_path).published
    assert published == dt.datetime(2022, 3, 20, 9, 15, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def test_html_title_suffix_gives_source_when_nothing_else_names_the_site(tmp_path):
    page = _page("<title>Bridge closes | Harbour Gazette</title>", f"<p>{PARAGRAPH}</p>")
    path = _write(tmp_path, "suffix.html", page)
    article = _read_one(path, tmp_path)
    assert article.source == "Harbour Gazette"
    assert article.title == "Bridge closes"


def test_html_site_name_meta_wins_over_title_suffix(tmp_path):
    head = '<title>Bridge closes | From Title</title><meta property="og:site_name" content="From Meta">'
    path = _write(tmp_path, "sitename.html", _page(head, f"<p>{PARAGRAPH}</p>"))
    assert _read_one(path, tmp_path).source == "From Meta"


def test_html_title_falls_back_to_h1(tmp_path):
    body = f"<h1>  Bridge   closes to lorries </h1><article><p>{PARAGRAPH}</p></article>"
    path = _write(tmp_path, "h1.html", _page("<title>Something else | Harbour Gazette</title>", body))
    article = _read_one(path, tmp_path)
    assert article.title == "Bridge closes to lorries"
    assert article.source == "Harbour Gazette"


def test_html_title_falls_back_to_title_element_without_site_suffix(tmp_path):
    page = _page("<title>Bridge closes to lorries - Harbour Gazette</title>", f"<p>{PARAGRAPH}</p>")
    path = _write(tmp_path, "t.html", page)
    assert _read_one(path, tmp_path).title == "Bridge closes to lorries"


def test_html_byline_prefix_is_removed_from_author(tmp_path):
    head = '<title>T</title><meta name="author" content="By Jane Doe">'
    path = _write(tmp_path, "by.html", _page(head, f"<p>{PARAGRAPH}</p>"))
    assert _read_one(path, tmp_path).authors == ("Jane Doe",)


def test_html_author_given_as_url_is_ignored(tmp_path):
    head = '<title>T</title><meta property="article:author" content="https://facebook.com/janedoe">'
    path = _write(tmp_path, "url-author.html", _page(head, f"<p>{PARAGRAPH}</p>"))
    assert _read_one(path, tmp_path).authors == ()


# --- HTML body --------------------------------------------------------------------------------

NOISY_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Mariupol corridor opens | Harbour Gazette</title>
<style>body { font-family: serif; } .style-marker { display: none }</style>
<script>var trackingMarker = "head-script-marker";</script>
</head><body>
<div class="cookie-banner"><p>We use cookies to improve your experience on our site. Accept all cookies?</p>
<button>Accept</button></div>
<header><a href="/">Harbour Gazette</a><p>Your trusted source of header news since 1901, every single day.</p></header>
<nav><ul><li>Home</li><li>World</li><li>Business navigation link</li></ul></nav>
<main>
<article>
<h1>Mariupol corridor opens</h1>
<div class="share-buttons"><a href="#">Share on Facebook</a> <a href="#">Share on Twitter</a>
<p>Pass this story on to your friends and family today</p></div>
<p>The first humanitarian corridor out of Mariupol opened on Monday morning, officials said.</p>
<p>Buses carrying about two hundred residents left the city centre shortly after nine o'clock.</p>
<script>document.write("inline-script-marker");</script>
<p>Red Cross workers accompanied the convoy as far as the regional checkpoint west of the city.</p>
</article>
<aside><h3>Related stories</h3><ul><li>Aid convoy reaches Zaporizhzhia after a long delay on the road</li>
<li>Sanctions tightened on the steel industry by the European Union</li></ul></aside>
</main>
<footer><p>Copyright 2022 Harbour Gazette. All rights reserved in every footer.</p></footer>
</body></html>"""


def test_html_article_paragraphs_kept_in_order_separated_by_blank_lines(tmp_path):
    article = _read_one(_write(tmp_path, "noisy.html", NOISY_PAGE), tmp_path)
    assert article.body == (
        "The first humanitarian corridor out of Mariupol opened on Monday morning, officials said.\n\n"
        "Buses carrying about two hundred residents left the city centre shortly after nine o'clock.\n\n"
        "Red Cross workers accompanied the convoy as far as the regional checkpoint west of the city."
    )
    assert article.title == "Mariupol corridor opens"
    assert article.source == "Harbour Gazette"


@pytest.mark.parametrize("noise", [
    "navigation link",  # <nav>
    "header news",  # <header>
    "every footer",  # <footer>
    "Related stories",  # <aside>
    "Zaporizhzhia",  # <aside> list
    "cookies",  # div.cookie-banner
    "Accept",  # its button
    "Share on",  # share buttons
    "friends and family",  # a paragraph inside the share buttons
    "script-marker",  # <script> in head and body
    "style-marker",  # <style>
    "font-family",
])
def test_html_boilerplate_is_absent_from_body(tmp_path, noise):
    article = _read_one(_write(tmp_path, "noisy.html", NOISY_PAGE), tmp_path)
    assert noise not in article.body


def test_html_page_without_article_element_uses_densest_paragraphs(tmp_path):
    body = (
        '<div class="menu"><p>Home</p><p>World</p></div>'
        '<div id="story"><p>First paragraph of the story, long enough to count.</p>'
        "<p>Second paragraph of the story, also long enough to count.</p></div>"
        '<div class="sidebar"><p>Most read: a different story altogether</p></div>'
    )
    article = _read_one(_write(tmp_path, "div.html", _page("<title>Story</title>", body)), tmp_path)
    assert article.body == (
        "First paragraph of the story, long enough to count.\n\n"
        "Second paragraph of the story, also long enough to count."
    )


# --- encodings --------------------------------------------------------------------------------


def test_windows_1251_html_with_declared_charset_gives_cyrillic(tmp_path):
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
        "<title>Коридор открыт</title></head><body><article>"
        "<p>Гуманитарный коридор из Мариуполя открылся в понедельник утром, сообщили чиновники.</p>"
        "</article></body></html>"
    )
    path = _write(tmp_path, "ru.html", page.encode("windows-1251"))
    article = _read_one(path, tmp_path)
    assert article.title == "Коридор открыт"
    assert article.body == "Гуманитарный коридор из Мариуполя открылся в понедельник утром, сообщили чиновники."


@pytest.mark.parametrize("headline, body", [
    ("Fuel tops \u00a32 a litre",
     "Drivers paid \u00a32.01 for a litre of diesel on Monday, the RAC said. "
     "\u201cThis is a dark day for drivers,\u201d said its spokesman, Simon Williams."),
    ("Tickets cost \u00a345 each", "\u201cWe sold out in an hour,\u201d the promoter said."),
], ids=["fuel", "tickets"])
def test_cp1252_txt_with_pound_sign_and_curly_quotes_decodes(tmp_path, headline, body):
    data = f"{headline}\r\n\r\n{body}\r\n".encode("cp1252")
    assert b"\xa3" in data
    article = _read_one(_write(tmp_path, "pounds.txt", data), tmp_path)
    assert article.title == headline
    assert article.body == body


def test_utf8_bom_is_dropped(tmp_path):
    data = codecs.BOM_UTF8 + "Café reopens\n\nThe café on the square reopened on Monday.\n".encode()
    article = _read_one(_write(tmp_path, "bom.txt", data), tmp_path)
    assert article.title == "Café reopens"
    assert article.body == "The café on the square reopened on Monday."


def test_utf8_bom_json_is_read(tmp_path):
    data = codecs.BOM_UTF8 + json.dumps({"title": "Café", "body": "Crème brûlée."}, ensure_ascii=False).encode()
    article = _read_one(_write(tmp_path, "bom.json", data), tmp_path)
    assert (article.title, article.body) == ("Café", "Crème brûlée.")


@pytest.mark.parametrize("bom, codec", [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")])
def test_utf16_with_bom_is_decoded(tmp_path, bom, codec):
    text = "Ціни зросли\n\nЦіни на хліб зросли на 5% у березні.\n"
    article = _read_one(_write(tmp_path, "prices.txt", bom + text.encode(codec)), tmp_path)
    assert article.title == "Ціни зросли"
    assert article.body == "Ціни на хліб зросли на 5% у березні."


def test_utf16_html_with_bom_is_decoded(tmp_path):
    page = _page("<title>Überschrift</title>", "<p>Ein Absatz über die Stadt und ihre Brücke.</p>")
    article = _read_one(_write(tmp_path, "de.html", codecs.BOM_UTF16_LE + page.encode("utf-16-le")), tmp_path)
    assert article.title == "Überschrift"
    assert article.body == "Ein Absatz über die Stadt und ihre Brücke."


# --- bad files --------------------------------------------------------------------------------


@pytest.mark.parametrize("name, data", [("empty.txt", b""), ("blank.html", b" \n\n\t\n"), ("empty.json", b"")])
def test_empty_file_is_an_error(tmp_path, name, data):
    path = _write(tmp_path, name, data)
    error = _only_error(path, tmp_path)
    assert error.path == str(path)
    assert error.reason == "empty file"
    assert read_file(path, tmp_path).content_hash == hashlib.sha1(data).hexdigest()


def test_binary_file_named_html_is_an_error(tmp_path):
    data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256))
    path = _write(tmp_path, "picture.html", data)
    error = _only_error(path, tmp_path)
    assert error.path == str(path)
    assert "binary" in error.reason


def test_html_without_text_is_an_error(tmp_path):
    page = _page("<script>var a = 1;</script><style>p { color: red }</style>", "<div><span> </span></div>")
    path = _write(tmp_path, "blank-page.html", page)
    error = _only_error(path, tmp_path)
    assert error.path == str(path)
    assert error.reason == "no title and no article text found"


def test_missing_file_is_an_error_naming_it(tmp_path):
    path = tmp_path / "gone.txt"
    error = _only_error(path, tmp_path)
    assert error.path == str(path)
    assert error.reason


def test_json_file_with_empty_list_has_no_articles_error(tmp_path):
    path = _write(tmp_path, "none.json", "[]")
    error = _only_error(path, tmp_path)
    assert error.path == str(path)
    assert error.reason == "no articles in file"


# --- finding files ----------------------------------------------------------------------------


def _tree(root: Path, names: list[str]) -> None:
    for name in names:
        _write(root, name, "Headline\n\nBody.\n")


def _relative(paths, root: Path) -> list[str]:
    return [path.relative_to(root).as_posix() for path in paths]


def test_find_files_is_recursive_and_sorted(tmp_path):
    _tree(tmp_path, ["b.txt", "a.html", "sub/c.jsonl", "sub/b.json", "sub/deeper/d.htm", "sub/deeper/a.txt"])
    found = list(find_files(tmp_path))
    assert _relative(found, tmp_path) == [
        "a.html", "b.txt", "sub/b.json", "sub/c.jsonl", "sub/deeper/a.txt", "sub/deeper/d.htm",
    ]
    assert all(isinstance(path, Path) for path in found)


def test_find_files_sorts_by_whole_path(tmp_path):
    _tree(tmp_path, ["z.txt", "m/x.txt", "a.txt"])
    assert _relative(find_files(tmp_path), tmp_path) == ["a.txt", "m/x.txt", "z.txt"]


def test_find_files_skips_hidden_files_and_folders(tmp_path):
    _tree(tmp_path, ["seen.txt", ".hidden.txt", ".git/objects.json", "sub/.cache/cached.html", "sub/kept.html"])
    assert _relative(find_files(tmp_path), tmp_path) == ["seen.txt", "sub/kept.html"]


def test_find_files_skips_unknown_suffixes(tmp_path):
    _tree(tmp_path, ["notes.md", "photo.png", "page.HTML", "story.txt", "data.csv", "archive.tar.gz", "feed.JSONL",
                     "pages.json.gz"])
    assert _relative(find_files(tmp_path), tmp_path) == ["feed.JSONL", "page.HTML", "pages.json.gz", "story.txt"]


def test_find_files_given_a_file_yields_it(tmp_path):
    path = _write(tmp_path, "story.txt", "Headline\n\nBody.\n")
    assert list(find_files(path)) == [path]


def test_find_files_does_not_loop_on_symlink_to_parent(tmp_path):
    _tree(tmp_path, ["top.txt", "sub/inner.txt"])
    try:
        os.symlink("..", tmp_path / "sub" / "loop", target_is_directory=True)
        os.symlink(tmp_path, tmp_path / "sub" / "root-link", target_is_directory=True)
    except (OSError, NotImplementedError) as error:
        pytest.skip(f"cannot create symlinks here: {error}")
    assert _relative(find_files(tmp_path), tmp_path) == ["sub/inner.txt", "top.txt"]


def test_find_files_lists_a_linked_folder_under_its_real_path(tmp_path):
    _tree(tmp_path, ["a/one.txt", "b/two.txt"])
    try:
        os.symlink(tmp_path / "b", tmp_path / "a" / "link", target_is_directory=True)
    except (OSError, NotImplementedError) as error:
        pytest.skip(f"cannot create symlinks here: {error}")
    assert "b/two.txt" in _relative(find_files(tmp_path), tmp_path)


# --- dates ------------------------------------------------------------------------------------


# Date strings of shared pages (extraction/, extraction-wide/) that the strict parser rejects.
@pytest.mark.parametrize("text, day", [
    ("Fri 6:45 PM, Feb 16, 2018", dt.date(2018, 2, 16)),
    ("2019-11-18 17:19:53 GMT", dt.date(2019, 11, 18)),
    ("2019-11-20 4:00:00 -0600", dt.date(2019, 11, 20)),
    ("2022-1-26T14:32:06+02:00", dt.date(2022, 1, 26)),
    ("2018-11-28CET11:59:00+0100", dt.date(2018, 11, 28)),
    ("July 2, 2018", dt.date(2018, 7, 2)),
    ("Published November 8, 2023", dt.date(2023, 11, 8)),
    ("24. Januar 2022", dt.date(2022, 1, 24)),
    ("3 de mayo de 2022", dt.date(2022, 5, 3)),
    ("04 mayo 2022 - 00:00", dt.date(2022, 5, 4)),
    ("Di., 25.01.2022 - 14:45", dt.date(2022, 1, 25)),
    ("10.12.2022, 07:00:03", dt.date(2022, 12, 10)),
    ("14/01/2020", dt.date(2020, 1, 14)),
    ("10/05/2022 05:22 pm", dt.date(2022, 10, 5)),
    ("1558442573000", dt.date(2019, 5, 21)),
])
def test_loose_dates_read_what_the_strict_parser_rejects(text, day):
    assert parse_date(text) is None
    assert parse_loose_date(text) == day


@pytest.mark.parametrize("text", ["11/01/2023 12:43:42", "Mo-Su 08:00-20:00", "2:33 PM", "PT15M", "1988",
                                  "0000-01-01T14:00:00+00:53"])
def test_loose_dates_refuse_text_without_a_certain_day(text):
    assert parse_loose_date(text) is None


def test_parse_date_iso_day_is_a_date_not_a_datetime():
    value = parse_date("2022-03-21")
    assert value == dt.date(2022, 3, 21)
    assert type(value) is dt.date


def test_parse_date_iso_with_z_is_aware_utc():
    value = parse_date("2022-03-21T10:00:00Z")
    assert value == dt.datetime(2022, 3, 21, 10, 0, tzinfo=UTC)
    assert value.utcoffset() == dt.timedelta(0)


def test_parse_date_iso_with_offset_is_aware():
    value = parse_date("2022-03-21T10:00:00+02:00")
    assert value.utcoffset() == dt.timedelta(hours=2)
    assert value == dt.datetime(2022, 3, 21, 8, 0, tzinfo=UTC)
    assert (value.hour, value.minute) == (10, 0)


def test_parse_date_iso_without_zone_is_naive():
    assert parse_date("2022-03-21 10:00") == dt.datetime(2022, 3, 21, 10, 0)


def test_parse_date_rfc_2822():
    value = parse_date("Mon, 21 Mar 2022 10:00:00 GMT")
    assert value == dt.datetime(2022, 3, 21, 10, 0, tzinfo=UTC)
    assert value.utcoffset() == dt.timedelta(0)


def test_parse_date_compact_day_is_a_date():
    value = parse_date("20220321")
    assert value == dt.date(2022, 3, 21)
    assert type(value) is dt.date


def test_parse_date_compact_day_gives_the_right_day():
    value = parse_date("20220321")
    assert (value.year, value.month, value.day) == (2022, 3, 21)


def test_parse_date_slashed_day_is_a_date():
    value = parse_date("2022/03/21")
    assert value == dt.date(2022, 3, 21)
    assert type(value) is dt.date


def test_parse_date_unix_timestamps_in_seconds_and_milliseconds():
    moment = dt.datetime(2022, 3, 21, 10, 0, tzinfo=UTC)
    assert parse_date(int(moment.timestamp())) == moment
    assert parse_date(int(moment.timestamp()) * 1000) == moment


@pytest.mark.parametrize("value", ["garbage", "", "   ", "2022-13-45", "Monday", None, True, [], "32/13/2022"])
def test_parse_date_garbage_is_none(value):
    assert parse_date(value) is None


def test_parse_bound_month_start_is_first_moment():
    assert parse_bound("2022-03", end=False) == dt.datetime(2022, 3, 1)


def test_parse_bound_month_end_is_last_microsecond():
    assert parse_bound("2022-03", end=True) == dt.datetime(2022, 3, 31, 23, 59, 59, 999999)


def test_parse_bound_december_end_rolls_into_next_year():
    assert parse_bound("2022-12", end=True) == dt.datetime(2022, 12, 31, 23, 59, 59, 999999)


def test_parse_bound_year_start_and_end():
    assert parse_bound("2022", end=False) == dt.datetime(2022, 1, 1)
    assert parse_bound("2022", end=True) == dt.datetime(2022, 12, 31, 23, 59, 59, 999999)


def test_parse_bound_day_end_is_last_microsecond_of_day():
    assert parse_bound("2022-02-28", end=True) == dt.datetime(2022, 2, 28, 23, 59, 59, 999999)


def test_parse_bound_datetime_with_zone_becomes_naive_utc():
    assert parse_bound("2022-03-21T10:00:00+02:00", end=True) == dt.datetime(2022, 3, 21, 8, 0)


@pytest.mark.parametrize("text", ["garbage", "2022-13", "", "next week"])
def test_parse_bound_garbage_is_none(text):
    assert parse_bound(text, end=True) is None
    assert parse_bound(text, end=False) is None


def test_unsupported_file_given_directly_is_an_error(tmp_path):
    result = read_file(_write(tmp_path, "notes.md", "# Notes\n\nSome text.\n"), tmp_path)
    assert result.articles == ()
    assert "unsupported file type '.md'" in result.errors[0].reason


def test_gzipped_jsonl_feed_is_read(tmp_path):
    import gzip

    path = tmp_path / "feed.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as feed:
        feed.write(json.dumps({"id": "g1", "title": "Packed", "body": "In a gzip file."}) + "\n")
        feed.write("{broken\n")
    result = read_file(path, tmp_path)
    assert [a.id for a in result.articles] == ["g1"]
    assert [e.path for e in result.errors] == [f"{path} line 2"]
    assert path in find_files(tmp_path)


def test_jsonl_is_read_whatever_its_size(tmp_path, monkeypatch):
    import newsearch.readers.files as files

    monkeypatch.setattr(files, "MAX_ARTICLE_BYTES", 100)  # one-article files above this are refused
    lines = "".join(json.dumps({"id": f"r{n}", "title": f"Record {n}", "body": "x" * 50}) + "\n" for n in range(20))
    path = _write(tmp_path, "big.jsonl", lines)
    assert len(read_file(path, tmp_path).articles) == 20
    big_page = _write(tmp_path, "big.txt", "Headline\n\n" + "word " * 100)
    assert "larger than" in read_file(big_page, tmp_path).errors[0].reason


def test_binary_and_empty_jsonl_are_one_error_each(tmp_path):
    binary = _write(tmp_path, "blob.jsonl", b"\x00\x01\x02" * 100 + b"\n" + b"\xff" * 50)
    empty = _write(tmp_path, "empty.jsonl", b"")
    assert [e.reason for e in read_file(binary, tmp_path).errors] == ["binary file, not text"]
    assert [e.reason for e in read_file(empty, tmp_path).errors] == ["empty file"]


def test_jsonl_line_in_cp1252_is_decoded(tmp_path):
    line = json.dumps({"id": "c1", "title": "Price £5", "body": "It costs £5."}, ensure_ascii=False).encode("cp1252")
    path = _write(tmp_path, "legacy.jsonl", line + b"\n")
    assert read_file(path, tmp_path).articles[0].title == "Price £5"


@pytest.mark.parametrize("given, expected", [("de-DE", "de"), ("German", "de"), ("pt_BR", "pt"), ("EN", "en")])
def test_record_language_is_stored_as_a_code(given, expected):
    article = article_from_record({"title": "T", "body": "B", "language": given}, id="x")
    assert article.language == expected


def test_missing_language_is_detected_from_the_text(tmp_path):
    english = _write(tmp_path, "en.txt", "Storm closes the harbour\n\nThe storm closed the harbour and the ferries "
                     "stayed in port for the rest of the week, as the council said in a statement to the press.\n")
    german = article_from_record({"title": "Sturm", "body": "Der Sturm hat die Stadt und den Hafen erreicht, und die "
                                  "Fähren sind nicht mit der Flut ausgelaufen, die auch am Abend von der Küste kam."},
                                 id="de")
    assert read_file(english, tmp_path).articles[0].language == "en"
    assert german.language == "de"


def test_parse_bound_reads_relative_forms_and_refuses_the_impossible():
    week_ago = parse_bound("7d", end=False)
    expected = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=7)
    assert abs((week_ago - expected).total_seconds()) < 5
    assert parse_bound("3000y", end=False) is None
    assert parse_bound("99999-01-01", end=True) is None


# --- hostile and damaged files: per-file errors with bounded cost ------------------------------


def _reuters_lines(count: int) -> list[bytes]:
    """The first ``count`` Reuters records, as JSON Lines lines."""
    import gzip

    from conftest import shared_path

    with gzip.open(shared_path("reuters", "reuters.jsonl.gz"), "rb") as feed:
        return [next(feed) for _ in range(count)]


def _gzip_then(data: bytes, damage: bytes) -> bytes:
    """A gzip stream of ``data`` flushed to a block boundary, then ``damage`` in place of the rest."""
    import zlib

    deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    return header + deflate.compress(data) + deflate.flush(zlib.Z_FULL_FLUSH) + damage


def test_gzip_damaged_in_the_middle_keeps_the_records_before(tmp_path):
    lines = _reuters_lines(300)
    path = _write(tmp_path, "feed.jsonl.gz", _gzip_then(b"".join(lines), b"\xff" * 64))  # an invalid block type
    result = read_file(path, tmp_path)
    assert len(result.articles) == 300
    assert result.articles[-1].title == json.loads(lines[-1])["title"]
    assert [error.reason.split(" (")[0] for error in result.errors] == [
        f"damaged gzip data after {len(b''.join(lines)):,} bytes"]


def test_gzip_with_a_corrupt_header_or_cut_short_is_a_per_file_error(tmp_path):
    import gzip

    data = b"".join(_reuters_lines(50))
    corrupt = _write(tmp_path, "corrupt.jsonl.gz", b"\x1f\x8b\x09" + gzip.compress(data)[3:])  # no such method
    cut = _write(tmp_path, "cut.jsonl.gz", gzip.compress(data)[:-2000])
    assert "damaged gzip data after 0 bytes" in _only_error(corrupt, tmp_path).reason
    cut_read = read_file(cut, tmp_path)
    assert 0 < len(cut_read.articles) < 50
    assert [error.reason for error in cut_read.errors] == [
        "the gzip data ends early (a truncated file); not read further"]


def test_gzipped_pages_text_and_json_read_like_their_plain_forms(tmp_path):
    import gzip

    from conftest import shared_path

    page = sorted(shared_path("extraction", "html").glob("*.html.gz"))[0]
    plain = _write(tmp_path, "plain/page.html", gzip.decompress(page.read_bytes()))
    packed = _write(tmp_path, "packed/page.html.gz", page.read_bytes())
    story = json.loads(_reuters_lines(1)[0])
    _write(tmp_path, "plain/story.txt", f"{story['title']}\n\n{story['body']}\n")
    _write(tmp_path, "packed/story.txt.gz", gzip.compress(f"{story['title']}\n\n{story['body']}\n".encode()))
    _write(tmp_path, "plain/list.json", json.dumps([story]))
    _write(tmp_path, "packed/list.json.gz", gzip.compress(json.dumps([story]).encode()))
    assert [p.name for p in find_files(tmp_path / "packed")] == ["list.json.gz", "page.html.gz", "story.txt.gz"]
    for name in ("page.html", "story.txt", "list.json"):
        ours = _read_one(tmp_path / "packed" / f"{name}.gz", tmp_path / "packed")
        theirs = _read_one(tmp_path / "plain" / name, tmp_path / "plain")
        assert (ours.title, ours.body, ours.published) == (theirs.title, theirs.body, theirs.published), name
    assert _read_one(packed, packed.parent).title == _read_one(plain, plain.parent).title != ""


def test_nesting_past_the_limit_is_an_error_not_a_crash(tmp_path):
    story = json.loads(_reuters_lines(1)[0])
    brackets = _write(tmp_path, "brackets.json", "[" * 100000 + "]" * 100000)
    deep_body = {"title": story["title"], "body": json.loads("[" * 900 + json.dumps(story["body"]) + "]" * 900)}
    feed = _write(tmp_path, "feed.jsonl", json.dumps(story) + "\n" + "[" * 900 + "]" * 900 + "\n"
                  + "[" * 900 + json.dumps(story["body"]) + "]" * 900 + "\n")
    with_deep_body = "{" + f'"title": {json.dumps(story["title"])}, "body": ' + json.dumps(deep_body["body"]) + "}"
    nested = _write(tmp_path, "nested.jsonl", with_deep_body + "\n")
    assert _only_error(brackets, tmp_path).reason == "nested deeper than 100 levels; not read"
    result = read_file(feed, tmp_path)
    assert [a.title for a in result.articles] == [story["title"]]
    assert [(e.path, e.reason) for e in result.errors] == [
        (f"{feed} line {n}", "nested deeper than 100 levels; not read") for n in (2, 3)]
    assert _only_error(nested, tmp_path).reason == "nested deeper than 100 levels; not read"
    fine = _write(tmp_path, "fine.jsonl", json.dumps({"title": story["title"], "body": [[story["body"]]]}) + "\n")
    assert _read_one(fine, tmp_path).body  # nesting within the limit still reads


def test_a_line_past_the_size_limit_is_skipped_and_the_rest_read(tmp_path, monkeypatch):
    from newsearch.readers import lines

    monkeypatch.setattr(lines, "MAX_LINE_BYTES", 2 ** 20)  # 256 MB by default: too big to build in a test
    first, second = _reuters_lines(2)
    huge = json.dumps({"title": "Huge", "body": "harbour " * (lines.MAX_LINE_BYTES // 8 + 10)}).encode()
    path = _write(tmp_path, "feed.jsonl", first + huge + b"\n" + second)
    result = read_file(path, tmp_path)
    assert [a.title for a in result.articles] == [json.loads(line)["title"] for line in (first, second)]
    assert [(e.path, e.reason) for e in result.errors] == [(f"{path} line 2", "longer than 1 MB; not read")]


def test_failures_reported_per_file_are_capped_and_the_rest_counted(tmp_path):
    import gzip

    path = _write(tmp_path, "xs.jsonl.gz", gzip.compress(_reuters_lines(1)[0] + b"x\n" * 100000))
    result = read_file(path, tmp_path)
    assert len(result.articles) == 1
    assert len(result.errors) == 11
    assert result.errors[-1].reason == "and 99,990 more errors in this file"


def test_runs_of_blank_lines_cost_little_and_count_line_numbers(tmp_path):
    first, second = _reuters_lines(2)
    path = _write(tmp_path, "feed.jsonl", b"\n \r\n" + first + b"\n" * 300000 + b"{bad\n\n" + second)
    result = read_file(path, tmp_path)
    assert len(result.articles) == 2
    assert [e.path for e in result.errors] == [f"{path} line {3 + 300000 + 1}"]


def test_a_decompression_bomb_stops_with_an_error_after_the_records_before_it(tmp_path):
    import gzip

    from newsearch.readers.lines import MAX_RATIO, RATIO_GRACE_BYTES

    story = _reuters_lines(1)[0]
    path = _write(tmp_path, "bomb.jsonl.gz", gzip.compress(story + b"\n" * (RATIO_GRACE_BYTES + 2 ** 20), 9))
    result = read_file(path, tmp_path)
    assert len(result.articles) == 1
    assert [e.reason for e in result.errors] == [
        f"decompresses to more than {MAX_RATIO} times its size (a decompression bomb?); not read further"]


def test_an_article_past_the_size_limit_is_an_error(tmp_path, monkeypatch):
    from newsearch.readers import files

    monkeypatch.setattr(files, "MAX_ARTICLE_BYTES", 2 ** 20)  # 256 MB by default: too big to build in a test
    story = json.loads(_reuters_lines(1)[0])
    big = {"title": "Huge", "body": "harbour ferry " * (files.MAX_ARTICLE_BYTES // 14 + 10)}
    path = _write(tmp_path, "list.json", json.dumps([story, big]))
    result = read_file(path, tmp_path)
    assert [a.title for a in result.articles] == [story["title"]]
    assert [e.reason for e in result.errors] == ["article 'list.json:2' has more than 1 MB of text; not indexed"]
    page = _write(tmp_path, "huge.txt", "Huge\n\n" + big["body"])
    assert _only_error(page, tmp_path).reason == "larger than 1 MB; not read"


def test_a_long_article_is_read_whole_as_text_and_as_a_record(tmp_path, long_article):
    """Longer than the pieces readers work in (1 MB): read whole, as a short one would be."""
    from newsearch.readers import text as text_module

    LONG_TEXT, LONG_WORD = long_article
    page = _write(tmp_path, "long.txt", "A long report\n\n" + LONG_TEXT.replace("\n\n", "\r\n\r\n  "))
    article = _read_one(page, tmp_path)
    assert article.title == "A long report" and article.body == LONG_TEXT and article.body.endswith(
        LONG_TEXT[-200:])
    assert LONG_WORD in article.body.lower() and article.language == "en"
    feed = _write(tmp_path, "long.jsonl", _reuters_lines(1)[0] + b"\n" + json.dumps({
        "id": "long", "body": LONG_TEXT}).encode() + b"\n")
    records = read_file(feed, tmp_path)
    assert [a.id for a in records.articles][1:] == ["long"] and records.articles[1].body == LONG_TEXT
    assert records.articles[1].title == text_module.title_from_body(LONG_TEXT[:1000])


def test_a_long_text_is_normalised_a_piece_at_a_time_as_it_would_be_whole(long_article, monkeypatch):
    """Cut at blank lines, line ends, spaces, or anywhere in a text without them: the same result."""
    from newsearch.readers import text as text_module

    raw, _ = long_article
    one_line = " ".join(raw.split())
    wrapped = "\n".join(one_line[start:start + 70] for start in range(0, 200_000, 70))
    cases = [raw.replace("\n\n", "\r\n \r\n\t"), one_line[:200_000], wrapped, "x" * 50_000]
    expected = [text_module.normalize_paragraphs(case) for case in cases]  # under PIECE_CHARS but the first
    monkeypatch.setattr(text_module, "PIECE_CHARS", 4096)
    assert [text_module.normalize_paragraphs(case) for case in cases][1:] == expected[1:]
    monkeypatch.setattr(text_module, "PIECE_CHARS", 10 ** 9)
    assert text_module.normalize_paragraphs(cases[0]) == expected[0]


def test_record_hashes_of_short_records_stay_and_long_values_are_hashed_apart():
    from newsearch.readers.records import LONG_VALUE_CHARS, record_hash

    record = {"title": "Harbour reopens", "body": "Ferries sail again.", "authors": ["A. Writer"]}
    canonical = json.dumps(record, sort_keys=True, ensure_ascii=False, default=str)
    assert record_hash(record) == hashlib.sha1(canonical.encode("utf-8")).hexdigest()  # as stored before
    long = {"title": "Huge", "body": "harbour " * (LONG_VALUE_CHARS // 8 + 1)}
    changed = {"title": "Huge", "body": long["body"][:-1] + "x"}
    assert record_hash(long) != record_hash(changed) and record_hash(long) == record_hash(dict(long))


def test_a_long_line_of_a_feed_read_by_workers_is_parsed_in_the_reading_process(tmp_path, long_article,
                                                                               monkeypatch):
    """Lines past chunks.LONG_LINE_BYTES are not copied to a worker and back; the file reads as without one."""
    from concurrent.futures import ProcessPoolExecutor

    from newsearch.processes import spawn_context
    from newsearch.readers import chunks
    from newsearch.readers.files import stream_file

    monkeypatch.setattr(chunks, "LONG_LINE_BYTES", 2 ** 20)  # the 3 MB record is past it
    first, second = _reuters_lines(2)
    path = _write(tmp_path, "feed.jsonl", first + json.dumps({"id": "long", "body": long_article[0]}).encode()
                  + b"\n" + second)
    alone = read_file(path, tmp_path)
    with ProcessPoolExecutor(max_workers=2, mp_context=spawn_context()) as pool:
        stream = stream_file(path, tmp_path, pool, 2)
        pooled = list(stream.articles)
    assert pooled == list(alone.articles) and [a.id for a in pooled][1] == "long" and not stream.errors

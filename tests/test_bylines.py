"""Bylines as people: names split from agencies, roles, dates, degrees and site names, on real bylines and pages."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from newsearch.readers import read_article
from newsearch.readers.bylines import read_byline

from conftest import shared_path

LABELS = json.loads((Path(__file__).parent / "data" / "bylines.json").read_text(encoding="utf-8"))
MIN_EXACT = 0.95


@pytest.mark.parametrize("text, site, url, people, agency", [
    ("By LISA MASCARO, MARY CLARE JALONICK and ERIC TUCKER Associated Press", "", "",
     ("Lisa Mascaro", "Mary Clare Jalonick", "Eric Tucker"), "Associated Press"),
    ("By Carrie Arnold November 15, 2019", "", "", ("Carrie Arnold",), ""),
    ("by Jeff Foust Monday, November 18, 2019", "", "", ("Jeff Foust",), ""),
    ("Ilana Muhlstein, MS, RDN", "", "", ("Ilana Muhlstein",), ""),
    ("Analysis by Chris Cillizza, CNN Editor-at-large", "CNN", "https://www.cnn.com/2019/11/18/x",
     ("Chris Cillizza",), ""),
    ("By Meg James Staff Writer", "", "", ("Meg James",), ""),
    ("By STEVE PEOPLES, AP National Political Writer", "", "", ("Steve Peoples",), "Associated Press"),
    ("Tom Gillespie News reporter @TomGillespie1", "Sky News", "", ("Tom Gillespie",), ""),
    ("Autor/in: Korinna Hennig", "", "", ("Korinna Hennig",), ""),
    ("Von Tomas Spahn Fr, 18. Oktober 2019", "", "", ("Tomas Spahn",), ""),
    ("Markus M. Haefliger, London, Beat Bumbacher", "", "", ("Markus M. Haefliger", "Beat Bumbacher"), ""),
    ("April Roach", "", "", ("April Roach",), ""),
])
def test_byline_names_only_the_people(text, site, url, people, agency):
    byline = read_byline([text], site=site, url=url)
    assert (byline.people, byline.agency) == (people, agency)


@pytest.mark.parametrize("text, site, url", [
    ("Nama (wajib)", "", ""),  # a comment form's label
    ("HNN Staff", "", ""),
    ("Practical Horseman Editorial Staff", "", ""),
    ("AppleInsider", "", "https://appleinsider.com/articles/19/11/18/x"),
    ("Al Jazeera", "Al Jazeera", ""),
    ("Sky", "", "https://news.sky.com/story/x"),
    ("CBS Detroit", "", ""),
    ("edilson.la.rosa", "", ""),
    ("Hecho en Bolivia con Drupal por Smartica", "", ""),
])
def test_groups_sites_labels_and_handles_are_not_people(text, site, url):
    assert read_byline([text], site=site, url=url).people == ()


def test_a_page_credited_to_an_agency_only_gets_it_as_its_source(tmp_path):
    page = tmp_path / "page.html"
    page.write_text('<html><head><title>Storm hits coast</title></head><body><h1>Storm hits coast</h1>'
                    '<p class="byline">By Reuters</p><p>' + "The storm reached the coast on Monday night. " * 8
                    + "</p></body></html>", encoding="utf-8")
    article = read_article(page)
    assert (article.authors, article.source) == ((), "Reuters")


@pytest.mark.parametrize("corpus", ["extraction", "extraction-wide"])
def test_labelled_bylines_of_shared_pages_are_exactly_right(tmp_path, corpus):
    folder = shared_path(corpus, "html")
    wrong = {}
    for key, expected in LABELS[corpus].items():
        (source,) = folder.glob(f"{key}*.html.gz")
        path = tmp_path / f"{key}.html"
        path.write_bytes(gzip.decompress(source.read_bytes()))
        authors = list(read_article(path).authors)
        if authors != expected:
            wrong[key] = (authors, expected)
    assert len(LABELS[corpus]) >= 30
    assert len(wrong) <= (1 - MIN_EXACT) * len(LABELS[corpus]), wrong

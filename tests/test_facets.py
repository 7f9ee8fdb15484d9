"""Facet counting from per-document columns."""

from __future__ import annotations

import datetime as dt

import pytest

from newsearch.facets import count_facets

pytestmark = pytest.mark.engine_free

COLUMNS = {
    "source": ["Reuters", "Reuters", "BBC", "", None],
    "authors": [("Jo Smith", "Ann Lee"), ("Jo Smith", "Jo Smith"), (), ("Ann Lee",), None],
    "language": ["en", "en", "de", "en", None],
    "categories": [(), (), (), (), None],
    "published": [dt.date(2022, 3, 1), dt.date(2022, 3, 30), dt.date(2022, 4, 2), None, None],
}


def test_counts_over_the_documents_asked_for():
    counts = count_facets(["source", "author", "published:month", "category"], COLUMNS, [0, 1, 2, 3, 4])
    assert counts == {
        "source": (("Reuters", 2), ("BBC", 1)),  # empty and missing values are not counted
        "author": (("Ann Lee", 2), ("Jo Smith", 2)),  # equal counts: by value
        "published:month": (("2022-03", 2), ("2022-04", 1)),
        "category": (),
    }


def test_a_value_twice_in_one_document_counts_once_and_kept_limits():
    assert count_facets(["author"], COLUMNS, [1]) == {"author": (("Jo Smith", 1),)}
    assert count_facets(["language"], COLUMNS, [0, 1, 2, 3], kept=1) == {"language": (("en", 3),)}
    assert count_facets(["published:year"], COLUMNS, [2, 3]) == {"published:year": (("2022", 1),)}

"""End to end over ../shared/corpora/mixed: every good file arrives as its manifest says, every bad one is reported."""

from __future__ import annotations

import json
import shutil
import unicodedata

import pytest

from newsearch import Index

from conftest import shared_path


def _loose(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, engine):
    source = shared_path("mixed")
    corpus = tmp_path_factory.mktemp("mixed") / "corpus"
    # the manifest describes the folder; it is not an article, so it stays out of the copy
    shutil.copytree(source, corpus, ignore=shutil.ignore_patterns("manifest.json", "README.md"))
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    folder = tmp_path_factory.mktemp("mixed") / "index"
    with Index.create(folder) as ix:
        report = ix.update(corpus)
    return manifest, corpus, folder, report


def test_mixed_corpus_indexes_every_good_document(mixed):
    manifest, _, folder, report = mixed
    with Index.open(folder) as ix:
        assert ix.stats().documents == manifest["totals"]["expected_docs_ok"]
    assert report.added == manifest["totals"]["expected_docs_ok"]


def test_mixed_corpus_reports_every_bad_file_and_line(mixed):
    manifest, corpus, _, report = mixed
    failed = {where for where, _ in report.failed}
    for path in manifest["totals"]["expected_fail_files"]:
        assert str(corpus / path) in failed
    for entry in manifest["files"]:
        for line in entry.get("bad_lines", []):
            assert f"{corpus / entry['path']} line {line}" in failed
    assert len(failed) == len(manifest["totals"]["expected_fail_files"]) + sum(
        len(e.get("bad_lines", [])) for e in manifest["files"])


def test_mixed_corpus_titles_and_dates_match_the_manifest(mixed):
    manifest, _, folder, _ = mixed
    checked = 0
    with Index.open(folder) as ix:
        for entry in manifest["files"]:
            if entry["expect"] == "fail":
                continue
            records = entry.get("records") or [dict(entry, id=entry["path"])]
            for record in records:
                article = ix.get(record["id"])
                expected, actual = _loose(record["expected_title"]), _loose(article.title)
                assert actual and (actual in expected or expected in actual), (record["id"], article.title)
                if record.get("expected_published"):
                    assert article.published.isoformat()[:10] == record["expected_published"], record["id"]
                checked += 1
            if entry.get("must_contain"):
                assert entry["must_contain"] in ix.get(entry["path"]).body
    assert checked == manifest["totals"]["expected_docs_ok"]


def test_cyrillic_page_declared_windows_1251_is_decoded(mixed):
    _, _, folder, _ = mixed
    with Index.open(folder) as ix:
        article = ix.get("bad/cp1251.html")
        twin = ix.get("html/3c6d3381ef52ca26.html")
    assert "кулинарные блоги" in article.title
    assert article.body.split("\n\n")[:3] == twin.body.split("\n\n")[:3]  # later, the re-encoding lost "−"

"""Near-duplicate groups: detection, collapsed results and counts, updates, the CLI. Small real indexes, no mocks."""

from __future__ import annotations

import datetime as dt
import json
import pickle
from pathlib import Path

import pytest

from newsearch import Index, generations, state, stored
from newsearch.cli import cli
from newsearch.duplicates import MIN_WORDS, SKETCH, Groups, shingles

from conftest import CORPUS, SEED_ID, index_holding, needs, shared_path


def _body(name: str) -> str:
    """The body of a bundled text article (its headline line dropped)."""
    return (CORPUS / "txt" / name).read_text(encoding="utf-8").split("\n\n", 1)[1].strip()


COMET = _body("amateur-astronomer-discovers-comet.txt")
BRIDGE = _body("harbour-bridge-reopens.txt")
LIBRARY = _body("northfield-library-hours-cut.txt")


def _syndicated(body: str, outlet: str) -> str:
    """A copy as another outlet runs it: its own dateline and sign-off, the last paragraph dropped, a word changed."""
    paragraphs = body.split("\n\n")
    trimmed = "\n\n".join(paragraphs[:-1]).replace(" said", " told reporters", 1)
    return f"DUNMERE ({outlet}) - {trimmed}\n\nCopyright {outlet}. All rights reserved."


def _story(id: str, body: str, **fields) -> dict:
    return {"id": id, "title": fields.pop("title", f"Headline of {id}"), "body": body, **fields}


def _comet_family() -> list[dict]:
    return [
        _story("comet", COMET, source="Northfield Courier", published="2023-10-02"),
        _story("comet-wire", _syndicated(COMET, "Valdoria Wire"), source="Valdoria Wire", published="2023-10-03",
               title="Retired teacher finds comet"),
        _story("comet-gazette", _syndicated(COMET, "The Harbour Gazette"), source="The Harbour Gazette",
               published="2023-10-05", title="Comet named after Dunmere man"),
    ]


def test_syndicated_copies_share_a_group_and_unrelated_stories_do_not(tmp_path):
    records = _comet_family() + [_story("bridge", BRIDGE), _story("library", LIBRARY)]
    with index_holding(tmp_path / "ix", records) as ix:
        groups = {article.id: article.group for article in ix.articles()}
    assert groups["comet"] == groups["comet-wire"] == groups["comet-gazette"]
    assert len({groups["comet"], groups["bridge"], groups["library"]}) == 3
    assert all(groups.values())


@needs("collapses", "does not collapse near-duplicates yet: it lists every copy")
def test_a_query_shows_each_story_once_with_its_other_copies_counted(tmp_path):
    records = _comet_family() + [_story("bridge", BRIDGE + "\n\nA comet was seen over the bridge.")]
    with index_holding(tmp_path / "ix", records) as ix:
        collapsed = ix.query("comet")
        every = ix.query("comet", collapse=False)
        faceted = ix.query("comet", facets=["source"])
    assert collapsed.total == 4 and collapsed.stories == 2
    story = next(hit for hit in collapsed if hit.id.startswith("comet"))
    assert story.duplicates == 2
    assert story.id == next(hit.id for hit in every if hit.id.startswith("comet"))  # the best-ranked copy stands
    assert [hit.duplicates for hit in collapsed if hit.id == "bridge"] == [0]
    assert len(every) == 4 and every.stories is None and every.total == 4
    assert {hit.group for hit in every if hit.id.startswith("comet")} == {story.group}
    # facets count documents, every copy
    assert sum(count for _, count in faceted.facets["source"]) == 3


@needs("collapses", "does not collapse near-duplicates yet: it lists every copy")
def test_pages_are_pages_of_stories(tmp_path):
    records = _comet_family() + [_story("bridge", BRIDGE + " comet"), _story("library", LIBRARY + " comet")]
    with index_holding(tmp_path / "ix", records) as ix:
        pages = [ix.query("comet", limit=1, page=page) for page in (1, 2, 3, 4)]
        by_date = ix.query("comet", sort="date", limit=10)
    assert [len(page) for page in pages] == [1, 1, 1, 0]
    assert len({page[0].group for page in pages[:3]}) == 3
    assert all(page.stories == 3 and page.total == 5 for page in pages)
    # sorted by date, the newest copy stands for the story
    assert "comet-gazette" in [hit.id for hit in by_date] and len(by_date) == 3


@needs("collapses", "does not collapse near-duplicates yet: it lists every copy")
def test_short_bodies_are_never_grouped_by_body(tmp_path):
    short = " ".join(COMET.split()[:MIN_WORDS - 5])
    assert shingles(short) == frozenset()
    with index_holding(tmp_path / "ix", [_story("a", short), _story("b", short)]) as ix:
        hits = ix.query("comet")
    assert hits.stories == 2 and {hit.duplicates for hit in hits} == {0}


def _write_corpus(folder: Path, records: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for record in records:
        (folder / f"{record['id']}.json").write_text(json.dumps(record), encoding="utf-8")


def _groups(ix: Index) -> dict[str, str]:
    """id -> the group the engine holds, checked against the index's saved groups."""
    held = {article.id: article.group for article in ix.articles()}
    with stored.open_state(next(ix.folder.glob("gen-*"))) as saved:
        assert Groups(state=saved).mapping() == held
    return held


def test_update_adds_a_new_copy_to_the_existing_group(tmp_path):
    corpus = tmp_path / "corpus"
    _write_corpus(corpus, _comet_family()[:2] + [_story("bridge", BRIDGE)])
    Index.build(tmp_path / "ix", corpus)
    with Index.open(tmp_path / "ix") as ix:
        before = _groups(ix)
        _write_corpus(corpus, _comet_family()[2:])
        assert ix.update().added == 1
        after = _groups(ix)
    assert after["comet-gazette"] == after["comet"] == before["comet"]
    assert after["bridge"] == before["bridge"]


@needs("collapses", "does not collapse near-duplicates yet: it lists every copy")
def test_deleting_the_representative_keeps_the_other_copies_grouped(tmp_path):
    corpus = tmp_path / "corpus"
    _write_corpus(corpus, _comet_family())
    Index.build(tmp_path / "ix", corpus)
    with Index.open(tmp_path / "ix") as ix:
        representative = ix.query("comet")[0].id
        (corpus / f"{representative}.json").unlink()
        assert ix.update().deleted == 1
        groups = _groups(ix)
        results = ix.query("comet")
    assert len(groups) == 2 and len(set(groups.values())) == 1
    assert len(results) == 1 and results[0].duplicates == 1 and results.stories == 1


def test_a_copy_changed_into_another_story_leaves_its_group(tmp_path):
    corpus = tmp_path / "corpus"
    _write_corpus(corpus, _comet_family())
    Index.build(tmp_path / "ix", corpus)
    with Index.open(tmp_path / "ix") as ix:
        first = _groups(ix)
        # the first copy indexed (whose group others joined) becomes another story
        _write_corpus(corpus, [_story("comet", LIBRARY)])
        assert ix.update().changed == 1
        groups = _groups(ix)
        library = ix.query("library hours")
    assert groups["comet-wire"] == groups["comet-gazette"] == first["comet-wire"]
    assert groups["comet"] != groups["comet-wire"]
    assert library[0].id == "comet" and library[0].duplicates == 0


@needs("collapses", "does not collapse near-duplicates yet: it lists every copy")
def test_when_the_link_between_two_copies_goes_they_become_two_stories(tmp_path):
    seed = (CORPUS / SEED_ID).read_text(encoding="utf-8")
    words = seed.split()
    cut = len(words) * 6 // 10
    records = [_story("whole", seed), _story("opening", " ".join(words[:cut])),
               _story("ending", " ".join(words[-cut:]))]
    with index_holding(tmp_path / "ix", records) as ix:
        together = _groups(ix)
        ix.delete(["whole"])
        apart = _groups(ix)
        results = ix.query("Mariupol")
    assert together["opening"] == together["ending"] == together["whole"]
    assert apart["opening"] != apart["ending"]
    assert results.stories == 2 and {hit.group for hit in results} == set(apart.values())


def test_groups_are_kept_across_reopening_and_api_writes(tmp_path):
    family = _comet_family()
    with index_holding(tmp_path / "ix", family[:1]) as ix:
        ix.add(family[1:])
        groups = _groups(ix)
        ix.add([_story("comet-wire", BRIDGE)])  # the same id, now another story
        changed = _groups(ix)
    assert len(set(groups.values())) == 1
    assert changed["comet-wire"] != changed["comet"] == changed["comet-gazette"] == groups["comet"]


@needs("collapses", "does not collapse near-duplicates yet: it lists every copy")
def test_cli_collapses_by_default_and_lists_every_copy_on_request(tmp_path, runner):
    with index_holding(tmp_path / "ix", _comet_family() + [_story("bridge", BRIDGE)]):
        pass
    folder = str(tmp_path / "ix")
    collapsed = runner.invoke(cli, ["query", "comet", "--index", folder])
    every = runner.invoke(cli, ["query", "comet", "--no-collapse", "--index", folder])
    as_json = runner.invoke(cli, ["query", "comet", "--json", "--index", folder])
    assert collapsed.exit_code == 0, collapsed.output
    assert "+2 similar" in collapsed.output
    assert "3 matching articles in 1 story; showing 1-1." in collapsed.output
    assert every.output.count("comet") >= 3 and "similar" not in every.output
    assert "3 matching articles; showing 1-3." in every.output
    summary = json.loads(as_json.output)
    assert [hit["duplicates"] for hit in summary["hits"]] == [2] and summary["stories"] == 1 and summary["total"] == 3


def test_cli_similar_duplicates_lists_the_other_versions_with_sources_and_dates(tmp_path, runner):
    with index_holding(tmp_path / "ix", _comet_family() + [_story("bridge", BRIDGE)]):
        pass
    folder = str(tmp_path / "ix")
    listed = runner.invoke(cli, ["similar", "comet-gazette", "--duplicates", "--index", folder])
    as_json = runner.invoke(cli, ["similar", "comet-gazette", "--duplicates", "--json", "--index", folder])
    as_jsonl = runner.invoke(cli, ["similar", "comet-gazette", "--duplicates", "--jsonl", "--index", folder])
    alone = runner.invoke(cli, ["similar", "bridge", "--duplicates", "--index", folder])
    missing = runner.invoke(cli, ["similar", "nope", "--duplicates", "--index", folder])
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines()[:2] == ["2023-10-02  Northfield Courier  comet  Headline of comet",
                                              "2023-10-03  Valdoria Wire  comet-wire  Retired teacher finds comet"]
    assert "2 other versions of this story." in listed.output
    answer = json.loads(as_json.output)
    versions = answer["duplicates"]
    assert [(v["id"], v["source"], v["published"]) for v in versions] == [
        ("comet", "Northfield Courier", "2023-10-02T00:00:00+00:00"),
        ("comet-wire", "Valdoria Wire", "2023-10-03T00:00:00+00:00")]  # a day alone: its midnight UTC
    assert (answer["id"], answer["total"]) == ("comet-gazette", 2)
    assert [json.loads(line) for line in as_jsonl.output.splitlines()] == versions
    assert "No other versions" in alone.output
    assert missing.exit_code == 1 and "nope" in missing.output


def test_cli_stats_counts_grouped_documents_and_shows_the_largest_groups(tmp_path, runner):
    records = _comet_family() + [_story("bridge", BRIDGE), _story("bridge-copy", _syndicated(BRIDGE, "Wire"),
                                                                 title="Bridge copy")]
    with index_holding(tmp_path / "ix", records):
        pass
    text = runner.invoke(cli, ["stats", "--index", str(tmp_path / "ix")])
    data = json.loads(runner.invoke(cli, ["stats", "--json", "--index", str(tmp_path / "ix")]).output)
    assert "5 documents have near-duplicates, in 2 groups" in text.output
    assert "3 documents: Comet named after Dunmere man" in text.output
    assert data["grouped_documents"] == 5 and data["groups"] == 2
    assert [group["documents"] for group in data["largest_groups"]] == [3, 2]


@needs("collapses", "does not collapse near-duplicates yet: it lists every copy")
def test_the_bundled_corpus_has_no_near_duplicates(built_index):
    with Index.open(built_index) as ix:
        stats = ix.stats()
        results = ix.query("Mariupol corridor")
    assert stats.groups == 0 and stats.grouped_documents == 0
    assert results.stories == results.total


def test_damaged_group_file_is_a_one_line_error(tmp_path, runner):
    with index_holding(tmp_path / "ix", _comet_family()):
        pass
    _as_older_newsearch_saved_it(tmp_path / "ix")
    (next((tmp_path / "ix").glob("gen-*")) / "duplicates.pickle").write_bytes(b"not a pickle")
    result = runner.invoke(cli, ["stats", "--index", str(tmp_path / "ix")])
    assert result.exit_code == 1 and "near-duplicate groups" in result.output and "Traceback" not in result.output


def test_adding_the_same_id_twice_in_one_call_keeps_the_last(tmp_path):
    with index_holding(tmp_path / "ix", [_story("a", COMET), _story("a", BRIDGE)]) as ix:
        assert ix.stats().documents == 1
        assert ix.get("a").body == BRIDGE
        assert _groups(ix) == {"a": ix.get("a").group}


def test_dated_copies_more_than_a_few_days_apart_are_separate_stories(tmp_path):
    # a weekly notice repeats its wording; a copy runs within days
    records = [_story("monday", COMET, published="2023-10-02"), _story("thursday", COMET, published="2023-10-05"),
               _story("next-week", COMET, published="2023-10-12"), _story("undated", COMET)]
    with index_holding(tmp_path / "ix", records) as ix:
        groups = _groups(ix)
    assert groups["monday"] == groups["thursday"] == groups["undated"]
    assert groups["next-week"] != groups["monday"]


def test_the_window_is_measured_in_days_either_way_and_removed_copies_are_not_found():
    seed = (CORPUS / SEED_ID).read_text(encoding="utf-8")
    day = dt.date(2023, 10, 10)
    groups = Groups()
    for name, offset in (("before", -3), ("after", 3), ("far", 7)):
        groups.place(name, seed, day + dt.timedelta(days=offset))
    assert len({groups.group(name) for name in ("before", "after", "far")}) == 3  # each 4 or more days apart
    assert groups.place("middle", seed, day)[0] in (groups.group("before"), groups.group("after"))
    for name in ("before", "after", "middle"):
        groups.remove(name)
    assert groups.place("again", seed, day)[1] is False  # the copies within three days are gone
    assert groups.place("undated", seed)[1] is True  # an undated copy matches any day


def _as_older_newsearch_saved_it(folder: Path, groups_format: int = 2) -> dict[str, str]:
    """Replace the live generation's state store with the files newsearch kept before it (manifest.json,
    added.json, duplicates.pickle); the groups it held, by id."""
    generation = generations.live(folder)
    with stored.open_state(generation) as saved:
        db = saved.connection
        files = {path: {"size": size, "mtime_ns": mtime, "content_hash": digest, "errors": [], "shared": [],
                        "records": dict(db.execute("SELECT id, digest FROM records WHERE path = ?", (path,)))}
                 for path, size, mtime, digest in db.execute("SELECT path, size, mtime_ns, content_hash FROM files")}
        manifest = {"sources": json.loads(saved.meta("sources", "[]")), "exclude": [], "files": files}
        documents = {id: (group, packed) for id, group, packed in db.execute("SELECT id, grp, packed FROM documents")}
        added = [id for (id,) in db.execute("SELECT id FROM added")]
    (generation / state.FILE_NAME).unlink()
    (generation / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (generation / "added.json").write_text(json.dumps(added), encoding="utf-8")
    (generation / "duplicates.pickle").write_bytes(pickle.dumps({"format": groups_format, "documents": documents}))
    return {id: group for id, (group, _) in documents.items()}


def test_an_index_saved_by_an_older_newsearch_is_migrated_by_its_next_write(tmp_path, runner):
    corpus = tmp_path / "corpus"
    _write_corpus(corpus, _comet_family())
    folder = tmp_path / "ix"
    Index.build(folder, corpus)
    with Index.open(folder) as ix:
        ix.add([_story("api-copy", COMET, published="2023-10-03")])
    groups = _as_older_newsearch_saved_it(folder)
    generation = generations.live(folder)
    stats = runner.invoke(cli, ["stats", "--index", str(folder)])  # read as it is, nothing written
    assert stats.exit_code == 0 and "grouped:    4 documents" in stats.output, stats.output
    assert not (generation / state.FILE_NAME).exists()
    check = runner.invoke(cli, ["check", "--index", str(folder)])
    assert check.exit_code == 0 and "1 added through the API" in check.output, check.output
    with Index.open(folder) as ix:
        assert ix.update().summary().startswith("0 added, 0 changed, 0 deleted, 0 failed, 3 unchanged")
        assert _groups(ix) == groups
    old_files = {"manifest.json", "added.json", "duplicates.pickle"}  # an engine may keep .json files of its own
    assert sorted(p.name for p in generation.iterdir() if p.name in old_files) == []
    _write_corpus(corpus, [_story("late-copy", COMET, published="2023-10-04")])
    with Index.open(folder) as ix:
        assert ix.update().added == 1
        assert _groups(ix)["late-copy"] == groups["api-copy"]


def test_groups_saved_in_an_older_format_ask_for_a_rebuild(tmp_path, runner):
    with index_holding(tmp_path / "ix", _comet_family()):
        pass
    _as_older_newsearch_saved_it(tmp_path / "ix", groups_format=1)
    result = runner.invoke(cli, ["stats", "--index", str(tmp_path / "ix")])
    assert result.exit_code == 1 and "format 1" in result.output and "--rebuild" in result.output


def test_copies_that_joined_stay_linked_when_their_group_is_checked_again():
    # joining and regroup judge a pair on the same sketches, so a copy near the thresholds is not split off
    seed = (CORPUS / SEED_ID).read_text(encoding="utf-8")
    assert len(shingles(seed)) > SKETCH  # compared on sketches, not whole sets
    words = seed.split()
    groups = Groups()
    groups.place("whole", seed)
    for cut in range(len(words) * 5 // 10, len(words), 8):
        groups.place(f"first-{cut}", " ".join(words[:cut]))
    group = groups.group("whole")
    assert group is not None
    joined = groups.group_members(group)
    assert len(joined) > 3
    assert groups.regroup(group) == {}
    groups.remove("whole")  # each opening holds the shorter ones: still one story
    assert groups.regroup(group) == {} and groups.group_members(group) == joined - {"whole"}


def test_tantivy_counts_stories_when_groups_outnumber_its_first_aggregation(tmp_path, monkeypatch):
    # tantivy refuses aggregations of over 65,000 buckets: groups are counted largest first, a few at a time
    tantivy_engine = pytest.importorskip("newsearch.engines.tantivy")
    records = _comet_family() + [_story("bridge", BRIDGE + " comet", published="2023-10-02"),
                                 _story("bridge-wire", _syndicated(BRIDGE, "Valdoria Wire") + " comet",
                                        published="2023-10-03"),
                                 _story("library", LIBRARY + " comet")]
    with Index.create(tmp_path / "ix", engine="tantivy") as index:
        index.add(records)
    with Index.open(tmp_path / "ix") as index:
        expected = index.query("comet")
        monkeypatch.setattr(tantivy_engine, "GROUP_BUCKETS", 1)
        narrow = index.query("comet")
    assert (expected.total, expected.stories) == (narrow.total, narrow.stories) == (6, 3)
    assert [(hit.id, hit.duplicates) for hit in narrow] == [(hit.id, hit.duplicates) for hit in expected]
    assert sorted(hit.duplicates for hit in narrow) == [0, 1, 2]


def _partition_of(groups: Groups) -> set[frozenset[str]]:
    members: dict[str, set[str]] = {}
    for id, group in groups.mapping().items():
        members.setdefault(group, set()).add(id)
    return {frozenset(ids) for ids in members.values()}


@pytest.mark.engine_free
@pytest.mark.parametrize("prefetched, common_key", [(False, None), (True, None), (True, 4), (False, 4)])
def test_groups_found_through_the_store_equal_groups_found_in_memory(tmp_path, monkeypatch, prefetched, common_key):
    """Reuters stories placed in two writes, the first saved in a state store and the second found by the
    store's indexed key lookups (one at a time, or fetched a batch ahead as an update does), fall in the same
    groups as all placed in memory (some removed, some of those placed again); also when keys held by a few
    documents count as common."""
    import gzip

    from newsearch import duplicates
    from newsearch.dates import parse_date

    if common_key is not None:
        monkeypatch.setattr(duplicates, "COMMON_KEY", common_key)

    with gzip.open(shared_path("reuters", "reuters.jsonl.gz"), "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line, _ in zip(lines, range(3000), strict=False)]
    stories = [(str(r["id"]), r.get("body") or "", parse_date(r.get("published") or "")) for r in records]
    first, second, removed = stories[:2000], stories[2000:], [id for id, _, _ in stories[:2000:20]]
    in_memory = Groups()
    tmp_path.mkdir(exist_ok=True)
    with state.State.open(tmp_path) as store:
        saved = Groups(state=store)
        for groups in (in_memory, saved):
            for id, body, published in first:
                groups.place(id, body, published)
        store.save(saved)
    with state.State.open(tmp_path) as store:
        reopened = Groups(state=store)
        for groups in (in_memory, reopened):
            for id in removed:
                groups.remove(id)
            again = first[:2000:20][:40]  # removed above, placed again
            placed = second + again
            for at, (id, body, published) in enumerate(placed):
                if prefetched and at % 100 == 0:
                    groups.prefetch([(id, published, duplicates.body_sketch(body))
                                     for id, body, published in placed[at:at + 100]])
                groups.place(id, body, published)
        assert _partition_of(reopened) == _partition_of(in_memory)
        store.save(reopened)
        assert _partition_of(Groups(state=store)) == _partition_of(in_memory)
    assert sum(len(part) > 1 for part in _partition_of(in_memory)) > 50


@pytest.mark.engine_free
def test_shingle_hashes_stay_those_stored_sketches_were_made_with():
    """Stored sketches are compared with new ones: a shingle stays the CRC-32 of its five lower-cased words
    joined by single spaces, as UTF-8 (a German page from the bundled corpus: words beyond ASCII)."""
    import re
    import zlib

    from newsearch.readers import read_file

    german = CORPUS / "html" / "hochwasser-selbach-kellinghausen.html"
    bodies = [COMET, BRIDGE, next(iter(read_file(german, CORPUS).articles)).body]
    assert not bodies[2].isascii()
    for body in bodies:
        words = re.findall(r"\w+", body.lower())
        expected = set()
        for start in range(len(words) - 4):
            expected.add(zlib.crc32(" ".join(words[start:start + 5]).encode("utf-8")))
        assert shingles(body) == expected and len(expected) > MIN_WORDS


def test_a_long_body_is_sketched_a_piece_at_a_time_as_it_would_be_whole(long_article, monkeypatch):
    from newsearch import duplicates

    body = long_article[0]
    whole = duplicates.body_sketch(body[:900_000])  # under SKETCH_PIECE_CHARS: the whole shingle set
    monkeypatch.setattr(duplicates, "SKETCH_PIECE_CHARS", 5000)
    assert duplicates.body_sketch(body[:900_000]) == whole
    assert duplicates.body_sketch(body[:5_100]) == duplicates.array("I", sorted(shingles(body[:5_100]))[:SKETCH]
                                                                     ).tobytes()


@pytest.mark.engine_free
@pytest.mark.parametrize("prefetched", [False, True])
def test_a_key_stops_being_common_when_a_write_removes_its_stored_holders(tmp_path, monkeypatch, prefetched):
    """Keys held by more than COMMON_KEY stored documents are no evidence; once a write removes some of those
    copies, the rest count again, as they would in memory, and a new copy joins their group."""
    from newsearch import duplicates

    monkeypatch.setattr(duplicates, "COMMON_KEY", 5)
    copies = [f"comet-{number}" for number in range(7)]
    published = dt.date(2023, 10, 2)
    with state.State.open(tmp_path) as store:
        saved = Groups(state=store)
        for id in copies[:6]:
            saved.place(id, COMET, published)
        store.save(saved)

    def placed_after_removing(removed: list[str]) -> tuple[bool, bool]:
        groups = Groups(state=store)
        for id in removed:
            groups.remove(id)
        if prefetched:
            groups.prefetch([(copies[6], published, duplicates.body_sketch(COMET))])
        group, joined = groups.place(copies[6], COMET, published)
        return joined, group == groups.group(copies[2])

    with state.State.open(tmp_path) as store:
        assert placed_after_removing([]) == (False, False)  # each key held by six: none is evidence
        assert placed_after_removing(copies[:2]) == (True, True)

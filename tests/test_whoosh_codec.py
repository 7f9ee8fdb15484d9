"""Posting blocks stored as arrays: the same postings as whoosh's W3 blocks, read one at a time or whole, and
indexes written with W3 blocks still read and updated."""

from __future__ import annotations

import gzip
import itertools
import json

import numpy as np
import pytest
from whoosh.codec.whoosh3 import W3Codec
from whoosh.index import open_dir

from newsearch import Index
from newsearch.article import Article
from newsearch.engines import whoosh_segments
from newsearch.engines.whoosh import WhooshEngine, _document
from newsearch.engines.whoosh_codec import ArrayCodec, ArrayLeafMatcher, posting_arrays
from newsearch.engines.whoosh_segments import LengthsWriter

from conftest import shared_path

pytestmark = pytest.mark.only_engine("whoosh")


def _reuters(count: int) -> list[dict]:
    with gzip.open(shared_path("reuters", "reuters.jsonl.gz"), "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in itertools.islice(lines, count)]


def _segment(folder, records: list[dict], codec) -> WhooshEngine:
    engine = WhooshEngine.create(folder)
    writer = LengthsWriter(engine._index, codec=codec, compound=False)
    for record in records:
        writer.add_document(**_document(Article.from_dict(record)))
    writer.commit()
    return engine


def _postings(reader) -> dict:
    """Every term's postings, read one at a time through whoosh's matcher: (id, weight, value) each."""
    found = {}
    for fieldname, text in reader.all_terms():
        matcher = reader.postings(fieldname, text)
        postings = []
        while matcher.is_active():
            postings.append((matcher.id(), matcher.weight(), matcher.value()))
            matcher.next()
        found[fieldname, text] = postings
    return found


def test_array_blocks_hold_the_postings_w3_blocks_hold(tmp_path):
    records = _reuters(400)
    arrays = _segment(tmp_path / "arrays", records, ArrayCodec())
    w3 = _segment(tmp_path / "w3", records, W3Codec())
    with arrays._index.reader() as reader, w3._index.reader() as expected:
        found = _postings(reader)
        assert found == _postings(expected)
        for (fieldname, text), postings in found.items():  # read whole from W3 blocks, as the posting cache does
            docnums, weights = posting_arrays(expected.postings(fieldname, text))
            assert docnums.tolist() == [id for id, _, _ in postings]
            assert np.allclose(weights, [weight for _, weight, _ in postings])
        long_lists = 0
        for (fieldname, text), postings in found.items():
            matcher = reader.postings(fieldname, text)
            if isinstance(matcher, ArrayLeafMatcher):  # not a list inlined in the term index
                docnums, weights = matcher.arrays()
                assert docnums.tolist() == [id for id, _, _ in postings]
                assert np.allclose(weights, [weight for _, weight, _ in postings])
                long_lists += len(postings) > 128  # more than one block
        assert long_lists > 10
        skipping = reader.postings("body", b"oil")  # skipping across blocks
        skipping.skip_to(300)
        assert skipping.id() == min(id for id, _, _ in found["body", b"oil"] if id >= 300)


def _codecs(folder) -> set[str]:
    """The block formats of the segments of an index's last generation."""
    generation = sorted(folder.glob("gen-*"))[-1]
    return {"arrays" if isinstance(segment.codec(), ArrayCodec) else "w3"
            for segment in open_dir(str(generation))._segments()}


def test_an_index_of_w3_blocks_is_read_and_updated_as_before(tmp_path, monkeypatch):
    records = _reuters(900)
    for made in ("w3", "arrays"):
        with monkeypatch.context() as patch:
            if made == "w3":  # as indexes were written before array blocks
                patch.setattr(whoosh_segments, "ArrayCodec", W3Codec)
            with Index.create(tmp_path / made, engine="whoosh") as index:
                index.add(records[:600])
        assert _codecs(tmp_path / made) == {made}
        with Index.open(tmp_path / made) as index:
            index.add(records[600:])
            index.delete([record["id"] for record in records[::5]])
    queries = ["oil prices", '"money market"', "opec*", "bank rate cut", "sugar OR coffee -brazil", "title:wheat"]
    found = {}
    for made in ("w3", "arrays"):
        with Index.open(tmp_path / made) as index:
            found[made] = [[(hit.id, round(hit.score, 6), hit.duplicates, str(hit.snippet)) for hit in results]
                           + [results.total, results.stories] for text in queries
                           for results in [index.query(text, limit=20)]]
    assert found["w3"] == found["arrays"]
    assert "arrays" in _codecs(tmp_path / "w3")  # the update's own segment
    assert all(len(results) > 2 for results in found["arrays"])


def test_the_term_table_writes_the_file_whoosh_writes(tmp_path):
    """The term table kept in arrays writes the same hash file as whoosh's writer, for the terms of real
    articles (each word and each id), and whoosh reads every term back from it."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.filedb.filetables import OrderedHashReader, OrderedHashWriter

    from newsearch.engines.whoosh_codec import _TermTable

    records = _reuters(300)
    keys = sorted({word.encode("utf-8") for record in records for word in record["body"].lower().split()}
                  | {record["id"].encode("utf-8") for record in records})
    storage = FileStorage(str(tmp_path))
    whooshs, ours = OrderedHashWriter(storage.create_file("whoosh")), _TermTable.taking_over(
        OrderedHashWriter(storage.create_file("ours")))
    for number, key in enumerate(keys):
        whooshs.add(key, str(number).encode())
        ours.add(key, str(number).encode())
    whooshs.close()
    ours.close()
    assert (tmp_path / "ours").read_bytes() == (tmp_path / "whoosh").read_bytes()
    reader = OrderedHashReader(storage.open_file("ours"))
    assert all(reader[key] == str(number).encode() for number, key in enumerate(keys))
    assert len(keys) > 5000


def test_postings_spilled_to_disk_in_chunks_come_back_whole_and_in_order(tmp_path, monkeypatch):
    """A segment writer whose postings outgrow its memory spills sorted runs to disk, pickled a chunk of
    postings at a time; merged back, they make the same postings as a writer that kept them all."""
    monkeypatch.setattr(whoosh_segments, "RUN_CHUNK", 7)  # chunks that end inside a term's postings
    records = _reuters(400)
    found = {}
    for name, limit in (("spilled", 1), ("kept", 512)):
        engine = WhooshEngine.create(tmp_path / name)
        writer = LengthsWriter(engine._index, limitmb=limit, compound=False)
        for record in records:
            writer.add_document(**_document(Article.from_dict(record)))
        runs = len(writer.pool.runs)
        writer.commit()
        with engine._index.reader() as reader:
            found[name] = (runs, _postings(reader))
    assert found["spilled"][0] > 2 and found["kept"][0] == 0
    assert found["spilled"][1] == found["kept"][1]

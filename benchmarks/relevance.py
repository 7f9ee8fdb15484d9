"""Ranking quality as users get it: newsearch's defaults on every local engine, beside plain BM25.

Usage: python benchmarks/relevance.py [--corpora DIR] [--engines whoosh,tantivy] [COLLECTION ...]

For each judged collection (a folder with ``docs.jsonl``, ``queries.tsv`` and ``qrels.txt``
in TREC format; CISI and Cranfield from ../shared/corpora by default) the documents are
indexed with ``Index.build`` and every query's raw text goes to ``Index.query(text,
limit=100)`` with the defaults a user gets. The reference is plain BM25 as SQLite FTS5
computes it (porter tokenizer, the query's words joined by OR, title weighted 2). Scores:
nDCG@10, MAP and recall@100 (ir-measures); queries with no judged-relevant document are
left out, as trec_eval does; a query that raises counts as an empty ranking and is counted.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import tempfile
from pathlib import Path

import ir_measures
from ir_measures import AP, R, nDCG

from newsearch import Index, NewsearchError

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPORA = ROOT.parent / "shared" / "corpora"
COLLECTIONS = ("cisi", "cranfield")
MEASURES = (nDCG @ 10, AP, R @ 100)
DEPTH = 100


def main() -> None:
    options = _arguments()
    rows = []
    for name in options.collections or COLLECTIONS:
        folder = options.corpora / name
        if not (folder / "docs.jsonl").exists():
            sys.exit(f"{folder / 'docs.jsonl'} not found: pass --corpora DIR holding the collection folders")
        documents = [json.loads(line) for line in (folder / "docs.jsonl").open(encoding="utf-8")]
        queries = dict(line.rstrip("\n").split("\t", 1) for line in (folder / "queries.tsv").open(encoding="utf-8"))
        qrels = list(ir_measures.read_trec_qrels(str(folder / "qrels.txt")))
        judged = {qrel.query_id for qrel in qrels if qrel.relevance >= 1}
        queries = {qid: text for qid, text in queries.items() if qid in judged}
        for engine in options.engines.split(","):
            run, errors = _newsearch_run(folder / "docs.jsonl", queries, engine)
            rows.append((name, f"newsearch {engine}", len(queries), errors, *_scores(qrels, run, judged)))
        run = _fts5_run(documents, queries)
        rows.append((name, "plain BM25 (FTS5)", len(queries), 0, *_scores(qrels, run, judged)))
    print("| collection | system | queries | errors | nDCG@10 | MAP | recall@100 |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for name, system, count, errors, *scores in rows:
        print(f"| {name} | {system} | {count} | {errors} | " + " | ".join(f"{score:.4f}" for score in scores) + " |")


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("collections", nargs="*")
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--engines", default="whoosh,tantivy")
    return parser.parse_args()


def _newsearch_run(docs: Path, queries: dict[str, str], engine: str) -> tuple[dict, int]:
    """Each query's top 100 through Index.query with the defaults, and how many queries raised."""
    run: dict[str, dict[str, float]] = {}
    errors = 0
    with tempfile.TemporaryDirectory() as scratch:
        corpus = Path(scratch) / "corpus"
        corpus.mkdir()
        (corpus / docs.name).symlink_to(docs.resolve())
        Index.build(Path(scratch) / "index", corpus, engine=engine, workers=2)
        with Index.open(Path(scratch) / "index") as index:
            for qid, text in queries.items():
                try:
                    hits = index.query(text, limit=DEPTH)
                except NewsearchError as error:
                    errors += 1
                    print(f"query {qid} raised: {error}", file=sys.stderr)
                    continue
                run[qid] = {hit.id: float(DEPTH - rank) for rank, hit in enumerate(hits)}
    return run, errors


def _fts5_run(documents: list[dict], queries: dict[str, str]) -> dict:
    """Plain BM25: SQLite FTS5 with the porter tokenizer, the query's words joined by OR, title weighted 2."""
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, tokenize='porter')")
    connection.executemany("INSERT INTO docs VALUES (?, ?, ?)",
                           [(str(d["id"]), d.get("title", ""), d.get("body", "")) for d in documents])
    run = {}
    for qid, text in queries.items():
        words = re.findall(r"\w+", text.lower())
        if not words:
            continue
        match = " OR ".join(f'"{word}"' for word in words)
        rows = connection.execute("SELECT id, bm25(docs, 0.0, 2.0, 1.0) AS score FROM docs WHERE docs MATCH ? "
                                  "ORDER BY score LIMIT ?", (match, DEPTH)).fetchall()
        run[qid] = {id: -score for id, score in rows}
    return run


def _scores(qrels, run: dict, judged: set) -> list[float]:
    """Each measure averaged over every judged query; a query with no hits counts as 0."""
    totals = dict.fromkeys(MEASURES, 0.0)
    for metric in ir_measures.iter_calc(MEASURES, qrels, run):
        if metric.query_id in judged:
            totals[metric.measure] += metric.value
    return [totals[measure] / len(judged) for measure in MEASURES]


if __name__ == "__main__":
    main()

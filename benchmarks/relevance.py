"""Ranking quality on test collections with relevance judgments: newsearch's defaults next to a reference BM25.

Usage: python benchmarks/relevance.py [--corpora DIR] [COLLECTION ...]

For each collection folder (``docs.jsonl``, ``queries.tsv``, ``qrels.txt`` in TREC
format; CISI and Cranfield by default) it indexes the documents with newsearch, runs
every judged query through ``Index.query`` (its words, without query-language
operators, as a user would type them) and scores the top 100 with nDCG@10, MAP and
recall@100 (ir-measures). The reference is plain BM25 (k1=0.9, b=0.4, Lucene's idf)
over title and body as one field, computed here over exactly the tokens newsearch
indexes. Queries with no judged-relevant document are left out of both, as trec_eval
does. Relevance grades count as gains for nDCG; any grade >= 1 is relevant for MAP
and recall.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import ir_measures
from ir_measures import AP, R, nDCG

from newsearch import Index
from newsearch.engines.whoosh_analysis import analyzer

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPORA = ROOT.parent / "shared" / "corpora"
COLLECTIONS = ("cisi", "cranfield")
MEASURES = (nDCG @ 10, AP, R @ 100)
DEPTH = 100
REFERENCE_K1, REFERENCE_B = 0.9, 0.4


def main() -> None:
    options = _arguments()
    rows = []
    for name in options.collections or COLLECTIONS:
        folder = options.corpora / name
        if not (folder / "docs.jsonl").exists():
            sys.exit(f"{folder / 'docs.jsonl'} not found: pass --corpora DIR holding the collection folders")
        documents = [json.loads(line) for line in (folder / "docs.jsonl").open(encoding="utf-8")]
        # a few Cranfield records are empty; an article needs a title or a body
        documents = [d for d in documents if d.get("title", "").strip() or d.get("body", "").strip()]
        queries = dict(line.rstrip("\n").split("\t", 1) for line in (folder / "queries.tsv").open(encoding="utf-8"))
        qrels = list(ir_measures.read_trec_qrels(str(folder / "qrels.txt")))
        judged = {qrel.query_id for qrel in qrels if qrel.relevance >= 1}
        queries = {qid: text for qid, text in queries.items() if qid in judged}
        systems = {"newsearch": _newsearch_run(documents, queries),
                   "BM25 reference": _reference_run(documents, queries)}
        for system, run in systems.items():
            scores = _mean_scores(qrels, run, judged)
            rows.append((name, system, len(queries), *(scores[measure] for measure in MEASURES)))
    _print_table(rows)


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("collections", nargs="*", help=f"collection folder names (default: {' '.join(COLLECTIONS)})")
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA, help="folder holding the collections")
    return parser.parse_args()


def words(text: str) -> str:
    """A question as plain words: operators and punctuation of the query language dropped."""
    return " ".join(re.findall(r"\w+", text)).lower()


def _newsearch_run(documents: list[dict], queries: dict[str, str]) -> dict[str, dict[str, float]]:
    with (tempfile.TemporaryDirectory(prefix="newsearch-relevance-") as folder,
          Index.create(Path(folder) / "index") as ix):
        ix.add(documents)
        run = {}
        for qid, text in queries.items():
            hits = ix.query(words(text), limit=DEPTH)
            # ranks, not scores: newsearch's tiers put all-term hits first whatever their score
            run[qid] = {hit.id: float(DEPTH - rank) for rank, hit in enumerate(hits)}
    return run


def _reference_run(documents: list[dict], queries: dict[str, str]) -> dict[str, dict[str, float]]:
    """BM25 over title + body as one bag of the tokens newsearch indexes."""
    index_tokens = analyzer("body")
    postings: dict[str, dict[str, int]] = defaultdict(dict)
    lengths = {}
    for document in documents:
        tokens = [t.text for t in index_tokens(f"{document.get('title', '')}\n{document.get('body', '')}")]
        lengths[document["id"]] = len(tokens)
        for term, count in Counter(tokens).items():
            postings[term][document["id"]] = count
    count, average = len(lengths), sum(lengths.values()) / max(len(lengths), 1)
    run = {}
    for qid, text in queries.items():
        scores: Counter = Counter()
        for term, weight in Counter(t.text for t in index_tokens(words(text), mode="query")).items():
            found = postings.get(term, {})
            idf = math.log(1 + (count - len(found) + 0.5) / (len(found) + 0.5))
            for id, tf in found.items():
                norm = REFERENCE_K1 * (1 - REFERENCE_B + REFERENCE_B * lengths[id] / average)
                scores[id] += weight * idf * tf * (REFERENCE_K1 + 1) / (tf + norm)
        run[qid] = dict(scores.most_common(DEPTH))
    return run


def _mean_scores(qrels, run, judged) -> dict:
    """Each measure averaged over every judged query; a query with no hits counts as 0."""
    totals: dict = defaultdict(float)
    for metric in ir_measures.iter_calc(MEASURES, qrels, run):
        if metric.query_id in judged:
            totals[metric.measure] += metric.value
    return {measure: totals[measure] / len(judged) for measure in MEASURES}


def _print_table(rows) -> None:
    print("| collection | system | queries | nDCG@10 | MAP | recall@100 |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for name, system, queries, *values in rows:
        print(f"| {name} | {system} | {queries} | " + " | ".join(f"{v:.4f}" for v in values) + " |")


if __name__ == "__main__":
    main()

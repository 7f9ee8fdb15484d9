"""Article-body extraction quality and speed: ours against reference extractors, one markdown table.

Run ``make bench-extraction`` or ``python benchmarks/extraction.py [--split dev|check|all]``.

Every method gets the same decoded page text. Body quality is word-token precision, recall and F1
(multiset overlap of lower-cased ``\\w+`` words) against ``ground-truth.json``; speed is pages per
second with the process pinned to one core. Reference methods whose library is not installed are
skipped with a note (``pip install -e '.[bench]'`` installs them).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import statistics
import sys
import time
import unicodedata
import warnings
from collections import Counter
from pathlib import Path

from newsearch.errors import ReadError
from newsearch.readers.encoding import decode
from newsearch.readers.html import read_html

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpora" / "extraction"
MIXED = ROOT.parent / "shared" / "corpora" / "mixed"
SPLIT_SEED = 20240615  # the dev/check halves: develop on one, confirm on the other
WORD = re.compile(r"\w+")
GOOD_F1 = 0.9


def extract_ours(html: str) -> str:
    try:
        return read_html(html, id="page", path="page.html").body
    except ReadError:
        return ""


def extract_paragraphs(html: str) -> str:
    """The baseline: the text of every <p>, in order."""
    import lxml.html

    tree = lxml.html.document_fromstring(html)
    return "\n".join(p.text_content() for p in tree.iter("p"))


def extract_trafilatura(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html) or ""


def extract_readability(html: str) -> str:
    import lxml.html
    from readability import Document

    summary = Document(html).summary(html_partial=True)
    return lxml.html.fragment_fromstring(summary, create_parent="div").text_content() if summary else ""


METHODS = {
    "newsearch": (extract_ours, None),
    "trafilatura": (extract_trafilatura, "trafilatura"),
    "readability-lxml": (extract_readability, "readability"),
    "all <p> text (baseline)": (extract_paragraphs, None),
}


def scores(predicted: str, expected: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of the predicted words against the expected ones (multisets)."""
    got, want = Counter(WORD.findall(predicted.lower())), Counter(WORD.findall(expected.lower()))
    common = sum((got & want).values())
    if not want:
        return (1.0, 1.0, 1.0) if not got else (0.0, 1.0, 0.0)
    precision = common / sum(got.values()) if got else 0.0
    recall = common / sum(want.values())
    f1 = 2 * precision * recall / (precision + recall) if common else 0.0
    return precision, recall, f1


def load_pages(corpus: Path, split: str) -> list[tuple[str, str, str]]:
    """(id, decoded html, expected body) for the pages of one split, sorted by id."""
    truth = json.loads((corpus / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(truth)
    random.Random(SPLIT_SEED).shuffle(ids)
    half = len(ids) // 2
    chosen = {"dev": ids[:half], "check": ids[half:], "all": ids}[split]
    pages = []
    for page_id in sorted(chosen):
        path = corpus / "html" / f"{page_id}.html.gz"
        html = decode(gzip.decompress(path.read_bytes()), str(path), markup=True)
        pages.append((page_id, html, truth[page_id]["articleBody"]))
    return pages


def measure(extract, pages) -> dict:
    """Mean quality figures and pages per second of one method over the pages."""
    results, elapsed = [], 0.0
    for page_id, html, expected in pages:
        start = time.perf_counter()
        predicted = extract(html)
        elapsed += time.perf_counter() - start
        results.append((page_id, *scores(predicted, expected)))
    f1s = [r[3] for r in results]
    return {
        "precision": statistics.mean(r[1] for r in results),
        "recall": statistics.mean(r[2] for r in results),
        "f1": statistics.mean(f1s),
        "good": sum(f >= GOOD_F1 for f in f1s) / len(f1s),
        "min": min(f1s),
        "speed": len(pages) / elapsed if elapsed else float("inf"),
        "pages": results,
    }


def title_check(mixed: Path) -> tuple[int, int, list[str]]:
    """(correct, checked, wrong ids) for the HTML pages of the mixed corpus that have an expected title."""
    manifest = json.loads((mixed / "manifest.json").read_text(encoding="utf-8"))
    correct, checked, wrong = 0, 0, []
    for entry in manifest["files"]:
        if not entry["path"].endswith(".html") or not entry.get("expected_title") or entry["expect"] == "fail":
            continue
        path = mixed / entry["path"]
        try:
            title = read_html(decode(path.read_bytes(), str(path), markup=True), id="t", path=str(path)).title
        except ReadError:
            title = ""
        expected, actual = _loose(entry["expected_title"]), _loose(title)
        checked += 1
        if actual and (actual in expected or expected in actual):
            correct += 1
        else:
            wrong.append(f"{entry['path']}: {title!r} != {entry['expected_title']!r}")
    return correct, checked, wrong


def _loose(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def _available(module: str | None) -> bool:
    if module is None:
        return True
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the extraction corpus folder")
    parser.add_argument("--split", choices=["all", "dev", "check"], default="all",
                        help="the seeded half to measure (dev to tune on, check to confirm), or all pages")
    parser.add_argument("--only", action="append", choices=list(METHODS), help="measure only these methods")
    parser.add_argument("--worst", type=int, default=0, help="list our N lowest-F1 pages")
    args = parser.parse_args(argv)
    if not (args.corpus / "ground-truth.json").exists():
        print(f"no extraction corpus at {args.corpus}", file=sys.stderr)
        return 1
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # pages per second on one core
    warnings.simplefilter("ignore")  # reference libraries warn about odd markup; the table is the output
    pages = load_pages(args.corpus, args.split)
    print(f"{len(pages)} pages ({args.split}), word-token P/R/F1 against ground-truth.json\n")
    print("| method | precision | recall | F1 | pages F1 >= 0.9 | min F1 | pages/s (1 core) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    ours = None
    for name, (extract, module) in METHODS.items():
        if args.only and name not in args.only:
            continue
        if not _available(module):
            print(f"| {name} | not installed: pip install -e '.[bench]' | | | | | |")
            continue
        result = measure(extract, pages)
        ours = result if extract is extract_ours else ours
        print(f"| {name} | {result['precision']:.3f} | {result['recall']:.3f} | {result['f1']:.3f} "
              f"| {result['good']:.0%} | {result['min']:.3f} | {result['speed']:.1f} |")
    if MIXED.exists():
        correct, checked, wrong = title_check(MIXED)
        print(f"\nnewsearch titles on shared/corpora/mixed: {correct}/{checked} match the manifest")
        for line in wrong:
            print(f"  wrong: {line}")
    if ours and args.worst:
        print(f"\nour {args.worst} lowest-F1 pages (id, precision, recall, F1):")
        for page_id, precision, recall, f1 in sorted(ours["pages"], key=lambda r: r[3])[:args.worst]:
            print(f"  {page_id[:16]}  {precision:.3f}  {recall:.3f}  {f1:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

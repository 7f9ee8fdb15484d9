"""Article-body extraction quality and speed on both shared sets: ours against reference extractors, in tables.

Run ``make bench-extraction`` or ``python benchmarks/extraction.py [--split dev|check|all]``.

Every method gets the same decoded page text. On ``extraction/`` body quality is word-token
precision, recall and F1 (multiset overlap of lower-cased ``\\w+`` words) against
``ground-truth.json``, averaged over pages. On ``extraction-wide/`` it is the passage metric of
its README: a ``with`` passage found in the whitespace-normalised body is a true positive, a
``without`` passage found a false positive, counted over all pages. Each table also gives the
share of pages below F1 0.5, and for newsearch how many of those an anchor (trafilatura or
readability-lxml) extracts with F1 >= 0.9; speed is pages per second with the process pinned
to one core. Reference methods whose library is not installed are skipped with a note
(``pip install -e '.[bench]'`` installs them).
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
WIDE = ROOT.parent / "shared" / "corpora" / "extraction-wide"
MIXED = ROOT.parent / "shared" / "corpora" / "mixed"
SPLIT_SEED = 20240615  # the dev/check halves: develop on one, confirm on the other
WORD = re.compile(r"\w+")
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")  # lxml refuses it in a str
GOOD_F1 = 0.9
BAD_F1 = 0.5
ANCHORS = ("trafilatura", "readability-lxml")


def extract_ours(html: str) -> str:
    try:
        return read_html(html, id="page", path="page.html").body
    except ReadError:
        return ""


def extract_paragraphs(html: str) -> str:
    """The baseline: the text of every <p>, in order."""
    import lxml.html

    try:
        tree = lxml.html.document_fromstring(XML_DECLARATION.sub("", html, count=1))
    except (ValueError, lxml.etree.ParserError):
        return ""
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
    return precision, recall, _f1(precision, recall)


def passage_counts(predicted: str, annotation: dict) -> tuple[int, int, int]:
    """True positives, false negatives and false positives of one page by the passage metric."""
    body = " ".join(predicted.split())
    found = [" ".join(passage.split()) in body for passage in annotation["with"]]
    wrong = sum(" ".join(passage.split()) in body for passage in annotation["without"])
    return sum(found), len(found) - sum(found), wrong


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _split(ids: list[str], split: str) -> list[str]:
    ids = sorted(ids)
    random.Random(SPLIT_SEED).shuffle(ids)
    half = len(ids) // 2
    return sorted({"dev": ids[:half], "check": ids[half:], "all": ids}[split])


def _read_page(path: Path) -> str:
    return decode(gzip.decompress(path.read_bytes()), str(path), markup=True)


def load_pages(corpus: Path, split: str) -> list[tuple[str, str, str]]:
    """(id, decoded html, expected body) for the pages of one split of ``extraction/``, sorted by id."""
    truth = json.loads((corpus / "ground-truth.json").read_text(encoding="utf-8"))
    return [(page_id, _read_page(corpus / "html" / f"{page_id}.html.gz"), truth[page_id]["articleBody"])
            for page_id in _split(list(truth), split)]


def load_wide(corpus: Path, split: str) -> list[tuple[str, str, dict]]:
    """(key, decoded html, annotation) for the pages of one split of ``extraction-wide/``, sorted by key."""
    annotations = json.loads((corpus / "annotations.json").read_text(encoding="utf-8"))
    return [(key, _read_page(corpus / "html" / f"{key}.html.gz"), annotations[key])
            for key in _split(list(annotations), split)]


def run(extracts: dict, pages) -> dict[str, tuple[list[str], float]]:
    """The bodies each method extracts from the pages, and its pages per second.

    Methods take turns page by page, so a busy machine slows them alike and the speeds compare.
    """
    bodies: dict[str, list[str]] = {name: [] for name in extracts}
    elapsed = dict.fromkeys(extracts, 0.0)
    for _, html, _ in pages:
        for name, extract in extracts.items():
            start = time.perf_counter()
            bodies[name].append(extract(html))
            elapsed[name] += time.perf_counter() - start
    return {name: (bodies[name], len(pages) / elapsed[name] if elapsed[name] else float("inf")) for name in extracts}


def measure(bodies: list[str], speed: float, pages) -> dict:
    """Mean word-token figures of one method over ``extraction/`` pages, with per-page F1 and pages/s."""
    results = [(page_id, *scores(body, expected)) for (page_id, _, expected), body in zip(pages, bodies, strict=True)]
    return {
        "precision": statistics.mean(r[1] for r in results),
        "recall": statistics.mean(r[2] for r in results),
        "f1": statistics.mean(r[3] for r in results),
        "speed": speed,
        "pages": results,
    }


def measure_wide(bodies: list[str], speed: float, pages) -> dict:
    """Passage figures of one method over ``extraction-wide/`` pages (pooled), with per-page F1 and pages/s."""
    results, totals = [], [0, 0, 0]
    for (key, _, annotation), body in zip(pages, bodies, strict=True):
        counts = passage_counts(body, annotation)
        totals = [total + count for total, count in zip(totals, counts, strict=True)]
        results.append((key, *_prf(*counts)))
    return {**dict(zip(("precision", "recall", "f1"), _prf(*totals), strict=True)), "speed": speed, "pages": results}


def _prf(true_positives: int, false_negatives: int, false_positives: int) -> tuple[float, float, float]:
    found = true_positives + false_positives
    precision = true_positives / found if found else 1.0 if not false_negatives else 0.0
    recall = true_positives / (true_positives + false_negatives) if true_positives + false_negatives else 1.0
    return precision, recall, _f1(precision, recall)


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


def print_table(title: str, results: dict[str, dict]) -> None:
    """One markdown table: a row per method, with its share of pages below F1 0.5 and its speed."""
    print(f"\n{title}\n")
    print("| method | precision | recall | F1 | pages F1 >= 0.9 | pages F1 < 0.5 | of those, an anchor >= 0.9 "
          "| pages/s (1 core) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    anchors = [{page[0]: page[3] for page in results[name]["pages"]} for name in ANCHORS if name in results]
    for name, result in results.items():
        f1s = {page[0]: page[3] for page in result["pages"]}
        bad = [key for key, f1 in f1s.items() if f1 < BAD_F1]
        beaten = sum(any(anchor[key] >= GOOD_F1 for anchor in anchors) for key in bad)
        good = sum(f1 >= GOOD_F1 for f1 in f1s.values()) / len(f1s)
        print(f"| {name} | {result['precision']:.3f} | {result['recall']:.3f} | {result['f1']:.3f} | {good:.0%} "
              f"| {len(bad) / len(f1s):.1%} | {beaten / len(f1s):.1%} ({beaten}) | {result['speed']:.1f} |")


def print_worst(name: str, result: dict, count: int) -> None:
    print(f"\nour {count} lowest-F1 pages on {name} (id, precision, recall, F1):")
    for page_id, precision, recall, f1 in sorted(result["pages"], key=lambda r: r[3])[:count]:
        print(f"  {page_id[:16]}  {precision:.3f}  {recall:.3f}  {f1:.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the extraction corpus folder")
    parser.add_argument("--wide", type=Path, default=WIDE, help="the extraction-wide corpus folder")
    parser.add_argument("--split", choices=["all", "dev", "check"], default="all",
                        help="the seeded half to measure (dev to tune on, check to confirm), or all pages")
    parser.add_argument("--only", action="append", choices=list(METHODS), help="measure only these methods")
    parser.add_argument("--worst", type=int, default=0, help="list our N lowest-F1 pages of each set")
    args = parser.parse_args(argv)
    for folder, needed in ((args.corpus, "ground-truth.json"), (args.wide, "annotations.json")):
        if not (folder / needed).exists():
            print(f"no {needed} in {folder}", file=sys.stderr)
            return 1
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # pages per second on one core
    warnings.simplefilter("ignore")  # reference libraries warn about odd markup; the table is the output
    methods = {name: method for name, method in METHODS.items() if not args.only or name in args.only}
    missing = [name for name, (_, module) in methods.items() if not _available(module)]
    for name in missing:
        print(f"{name}: not installed, skipped (pip install -e '.[bench]')")
    sets = (
        ("extraction/: word-token P/R/F1 against ground-truth.json, mean over pages",
         load_pages(args.corpus, args.split), measure),
        ("extraction-wide/: passage P/R/F1 over all passages", load_wide(args.wide, args.split), measure_wide),
    )
    for title, pages, measure_set in sets:
        runs = run({name: extract for name, (extract, _) in methods.items() if name not in missing}, pages)
        results = {name: measure_set(bodies, speed, pages) for name, (bodies, speed) in runs.items()}
        print_table(f"{title} ({len(pages)} pages, {args.split})", results)
        if args.worst and "newsearch" in results:
            print_worst(title.split(":")[0], results["newsearch"], args.worst)
    if MIXED.exists():
        correct, checked, wrong = title_check(MIXED)
        print(f"\nnewsearch titles on shared/corpora/mixed: {correct}/{checked} match the manifest")
        for line in wrong:
            print(f"  wrong: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How often snippet fragments begin where a sentence begins, on real news, through the public API.

Usage: python benchmarks/snippets.py [--corpora DIR] [--queries N] [--engine NAME] [--keep DIR] [COLLECTION ...]
       python benchmarks/snippets.py --huge [--engine NAME]

For each collection (``reuters`` and ``bbc`` by default, ``<name>/<name>.jsonl.gz`` under
the corpora folder) it builds an index with ``Index.build`` (or reuses the one in
``--keep DIR/<name>``), picks N title words (every 40th distinct title word of five or
more letters that is not a stopword, in title order, so the pick is the same every run), runs
each through ``Index.query(word)`` with the defaults and reads the top 10 snippets.

Each fragment of a snippet (``Snippet.fragments``) is found again in its article's body
and judged, independently of newsearch's own splitter, to begin a sentence when it starts
a paragraph (the body's start, after a blank line or on an indented line), or when it
starts with a capital, digit or quote after . ! ? (with any closing quote) that does not
end a single initial (``J.``) or a dotted abbreviation (``U.S.``). Fragments
marked as cut inside a long sentence (``Fragment.cut_start``) are counted apart, not judged.
Also counted: snippets with two ellipses in a row.

With ``--huge`` it instead indexes one article whose body is 20 MB of Reuters stories
(and a last sentence with a word found nowhere else), then times a query for a word of
its first story and one for that last word, and measures the peak of Python's
allocations (tracemalloc) during each query, snippet included.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from newsearch import Index

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPORA = ROOT.parent / "shared" / "corpora"
COLLECTIONS = ("reuters", "bbc")
TOP = 10
STOPWORDS = {"about", "after", "again", "against", "their", "there", "these", "those", "which", "while",
             "would", "could", "should", "other", "under", "where", "being", "first", "years"}
_WORD = re.compile(r"[A-Za-z]{5,}")
_OPENING = re.compile(r"[\"'“‘(\[A-Z0-9]")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_INITIAL_OR_DOTTED = re.compile(r"(?:^|[\s(])(?:[A-Z]|(?:[A-Za-z]\.)+[A-Za-z])\.$")
_PARAGRAPH_START = re.compile(r"\n[ \t]*\n[ \t]*$|\n[ \t]+$")
_DOUBLE_ELLIPSIS = re.compile(r"(?:…|(?<!\.)\.\.\.)\s+(?:…|\.\.\.(?!\.))|……")  # not the dot leaders of tables


HUGE_CHARS = 20_000_000
LAST_SENTENCE = "The zeppelin landed at last."


def main() -> None:
    options = _arguments()
    if options.huge:
        _huge(options)
        return
    rows = []
    for name in options.collections or COLLECTIONS:
        path = options.corpora / name / f"{name}.jsonl.gz"
        if not path.exists():
            sys.exit(f"{path} not found: pass --corpora DIR holding the collection folders")
        bodies, titles = _read(path)
        words = _title_words(titles, options.queries)
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(options.keep) / name if options.keep else Path(scratch) / "index"
            if not (folder.exists() and any(folder.iterdir())):
                Index.build(folder, [str(path)], engine=options.engine)
            with Index.open(folder) as ix:
                rows.append((name, len(words), *_judge(ix, words, bodies)))
    print("| collection | queries | fragments | begin a sentence | cut (not judged) | not found | double ellipses |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, queries, judged, starts, cut, missing, doubled in rows:
        share = starts / judged if judged else 0.0
        print(f"| {name} | {queries} | {judged} | {starts} ({share:.1%}) | {cut} | {missing} | {doubled} |")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("collections", nargs="*", help="collection folder names (default: reuters bbc)")
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA, help="folder holding the collections")
    parser.add_argument("--queries", type=int, default=40, help="title words to query per collection")
    parser.add_argument("--engine", help="the engine to build with (default: the default engine)")
    parser.add_argument("--huge", action="store_true", help="time one query on a 20 MB article instead")
    parser.add_argument("--keep", help="keep (and reuse) the indexes in this folder")
    return parser.parse_args()


def _huge(options: argparse.Namespace) -> None:
    bodies, _ = _read(options.corpora / "reuters" / "reuters.jsonl.gz")
    first = next(iter(bodies.values()))
    stories = "\n    ".join(bodies.values())
    body = (stories * (HUGE_CHARS // len(stories) + 1))[:HUGE_CHARS] + "\n    " + LAST_SENTENCE
    word = _WORD.findall(first)[1].lower()
    print("| engine | body MB | query | seconds | peak Python MB | snippet starts |")
    print("| --- | ---: | --- | ---: | ---: | --- |")
    with tempfile.TemporaryDirectory() as scratch:
        with Index.create(Path(scratch) / "index", engine=options.engine) as ix:
            ix.add([{"id": "huge", "title": "Everything", "body": body}])
        with Index.open(Path(scratch) / "index") as ix:
            ix.query("reuters")  # open the searcher before timing
            for text in (word, "zeppelin"):
                start = time.perf_counter()
                ix.query(text, collapse=False)
                seconds = time.perf_counter() - start
                tracemalloc.start()
                snippet = str(ix.query(text, collapse=False)[0].snippet)
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                print(f"| {ix.stats().engine} | {len(body) / 1e6:.0f} | {text} | {seconds:.2f} | {peak / 1e6:.0f} | "
                      f"{snippet[:50]}… |")


def _read(path: Path) -> tuple[dict[str, str], list[str]]:
    bodies, titles = {}, []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            bodies[record["id"]] = record.get("body") or ""
            titles.append(record.get("title") or "")
    return bodies, titles


def _title_words(titles: list[str], count: int) -> list[str]:
    """Every 40th distinct title word (five letters or more, not a stopword), lower-cased, up to ``count``."""
    seen: dict[str, None] = {}
    for title in titles:
        for word in _WORD.findall(title):
            word = word.lower()
            if word not in STOPWORDS:
                seen.setdefault(word)
    return list(seen)[::40][:count]


def _judge(ix: Index, words: list[str], bodies: dict[str, str]) -> tuple[int, int, int, int, int]:
    judged = starts = cut = missing = doubled = 0
    for word in words:
        for hit in ix.query(word, limit=TOP):
            rendered = hit.snippet.render("", "")
            doubled += bool(_DOUBLE_ELLIPSIS.search(rendered))
            for fragment in hit.snippet.fragments:
                if fragment.cut_start:
                    cut += 1
                    continue
                at = _find(bodies[hit.id], fragment.text)
                if at is None:
                    missing += 1
                    continue
                judged += 1
                starts += _begins_sentence(bodies[hit.id], at, fragment.text)
    return judged, starts, cut, missing, doubled


def _find(body: str, text: str) -> int | None:
    """Where ``text`` (its spaces flattened) starts in ``body``."""
    words = text.split()[:8]
    if not words:
        return None
    found = re.search(r"\s+".join(map(re.escape, words)), body)
    return found.start() if found else None


def _begins_sentence(body: str, at: int, text: str) -> bool:
    before = body[max(0, at - 200):at]
    if at == 0 or _PARAGRAPH_START.search(before) or (at < 200 and not before.strip()):
        return True
    ended = before.rstrip()
    if not _OPENING.match(text) or not _SENTENCE_END.search(ended):
        return False
    return not _INITIAL_OR_DOTTED.search(ended.rstrip("\"'”’)]"))


if __name__ == "__main__":
    main()

"""Spelling suggestions as a user meets them, on Reuters (../shared/corpora/reuters) through Index.query.

Prints: the share of rare capitalised names (in 1-3 stories) that get a suggestion (they should not),
and the share of common words typed with one letter dropped that get the word back.

    .venv/bin/python benchmarks/spelling.py [--engine whoosh|tantivy] [--workdir /tmp/spelling]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from newsearch import Index

ROOT = Path(__file__).resolve().parents[1]
REUTERS = ROOT.parent / "shared" / "corpora" / "reuters" / "reuters.jsonl.gz"
SEED = 17
NAMES = 150
TYPOS = 100
_WORD = re.compile(r"[A-Za-z]+")


def vocabulary(path: Path) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(word as written -> ids of stories with it not opening a sentence, lower-case word -> ids of stories)."""
    written, lowered = defaultdict(set), defaultdict(set)
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            body = record.get("body", "")
            for match in _WORD.finditer(body):
                word = match.group()
                before = body[:match.start()].rstrip()[-1:]
                lowered[word.lower()].add(record["id"])
                if before and before not in '.!?"\n':
                    written[word].add(record["id"])
    return written, lowered


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="whoosh")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/newsearch-spelling"))
    options = parser.parse_args()
    if not REUTERS.exists():
        print(f"{REUTERS} is absent: the shared corpora sit beside the repository", file=sys.stderr)
        return 1
    written, lowered = vocabulary(REUTERS)
    rng = random.Random(SEED)
    names = sorted(word for word, ids in written.items()
                   if word[0].isupper() and not word.isupper() and len(word) >= 4 and 1 <= len(ids) <= 3
                   and word.lower() not in written)  # never written in lower case: a name
    names = rng.sample(names, NAMES)
    common = sorted(word for word, ids in lowered.items() if len(word) >= 5 and len(ids) >= 50 and word in written)
    typos = []
    for word in rng.sample(common, len(common)):
        position = rng.randrange(1, len(word))
        typo = word[:position] + word[position + 1:]
        if typo not in lowered:
            typos.append((word, typo))
        if len(typos) == TYPOS:
            break

    corpus = options.workdir / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    if not (corpus / REUTERS.name).exists():
        (corpus / REUTERS.name).symlink_to(REUTERS)
    folder = options.workdir / f"index-{options.engine}"
    if not folder.exists():
        Index.build(folder, corpus, engine=options.engine, workers=2)
    timings = []
    with Index.open(folder) as index:
        respelled_names = []
        for name in names:
            started = time.perf_counter()
            suggestion = index.query(name, limit=10).suggestion
            timings.append(time.perf_counter() - started)
            if suggestion is not None:
                respelled_names.append((name, suggestion))
        right, wrong = 0, []
        for word, typo in typos:
            started = time.perf_counter()
            suggestion = index.query(typo, limit=10).suggestion
            timings.append(time.perf_counter() - started)
            if suggestion and suggestion.lower() == word:
                right += 1
            else:
                wrong.append((typo, word, suggestion))
    print(f"engine {options.engine}, Reuters ({REUTERS.name})")
    print("| measure | value | goal |\n| --- | ---: | --- |")
    print(f"| rare capitalised names (1-3 stories) given a suggestion | {len(respelled_names)}/{NAMES} "
          f"({len(respelled_names) / NAMES:.1%}) | <= 2% |")
    print(f"| one-letter-dropped typos given the right word | {right}/{len(typos)} "
          f"({right / len(typos):.1%}) | >= 70% |")
    print(f"| median query time with a suggestion looked up | {statistics.median(timings) * 1000:.0f} ms | |")
    print("names respelled:", respelled_names[:10])
    print("typos missed (typo, word, suggestion):", wrong[:15])
    return 0


if __name__ == "__main__":
    sys.exit(main())

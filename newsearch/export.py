"""Every match of a query, read page by page, and written out as JSON Lines or CSV rows."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator

from .errors import QuerySyntaxError
from .results import Hit, Results

BATCH = 1000  # hits asked of the engine at a time: the largest page a query may ask for
FORMATS = ("jsonl", "csv")
COLUMNS = ("id", "score", "title", "source", "published", "url", "path", "authors", "language", "snippet",
           "group", "duplicates")


def every_hit(search: Callable[..., Results], batch: int = BATCH, first: Results | None = None) -> Iterator[Hit]:
    """Every hit of a query, in its order, one page of ``batch`` at a time (never more held here).

    ``search(limit=, page=)`` runs the query (``Index.query`` with its text and options bound);
    ``first`` is its first page when already run. When nothing matches, a respelling's hits are not given.
    """
    page = 1
    while True:
        results = first if page == 1 and first is not None else search(limit=batch, page=page)
        if results.ran_suggestion:  # nothing matches: the hits are a respelling's, not the query's
            return
        yield from results
        shown = results.stories if results.stories is not None else results.total
        if len(results) < batch or page * batch >= shown:
            return
        page += 1


def rows(hits: Iterator[Hit], format: str) -> Iterator[str]:
    """The hits as lines of text, each ending with a newline: JSON objects as ``query --json`` prints them,
    or CSV with a header (authors joined by "; ", the snippet as plain text)."""
    if format == "jsonl":
        for hit in hits:
            yield json.dumps(hit.to_dict(), ensure_ascii=False) + "\n"
        return
    if format != "csv":
        raise QuerySyntaxError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(COLUMNS)
    for hit in hits:
        values = hit.to_dict()
        values["authors"] = "; ".join(hit.authors)
        values["snippet"] = hit.snippet.render("", "")
        yield line(values[name] if values[name] is not None else "" for name in COLUMNS)

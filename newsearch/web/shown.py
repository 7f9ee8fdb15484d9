"""What a server shows of its own disk: paths relative to the corpus folders, never where they are on the server."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any


def public(data: Any) -> Any:
    """``data`` (an answer's dict, as ``to_dict`` gives it) with every ``path`` relative to the corpus folder
    holding the file (that folder's name first), ``corpus`` folders by name, and an index's ``path`` by name.

    A file's id is its path within its corpus folder, so the folder is what the path has before the id;
    a path that does not end with its id (a record of a JSON Lines file) shows the file's name.
    """
    if isinstance(data, list):
        return [public(item) for item in data]
    if not isinstance(data, dict):
        return data
    shown = {key: public(value) for key, value in data.items()}
    if isinstance(data.get("path"), str) and data["path"]:
        shown["path"] = _relative(data["path"], str(data.get("id", "")))
    if isinstance(data.get("corpus"), list):
        shown["corpus"] = [PurePosixPath(folder).name for folder in data["corpus"]]
    return shown


def public_rows(rows: Iterator[str], format: str) -> Iterator[str]:
    """An export's lines (``Index.export``: JSON Lines, or CSV records after a header) with ``public`` paths."""
    if format == "jsonl":
        for row in rows:
            yield json.dumps(public(json.loads(row)), ensure_ascii=False) + "\n"
        return
    header = next(rows, None)
    if header is None:
        return
    yield header
    columns = next(csv.reader(io.StringIO(header)))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        values = next(csv.reader(io.StringIO(row)))  # one record, whatever line breaks its quoted fields hold
        record = public(dict(zip(columns, values, strict=True)))
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(record[name] for name in columns)
        yield buffer.getvalue()


def _relative(path: str, id: str) -> str:
    if id and path.endswith("/" + id):
        return f"{PurePosixPath(path[:-len(id) - 1]).name}/{id}"
    return PurePosixPath(path).name


def without_folder(message: str, folder: str) -> str:
    """An error message with the server's index folder named by its last part only."""
    return message.replace(folder, PurePosixPath(folder).name) if folder else message

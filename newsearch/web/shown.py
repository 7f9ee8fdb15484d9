"""What a server shows of its own disk: paths relative to the corpus folders, never where they are on the server."""

from __future__ import annotations

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


def _relative(path: str, id: str) -> str:
    if id and path.endswith("/" + id):
        return f"{PurePosixPath(path[:-len(id) - 1]).name}/{id}"
    return PurePosixPath(path).name


def without_folder(message: str, folder: str) -> str:
    """An error message with the server's index folder named by its last part only."""
    return message.replace(folder, PurePosixPath(folder).name) if folder else message

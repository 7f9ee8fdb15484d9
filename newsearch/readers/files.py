"""Finding article files under a folder and reading each with the reader for its format."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..article import Article
from ..errors import ReadError
from .encoding import decode
from .records import read_json, read_jsonl
from .text import read_text

SUFFIXES = (".html", ".htm", ".txt", ".json", ".jsonl")
MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class FileRead:
    """What one file gave: its articles, and an error for each part that could not be read."""

    path: str
    content_hash: str
    articles: tuple[Article, ...]
    errors: tuple[ReadError, ...]


def find_files(root: str | os.PathLike) -> list[Path]:
    """Article files under ``root`` (or ``root`` itself), sorted by path; hidden entries skipped.

    Linked folders are followed unless they lead to a folder already listed, so
    links never loop and a folder is listed under its real path when it is inside ``root``.
    """
    root = Path(root)
    if root.is_file():
        return [root]
    seen: set[tuple[int, int]] = set()
    found: list[Path] = []
    pending = [root]
    while pending:
        links = _walk_without_links(pending.pop(0), seen, found)
        pending.extend(link for link in links if _identity(link) not in seen)
    return sorted(found, key=lambda path: path.parts)


def _walk_without_links(top: Path, seen: set, found: list[Path]) -> list[Path]:
    """Add the article files under ``top`` to ``found``; return the linked folders met on the way."""
    links = []
    for folder, dirs, files in os.walk(top):
        if _identity(Path(folder)) in seen:
            dirs[:] = []
            continue
        seen.add(_identity(Path(folder)))
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        links.extend(Path(folder, d) for d in dirs if os.path.islink(os.path.join(folder, d)))
        found.extend(Path(folder, name) for name in files
                     if not name.startswith(".") and name.lower().endswith(SUFFIXES))
    return links


def _identity(folder: Path) -> tuple[int, int]:
    stat = os.stat(folder)
    return stat.st_dev, stat.st_ino


def document_id(path: Path, root: Path) -> str:
    """The stable id of a file's article: its path relative to the corpus folder, with forward slashes."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def read_file(path: Path, root: Path) -> FileRead:
    """Every article in one file; a file that cannot be read at all gives one error and no articles."""
    shown = str(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ReadError(shown, f"larger than {MAX_FILE_BYTES // 2**20} MB")
        data = path.read_bytes()
    except OSError as error:
        return FileRead(shown, "", (), (ReadError(shown, error.strerror or str(error)),))
    except ReadError as error:
        return FileRead(shown, "", (), (error,))
    content_hash = hashlib.sha1(data).hexdigest()
    try:
        parts = list(_read(data, shown, document_id(path, root), path.suffix.lower()))
    except ReadError as error:
        return FileRead(shown, content_hash, (), (error,))
    articles = tuple(p for p in parts if isinstance(p, Article))
    errors = tuple(p for p in parts if isinstance(p, ReadError))
    if not articles and not errors:
        errors = (ReadError(shown, "no articles in file"),)
    return FileRead(shown, content_hash, articles, errors)


def read_article(path: str | os.PathLike) -> Article:
    """The article in one file (for JSON and JSONL, the first record); raises ReadError when there is none."""
    path = Path(path)
    result = read_file(path, path.parent)
    if result.articles:
        return result.articles[0]
    raise result.errors[0]


def _read(data: bytes, path: str, id: str, suffix: str) -> Iterator[Article | ReadError]:
    if suffix in (".html", ".htm"):
        # Imported here so that commands which only query never load lxml (CLI start-up time).
        from .html import read_html

        yield read_html(decode(data, path, markup=True), id=id, path=path)
    elif suffix == ".txt":
        article = read_text(decode(data, path), id=id, path=path)
        if not article.body and not article.title:
            raise ReadError(path, "no text")
        yield article
    elif suffix == ".json":
        yield from read_json(decode(data, path), id=id, path=path)
    elif suffix == ".jsonl":
        yield from read_jsonl(decode(data, path), id=id, path=path)
    else:
        raise ReadError(path, f"unsupported file type '{suffix}' (use {', '.join(SUFFIXES)})")

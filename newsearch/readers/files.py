"""Finding article files under a folder and reading each with the reader for its format."""

from __future__ import annotations

import gzip
import hashlib
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

from ..article import Article
from ..errors import ReadError
from .chunks import Prepare, parsed_in_chunks
from .encoding import check_text, decode
from .records import read_json, read_jsonl
from .text import read_text

SUFFIXES = (".html", ".htm", ".txt", ".json", ".jsonl", ".jsonl.gz")
STREAMED_SUFFIXES = (".jsonl", ".jsonl.gz")  # read record by record, whatever their size
MAX_FILE_BYTES = 50 * 1024 * 1024  # for one-article files and JSON, which are read whole
_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileRead:
    """What one file gave: its articles, and an error for each part that could not be read."""

    path: str
    content_hash: str
    articles: tuple[Article, ...]
    errors: tuple[ReadError, ...]


@dataclass(frozen=True)
class FileStream:
    """One file being read: its hash, its articles as they are read, and the errors met so far.

    ``errors`` is complete once ``articles`` is exhausted; JSON Lines files are read a
    record at a time, so a feed of any size is indexed in bounded memory.
    """

    path: str
    content_hash: str
    articles: Iterator[Article]
    errors: list[ReadError] = field(default_factory=list)


def find_files(root: str | os.PathLike, errors: list[tuple[str, str]] | None = None) -> list[Path]:
    """Article files under ``root`` (or ``root`` itself), sorted by path; hidden entries skipped.

    Linked folders are followed unless they lead to a folder already listed, so
    links never loop and a folder is listed under its real path when it is inside ``root``.
    Folders that cannot be listed are added to ``errors`` as (path, reason).
    """
    root = Path(root)
    if not root.is_dir():
        return [root]
    seen: set[tuple[int, int]] = set()
    found: list[Path] = []
    pending = [root]
    while pending:
        links = _walk_without_links(pending.pop(0), seen, found, errors)
        pending.extend(link for link in links if _identity(link) not in seen)
    return sorted(found, key=lambda path: path.parts)


def _walk_without_links(top: Path, seen: set, found: list[Path], errors: list | None) -> list[Path]:
    """Add the article files under ``top`` to ``found``; return the linked folders met on the way."""
    links = []

    def unlisted(error: OSError) -> None:
        if errors is not None:
            errors.append((str(error.filename), f"cannot list this folder: {error.strerror or error}"))

    for folder, dirs, files in os.walk(top, onerror=unlisted):
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
    stream = stream_file(path, root)
    articles = tuple(stream.articles)
    return FileRead(stream.path, stream.content_hash, articles, tuple(stream.errors))


def stream_file(path: Path, root: Path, pool: Executor | None = None, workers: int = 1,
                prepare: Prepare | None = None) -> FileStream:
    """The articles of one file as they are read (see FileStream); nothing is read twice.

    With a ``pool`` of ``workers`` processes, a JSON Lines file's records are parsed there,
    and each article passed through ``prepare`` there (see chunks).
    """
    shown = str(path)
    errors: list[ReadError] = []
    id = document_id(path, root)
    try:
        if shown.lower().endswith(STREAMED_SUFFIXES):
            content_hash = _hash(path)
            parts = _lines_of(path, shown, id, pool, workers, prepare)
        else:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise ReadError(shown, f"larger than {MAX_FILE_BYTES // 2**20} MB")
            data = path.read_bytes()
            content_hash = hashlib.sha1(data).hexdigest()
            parts = _read(data, shown, id, path.suffix.lower())
    except (OSError, EOFError) as error:  # unreadable, or a gzip file that is not one
        return FileStream(shown, "", iter(()), [ReadError(shown, getattr(error, "strerror", None) or str(error))])
    except ReadError as error:
        return FileStream(shown, "", iter(()), [error])
    return FileStream(shown, content_hash, _sorted_out(parts, errors, shown), errors)


def _sorted_out(parts: Iterable[Article | ReadError], errors: list[ReadError], path: str) -> Iterator[Article]:
    """The articles among ``parts``; errors (a reader's own raise included) go to ``errors``."""
    count = 0
    try:
        for part in parts:
            if isinstance(part, ReadError):
                errors.append(part)
            else:
                count += 1
                yield part
    except ReadError as error:
        errors.append(error)
    except (OSError, EOFError) as error:  # a compressed feed that ends early, a disk error half-way
        errors.append(ReadError(path, getattr(error, "strerror", None) or str(error)))
    if not count and not errors:
        errors.append(ReadError(path, "no articles in file"))


def _hash(path: Path) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(_HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _lines_of(path: Path, shown: str, id: str, pool: Executor | None,
              workers: int, prepare: Prepare | None) -> Iterator[Article | ReadError]:
    """The records of a JSON Lines file, plain or gzipped, one line at a time; empty and binary files raise."""
    opener = gzip.open if shown.lower().endswith(".gz") else open
    with opener(path, "rb") as head:
        check_text(head.read(4096), shown)
    if pool is not None:
        return parsed_in_chunks(opener, path, shown, id, pool, workers, prepare)
    return _records(opener, path, shown, id)


def _records(opener, path: Path, shown: str, id: str) -> Iterator[Article | ReadError]:
    with opener(path, "rb") as lines:
        yield from read_jsonl(lines, id=id, path=shown)


def read_articles(path: str | os.PathLike) -> Iterator[Article | ReadError]:
    """Every article in one file, in order, with a ReadError in place of each part that could not be read."""
    path = Path(path)
    stream = stream_file(path, path.parent)
    yield from stream.articles
    yield from stream.errors


def read_article(path: str | os.PathLike) -> Article:
    """The article in one file (for JSON and JSONL, the first record); raises ReadError when there is none."""
    path = Path(path)
    stream = stream_file(path, path.parent)
    first = next(stream.articles, None)
    if first is None:
        raise stream.errors[0]
    return first


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
    else:
        raise ReadError(path, f"unsupported file type '{suffix}' (use {', '.join(SUFFIXES)})")

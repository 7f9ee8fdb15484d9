"""Finding article files under a folder and reading each with the reader for its format."""

from __future__ import annotations

import fnmatch
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
from .lines import MAX_LINE_BYTES, Source, is_gzip, numbered_lines
from .records import check_id, read_json, read_jsonl
from .text import read_text

_PLAIN_SUFFIXES = (".html", ".htm", ".txt", ".json", ".jsonl")
SUFFIXES = _PLAIN_SUFFIXES + tuple(suffix + ".gz" for suffix in _PLAIN_SUFFIXES)  # gzipped: read as the plain form
STREAMED_SUFFIXES = (".jsonl", ".jsonl.gz")  # read record by record, whatever their size
MAX_FILE_BYTES = 50 * 1024 * 1024  # for JSON files, which are read whole (after gunzip)
# One article's text: a text file, a JSON Lines line, a JSON record's title and body. A text file this big
# is read in the writing process (never copied to a reading worker and back), and engines index a body
# this long in bounded pieces (see benchmarks/file_memory.py --huge for the memory).
MAX_ARTICLE_BYTES = MAX_LINE_BYTES
MAX_PAGE_BYTES = 32 * 1024 * 1024  # an HTML file: markup and navigation around at most MAX_ARTICLE_BYTES of text
IGNORE_FILE = ".newsearchignore"  # in a corpus folder: patterns of paths never read (see is_excluded)
MAX_ERRORS_PER_FILE = 10  # errors kept (and reported) for one file; the rest are counted in one more line
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


def find_files(root: str | os.PathLike, errors: list[tuple[str, str]] | None = None, exclude: Iterable[str] = (),
               skip: str | os.PathLike | None = None, skip_marker: str | None = None) -> list[Path]:
    """Article files under ``root`` (or ``root`` itself), sorted by path; hidden entries skipped.

    Linked folders are followed unless they lead to a folder already listed, so
    links never loop and a folder is listed under its real path when it is inside ``root``.
    Folders that cannot be listed are added to ``errors`` as (path, reason).
    Never listed: paths matching a pattern of ``exclude`` or of the folder's IGNORE_FILE
    (see ``is_excluded``), the folder ``skip``, and folders holding a file named ``skip_marker``.
    """
    root = Path(root)
    if not root.is_dir():
        return [root]
    patterns = [*exclude, *_ignore_patterns(root)]

    def listed(folder: str, name: str, is_folder: bool) -> bool:
        if name.startswith(".") or is_excluded(os.path.relpath(os.path.join(folder, name), root), is_folder,
                                               patterns):
            return False
        if not is_folder:
            return name.lower().endswith(SUFFIXES)
        path = os.path.join(folder, name)
        return not ((skip is not None and os.path.realpath(path) == os.path.realpath(skip))
                    or (skip_marker is not None and os.path.isfile(os.path.join(path, skip_marker))))

    seen: set[tuple[int, int]] = set()
    found: list[Path] = []
    pending = [root]
    while pending:
        links = _walk_without_links(pending.pop(0), seen, found, errors, listed)
        pending.extend(link for link in links if _identity(link) not in seen)
    return sorted(found, key=lambda path: path.parts)


def is_excluded(relative: str, is_folder: bool, patterns: Iterable[str]) -> bool:
    """True when a path (relative to the corpus folder) matches one of ``patterns``, as in .gitignore, simply:
    ``name`` matches a file or folder of that name anywhere, ``folder/`` only folders, and a pattern with
    an inner ``/`` the whole relative path; ``*``, ``?`` and ``[...]`` as in the shell."""
    relative = relative.replace(os.sep, "/")
    name = relative.rsplit("/", 1)[-1]
    for pattern in patterns:
        folders_only = pattern.endswith("/")
        pattern = pattern.strip("/")
        if not pattern or (folders_only and not is_folder):
            continue
        if fnmatch.fnmatchcase(relative if "/" in pattern else name, pattern):
            return True
    return False


def _ignore_patterns(root: Path) -> list[str]:
    """The patterns of ``root``'s IGNORE_FILE (one a line; blank lines and # comments skipped)."""
    try:
        lines = (root / IGNORE_FILE).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _walk_without_links(top: Path, seen: set, found: list[Path], errors: list | None, listed) -> list[Path]:
    """Add the article files under ``top`` to ``found``; return the linked folders met on the way."""
    links: list[Path] = []

    def unlisted(error: OSError) -> None:
        if errors is not None:
            errors.append((str(error.filename), f"cannot list this folder: {error.strerror or error}"))

    for folder, dirs, files in os.walk(top, onerror=unlisted):
        if _identity(Path(folder)) in seen:
            dirs[:] = []
            continue
        seen.add(_identity(Path(folder)))
        dirs[:] = [d for d in dirs if listed(folder, d, True)]
        links.extend(Path(folder, d) for d in dirs if os.path.islink(os.path.join(folder, d)))
        found.extend(Path(folder, name) for name in files if listed(folder, name, False))
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
        check_id(id, shown, "rename the file")
        if shown.lower().endswith(STREAMED_SUFFIXES):
            content_hash = _hash(path)
            parts = _lines_of(path, shown, id, pool, workers, prepare)
        else:
            suffix = _plain_suffix(path)
            limit = {".json": MAX_FILE_BYTES, ".html": MAX_PAGE_BYTES, ".htm": MAX_PAGE_BYTES}.get(suffix,
                                                                                                   MAX_ARTICLE_BYTES)
            if path.stat().st_size > limit:
                raise ReadError(shown, f"larger than {limit // 2**20} MB; not read")
            if is_gzip(path):
                content_hash = _hash(path)
                with Source(path, shown) as source:
                    held = [source.whole(limit)]
            else:
                held = [path.read_bytes()]
                content_hash = hashlib.sha1(held[0]).hexdigest()
            parts = _read(held, shown, id, suffix)
            del held  # the reader has the only reference: it drops the bytes once they are text
    except (OSError, EOFError) as error:  # unreadable, or a gzip file that is not one
        return FileStream(shown, "", iter(()), [ReadError(shown, getattr(error, "strerror", None) or str(error))])
    except ReadError as error:
        return FileStream(shown, "", iter(()), [error])
    return FileStream(shown, content_hash, _sorted_out(parts, errors, shown), errors)


def _sorted_out(parts: Iterable[Article | ReadError], errors: list[ReadError], path: str) -> Iterator[Article]:
    """The articles among ``parts``; errors (a reader's own raise included) go to ``errors``, the first
    MAX_ERRORS_PER_FILE of them, then one saying how many more there were."""
    count = more = 0

    def note(error: ReadError) -> None:
        nonlocal more
        if len(errors) < MAX_ERRORS_PER_FILE:
            errors.append(error)
        else:
            more += 1

    try:
        for part in parts:
            if isinstance(part, ReadError):
                note(part)
            elif len(part.body) + len(part.title) > MAX_ARTICLE_BYTES:
                note(ReadError(path, f"article '{part.id}' has more than {MAX_ARTICLE_BYTES // 2**20} MB of text; "
                                     "not indexed"))
            else:
                count += 1
                yield part
    except ReadError as error:
        note(error)
    except (OSError, EOFError) as error:  # a disk error half-way
        note(ReadError(path, getattr(error, "strerror", None) or str(error)))
    if more:
        errors.append(ReadError(path, f"and {more:,} more errors in this file"))
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
    with Source(path, shown) as head:
        check_text(head.read(4096), shown)
    if pool is not None:
        return parsed_in_chunks(path, shown, id, pool, workers, prepare)
    return _records(path, shown, id)


def _records(path: Path, shown: str, id: str) -> Iterator[Article | ReadError]:
    with Source(path, shown) as source:
        yield from read_jsonl(numbered_lines(source), id=id, path=shown)


def _plain_suffix(path: Path) -> str:
    """The suffix of the format a file holds: '.html' for page.html and for page.html.gz."""
    return Path(path.stem).suffix.lower() if is_gzip(path) else path.suffix.lower()


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


def _read(held: list[bytes], path: str, id: str, suffix: str) -> Iterator[Article | ReadError]:
    """The articles of a file's bytes, given in a list it empties: a big file's bytes are not kept while
    their text is worked on (a 200 MB text file is 200 MB of bytes, then of text)."""
    data = held.pop()
    if suffix == ".txt":
        text = decode(data, path)
        del data
        article = read_text(text, id=id, path=path)
        del text
        if not article.body and not article.title:
            raise ReadError(path, "no text")
        yield article
    elif suffix in (".html", ".htm"):
        # Imported here so that commands which only query never load lxml (CLI start-up time).
        from .html import read_html

        yield read_html(decode(data, path, markup=True), id=id, path=path)
    elif suffix == ".json":
        yield from read_json(decode(data, path), id=id, path=path)
    else:
        raise ReadError(path, f"unsupported file type '{suffix}' (use {', '.join(SUFFIXES)})")

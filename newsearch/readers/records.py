"""JSON and JSONL articles: records with our field names (and common aliases) become Articles."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable, Iterator, Mapping

from ..article import Article, aware_moment
from ..dates import parse_date
from ..errors import ReadError, quoted
from ..languages import analysis_language
from . import lines as lines_module
from .encoding import decode
from .text import normalize_paragraphs, normalize_space, title_from_body

MAX_NESTING = 100  # arrays and objects inside one another in a record; deeper records are refused
LONG_VALUE_CHARS = 16 * 1024 * 1024  # record_hash hashes a longer text value on its own (the old line limit)
HASH_SLICE_CHARS = 1 << 20

_ALIASES = {
    "body": ("body", "text", "content", "articleBody"),
    "published": ("published", "date", "datePublished", "published_at", "pubdate"),
    "authors": ("authors", "author", "byline"),
    "categories": ("categories", "category", "topics", "tags"),
    "title": ("title", "headline"),
    "source": ("source", "site", "publisher"),
    "url": ("url", "link"),
    "language": ("language", "lang"),
}


def check_id(id: str, path: str, remedy: str = "change the record's id") -> str:
    """``id`` if it can be asked for again (in a URL, a shell, a terminal); ReadError naming ``path`` otherwise."""
    bad = next((char for char in id if unicodedata.category(char) in ("Cc", "Cs")), None)
    if bad is not None:
        what = "a lone surrogate (bytes that are not UTF-8)" if unicodedata.category(bad) == "Cs" else \
            f"the control character U+{ord(bad):04X}"
        raise ReadError(path or quoted(id), f"the id {quoted(id)} holds {what}, so it could not be asked for; "
                                              f"{remedy}")
    return id


def article_from_record(record: object, *, id: str, path: str = "") -> Article:
    """An Article from a mapping with our field names or their aliases; its own ``id`` wins over ``id``.

    Raises ReadError (naming ``path``) when the record is not an object or has neither title nor body.
    """
    if not isinstance(record, Mapping):
        raise ReadError(path, f"record is a JSON {type(record).__name__}, not an object")
    body = normalize_paragraphs(_text(_first(record, "body")))
    title = normalize_space(_text(_first(record, "title")))
    if not title and not body:
        raise ReadError(path, "record has neither a title nor a body")
    own_id = record.get("id")
    return Article(
        id=check_id(str(own_id) if own_id not in (None, "") else id, path),
        title=title or title_from_body(body),
        body=body,
        published=aware_moment(parse_date(_first(record, "published"))),
        authors=_strings(_first(record, "authors")),
        source=normalize_space(_text(_first(record, "source"))),
        url=_text(_first(record, "url")).strip(),
        language=analysis_language(_text(_first(record, "language")), body or title),
        categories=_strings(_first(record, "categories")),
        path=path,
        content_hash=record_hash(record),
    )


def read_json(text: str, *, id: str, path: str) -> Iterator[Article | ReadError]:
    """Articles from a JSON file holding one object or a list; a bad element yields a ReadError."""
    data = _parsed(text, path)
    if isinstance(data, Mapping) and isinstance(data.get("articles"), list):
        data = data["articles"]
    if not isinstance(data, list):
        yield _or_error(data, id=id, path=path, where=path)
        return
    for number, record in enumerate(data, 1):
        yield _or_error(record, id=f"{id}:{number}", path=path, where=f"{path} item {number}")


def read_jsonl(lines: Iterable[tuple[int, bytes | None]], *, id: str, path: str) -> Iterator[Article | ReadError]:
    """Articles from numbered JSON Lines lines (lines.numbered_lines); a bad line yields a ReadError naming it.

    Lines are UTF-8 as the format says; a line that is not is decoded as the encoding
    detector guesses. A line given as None was too long to read.
    """
    for number, raw in lines:
        where = f"{path} line {number}"
        if raw is None:
            yield ReadError(where, f"longer than {lines_module.MAX_LINE_BYTES // 2 ** 20} MB; not read")
            continue
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            try:
                line = decode(raw, where)
            except ReadError as error:
                yield error
                continue
        del raw  # a long record's bytes, text and parsed value are never all held at once
        try:
            record = _parsed(line, where)
        except ReadError as error:
            yield error
            continue
        finally:
            del line
        article = _or_error(record, id=f"{id}:{number}", path=path, where=where)
        del record
        yield article


def record_hash(record: Mapping) -> str:
    """A stable hash of a record's content, whatever the order of its keys.

    A text value longer than LONG_VALUE_CHARS counts by its own hash, worked out a slice
    at a time, so a 200 MB body is not copied twice more to be hashed (no record holding one
    could be read before the line limit grew past it, so no stored hash changes).
    """
    canonical = json.dumps(_long_values_hashed(record), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha1(canonical.encode("utf-8")).hexdigest()


def _long_values_hashed(value: object) -> object:
    """``value`` with each string longer than LONG_VALUE_CHARS, at any depth, replaced by its hash."""
    if isinstance(value, str):
        if len(value) <= LONG_VALUE_CHARS:
            return value
        digest = hashlib.sha1()
        for start in range(0, len(value), HASH_SLICE_CHARS):
            digest.update(value[start:start + HASH_SLICE_CHARS].encode("utf-8", "surrogatepass"))
        return f"sha1:{digest.hexdigest()}"
    if isinstance(value, Mapping):
        return {key: _long_values_hashed(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_long_values_hashed(inner) for inner in value]
    return value


def _parsed(text: str, where: str) -> object:
    """The JSON value of ``text``; ReadError naming ``where`` when it is not JSON or nests past MAX_NESTING."""
    too_deep = ReadError(where, f"nested deeper than {MAX_NESTING} levels; not read")
    try:
        value = json.loads(text)
    except ValueError as error:
        raise ReadError(where, f"invalid JSON: {error}") from None
    except RecursionError:  # deeper than Python's parser goes
        raise too_deep from None
    if _nesting_past(value, MAX_NESTING):
        raise too_deep
    return value


def _nesting_past(value: object, most: int) -> bool:
    """True when arrays and objects nest more than ``most`` deep in ``value`` (walked without recursion)."""
    level = [value]
    for _ in range(most):
        level = [inner for outer in level if isinstance(outer, (list, dict))
                 for inner in (outer.values() if isinstance(outer, dict) else outer)
                 if isinstance(inner, (list, dict))]
        if not level:
            return False
    return True


def _or_error(record: object, *, id: str, path: str, where: str) -> Article | ReadError:
    """The record's article, or the reason it has none, naming ``where`` (file and line or item)."""
    try:
        return article_from_record(record, id=id, path=path)
    except ReadError as error:
        return ReadError(where, error.reason)


def _first(record: Mapping, field: str) -> object:
    for key in _ALIASES[field]:
        value = record.get(key)
        if value not in (None, "", []):
            return value
    return None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return _text(value.get("name") or value.get("text") or "")
    if isinstance(value, list):
        return "\n\n".join(_text(item) for item in value)
    return str(value)


def _strings(value: object) -> tuple[str, ...]:
    """A tuple of names from a list, a single name, or objects with a ``name``."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    names = (normalize_space(_text(item)) for item in items)
    return tuple(dict.fromkeys(name for name in names if name))

"""Article, the frozen dataclass that readers produce and every engine consumes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# The fields an article carries, in display order; engines index all of them.
FIELDS = (
    "id", "title", "body", "published", "authors", "source",
    "url", "language", "categories", "path",
)


@dataclass(frozen=True)
class Article:
    """One news article, as read from a file or given by an application.

    ``published`` is always an aware ``datetime`` (see ``aware_moment``), or None
    when the source gave no date; a ``date`` or naive ``datetime`` given is turned
    into one, so articles and hits sort by date without a TypeError.
    """

    id: str
    title: str
    body: str = ""
    published: dt.datetime | None = None
    authors: tuple[str, ...] = ()
    source: str = ""
    url: str = ""
    language: str = ""
    categories: tuple[str, ...] = ()
    path: str = ""
    # Hash of the source this article came from (file or record); lets updates skip unchanged input.
    content_hash: str = field(default="", compare=False)
    # Problems met while reading that did not stop it (e.g. a page with almost no text); one line each.
    warnings: tuple[str, ...] = field(default=(), compare=False)
    # The near-duplicate group the index put it in (see newsearch.duplicates); set by the index, not by readers.
    group: str = field(default="", compare=False)
    # The body's near-duplicate sketch (newsearch.duplicates.body_sketch) when the reading worker worked it
    # out, so that the writing process need not; None otherwise. Never stored.
    sketch: bytes | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "published", aware_moment(self.published))  # frozen: set once, here

    def to_dict(self) -> dict:
        """The article as JSON-ready values (dates in ISO 8601)."""
        return {
            "id": self.id,
            "title": self.title,
            "authors": list(self.authors),
            "published": self.published.isoformat() if self.published else None,
            "source": self.source,
            "url": self.url,
            "language": self.language,
            "categories": list(self.categories),
            "path": self.path,
            "body": self.body,
            "warnings": list(self.warnings),
        }

    def to_listing(self) -> dict:
        """The article without its body, as lists of articles show it (its near-duplicates, for one)."""
        return {"id": self.id, "title": self.title, "source": self.source,
                "published": self.published.isoformat() if self.published else None, "url": self.url,
                "path": self.path, "group": self.group}

    @classmethod
    def from_dict(cls, values: dict) -> Article:
        """The article back from ``to_dict``'s values (as engines that store articles as JSON keep them)."""
        text = values.get("published")
        published = None
        if text:  # written before dates became datetimes, a day alone reads "2022-03-06"
            read = dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
            published = aware_moment(read)
        return cls(
            id=values["id"], title=values.get("title", ""), body=values.get("body", ""), published=published,
            authors=tuple(values.get("authors") or ()), source=values.get("source", ""), url=values.get("url", ""),
            language=values.get("language", ""), categories=tuple(values.get("categories") or ()),
            path=values.get("path", ""), warnings=tuple(values.get("warnings") or ()),
            group=values.get("group", ""),
        )


def aware_moment(value: dt.date | None) -> dt.datetime | None:
    """A publication date as an aware ``datetime``: a zone given is kept, a time without one is
    read as UTC, and a plain ``date`` (the source gave only the day) is that day's midnight UTC."""
    if value is None:
        return None
    if not isinstance(value, dt.date):
        raise TypeError(f"published must be a date or datetime, not {type(value).__name__}")
    if not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def to_utc_naive(value: dt.date) -> dt.datetime:
    """A publication moment as a naive UTC datetime (a plain date becomes its midnight), for sorting and ranges."""
    if not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value

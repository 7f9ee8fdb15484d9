"""The article fields an index holds, declared once: the query language, engines, facets and pages derive from it."""

from __future__ import annotations

from dataclasses import dataclass

TEXT, NAME, EXACT, DATE = "text", "name", "exact", "date"


@dataclass(frozen=True)
class Field:
    """One searchable article field.

    ``kind`` says how its values are searched: ``text`` is analysed prose (folded,
    stop words dropped, stemmed in the article's language, scored with BM25F at
    ``weight``, a whole number: the tantivy engine indexes the field that many
    times); ``name`` is a person, outlet or code matched as a whole or word by
    word, folded but never stemmed; ``exact`` matches the value as stored; ``date``
    is the publication moment, searched by ranges.
    """

    name: str
    kind: str
    weight: float = 1.0
    facet: str = ""  # the facet that counts its values ("" for none)
    sortable: bool = False
    aliases: tuple[str, ...] = ()


FIELDS = (
    Field("title", TEXT, weight=2.0),
    Field("body", TEXT),
    Field("authors", NAME, facet="author", aliases=("author",)),
    Field("source", NAME, facet="source"),
    Field("language", NAME, facet="language"),
    Field("categories", NAME, facet="category", aliases=("category",)),
    Field("url", EXACT),
    Field("path", EXACT),
    Field("id", EXACT),
    Field("published", DATE, sortable=True),
)
_BY_NAME = {name: field for field in FIELDS for name in (field.name, *field.aliases)}
QUERY_NAMES = tuple(_BY_NAME)  # every name a query may put before a colon


def field(name: str) -> Field | None:
    """The field a query calls ``name`` (case does not matter, aliases included), or None."""
    return _BY_NAME.get(name.lower())


def names(kind: str) -> tuple[str, ...]:
    """The names of the fields of one kind, in declaration order."""
    return tuple(field.name for field in FIELDS if field.kind == kind)


TEXT_FIELDS = names(TEXT)
NAME_FIELDS = names(NAME)
EXACT_FIELDS = names(EXACT)
WEIGHTS = {field.name: field.weight for field in FIELDS if field.kind == TEXT}
FACET_FIELDS = {field.facet: field.name for field in FIELDS if field.facet}  # facet name -> field

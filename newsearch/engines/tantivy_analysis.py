"""Analysis for the tantivy engine: the schema, one analyzer per language, and articles as tantivy documents.

Title and body are indexed once per language, in fields such as ``body_en`` and
``body_de`` analysed by that language's stemmer (tantivy chooses an analyzer per
field, not per document); a query word is searched in the fields of every
language the index holds. ``words_de`` holds title and body together, the title
as many times as its weight, for ranking words by BM25F (no positions: phrases
are searched in title and body). Names (authors, source, language, categories) are
indexed twice: whole (``source_name``) and word by word (``source_words``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Iterator
from functools import cache

import tantivy
from tantivy import Filter, TextAnalyzerBuilder, Tokenizer

from .. import packing
from ..analysis import SNOWBALL, STOP_WORDS, stemming_language
from ..article import Article, to_utc_naive
from ..languages import analysis_language
from ..schema import EXACT_FIELDS, NAME_FIELDS, TEXT_FIELDS, WEIGHTS

# Language code -> tantivy's Snowball stemmer (the same algorithms as newsearch.analysis.SNOWBALL).
_PLAIN_EXACT = tuple(name for name in EXACT_FIELDS if name != "id")  # the id has a field of its own, stored
STEMMERS = {code: "dutch" if name == "dutch_porter" else name for code, name in SNOWBALL.items()}
FACET_FIELDS = {"source": "f_source", "authors": "f_authors", "language": "f_language",
                "categories": "f_categories"}
DATE_BUCKETS = {"day": "f_day", "week": "f_week", "month": "f_month", "year": "f_year"}
UNDATED = 2**62  # the recency of an article with no date: after every dated one
MAX_WORD = 40  # longer "words" (hashes, base64) are not indexed
_EPOCH = dt.datetime(1970, 1, 1)
_SPACE = re.compile(r"\s")
PACKED = b"\x00packed"  # opens the stored bytes of an article with a long body (JSON never starts so)
JOINED, JOINED_VALUE = "joined", "1"  # the field marking a document that joined a group (see document)
GROUP_NUMBER = "group_number"  # the group key as a number (see group_number)


def text_field(name: str, language: str) -> str:
    """The field holding ``name`` (title or body) of articles in ``language``: ``body_de``."""
    return f"{name}_{language}"


def words_field(language: str) -> str:
    """The field scoring a word of title and body together (see ``document``): ``words_de``."""
    return f"words_{language}"


@cache
def prose(language: str) -> tantivy.TextAnalyzer:
    """Words of running text: lower-cased, accents folded, English stop words dropped, stemmed in ``language``.

    Built once per language: an analyzer is immutable, and building one costs more than a query.

    newsearch's stop words in every language, as the other engines have them, so all read queries alike.
    """
    return (TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.remove_long(MAX_WORD))
            .filter(Filter.lowercase()).filter(Filter.ascii_fold()).filter(Filter.custom_stopword(sorted(STOP_WORDS)))
            .filter(Filter.stemmer(STEMMERS[language])).build())


@cache
def folded() -> tantivy.TextAnalyzer:
    """Words lower-cased and accents folded, not stemmed (prefixes; names word by word)."""
    return (TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.remove_long(MAX_WORD))
            .filter(Filter.lowercase()).filter(Filter.ascii_fold()).build())


@cache
def whole() -> tantivy.TextAnalyzer:
    """A whole value as one token, lower-cased and accents folded (a name: "dev okafor")."""
    return TextAnalyzerBuilder(Tokenizer.raw()).filter(Filter.lowercase()).filter(Filter.ascii_fold()).build()


def register(index: tantivy.Index) -> None:
    """Give ``index`` the analyzers its schema names (tantivy does not store them with the index)."""
    for language in STEMMERS:
        index.register_tokenizer(f"ns_{language}", prose(language))
    index.register_tokenizer("ns_folded", folded())
    index.register_tokenizer("ns_whole", whole())


def build_schema() -> tantivy.Schema:
    """The tantivy schema of a newsearch index."""
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, fast=True, tokenizer_name="raw")
    builder.add_text_field("group_key", fast=True, tokenizer_name="raw", index_option="basic")  # see group_key
    builder.add_unsigned_field(GROUP_NUMBER, indexed=True, fast=True)  # see group_number
    builder.add_text_field(JOINED, tokenizer_name="raw", index_option="basic")  # see document
    for language in STEMMERS:
        for name in TEXT_FIELDS:
            builder.add_text_field(text_field(name, language), tokenizer_name=f"ns_{language}")
        builder.add_text_field(words_field(language), tokenizer_name=f"ns_{language}", index_option="freq")
    for name in NAME_FIELDS:
        builder.add_text_field(f"{name}_words", tokenizer_name="ns_folded")
        builder.add_text_field(f"{name}_name", tokenizer_name="ns_whole", index_option="basic")
    for name in _PLAIN_EXACT:
        builder.add_text_field(name, tokenizer_name="raw", index_option="basic")
    for name in (*FACET_FIELDS.values(), *DATE_BUCKETS.values(), "analysis"):
        builder.add_text_field(name, fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_date_field("published", indexed=True, fast=True)
    builder.add_integer_field("recency", indexed=False, fast=True)  # sorts newest first, undated last
    builder.add_bytes_field("article", stored=True)  # the whole article as JSON, for hits and `show`
    return builder.build()


def document(article: Article, joined: bool = False) -> tantivy.Document:
    """The tantivy document of an article; ``joined`` marks one written while another document of its
    group was in the index (or earlier in the same write): every group of two or more holds one."""
    language = stemming_language(analysis_language(article.language, article.body or article.title))
    doc = tantivy.Document()
    doc.add_text("id", article.id)
    key = group_key(article.group, article.id)
    doc.add_text("group_key", key)
    doc.add_unsigned(GROUP_NUMBER, group_number(key))
    if joined:
        doc.add_text(JOINED, JOINED_VALUE)
    doc.add_text("analysis", language)
    doc.add_text(text_field("title", language), article.title)
    for piece in _pieces(article.body):
        doc.add_text(text_field("body", language), piece)
    for name in TEXT_FIELDS:  # each text field as many times as its weight: BM25F over one field
        for _ in range(int(WEIGHTS[name])):
            for piece in _pieces(getattr(article, name)):
                doc.add_text(words_field(language), piece)
    for name, values in (("authors", article.authors), ("source", (article.source,)),
                         ("language", (article.language,)), ("categories", article.categories)):
        for value in values:
            if value:
                doc.add_text(f"{name}_words", value)
                doc.add_text(f"{name}_name", value)
                doc.add_text(FACET_FIELDS[name], value)
    for name in _PLAIN_EXACT:
        if getattr(article, name):
            doc.add_text(name, getattr(article, name))
    recency = UNDATED
    if article.published is not None:
        moment = to_utc_naive(article.published)
        doc.add_date("published", moment)
        recency = -int((moment - _EPOCH).total_seconds())
        day = article.published if not isinstance(article.published, dt.datetime) else article.published.date()
        year, week, _ = day.isocalendar()
        for unit, value in (("day", day.isoformat()), ("week", f"{year}-W{week:02d}"),
                            ("month", f"{day.year:04d}-{day.month:02d}"), ("year", f"{day.year:04d}")):
            doc.add_text(DATE_BUCKETS[unit], value)
    doc.add_integer("recency", recency)
    doc.add_bytes("article", stored_bytes(article, language))
    return doc


def _pieces(text: str) -> Iterator[str]:
    """A body as the values of its field: itself, or a long one in pieces cut at paragraph breaks (at white
    space in a paragraph longer than a piece). Handed over whole, a text that is not all ASCII keeps a UTF-8
    copy of itself beside it for as long as it lives (the binding reads it so), 200 MB for 200 MB; a piece's
    copy goes with the piece. tantivy puts a gap between two values, so a phrase across a cut is not found."""
    if not packing.is_long(text):
        yield text
        return
    start = 0
    while start < len(text):
        end = text.find("\n\n", start + packing.PIECE)
        if end < 0 or end > start + 2 * packing.PIECE:
            space = _SPACE.search(text, start + packing.PIECE)
            end = space.start() if space is not None else len(text)
        yield text[start:end]
        start = end


def stored_bytes(article: Article, language: str) -> bytes:
    """The bytes an article is stored as: its JSON (``stored``), or for a long body the JSON without it after
    PACKED and the JSON's length, then the body packed (newsearch.packing), so that a 200 MB body is not
    put in JSON, encoded and copied whole."""
    if not packing.is_long(article.body):
        return json.dumps(stored(article, language), ensure_ascii=False).encode("utf-8")
    values = stored(dataclasses.replace(article, body=""), language)
    head = json.dumps(values, ensure_ascii=False).encode("utf-8")
    return PACKED + len(head).to_bytes(4, "big") + head + packing.pack(article.body)


def stored_values(data: bytes) -> dict:
    """The stored JSON values of ``stored_bytes``, the body unpacked."""
    if not data.startswith(PACKED):
        return json.loads(data)
    length = int.from_bytes(data[len(PACKED):len(PACKED) + 4], "big")
    start = len(PACKED) + 4
    values = json.loads(data[start:start + length])
    values["body"] = packing.unpack(memoryview(data)[start + length:])
    return values


def stored(article: Article, language: str) -> dict:
    """An article as the JSON kept with its document (the date as the source gave it, zone included),
    ``language`` the one its words were analysed in."""
    values = article.to_dict()
    values["analysis"] = language
    values["group"] = article.group
    return values


def article_of(values: dict) -> Article:
    """The Article back from its stored JSON."""
    return Article.from_dict(values)


def group_key(group: str, id: str) -> str:
    """What a document is collapsed by: its near-duplicate group, or (without one) the document itself."""
    return f"group:{group}" if group else f"id:{id}"


def group_number(key: str) -> int:
    """A group key as a 64-bit number, for collapsing from fast fields without reading stored documents
    (tantivy reads only numbers that way) and counting groups in aggregations that cost as many matches
    as they count, where a text field's cost as many values as the index holds. Two keys share a number
    with odds of one in 2**64 per pair: about 1 in 30 million for a million groups."""
    import hashlib  # writing only: a query reads the numbers

    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "big")


def moment(seconds: int) -> dt.datetime:
    """Seconds since 1970 (a recency value, negated) as a naive UTC datetime."""
    return _EPOCH + dt.timedelta(seconds=seconds)

"""Page metadata (title, authors, date, site, URL, language) from JSON-LD, meta tags, microdata and the markup.

Each field takes the first source that gives a usable value, most trustworthy first:
JSON-LD, OpenGraph and ``article:*``, other ``<meta>`` names, microdata, ``<time>``,
visible bylines, and finally the URL.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from lxml import etree

from ..dates import parse_date
from .jsonld import article_object, first_text, names
from .text import normalize_space

_TITLE_SUFFIX = re.compile(r"\s+[|\-–—•·:»/]\s+([^|\-–—•·:»/]{2,60})$")
_TITLE_PREFIX = re.compile(r"^([^|\-–—•·:»/]{2,40})\s+[|–—•·»]\s+")
_BY = re.compile(r"^\s*(?:by|von|por|par|oleh|от|автор:?|written by|posted by)\s+", re.IGNORECASE)
_NAME_SPLIT = re.compile(r"\s*(?:,|;|\||\band\b|\bund\b|&|\bи\b)\s*", re.IGNORECASE)
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])(?:/|[-_.]|$)")
_URL_COMPACT_DATE = re.compile(r"[/_-]((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])[/_.-]")
_DATE_META = ("article:published_time", "og:published_time", "og:article:published_time", "datepublished",
              "publishdate", "publish-date", "publish_date", "pubdate", "date", "dc.date", "dc.date.issued",
              "dc.date.created", "dcterms.created", "dcterms.issued", "dcterms.date", "parsely-pub-date",
              "sailthru.date", "article.published", "published_time", "article_date_original", "cxenseparse:recs:publishtime",
              "originalpublicationdate", "date.available", "sort_date", "citation_publication_date")
_AUTHOR_META = ("author", "article:author", "og:article:author", "parsely-author", "sailthru.author", "dc.creator",
                "dcterms.creator", "byl", "citation_author", "twitter:creator")
_SITE_META = ("og:site_name", "application-name", "publisher", "dc.publisher", "twitter:site", "cxenseparse:site")
_BYLINE_CLASS = re.compile(r"(?:^|[-_\s])(?:byline|author|authors|author-name)(?:$|[-_\s])",
                           re.IGNORECASE)
_BYLINE_XPATH = "//*[" + " or ".join(f"contains(@{attribute}, '{word}')" for attribute in ("class", "id")
                                    for word in ("byline", "author")) + "]"
MAX_NAME_CHARS = 60


@dataclass(frozen=True)
class Metadata:
    """What a page says about its article, apart from the body."""

    title: str = ""
    authors: tuple[str, ...] = ()
    published: dt.date | None = None
    source: str = ""
    url: str = ""
    language: str = ""
    body: str = ""  # JSON-LD articleBody, when the page gives one


def read_metadata(root: etree._Element) -> Metadata:
    """The metadata of a parsed page (``root`` is its <html> element)."""
    meta = _meta_tags(root)
    ld = article_object([script.text or "" for script in root.iter("script")
                         if "ld+json" in (script.get("type") or "").lower()])
    url = _url(root, meta, ld)
    source = _source(root, meta, ld)
    return Metadata(
        title=_title(root, meta, ld, source),
        authors=_authors(root, meta, ld),
        published=_published(root, meta, ld, url),
        source=source,
        url=url,
        language=_language(root, meta, ld),
        body=first_text(ld.get("articleBody")),
    )


def _meta_tags(root: etree._Element) -> dict[str, str]:
    """First value of every <meta> by lower-cased name, property, itemprop or http-equiv."""
    found: dict[str, str] = {}
    for tag in root.iter("meta"):
        key = tag.get("property") or tag.get("name") or tag.get("itemprop") or tag.get("http-equiv")
        value = tag.get("content")
        if key and value and value.strip():
            found.setdefault(key.strip().lower(), value.strip())
    return found


def _microdata(scope: etree._Element, prop: str) -> list[etree._Element]:
    """Elements under ``scope`` whose itemprop lists ``prop``."""
    return scope.xpath(f".//*[contains(concat(' ', normalize-space(@itemprop), ' '), ' {prop} ')]")


def _text_of(element: etree._Element | None) -> str:
    return normalize_space("".join(element.itertext())) if element is not None else ""


def _item_value(element: etree._Element) -> str:
    """A microdata property's value: its content/datetime attribute, else its name or text."""
    for attribute in ("content", "datetime", "value"):
        if element.get(attribute):
            return element.get(attribute)
    named = _microdata(element, "name") if element.get("itemscope") is not None else []
    source = named[0] if named else element
    return normalize_space(source.get("content") or _text_of(source))


def _title(root: etree._Element, meta: dict, ld: dict, source: str) -> str:
    """The headline: og:title (what the site shows when shared), JSON-LD, twitter:title, microdata, <h1>, <title>.

    A leading or trailing site name ("Site | Headline", "Headline - Site") is removed.
    """
    h1 = next(root.iter("h1"), None)
    title_element = next(root.iter("title"), None)
    candidates = [meta.get("og:title"), first_text(ld.get("headline")), meta.get("twitter:title"),
                  meta.get("headline"), *(_item_value(e) for e in _microdata(root, "headline")[:1]),
                  _text_of(h1), meta.get("dc.title"), _text_of(title_element), first_text(ld.get("name"))]
    for candidate in candidates:
        title = normalize_space(candidate or "")
        if title:
            return _without_site_name(title, source, h1)
    return ""


def _without_site_name(title: str, source: str, h1: etree._Element | None) -> str:
    """``title`` less a site name at either end: one naming ``source``, or any when an <h1> confirms the rest."""
    site = source.lower()
    heading = _text_of(h1).lower()
    suffix = _TITLE_SUFFIX.search(title)
    if suffix:
        rest = title[:suffix.start()].strip()
        name = suffix.group(1).strip().lower()
        if site and (name == site or name in site or site in name) or heading and rest.lower() == heading:
            return rest
    prefix = _TITLE_PREFIX.match(title)
    if prefix:
        rest = title[prefix.end():].strip()
        name = prefix.group(1).strip().lower()
        if site and (name == site or name in site) or heading and rest.lower() == heading:
            return rest
    return title


def _published(root: etree._Element, meta: dict, ld: dict, url: str) -> dt.date | None:
    candidates = [first_text(ld.get("datePublished")), first_text(ld.get("dateCreated"))]
    candidates += [meta.get(key) for key in _DATE_META]
    candidates += [_item_value(e) for e in _microdata(root, "datePublished")[:1]]
    times = list(root.iter("time"))
    marked = [t for t in times if t.get("pubdate") is not None or "publish" in (t.get("class") or "").lower()]
    candidates += [t.get("datetime") for t in marked + times]
    for value in candidates:
        parsed = parse_date(value.strip()) if value else None
        if parsed is not None and dt.date(1990, 1, 1) <= _day(parsed) <= dt.date(2100, 1, 1):
            return parsed
    return _date_in_url(url)


def _day(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _date_in_url(url: str) -> dt.date | None:
    """The day in a URL path such as ``/2022/03/21/`` or ``/20220321-``, when there is one."""
    for pattern in (_URL_DATE, _URL_COMPACT_DATE):
        match = pattern.search(url)
        if match:
            try:
                return dt.date(*map(int, match.groups()))
            except ValueError:
                continue
    return None


def _authors(root: etree._Element, meta: dict, ld: dict) -> tuple[str, ...]:
    """Author names: JSON-LD, then meta tags, microdata, rel=author links and byline elements."""
    found = names(ld.get("author")) or names(ld.get("creator"))
    if not found:
        for key in _AUTHOR_META:
            value = meta.get(key, "")
            if value and not _is_handle_or_url(value):
                found = [value]
                break
    if not found:
        found = [_item_value(e) for e in _microdata(root, "author")]
    if not found:
        found = [_text_of(a) for a in root.xpath("//a[@rel='author']")]
    if not found:
        found = _byline(root)
    cleaned: list[str] = []
    for value in found:
        for name in _NAME_SPLIT.split(_BY.sub("", normalize_space(value))):
            name = _BY.sub("", name).strip(" .,:;-–—|")
            if name and len(name) <= MAX_NAME_CHARS and not _is_handle_or_url(name) and name not in cleaned:
                cleaned.append(name)
    return tuple(cleaned)


def _is_handle_or_url(value: str) -> bool:
    return value.startswith(("http://", "https://", "www.", "@", "/"))


def _byline(root: etree._Element) -> list[str]:
    """The text of the first short element marked as a byline or author that reads "By ..." or is a name."""
    for element in root.xpath(_BYLINE_XPATH):
        hints = f"{element.get('class') or ''} {element.get('id') or ''}"
        if not _BYLINE_CLASS.search(hints):
            continue
        text = _text_of(element)
        if text and len(text) <= MAX_NAME_CHARS * 2 and (_BY.match(text) or len(text.split()) <= 4):
            return [text]
    return []


def _source(root: etree._Element, meta: dict, ld: dict) -> str:
    """The site's name: publisher, og:site_name and similar meta, else the suffix of <title> ("… | Site")."""
    for value in (*names(ld.get("publisher"))[:1], *(meta.get(key) for key in _SITE_META)):
        value = normalize_space(value or "")
        if value and not value.startswith("@"):
            return value
    title = next(root.iter("title"), None)
    suffix = _TITLE_SUFFIX.search(_text_of(title))
    return suffix.group(1) if suffix else ""


def _url(root: etree._Element, meta: dict, ld: dict) -> str:
    canonical = root.xpath("//link[@rel='canonical']/@href")
    main = ld.get("mainEntityOfPage")
    candidates = [*canonical[:1], meta.get("og:url"), first_text(ld.get("url")),
                  main.get("@id") if isinstance(main, dict) else main]
    return next((value.strip() for value in candidates if isinstance(value, str) and value.strip()), "")


def _language(root: etree._Element, meta: dict, ld: dict) -> str:
    candidates = [first_text(ld.get("inLanguage")), root.get("lang"), root.get("xml:lang"),
                  meta.get("content-language"), meta.get("og:locale"), meta.get("language"), meta.get("dc.language")]
    for value in candidates:
        if isinstance(value, str) and value.strip():
            return value.strip().replace("_", "-").split("-")[0].lower()
    return ""

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

from ..dates import parse_date, parse_loose_date
from .bylines import Byline, read_byline
from .jsonld import article_object, first_text, names
from .text import normalize_space

_TITLE_SUFFIX = re.compile(r"\s+[|\-–—•·:»/]\s+([^|\-–—•·:»/]{2,60})$")
_TITLE_PREFIX = re.compile(r"^([^|\-–—•·:»/]{2,40})\s+[|–—•·»]\s+")
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])(?:/|[-_.]|$)")
_URL_COMPACT_DATE = re.compile(r"[/_-]((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])[/_.-]")
_DATE_META = ("article:published_time", "og:published_time", "og:article:published_time", "datepublished",
              "publishdate", "publish-date", "publish_date", "pubdate", "date", "dc.date", "dc.date.issued",
              "dc.date.created", "dcterms.created", "dcterms.issued", "dcterms.date", "parsely-pub-date",
              "sailthru.date", "article.published", "published_time", "article_date_original",
              "cxenseparse:recs:publishtime", "originalpublicationdate", "date.available", "sort_date",
              "citation_publication_date")
_AUTHOR_META = ("author", "article:author", "og:article:author", "parsely-author", "sailthru.author", "dc.creator",
                "dcterms.creator", "byl", "citation_author", "twitter:creator")
_SITE_META = ("og:site_name", "application-name", "publisher", "dc.publisher", "twitter:site", "cxenseparse:site")
_BYLINE_CLASS = re.compile(r"(?:^|[-_\s])(?:byline|author|authors|author-name)(?:$|[-_\s])",
                           re.IGNORECASE)
_BYLINE_XPATH = "//*[" + " or ".join(f"contains(@{attribute}, '{word}')" for attribute in ("class", "id")
                                    for word in ("byline", "author")) + "]"
MAX_NAME_CHARS = 60
EARLIEST_DATE = dt.date(1990, 1, 1)


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
    props = _itemprops(root)
    byline = _authors(root, meta, ld, props, source, url)
    return Metadata(
        title=_title(root, meta, ld, props, source),
        authors=byline.people,
        published=_published(root, meta, ld, props, url),
        source=source or byline.agency,
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


def _itemprops(root: etree._Element) -> dict[str, list[etree._Element]]:
    """The page's microdata elements by property name, found in one pass."""
    found: dict[str, list[etree._Element]] = {}
    for element in root.xpath("//*[@itemprop]"):
        for prop in element.get("itemprop").split():
            found.setdefault(prop, []).append(element)
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


def _title(root: etree._Element, meta: dict, ld: dict, props: dict, source: str) -> str:
    """The headline: og:title (what the site shows when shared), JSON-LD, twitter:title, microdata, <h1>, <title>.

    A leading or trailing site name ("Site | Headline", "Headline - Site") is removed.
    """
    h1 = next(root.iter("h1"), None)
    title_element = next(root.iter("title"), None)
    candidates = [meta.get("og:title"), first_text(ld.get("headline")), meta.get("twitter:title"),
                  meta.get("headline"), *(_item_value(e) for e in props.get("headline", [])[:1]),
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
        if (site and (name == site or name in site or site in name)) or (heading and rest.lower() == heading):
            return rest
    prefix = _TITLE_PREFIX.match(title)
    if prefix:
        rest = title[prefix.end():].strip()
        name = prefix.group(1).strip().lower()
        if (site and (name == site or name in site)) or (heading and rest.lower() == heading):
            return rest
    return title


def _published(root: etree._Element, meta: dict, ld: dict, props: dict, url: str) -> dt.date | None:
    """The first date given that can be right: from 1990 on, not in the future, not before the URL's day.

    Text the strict parser rejects gets the loose one. A day before the URL's is taken for a
    page's other dates (a copyright, a related story); one day of slack allows for time zones.
    """
    candidates: list[str | None] = [first_text(ld.get("datePublished")), first_text(ld.get("dateCreated"))]
    candidates += [meta.get(key) for key in _DATE_META]
    candidates += [_item_value(e) for e in props.get("datePublished", [])[:1]]
    times = list(root.iter("time"))
    marked = [t for t in times if t.get("pubdate") is not None or "publish" in (t.get("class") or "").lower()]
    candidates += [t.get("datetime") for t in marked + times]
    in_url = _date_in_url(url)
    earliest = max(EARLIEST_DATE, in_url - dt.timedelta(days=1)) if in_url else EARLIEST_DATE
    latest = dt.date.today() + dt.timedelta(days=1)
    for value in candidates:
        value = value.strip() if value else ""
        parsed = (parse_date(value) or parse_loose_date(value)) if value else None
        if parsed is not None and earliest <= _day(parsed) <= latest:
            return parsed
    return in_url


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


def _authors(root: etree._Element, meta: dict, ld: dict, props: dict, source: str, url: str) -> Byline:
    """The people who wrote the article: from JSON-LD, meta tags, microdata, rel=author links or a visible byline.

    The first of these that names a person wins, unless the author meta tag or the visible
    byline names the same people and more (JSON-LD often lists only the first author). The
    first agency credited is kept too, as the source of a page without a site name.
    """
    sources = (
        lambda: names(ld.get("author")) or names(ld.get("creator")),
        lambda: [value for key in _AUTHOR_META if (value := meta.get(key, ""))
                 and not _is_handle_or_url(value)][:1],
        lambda: [_item_value(e) for e in props.get("author", []) if not _in_comments(e)],
        lambda: [_text_of(a) for a in root.xpath("//a[@rel='author']") if not _in_comments(a)],
    )
    found = [read_byline(values(), site=source, url=url) for values in sources]
    visible = _byline(root, source, url)
    found.append(visible)
    people = next((byline.people for byline in found if byline.people), ())
    for byline in (found[1], visible):  # one meta tag or one byline element: one article's authors
        if set(people) < set(byline.people):
            people = byline.people
    return Byline(people, next((byline.agency for byline in found if byline.agency), ""))


def _is_handle_or_url(value: str) -> bool:
    return value.startswith(("http://", "https://", "www.", "@", "/"))


def _in_comments(element: etree._Element) -> bool:
    """Whether the element sits in a comment thread or a form (a commenter's name, a form's "Name" label)."""
    for ancestor in element.iterancestors():
        if ancestor.tag == "form" or "comment" in f"{ancestor.get('class') or ''} {ancestor.get('id') or ''}".lower():
            return True
    return False


def _byline(root: etree._Element, source: str, url: str) -> Byline:
    """The people in the page's visible byline: the innermost element marked as a byline or author that names one.

    Text pieces are joined with spaces, so a name and the agency or date in the next tag stay apart.
    """
    candidates = []
    for element in root.xpath(_BYLINE_XPATH):
        hints = f"{element.get('class') or ''} {element.get('id') or ''}"
        if not _BYLINE_CLASS.search(hints) or _in_comments(element):
            continue
        text = normalize_space(" ".join(element.itertext()))
        if text and len(text) <= MAX_NAME_CHARS * 3:
            candidates.append((element, read_byline([text], site=source, url=url)))
    for position, (element, byline) in enumerate(candidates):
        if byline.people or byline.agency:
            inner = [b for e, b in candidates[position + 1:] if b.people and element in set(e.iterancestors())]
            return inner[0] if inner else byline
    return Byline()


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

"""HTML news pages: metadata from JSON-LD, OpenGraph, meta tags and the markup, and the article body."""

from __future__ import annotations

import json
import re

from bs4 import BeautifulSoup, Tag

from ..article import Article
from ..errors import ReadError
from .dates import parse_date
from .text import normalize_paragraphs, normalize_space, title_from_body

_ARTICLE_TYPES = {"newsarticle", "article", "reportagenewsarticle", "analysisnewsarticle", "blogposting",
                  "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "report", "liveblogposting"}
_NOISE_TAGS = ["script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
               "button", "iframe", "svg", "select", "input", "figure", "figcaption", "menu", "dialog"]
_NOISE_HINT = re.compile(
    r"\b(nav|menu|footer|header|sidebar|share|social|related|promo|newsletter|subscribe|cookie|consent|"
    r"comment|advert|ad-|ads|banner|breadcrumb|byline|caption|credit|tags|toolbar|popup|modal|outbrain|taboola)",
    re.IGNORECASE,
)
_BLOCKS = ["p", "h2", "h3", "h4", "li", "blockquote", "pre"]
_BOILERPLATE_LINE = re.compile(
    r"^(share( this)?|tweet|email|print|read more|subscribe|sign up|advertisement|related|"
    r"follow us|click here|comments?)\b.{0,40}$", re.IGNORECASE,
)
_BY = re.compile(r"^\s*by\s+", re.IGNORECASE)
_TITLE_SUFFIX = re.compile(r"\s+[|\-–—•·:]\s+([^|\-–—•·:]{2,60})$")
_DATE_META = ("article:published_time", "og:published_time", "datepublished", "date", "pubdate",
              "publishdate", "publish-date", "publish_date", "dc.date", "dc.date.issued", "dcterms.created",
              "parsely-pub-date", "sailthru.date", "article.published", "published_time", "sort_date")
_AUTHOR_META = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "byl")
MIN_BODY_FROM_JSON_LD = 200
MAX_NOISE_SHARE = 0.3


def read_html(text: str, *, id: str, path: str) -> Article:
    """An article from an HTML page; raises ReadError when the page has neither a title nor a body."""
    soup = BeautifulSoup(text, "lxml")
    if soup.find() is None:
        raise ReadError(path, "no HTML content")
    meta = _meta_tags(soup)
    ld = _json_ld_article(soup)
    source = _source(soup, meta, ld)
    title = _title(soup, meta, ld, source)
    body = _body(soup, ld)
    if not title and not body:
        raise ReadError(path, "no title and no article text found")
    return Article(
        id=id,
        title=title or title_from_body(body),
        body=body,
        published=_published(soup, meta, ld),
        authors=_authors(meta, ld),
        source=source,
        url=_url(soup, meta, ld),
        language=_language(soup, meta, ld),
        path=path,
    )


def _meta_tags(soup: BeautifulSoup) -> dict[str, str]:
    """First value of every <meta> by lower-cased name, property or itemprop."""
    found: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = tag.get("property") or tag.get("name") or tag.get("itemprop") or tag.get("http-equiv")
        value = tag.get("content")
        if isinstance(key, str) and isinstance(value, str) and value.strip():
            found.setdefault(key.strip().lower(), value.strip())
    return found


def _json_ld_article(soup: BeautifulSoup) -> dict:
    """The first JSON-LD object typed as an article, searching @graph and lists."""
    for script in soup.find_all("script", type=re.compile("ld\\+json", re.IGNORECASE)):
        try:
            data = json.loads(script.string or "", strict=False)
        except ValueError:
            continue
        found = _find_article(data)
        if found:
            return found
    return {}


def _find_article(data: object) -> dict:
    if isinstance(data, list):
        for item in data:
            found = _find_article(item)
            if found:
                return found
    elif isinstance(data, dict):
        types = data.get("@type", [])
        types = types if isinstance(types, list) else [types]
        if any(isinstance(t, str) and t.lower() in _ARTICLE_TYPES for t in types):
            return data
        for key in ("@graph", "mainEntity", "itemListElement"):
            found = _find_article(data.get(key))
            if found:
                return found
    return {}


def _names(value: object) -> list[str]:
    """Names from a JSON-LD person/organisation value: a string, an object, or a list of either."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _names(value.get("name"))
    if isinstance(value, list):
        return [name for item in value for name in _names(item)]
    return []


def _title(soup: BeautifulSoup, meta: dict, ld: dict, source: str) -> str:
    """The headline: og:title (what the site shows when shared), JSON-LD headline, twitter:title, <h1>, <title>.

    A trailing " | Site Name" is removed when it names the source.
    """
    candidates = [meta.get("og:title", ""), *_names(ld.get("headline"))[:1], meta.get("twitter:title", "")]
    h1 = soup.find("h1")
    candidates.append(h1.get_text(" ") if h1 else "")
    candidates.append(soup.title.string if soup.title and soup.title.string else "")
    for candidate in candidates:
        title = normalize_space(candidate)
        if title:
            suffix = _TITLE_SUFFIX.search(title)
            if suffix and source and suffix.group(1).strip().lower() == source.lower():
                title = title[:suffix.start()]
            return title
    return ""


def _published(soup: BeautifulSoup, meta: dict, ld: dict):
    candidates = [ld.get("datePublished"), ld.get("dateCreated")]
    candidates += [meta.get(key) for key in _DATE_META]
    time_tag = soup.find("time", attrs={"datetime": True})
    if time_tag:
        candidates.append(time_tag["datetime"])
    for value in candidates:
        if isinstance(value, list) and value:
            value = value[0]
        parsed = parse_date(value)
        if parsed is not None:
            return parsed
    return None


def _authors(meta: dict, ld: dict) -> tuple[str, ...]:
    names = _names(ld.get("author")) or _names(ld.get("creator"))
    if not names:
        for key in _AUTHOR_META:
            value = meta.get(key, "")
            if value and not value.startswith("http"):
                names = re.split(r"\s*(?:,|;|\band\b|&)\s*", value)
                break
    cleaned = []
    for name in names:
        name = _BY.sub("", normalize_space(name))
        if name and name not in cleaned and not name.startswith("http"):
            cleaned.append(name)
    return tuple(cleaned)


def _source(soup: BeautifulSoup, meta: dict, ld: dict) -> str:
    """The site's name: publisher, og:site_name and similar meta, else the suffix of <title> ("… | Site")."""
    publisher = _names(ld.get("publisher"))
    for value in (publisher[0] if publisher else "", meta.get("og:site_name"), meta.get("application-name"),
                  meta.get("publisher")):
        if value and normalize_space(value):
            return normalize_space(value)
    suffix = _TITLE_SUFFIX.search(normalize_space(soup.title.string)) if soup.title and soup.title.string else None
    return suffix.group(1) if suffix else ""


def _url(soup: BeautifulSoup, meta: dict, ld: dict) -> str:
    canonical = soup.find("link", rel="canonical", href=True)
    if canonical:
        return canonical["href"].strip()
    main = ld.get("mainEntityOfPage")
    candidates = [meta.get("og:url"), ld.get("url"), main.get("@id") if isinstance(main, dict) else main]
    return next((value.strip() for value in candidates if isinstance(value, str) and value.strip()), "")


def _language(soup: BeautifulSoup, meta: dict, ld: dict) -> str:
    html = soup.find("html")
    candidates = [ld.get("inLanguage"), html.get("lang") if html else None,
                  meta.get("content-language"), meta.get("og:locale"), meta.get("language")]
    for value in candidates:
        if isinstance(value, str) and value.strip():
            return value.strip().replace("_", "-").split("-")[0].lower()
    return ""


def _body(soup: BeautifulSoup, ld: dict) -> str:
    """The article text: JSON-LD articleBody when it is substantial, else the densest block of paragraphs."""
    ld_body = ld.get("articleBody")
    if isinstance(ld_body, str) and len(ld_body) >= MIN_BODY_FROM_JSON_LD:
        return normalize_paragraphs(ld_body)
    root = soup.body or soup
    for tag in root.find_all(_NOISE_TAGS):
        tag.decompose()
    # A class like "article-content has-sidebar" must not take the story with it: only small containers go.
    page_chars = len(root.get_text())
    for tag in root.find_all(_is_noise_container):
        if tag.parent is not None and len(tag.get_text()) < page_chars * MAX_NOISE_SHARE:
            tag.decompose()
    container = _main_container(root)
    paragraphs = []
    for block in container.find_all(_BLOCKS):
        if block.find_parent(_BLOCKS) is not None:
            continue  # counted with its enclosing block
        line = normalize_space(block.get_text(" "))
        if line and not _BOILERPLATE_LINE.match(line) and line not in paragraphs:
            paragraphs.append(line)
    if not paragraphs:
        paragraphs = [normalize_space(container.get_text(" "))]
    return "\n\n".join(p for p in paragraphs if p)


def _is_noise_container(tag: Tag) -> bool:
    if tag.name in ("html", "body", "article", "main") or tag.attrs is None:
        return False
    hints = " ".join(tag.get("class", [])) + " " + (tag.get("id") or "") + " " + (tag.get("role") or "")
    return bool(hints.strip()) and bool(_NOISE_HINT.search(hints)) and not _is_body_hint(hints)


def _is_body_hint(hints: str) -> bool:
    return bool(re.search(r"article-?body|story-?body|post-?content|entry-?content|main-?content", hints, re.I))


def _main_container(root: Tag) -> Tag:
    """The element whose paragraphs hold the most text: <article>, itemprop=articleBody, or the densest parent."""
    marked = root.find(attrs={"itemprop": "articleBody"})
    if marked:
        return marked
    scores: dict[int, tuple[int, Tag]] = {}
    for paragraph in root.find_all("p"):
        length = len(normalize_space(paragraph.get_text(" ")))
        if length < 25:
            continue
        for depth, parent in enumerate(list(paragraph.parents)[:2]):
            score, _ = scores.get(id(parent), (0, parent))
            scores[id(parent)] = (score + length // (depth + 1), parent)
    if not scores:
        return root.find("article") or root
    best = max(scores.values(), key=lambda pair: pair[0])[1]
    article = root.find("article")
    if article is not None and (best is article or article in best.parents):
        return article
    return best

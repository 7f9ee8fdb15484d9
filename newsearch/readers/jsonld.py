"""JSON-LD in a page: the object that describes the article, with @graph, lists and @id references resolved."""

from __future__ import annotations

import json
import re

ARTICLE_TYPES = frozenset({
    "newsarticle", "article", "reportagenewsarticle", "analysisnewsarticle", "blogposting", "opinionnewsarticle",
    "reviewnewsarticle", "backgroundnewsarticle", "report", "liveblogposting", "socialmediaposting",
    "scholarlyarticle", "techarticle", "posting", "askpublicnewsarticle", "satiricalarticle", "webpage",
})
_PAGE_TYPES = frozenset({"webpage", "itempage", "collectionpage"})  # weaker than any article type
_TRAILING_COMMAS = re.compile(r",\s*([}\]])")
MAX_NODES = 10_000  # a bound on the objects visited, whatever the nesting


def article_object(scripts: list[str]) -> dict:
    """The JSON-LD object typed as an article (an article type beats a WebPage), or {} when there is none.

    ``scripts`` are the texts of the page's ``application/ld+json`` scripts. Values that are
    ``{"@id": ...}`` references to other objects of the page (authors, publisher) are replaced
    by the objects they name.
    """
    nodes = [node for text in scripts for node in _nodes(_load(text))]
    by_id = {node["@id"]: node for node in nodes if isinstance(node.get("@id"), str) and len(node) > 1}
    best, best_rank = {}, 0
    for node in nodes:
        rank = _rank(node)
        if rank > best_rank:
            best, best_rank = node, rank
    if not best:
        return {}
    return {key: _resolved(value, by_id) for key, value in best.items()}


def names(value: object) -> list[str]:
    """Names in a person or organisation value: a string, an object with a name, or a list of either."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, dict):
        name = value.get("name")
        if isinstance(name, (str, list)):
            return names(name)
        given, family = value.get("givenName"), value.get("familyName")
        return [f"{given} {family}"] if isinstance(given, str) and isinstance(family, str) else []
    if isinstance(value, list):
        return [name for item in value for name in names(item)]
    return []


def first_text(value: object) -> str:
    """The first string in a value that may be a string, a list, or an object with ``@value``/``name``."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return next((text for text in map(first_text, value) if text), "")
    if isinstance(value, dict):
        return first_text(value.get("@value") or value.get("name") or value.get("@id"))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def _load(text: str) -> object:
    """The data of one script; a trailing comma or stray control character (both common) is forgiven."""
    text = text.strip().removeprefix("<!--").removesuffix("-->").strip().removesuffix(";")
    for candidate in (text, _TRAILING_COMMAS.sub(r"\1", text)):
        try:
            return json.loads(candidate, strict=False)
        except (ValueError, RecursionError):
            continue
    return None


def _nodes(data: object) -> list[dict]:
    """Every object in the data (top level, lists, @graph and nested values), breadth first and bounded."""
    found: list[dict] = []
    pending = [data]
    while pending and len(found) < MAX_NODES:
        item = pending.pop(0)
        if isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            found.append(item)
            pending.extend(value for value in item.values() if isinstance(value, (list, dict)))
    return found


def _types(node: dict) -> set[str]:
    types = node.get("@type", [])
    types = types if isinstance(types, list) else [types]
    return {t.rsplit("/", 1)[-1].lower() for t in types if isinstance(t, str)}


def _rank(node: dict) -> int:
    """3 for an article with a headline, 2 for one without, 1 for a web page, 0 for anything else."""
    types = _types(node) & ARTICLE_TYPES
    if not types:
        return 0
    if types <= _PAGE_TYPES:
        return 1
    return 3 if node.get("headline") or node.get("articleBody") else 2


def _resolved(value: object, by_id: dict) -> object:
    """``value`` with one level of ``{"@id": ...}`` references replaced by the objects they name."""
    if isinstance(value, list):
        return [_resolved(item, by_id) for item in value]
    if isinstance(value, dict) and set(value) <= {"@id", "@type"} and value.get("@id") in by_id:
        return by_id[value["@id"]]
    return value

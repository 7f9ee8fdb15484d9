"""Markup a reader never sees, taken out of a parsed page: scripts, hidden elements, menus, figures, glosses."""

from __future__ import annotations

from lxml import etree

# Removed with their content before anything is measured.
DROPPED_TAGS = ("script", "style", "template", "svg", "math", "canvas", "iframe", "object", "embed",
                "button", "select", "textarea", "input", "option", "head", "title", "rt", "rp")  # rt, rp: ruby glosses
# Also removed, unless one holds a large share of the page's text: broken markup (an unclosed <nav>) can
# make such an element swallow the rest of the page, story included.
WRAPPING_TAGS = ("label", "nav", "dialog", "menu", "figure", "figcaption", "picture", "video", "audio", "map")
MAX_WRAPPING_SHARE = 0.3
MIN_NOSCRIPT_STORY_CHARS = 200
MAX_LINK_DENSITY = 0.5  # a menu kept for its size must still be mostly prose


def drop_unseen(root: etree._Element) -> None:
    """Remove, with their content, the elements a reader of the page does not read as its text."""
    etree.strip_elements(root, *DROPPED_TAGS, with_tail=False)
    _drop_noscript(root)
    _drop_wrapping(root)
    _drop_hidden(root)


def _drop_noscript(root: etree._Element) -> None:
    """Remove <noscript> elements, except one holding prose: a page drawn by scripts may keep its story there."""
    for element in list(root.iter("noscript")):
        if element.getparent() is not None and len("".join(element.itertext())) < MIN_NOSCRIPT_STORY_CHARS:
            _remove(element)


def _drop_wrapping(root: etree._Element) -> None:
    """Remove menus, figures and the like with their content, except one holding much of the page's text in prose."""
    elements = list(root.iter(*WRAPPING_TAGS))
    if not elements:
        return
    limit = len("".join(root.itertext())) * MAX_WRAPPING_SHARE
    removed: set = set()
    for element in elements:
        if any(ancestor in removed for ancestor in element.iterancestors(*WRAPPING_TAGS)):
            continue
        chars = len("".join(element.itertext()))
        if chars <= limit or _link_chars(element) > chars * MAX_LINK_DENSITY:
            removed.add(element)
            _remove(element)


def _link_chars(element: etree._Element) -> int:
    return sum(len("".join(link.itertext())) for link in element.iter("a"))


def _drop_hidden(root: etree._Element) -> None:
    """Remove elements a reader never sees: ``hidden``, ``aria-hidden`` and ``display:none``."""
    for element in root.xpath("//*[@hidden or @aria-hidden='true' or contains(translate(@style, ' ', ''),"
                              " 'display:none')]"):
        if element.getparent() is not None and element.tag not in ("html", "body"):
            _remove(element)


def _remove(element: etree._Element) -> None:
    """Take an element and its content out of the tree, keeping the text that follows it."""
    parent, previous, tail = element.getparent(), element.getprevious(), element.tail or ""
    if tail.strip():
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)

"""The article body of a parsed page: the subtree with the most story-like text, with its boilerplate dropped.

The page is cut into text blocks (the text between block-level tags). Each block weighs
its non-link characters less a fixed cost, so long paragraphs count for a region and
link lists, and regions marked as boilerplate (footer, sidebar, comments...), count
against it. The container is the element whose subtree weighs most, narrowed to the
<article> holding the headline when it lists several; the body is its blocks from the
headline on, with the story-like elements beside it and the paragraphs between a headline
outside it and its start, less the link-heavy, boilerplate-marked, "share / read more" and
date lines, captions and headings with nothing left under them. When that comes out shorter than
the page's longest paragraph, the region around that paragraph gives a second opinion.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from lxml import etree

from .text import normalize_space
from .unseen import drop_unseen

BLOCK_TAGS = frozenset({
    "p", "div", "section", "article", "main", "header", "footer", "aside", "form", "fieldset", "address",
    "blockquote", "pre", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "td",
    "th", "caption", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "center", "details", "summary", "body", "html",
})
HEADING_TAGS = frozenset({"h1", "h2", "h3"})
_ALL_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
BLOCK_COST = 40  # characters a block must exceed before it counts as story text
MAX_SHORT_BLOCK_COST = 10  # a short line that is not a link (a table cell, a label) costs little
MAX_LINK_DENSITY = 0.5
# A paragraph over the link density is still story text when it is a long sentence begun outside the link.
MIN_LINKED_SENTENCE_CHARS = 80
MIN_UNLINKED_CHARS = 20
_SENTENCE_ENDS = frozenset(".!?…\"”»")
MAX_HEADING_CHARS = 100  # a longer "heading" is a standfirst set in a heading's type
MIN_LEAD_PARAGRAPHS = 2  # one is a standfirst or a caption, which story bodies leave out
# An element beside the container joins the story when it weighs this much, and this share of the container.
MIN_SIBLING_WEIGHT = 30
MIN_SIBLING_SHARE = 0.1
# Parts of class and id names ("share-bar", "comments_list") that mark boilerplate. The strong ones also keep
# the container search away from a region; the weak ones (a page's "article-header" may hold the whole story)
# only drop parts of the chosen container.
STRONG_NOISE_WORDS = frozenset("""
    nav navbar navigation menu footer sidebar share shares sharing sharebar social related promo promotion
    newsletter subscribe subscription cookie cookies consent comment comments disqus advert advertisement ads
    adslot advertising sponsored breadcrumb breadcrumbs outbrain taboola recommended recommendations trending popular
""".split())
WEAK_NOISE_WORDS = frozenset("""
    header masthead ad banner byline caption credit credits tags toolbar popup modal signup paywall bio disclaimer
    meta author authors dateline timestamp date print email rating pagination pager skip
""".split())
_NOISE_WORDS = STRONG_NOISE_WORDS | WEAK_NOISE_WORDS
STRONG_NOISE_TAGS = frozenset({"footer", "aside"})
WEAK_NOISE_TAGS = frozenset({"header", "address"})
NOISE_ROLES = frozenset({"navigation", "complementary", "banner", "contentinfo", "menu", "menubar", "dialog"})
# Soft hyphens, zero-width spaces, word joiners and byte-order marks: unseen, and they split words for search.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad"))
_NAME_PARTS = re.compile(r"[-_\s]+")
# Captions, picture credits, post metadata, author boxes, newsletter boxes and related links hide in
# compound names too ("imageCaption", "bildunterschrift", "postmetadata", "relatedlinks"); names longer
# than this are slugs of the text itself.
MAX_COMPOUND_CHARS = 40
_COMPOUND_NOISE = re.compile(r"caption|copyright|legend|bildunter|metadata|authorbox|newsletter|related")
# Parts that make a marked name describe the story, not boilerplate: an embedded post, an article
# "with-sidebar", "no-share" or "enable-pin-share" (that has, or has not, share buttons).
_NOT_NOISE_PARTS = frozenset({"embed", "embedded", "no", "has", "with", "w", "enable", "enabled", "disable",
                              "without"})
# Short lines that label a page's furniture (share, related, tags, credits), in the corpora's languages.
_BOILERPLATE_LINE = re.compile(
    r"^(?:share(?: this)?(?: on \w+)?|tweet|e-?mail|print|read more|continue reading|subscribe|sign up|"
    r"advertisement|related|related articles|follow us|click here|comments?|leave a comment|image|photo|"
    r"see also|more from \w+|you may also like|more stories|tagged|tags|filed under|categor(?:y|ies)|"
    r"watch video|"
    r"das könnte (?:sie|dich) auch interessieren|ähnliche beiträge|verwandte (?:beiträge|themen\w*|artikel)|"
    r"mehr zu(?:m)? \w+|siehe auch|weitere (?:informationen|artikel|beiträge|termine)|(?:jetzt )?teilen|"
    r"(?:diesen )?(?:artikel|beitrag) teilen|gefällt mir|kommentieren|kommentare|themen|schlagw[öo]rte?|"
    r"kategorien?|anzeige|werbung|bildnachweis|quelle|zum weiterlesen|lesen sie auch|auch interessant|"
    r"à lire aussi|lire aussi|voir aussi|sur le même sujet|partager|articles similaires|à découvrir|"
    r"ver también|lee también|veja também|leia também|compartir|compartilhe|noticias relacionadas|"
    r"zobacz (?:też|także)|czytaj (?:też|także)|źródło|"
    r"fotos?|bild(?:quelle|nachweis)?|credits?|photos? credits?|(?:war|ist) (?:der|dieser|dieses) \w+ (?:nützlich|"
    r"hilfreich)|wie bewerten sie|was this (?:article|page|post) (?:helpful|useful)|loading|"
    r"möchten sie (?:den|diesen) (?:artikel|beitrag) teilen|seite teilen|like it\?|keep reading|mehr lesen|"
    r"rezept drucken)\b.{0,40}$|^(?:©|\(c\)).{0,60}$",
    re.IGNORECASE,
)
_PROMOTION = re.compile(r"\b(?:subscribe|newsletters?|sign up|all rights reserved|follow us|alle rechte vorbehalten|"
                        r"tous droits réservés|todos los derechos reservados|wszelkie prawa zastrzeżone)\b",
                        re.IGNORECASE)
_DATE_WORDS = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?|\b\d{1,4}(?:[:/.-]\d{1,4})*\b|"
    r"\b(?:am|pm|[ap]\.m\.|gmt|utc|[ecmp][sd]t|updated|posted|published|on|at)\b|[,;|•·]",
    re.IGNORECASE,
)


_WORD = re.compile(r"\w+")


@dataclass
class _Block:
    """A run of text whose nearest block-level ancestor is ``owner``."""

    owner: etree._Element
    text: str
    link_chars: int

    @property
    def is_links(self) -> bool:
        """Over the link density, unless a long sentence begun outside its link (a story's linked sentence)."""
        text = self.text
        return self.link_chars > len(text) * MAX_LINK_DENSITY and not (
            len(text) >= MIN_LINKED_SENTENCE_CHARS and len(text) - self.link_chars >= MIN_UNLINKED_CHARS
            and text[-1] in _SENTENCE_ENDS)

    @property
    def weight(self) -> float:
        """Positive for story-like text, negative for short lines and link lists."""
        if self.is_links:
            return -len(self.text)
        return max(len(self.text) - self.link_chars - BLOCK_COST, -MAX_SHORT_BLOCK_COST)


def extract_body(root: etree._Element, *, title: str = "") -> str:
    """The story text under ``root`` (a parsed page, modified in place): paragraphs separated by blank lines."""
    drop_unseen(root)
    blocks = _blocks(root)
    if not blocks:
        return ""
    chars = _subtree_sums(root, blocks, lambda block: len(block.text))
    headline = normalize_space(title).lower()
    page_heading = _headline_element(root, blocks, headline)
    # whatever holds the headline is the story's own region, whatever its class says
    page_noise = _noise(root, chars, strong=True, story=page_heading)
    weights = _subtree_sums(root, blocks, lambda block: -len(block.text) if block.owner in page_noise
                            else block.weight)
    container = max(weights, key=weights.__getitem__)
    paragraphs = _story(container, blocks, weights, chars, page_noise, headline, page_heading)
    # A second opinion when the story is shorter than the page's longest paragraph (one not marked
    # as boilerplate): the region around that paragraph, weighed without the marks of the page.
    longest = max(blocks, key=lambda block: len(block.text) - block.link_chars)
    found = sum(map(len, paragraphs))
    if found < len(longest.text) - longest.link_chars and longest.owner not in page_noise:
        plain = _subtree_sums(root, blocks, lambda block: block.weight)
        region = max([longest.owner, *longest.owner.iterancestors()], key=lambda e: plain.get(e, 0.0))
        second = _story(region, blocks, plain, chars, set(), headline)
        if sum(map(len, second)) > sum(map(len, paragraphs)):
            paragraphs = second
    return unicodedata.normalize("NFC", "\n\n".join(paragraphs)).translate(_INVISIBLE)


def _is_late(heading: etree._Element, blocks: list[_Block], inside: set) -> bool:
    """Whether nearly all the container's text comes before the heading (a teaser's heading, not the story's)."""
    counts = [0, 0]  # characters before and after the heading
    side = 0
    for block in blocks:
        if block.owner is heading:
            side = 1
        elif block.owner in inside:
            counts[side] += len(block.text)
    return counts[1] * 4 < counts[0]


def _common_ancestor(container: etree._Element, heading: etree._Element) -> etree._Element | None:
    """The nearest element holding both, below <body>; None when there is none or the heading is inside."""
    around = set(heading.iterancestors())
    if container is heading or container in around:
        return None
    for ancestor in container.iterancestors():
        if ancestor in around:
            return ancestor if ancestor.tag not in ("body", "html") else None
    return None


def _story(container: etree._Element, blocks: list[_Block], weights: dict, chars: dict, page_noise: set,
           headline: str, page_heading: etree._Element | None = None) -> list[str]:
    """The story's paragraphs in and beside ``container``, from the headline on, less boilerplate lines.

    When the page's headline sits outside the container but near it (under a common element
    below <body>), what lies between the two is the story's start (a standfirst, a lead).
    """
    common = _common_ancestor(container, page_heading) if page_heading is not None else None
    lead = set(common.iter()) if common is not None and common not in page_noise else set()
    if lead:
        lead -= _noise(common, chars, story=page_heading)
    heading = _headline_element(container, blocks, headline)
    if heading is not None:
        container = _story_in_listing(container, heading, weights)
    inside = set(container.iter())
    noise = _noise(container, chars, story=heading)
    for sibling in _story_siblings(container, weights, page_noise):
        inside.update(sibling.iter())
        noise |= _noise(sibling, chars, story=heading)
    started = heading is None or heading not in inside or _is_late(heading, blocks, inside)
    in_lead = reached = False
    leads: dict[str, None] = {}
    paragraphs: dict[str, int] = {}  # ordered and without repeats, with each heading's rank (0: not a heading)
    for block in blocks:
        started = started or block.owner is heading
        reached = reached or block.owner in inside
        in_lead = bool(lead) and not reached and (in_lead or block.owner is page_heading)
        if (in_lead and block.owner in lead and block.owner.tag not in _ALL_HEADINGS and block.weight >= BLOCK_COST
                and not _is_boilerplate(block, noise, headline)):
            leads[block.text] = None
        elif started and block.owner in inside and not _is_boilerplate(block, noise, headline):
            paragraphs.setdefault(block.text, _rank(block))
    story = _without_empty_sections(list(paragraphs.items()))
    # one paragraph between headline and story is a standfirst (or a caption); more are the story's start
    return [*leads, *story] if len(leads) >= MIN_LEAD_PARAGRAPHS else story


def _rank(block: _Block) -> int:
    """A heading's level (1 for <h1>); 0 for other text, and for a standfirst set as a heading (a long one)."""
    tag = block.owner.tag
    return int(tag[1]) if tag in _ALL_HEADINGS and len(block.text) < MAX_HEADING_CHARS else 0


def _without_empty_sections(paragraphs: list[tuple[str, int]]) -> list[str]:
    """The paragraphs less headings with no text under them (before the next heading of their level or above).

    Such a heading introduced what was dropped as boilerplate: teasers ("Latest articles"),
    a newsletter box, links to further reading.
    """
    kept = []
    for index, (text, rank) in enumerate(paragraphs):
        if rank:
            for _, later in paragraphs[index + 1:]:
                if not later or later <= rank:
                    break
            else:
                later = rank
            if later:
                continue
        kept.append(text)
    return kept


def _story_siblings(container: etree._Element, weights: dict, page_noise: set) -> list:
    """Elements beside the container that read as more of the story (a lead, a second part), not as teasers."""
    parent = container.getparent()
    if parent is None:
        return []
    least = max(MIN_SIBLING_WEIGHT, weights[container] * MIN_SIBLING_SHARE)
    return [sibling for sibling in parent if sibling is not container and sibling not in page_noise
            and weights.get(sibling, 0.0) >= least and not _is_teaser(sibling)
            and not _is_marked_noise(sibling, False)]


def _is_teaser(element: etree._Element) -> bool:
    """Whether an element reads as another story's teaser: an <article>, or a heading that links away."""
    return element.tag == "article" or bool(element.xpath(".//article | .//*[self::h1 or self::h2 or self::h3"
                                                          " or self::h4][.//a]"))


def _headline_element(container: etree._Element, blocks: list[_Block], headline: str) -> etree._Element | None:
    """The heading in the container that reads as the page's title; the story starts there."""
    wanted = _words(headline)
    if not wanted:
        return None
    for block in blocks:
        if block.owner.tag in HEADING_TAGS and _is_same_headline(_words(block.text), wanted) and (
                container is block.owner or any(ancestor is container for ancestor in block.owner.iterancestors())):
            return block.owner
    return None


def _words(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _is_same_headline(heading: str, title: str) -> bool:
    """Equal words, or one inside the other and at least half as long (a title may add the site's name)."""
    shorter, longer = sorted((heading, title), key=len)
    return bool(shorter) and shorter in longer and len(shorter) * 2 >= len(longer)


def _story_in_listing(container: etree._Element, heading: etree._Element, weights: dict) -> etree._Element:
    """The <article> holding the headline when the container lists several (a story above teasers)."""
    story = next(heading.iterancestors("article"), None)
    if story is None or story is container or weights.get(story, 0.0) <= 0:
        return container
    inside_story = set(story.iter())
    others = [a for a in container.iter("article") if a not in inside_story and story not in set(a.iterancestors())]
    return story if others else container


def _blocks(root: etree._Element) -> list[_Block]:
    """The page's text blocks in reading order, each with the characters that sit inside links."""
    blocks: list[_Block] = []
    owners = [root]
    parts: list[str] = []
    link_chars = links = 0

    def flush():
        nonlocal link_chars
        if not parts:
            return
        text = "".join(parts)
        text = ("\n".join(map(normalize_space, text.split("\n"))) if "\n" in text else normalize_space(text)).strip()
        if text:
            blocks.append(_Block(owners[-1] if owners else root, text, link_chars))
        parts.clear()
        link_chars = 0

    def add(text, in_link):
        nonlocal link_chars
        if text:
            parts.append(text)
            if in_link:
                link_chars += len(text.strip())

    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in BLOCK_TAGS:
                flush()
                owners.append(element)
            elif tag == "br":
                parts.append("\n")
            if tag == "a":
                links += 1
            add(element.text, links)
        else:
            if tag == "a":
                links -= 1
            if tag in BLOCK_TAGS:
                flush()
                owners.pop()
            add(element.tail, links)
    flush()
    return blocks


def _subtree_sums(root: etree._Element, blocks: list[_Block], value) -> dict:
    """``value(block)`` summed over each element's subtree, bottom-up without recursion (nesting may be deep)."""
    sums: dict = {}
    for block in blocks:
        sums[block.owner] = sums.get(block.owner, 0.0) + value(block)
    for element in reversed(list(root.iter())):  # descendants follow their ancestor in document order
        parent = element.getparent()
        if parent is not None and element in sums:
            sums[parent] = sums.get(parent, 0.0) + sums[element]
    return sums


def _noise(top: etree._Element, chars: dict, *, strong: bool = False, story: etree._Element | None = None) -> set:
    """Elements under ``top`` that tag, role, class or id mark as boilerplate, with all they contain.

    A marked element holding half of ``top``'s text or more is a wrapper, not boilerplate; so is
    one holding the ``story``'s headline.
    """
    limit = chars.get(top, 0.0) / 2
    keep = set(story.iterancestors()) if story is not None else set()
    noise: set = set()
    for element in top.iterdescendants():
        if element in noise or element in keep:
            continue
        if chars.get(element, 0.0) < limit and _is_marked_noise(element, strong):
            noise.update(element.iter())
    return noise


def _is_marked_noise(element: etree._Element, strong: bool) -> bool:
    """Whether tag, role, class or id says boilerplate (only strongly, with ``strong``); embedded posts are story."""
    if element.tag in STRONG_NOISE_TAGS or element.get("role") in NOISE_ROLES:
        return True
    if not strong and element.tag in WEAK_NOISE_TAGS:
        return True
    names = element.get("class"), element.get("id")
    if names == (None, None):
        return False
    words = STRONG_NOISE_WORDS if strong else _NOISE_WORDS
    for name in f"{names[0] or ''} {names[1] or ''}".lower().split():
        parts = set(_NAME_PARTS.split(name))
        compound = not strong and len(name) < MAX_COMPOUND_CHARS and bool(_COMPOUND_NOISE.search(name))
        if (parts & words or compound) and not parts & _NOT_NOISE_PARTS:
            return True
    return False


def _is_boilerplate(block: _Block, noise: set, headline: str) -> bool:
    text = block.text
    if block.owner in noise or block.owner.tag == "h1":
        return True
    if block.is_links:
        return True
    if headline and text.lower() == headline:
        return True
    if len(text) < 80 and _BOILERPLATE_LINE.match(text):
        return True
    return (len(text) < 150 and bool(_PROMOTION.search(text))) or (len(text) < 80 and _is_dateline(text))


def _is_dateline(text: str) -> bool:
    """A short line that is only a date, a time and a word or two ("Updated Nov 19, 9:41 AM")."""
    rest = _DATE_WORDS.sub(" ", text)
    return len(rest.split()) <= 3 and len(rest) < len(text) * 0.6

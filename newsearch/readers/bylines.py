"""Bylines as people: the person names in a byline, split from agencies, roles, dates, degrees and site names."""

from __future__ import annotations

import re
from dataclasses import dataclass

# "By", "Analysis by", "Words by", "Text:", "Posted by" and their kin in the languages the corpora hold.
_LEAD = re.compile(
    r"^[\W_]*(?:(?:(?:analysis|opinion|commentary|review|words|text|story|reporting|interview|photos?|written|"
    r"posted|published|compiled|edited|updated|reported)\s+)?(?:by|von|por|par|oleh|door|przez|от)\b|"
    r"(?:text|texte|texto|tekst|текст|автор|autor|autor/in|autorin|autoren|author|auteur|words|by)\s*:)[\s:]*",
    re.IGNORECASE,
)
# A byline's name part ends where its date, time, handle or "Updated"/"View more" begins.
_TAIL = re.compile(
    r"\d|@|\s[-–—/•]\s|\b(?:updated|published|posted|view|more articles|follow|about|said|says|wrote|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|montag|dienstag|mittwoch|donnerstag|freitag|"
    r"samstag|sonntag)\b|\b(?:mon|tue|wed|thu|fri|sat|sun|mo|di|mi|do|fr|sa|so)\b(?=\.?,)|"
    r"\b(?:january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\b(?=\.?\s*\d)",  # "April Roach" is a name
    re.IGNORECASE,
)
_SEPARATORS = re.compile(r"\s*(?:[,;|]|(?<=[a-z]{2})\.\s|\s(?:and|und|et|y|e|og|och|en|и|&)\s)\s*", re.IGNORECASE)
AGENCIES = {
    "associated press": "Associated Press", "the associated press": "Associated Press", "ap": "Associated Press",
    "reuters": "Reuters", "thomson reuters": "Reuters", "afp": "AFP", "agence france-presse": "AFP",
    "dpa": "dpa", "deutsche presse-agentur": "dpa", "efe": "EFE", "ansa": "ANSA", "xinhua": "Xinhua",
    "tass": "TASS", "upi": "UPI", "pa": "PA Media", "press association": "PA Media", "kyodo": "Kyodo",
    "yonhap": "Yonhap", "bloomberg": "Bloomberg", "apa": "APA", "sda": "SDA", "ats": "ATS", "anp": "ANP",
}
# Words that mean a group, not a person ("HNN Staff", "Editorial", "News Nation Bureau") when a name ends in one.
COLLECTIVE_WORDS = frozenset("""
    staff team desk bureau editorial editors newsroom redaktion rédaction redacción redazione redakcja редакция
    reports wire services news sport sports weekly daily media press agency network group online magazine
    times post international contributors admin administrator newsdesk red agenturen
""".split())
# Words that start a person's role ("Staff Writer", "AP National Political Writer", "News reporter").
ROLE_WORDS = COLLECTIVE_WORDS | frozenset("""
    writer reporter correspondent contributor columnist editor producer analyst critic photographer
    special for guest senior chief national political security sports contributing freelance
""".split())
# Lower-case words a name may hold ("Abigail Van Buren" is capitalised, "Ludwig van Beethoven" is not).
_PARTICLES = frozenset("van von der den de del della di da das do dos du la le y ter ten bin al el st".split())
_INNER_CAPITAL = re.compile(r"^[A-Z]?[a-z]+[A-Z]")
_HANDLE = re.compile(r"[a-z][._][a-z]")
_HONORIFICS = frozenset("dr dr. prof prof. mr mr. mrs mrs. ms ms. rechtsanwalt rechtsanwältin".split())
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
MAX_NAME_WORDS = 5


@dataclass(frozen=True)
class Byline:
    """The people a byline names, and the news agency it credits ('' when none)."""

    people: tuple[str, ...] = ()
    agency: str = ""


def read_byline(values: list[str], *, site: str = "", url: str = "") -> Byline:
    """The people and agency in byline texts (one or several); ``site`` and ``url`` say which names are the site's."""
    site_names = _site_names(site, url)
    people: list[str] = []
    agency = ""
    for value in values:
        text = _name_part(value)
        lower = [w for w in text.split() if w.islower() and w not in _PARTICLES and not _SEPARATORS.fullmatch(f" {w} ")]
        if len(lower) >= 2:
            continue  # a sentence ("Hecho en Bolivia con Drupal por Smartica"), not a byline
        found: list[str] = []
        for part in _SEPARATORS.split(text):
            part = _LEAD.sub("", part).strip(" .,:;-–—|'\"")
            if part.lower().strip(".") in _SUFFIXES and found:
                found[-1] = f"{found[-1]} {part}"
                continue
            words, credited = _name_words(part)
            agency = agency or credited
            name = _person(part, words, site_names)
            if name and name not in found:
                found.append(name)
        if any(" " in name for name in found):  # "Markus M. Haefliger, London": one word beside full names is a place
            found = [name for name in found if " " in name]
        people += [name for name in found if name not in people]
    return Byline(tuple(people), agency)


def _name_part(value: str) -> str:
    """The byline less its lead ("By") and everything from its date, time or handle on."""
    text = " ".join(value.split())
    text = _LEAD.sub("", text)
    tail = _TAIL.search(text)
    return text[:tail.start()] if tail else text


def _name_words(part: str) -> tuple[list[str], str]:
    """The words of one byline part that may name a person, and the agency the part credits ('' when none)."""
    known = AGENCIES.get(part.lower())
    if known:
        return [], known
    words, known = _agency_after(part.split())
    words = _without_role(words)
    while words and words[0].lower() in _HONORIFICS:
        words = words[1:]
    if " ".join(words).lower() in AGENCIES:  # "AP National Political Writer"
        return [], AGENCIES[" ".join(words).lower()]
    return words, known


def _agency_after(words: list[str]) -> tuple[list[str], str]:
    """A name's words less an agency glued after it ("Eric Tucker Associated Press"), and that agency."""
    for size in (3, 2, 1):
        tail = words[-size:]
        known = AGENCIES.get(" ".join(tail).lower()) if len(words) > size else None
        if known and (size > 1 or tail[0].isupper() or tail[0] in ("Reuters", "dpa")):
            return words[:-size], known
    return words, ""


def _without_role(words: list[str]) -> list[str]:
    """The words before a role ("Meg James Staff Writer" -> "Meg James"); none for a group ("HNN Staff")."""
    if not words or words[-1].lower().split("-")[0] in COLLECTIVE_WORDS:
        return []
    for position, word in enumerate(words[1:], start=1):
        if word.lower().split("-")[0] in ROLE_WORDS:
            return words[:position]
    return words


def _person(part: str, words: list[str], site_names: set[str]) -> str:
    """``words``, the start of byline ``part``, as a person's name ('' for a group, site, form label or handle)."""
    if not words or "(" in part or "@" in part or ".com" in part.lower() or "://" in part:
        return ""
    if len(words) > MAX_NAME_WORDS or words[0].lower().split("-")[0] in ROLE_WORDS:
        return ""
    letters = "".join(words)
    if len(words) == 1 and ((words[0].isupper() and len(words[0]) > 1) or _INNER_CAPITAL.search(words[0])):
        return ""  # "RT", "CNN", "RDN", "AppleInsider": a site, an agency or a degree, not a name
    if len(words) == 1 and words[0].islower() and _HANDLE.search(words[0]):
        return ""  # "edilson.la.rosa", "katholisch.at": a user name or a domain
    if len(words) > 1 and any(w.isupper() and len(w) > 1 and "." not in w for w in words) and not letters.isupper():
        return ""  # "CBS Detroit": an acronym beside capitalised words names an organisation ("R.C. Baker" does not)
    if len(words) > 1 and any(w[0].islower() and w.lower() not in _PARTICLES for w in words):
        return ""  # "View author archive", "thelastchargersfan says"
    if _squashed(" ".join(words)) in site_names:
        return ""
    name = " ".join(words)
    return name.title() if letters.isupper() else name


def _site_names(site: str, url: str) -> set[str]:
    """The site's name and its domain's labels, squashed ("Al-Bawaba" and albawaba.com both give "albawaba")."""
    names = {_squashed(site)} if site else set()
    host = re.sub(r"^[a-z]+://", "", url.lower()).split("/")[0].split(":")[0]
    names.update(label for label in host.split(".") if len(label) > 2 and label not in ("www", "com", "org", "net"))
    return names - {""}


def _squashed(text: str) -> str:
    return re.sub(r"\W|_", "", text.lower())

"""Words as every engine indexes prose: one word pattern, one stop list, one Snowball stemmer per language.

The Whoosh and Typesense engines analyse with these; the tantivy engine with tantivy's
own Snowball stemmers and this stop list, which give the same stems (checked on the
15,892 distinct words of 3,000 Reuters stories), so every engine finds the same articles.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache

import Stemmer  # PyStemmer: the Snowball project's stemmers in C, 7x faster than a pure-Python stemmer

# Bumped whenever indexed words change (stemmer, stop words, word pattern): an index made with
# another version must be rebuilt, never mixed (see Index).
ANALYSIS_VERSION = 2
WORD_PATTERN = r"\w+"
DEFAULT_LANGUAGE = "en"  # also for articles whose language is unknown or has no stemmer
# Language code -> its Snowball stemmer (Dutch: the classic algorithm, as tantivy's stemmer has it).
SNOWBALL = {
    "ar": "arabic", "da": "danish", "de": "german", "el": "greek", "en": "english", "es": "spanish",
    "fi": "finnish", "fr": "french", "hu": "hungarian", "it": "italian", "nl": "dutch_porter",
    "no": "norwegian", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sv": "swedish",
    "ta": "tamil", "tr": "turkish",
}
# English stop words, in every language (the short list Lucene and tantivy use: "us", "may" or "new"
# are words people search the news for).
STOP_WORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no",
    "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this",
    "to", "was", "will", "with",
))
STEM_CACHE = 100_000


def stemming_language(code: str) -> str:
    """The language whose stemmer analyses words of language ``code``."""
    return code if code in SNOWBALL else DEFAULT_LANGUAGE


@cache
def _snowball(language: str) -> Stemmer.Stemmer:
    """The Snowball stemmer object of ``language`` (one a language, its cache of stems shared)."""
    return Stemmer.Stemmer(SNOWBALL[stemming_language(language)], STEM_CACHE)


def stemmer(language: str) -> Callable[[str], str]:
    """The Snowball stemmer of ``language`` (a code; English for one without a stemmer)."""
    return _snowball(language).stemWord


def list_stemmer(language: str) -> Callable[[list[str]], list[str]]:
    """``stemmer`` for a list of words at once (a loop in C)."""
    return _snowball(language).stemWords


def fold(text: str) -> str:
    """Lower case without accents, as indexes fold words (``Café`` -> ``cafe``)."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    return "".join(c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c))


_WORD = re.compile(WORD_PATTERN)


def tokens(text: str, language: str) -> list[tuple[int, int, str, int]]:
    """(start, end, term, position) of each indexed word of prose in ``language``: folded, stop words
    dropped (positions count the words kept), stemmed."""
    stem = stemmer(language)
    found: list[tuple[int, int, str, int]] = []
    for match in _WORD.finditer(text):
        word = fold(match.group())
        if word not in STOP_WORDS:
            found.append((match.start(), match.end(), stem(word), len(found)))
    return found


def terms(text: str, language: str) -> list[str]:
    """The indexed words of prose in ``language``, in order."""
    return [term for _, _, term, _ in tokens(text, language)]


def query_terms(text: str, languages: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Each word of query text as the index holds it in any of ``languages``: its distinct stems, in order."""
    words = [fold(word) for word in _WORD.findall(text)]
    return [tuple(dict.fromkeys(stemmer(language)(word) for language in languages or (DEFAULT_LANGUAGE,)))
            for word in words if word not in STOP_WORDS]


def name_terms(value: str) -> list[str]:
    """A name as indexed: the whole of it, folded, and each of its words (``author:smith`` finds "Jo Smith")."""
    whole = " ".join(fold(value).split())
    if not whole:
        return []
    return [whole, *whole.split()] if " " in whole else [whole]


def written_forms(text: str, stem: str, language: str) -> list[str]:
    """The words of ``text``, as written, that are indexed as ``stem`` in ``language`` (only words sharing its
    first two letters, folded, are stemmed: a stem and its words begin alike)."""
    head, stem_word = stem[:2], stemmer(language)
    return [match.group() for match in _WORD.finditer(text)
            if fold(match.group()[:2]) == head and stem_word(fold(match.group())) == stem]

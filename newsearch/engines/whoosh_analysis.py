"""Analysis for the Whoosh engine: the schema, and words stemmed in their document's language."""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from whoosh.analysis import CharsetFilter, Filter, LowercaseFilter, RegexTokenizer, StopFilter
from whoosh.columns import NumericColumn, VarBytesColumn
from whoosh.fields import COLUMN, DATETIME, ID, STORED, TEXT, Schema
from whoosh.formats import Positions
from whoosh.support.charset import accent_map

from ..analysis import DEFAULT_LANGUAGE, STOP_WORDS, WORD_PATTERN, list_stemmer, stemmer, stemming_language

LONG_TEXT_CHARS = 1 << 20  # a longer text is indexed a piece at a time (see long_postings)
_SPACE = re.compile(r"\s")
STEMS = "\x1e"  # joins one query word's stems in several languages, until the query tree splits them
MAX_KNOWN_WORDS = 200_000  # words whose term ProseTokens.spans remembers, per language, before starting again
MAX_KNOWN_CHARS = 8_000_000  # or characters in them (a "word" of text without spaces or stops may be long)


class InLanguage(str):
    """A field value to analyse in a language: ``InLanguage("Das Hochwasser", "de")``."""

    language: str

    def __new__(cls, text: str, language: str):
        value = super().__new__(cls, text)
        value.language = language
        return value


@dataclass(frozen=True)
class Words:
    """A text to index in a language, as articles give it to the writer: unlike InLanguage (a str made
    anew), it holds the article's own text, so a 200 MB body is not copied to be indexed."""

    text: str
    language: str


class _LanguageText(TEXT):
    """A text field whose words are stemmed in the language of the value given (see InLanguage, Words).

    Indexing runs the analyzer fused into one loop (ProseTokens) when it can: whoosh's chain
    of token generators was the largest part of a build's cost per document. A text longer
    than LONG_TEXT_CHARS is indexed a piece at a time by ``long_postings``, in bounded memory.
    """

    def index(self, value, **kwargs):
        text = value.text if isinstance(value, Words) else str(value)
        language = getattr(value, "language", DEFAULT_LANGUAGE)
        fused = self._fusion()
        if fused is None or kwargs or type(self.format) is not Positions:
            return super().index(text, language=language, **kwargs)
        if len(text) > LONG_TEXT_CHARS:
            return long_postings(fused.long_terms(text, language), self.format)
        return _indexed(fused.terms(text, language), self.format)

    def _fusion(self) -> ProseTokens | None:
        """The analyzer in one loop, worked out once (never pickled with the schema)."""
        if "_fused" not in self.__dict__:
            self.__dict__["_fused"] = ProseTokens.of(self.analyzer)
        return self.__dict__["_fused"]

    def __getstate__(self):
        return {key: value for key, value in self.__dict__.items() if key != "_fused"}

    def __eq__(self, other):
        return type(other) is type(self) and self.__getstate__() == other.__getstate__()


def _indexed(terms: list[tuple[str, int]], format: Positions) -> Iterator[tuple[bytes, int, float, bytes]]:
    """What whoosh's TEXT.index gives for these (term, position) pairs with a Positions format: (term as
    UTF-8, frequency, weight, encoded positions) for each distinct term, in the order of its first use."""
    positions: dict[str, list[int]] = {}
    for term, position in terms:
        if term in positions:
            positions[term].append(position)
        else:
            positions[term] = [position]
    boost = format.field_boost
    for term, found in positions.items():
        yield term.encode("utf-8"), len(found), float(len(found)) * boost, format.encode(found)


def long_postings(terms: Iterable[tuple[str, int]], format: Positions) -> Iterator[tuple[bytes, int, float, bytes]]:
    """The postings of one long text from its (term, position) pairs, as whoosh's Positions format makes
    them, but with each term's positions in an array of 4-byte numbers rather than a list of Python ints:
    35 million words (a 200 MB text) take 140 MB here, against about 1.3 GB in whoosh's lists."""
    positions: dict[str, array] = {}
    for term, position in terms:
        found = positions.get(term)
        if found is None:
            positions[term] = found = array("I")
        found.append(position)
    for term in list(positions):
        found = positions.pop(term)  # each term's array freed once its posting is made
        yield term.encode("utf-8"), len(found), len(found) * format.field_boost, format.encode(found)


class _LanguageStemFilter(Filter):
    """Stems each word in its document's language with its Snowball stemmer (newsearch.analysis).

    When analysing a query over an index holding several languages (``languages``),
    a word becomes its stems in each, joined by STEMS; the query tree then searches
    any of them (see ``split_stems``).
    """

    is_morph = True

    def __init__(self, languages: tuple[str, ...] = ()):
        self.languages = languages
        self._stemmers: dict = {}

    def __getstate__(self):
        return {"languages": self.languages}  # stemmer functions are rebuilt, not pickled with the schema

    def __setstate__(self, state):
        self.languages = state.get("languages", ())
        self._stemmers = {}

    def __eq__(self, other):
        return type(other) is type(self) and other.languages == self.languages

    def _stemmer(self, language: str):
        if language not in self._stemmers:
            self._stemmers[language] = stemmer(language)
        return self._stemmers[language]

    def __call__(self, tokens):
        stem = None  # the tokens of one call share their language
        for token in tokens:
            if not token.stopped:
                if token.mode != "index" and self.languages:
                    stems = [self._stemmer(language)(token.text) for language in self.languages]
                    token.text = stems[0] if len(set(stems)) == 1 else STEMS.join(stems)
                else:
                    if stem is None:
                        stem = self._stemmer(stemming_language(getattr(token, "language", "")))
                    token.text = stem(token.text)
            yield token


class _NameWordsFilter(Filter):
    """At index time, a multi-word name is also indexed word by word, so ``author:smith`` finds "Jo Smith"."""

    def __call__(self, tokens):
        for token in tokens:
            whole = token.text
            yield token
            if token.mode == "index" and " " in whole:
                for word in whole.split():
                    token.text = word
                    yield token


class ProseTokens:
    """The prose analyzer's tokens with character offsets, its steps fused into one loop.

    Snippets re-read the body of every hit shown; whoosh's chain of token generators
    cost 12 ms a page at 100,000 articles, this a quarter of that. Built from the
    analyzer's own parts (pattern, character map, stop words, stemmers), so the two
    cannot drift apart; ``of`` gives None for an analyzer of another shape.
    """

    def __init__(self, pattern, charmap, stops: frozenset[str], min_length: int, stemming: _LanguageStemFilter):
        self._pattern, self._charmap, self._stops, self._min = pattern, charmap, stops, min_length
        self._stemming = stemming
        self._known: dict[str, _Vocabulary] = {}  # language -> the words met so far

    @classmethod
    def of(cls, analyzer) -> ProseTokens | None:
        parts: list = list(getattr(analyzer, "items", ()))
        shape = (RegexTokenizer, LowercaseFilter, CharsetFilter, StopFilter, _LanguageStemFilter)
        if len(parts) != len(shape) or any(type(part) is not kind for part, kind in zip(parts, shape, strict=True)):
            return None
        tokenizer, _, charset, stop, stemming = parts
        if tokenizer.gaps or stop.max is not None or not stop.renumber or stemming.languages:
            return None
        return cls(tokenizer.expression, charset.charmap, stop.stops, stop.min, stemming)

    def long_terms(self, text: str, language: str) -> Iterator[tuple[str, int]]:
        """(term, position) of each indexed word, as ``terms`` gives them, for a text of any length: read a
        piece of about LONG_TEXT_CHARS at a time (cut at white space, which no word spans), so that a
        200 MB text is never lowercased or listed whole."""
        start = words_before = kept_before = 0
        first: int | None = None  # the position of the text's first indexed word (stop words before it count)
        while start < len(text):
            space = _SPACE.search(text, start + LONG_TEXT_CHARS)
            end = space.start() if space is not None else len(text)
            piece = text[start:end]
            pairs = self.terms(piece, language)
            if pairs and first is None:
                first = words_before + pairs[0][1]
            if first is None:
                words_before += len(self._pattern.findall(piece.lower()))
            base = (first or 0) + kept_before
            for number, (term, _) in enumerate(pairs):
                yield term, base + number
            kept_before += len(pairs)
            start = end

    def __call__(self, text: str, language: str) -> list[tuple[int, int, str, int]]:
        """(start, end, term, position) of each indexed word, as the analyzer gives them at index time."""
        stem = self._stemming._stemmer(stemming_language(language))
        charmap, stops, minimum = self._charmap, self._stops, self._min
        lowered = text.lower()
        whole = len(lowered) == len(text)  # every character lowercased to one: offsets hold in the lowered text
        tokens, position = [], None
        for number, match in enumerate(self._pattern.finditer(lowered if whole else text)):
            word = match.group() if whole else match.group().lower()
            if not word.isascii():
                word = word.translate(charmap)  # on lowercase ASCII the accent map changes nothing
            if len(word) < minimum or word in stops:
                continue
            position = number if position is None else position + 1  # StopFilter's renumbering
            tokens.append((match.start(), match.end(), stem(word), position))
        return tokens

    def spans(self, text: str, language: str, terms: set[str]) -> list[tuple[int, int, str]] | None:
        """(start, end, term) of each word of ``text`` indexed as one of ``terms``, as ``__call__`` finds them;
        None when this cannot tell (a text whose lowercase is of another length: ask ``__call__``).

        A snippet wants only a hit's few matched words. The text's distinct words are
        analysed once for all texts (remembered, with the words each term comes from),
        so a text costs a few set operations in C, and only the wanted words are looked for again.
        """
        lowered = text.lower()
        if len(lowered) != len(text) or self._pattern.pattern != r"\w+":  # words are found again as runs of \w
            return None
        known = self._vocabulary(language)
        # The pieces between white space that are known words need no search for words (most of them).
        pieces = set(lowered.split())
        others = pieces.difference(known.term_of)  # each piece looked up in the dict (never a loop over the dict)
        present = pieces - others
        if others:
            present.update(self._pattern.findall(" ".join(others)))
        self._learn(present.difference(known.term_of), language, known)
        words_of = known.words_of
        spans = []
        for term in terms:
            for word in present.intersection(words_of.get(term, ())):
                at = lowered.find(word)
                while at >= 0:
                    end = at + len(word)
                    if not ((at and _in_word(lowered[at - 1])) or (end < len(lowered) and _in_word(lowered[end]))):
                        spans.append((at, end, term))
                    at = lowered.find(word, end)
        spans.sort()
        return spans

    def terms(self, text: str, language: str) -> list[tuple[str, int]]:
        """(term, position) of each indexed word of ``text``, as ``__call__`` gives them: what indexing
        needs (no offsets), each distinct word analysed once for all texts."""
        lowered = text.lower()
        if len(lowered) != len(text) or self._pattern.pattern != r"\w+":
            return [(term, position) for _, _, term, position in self(text, language)]
        known = self._vocabulary(language)
        term_of = known.term_of
        words = self._pattern.findall(lowered)
        self._learn({word for word in words if word not in term_of}, language, known)
        terms = [term_of[word] for word in words]
        first = next((number for number, term in enumerate(terms) if term is not None), 0)
        kept = [term for term in terms if term is not None]  # StopFilter renumbers the words after the first kept
        return list(zip(kept, range(first, first + len(kept)), strict=True))

    def _vocabulary(self, language: str) -> _Vocabulary:
        """The words met so far in ``language`` (forgotten past MAX_KNOWN_WORDS or MAX_KNOWN_CHARS)."""
        known = self._known.get(language)
        if known is None or len(known.term_of) > MAX_KNOWN_WORDS or known.chars > MAX_KNOWN_CHARS:
            known = self._known[language] = _Vocabulary()
        return known

    def _learn(self, words: set[str], language: str, known: _Vocabulary) -> None:
        """Remember the indexed term of each of these lowercase words (None for a word not indexed: a stop
        word, one too short), stemmed in one call."""
        if not words:
            return
        charmap, stops, minimum = self._charmap, self._stops, self._min
        learnt = list(words)
        folded = [word if word.isascii() else word.translate(charmap) for word in learnt]
        indexed = [number for number, word in enumerate(folded) if len(word) >= minimum and word not in stops]
        terms: list[str | None] = [None] * len(learnt)
        stems = list_stemmer(stemming_language(language))([folded[number] for number in indexed])
        for number, stem in zip(indexed, stems, strict=True):
            terms[number] = stem
        for word, term in zip(learnt, terms, strict=True):  # before the terms: a word known is always found
            known.words_of.setdefault(term, set()).add(word)
        known.term_of.update(zip(learnt, terms, strict=True))
        known.chars += sum(map(len, learnt))


class _Vocabulary:
    """The words met in one language: each lowercase word's term (None: not indexed), the words indexed as
    each term, and how many characters the words hold (a "word" of text without spaces may be long)."""

    def __init__(self) -> None:
        self.term_of: dict[str, str | None] = {}
        self.words_of: dict[str | None, set[str]] = {}
        self.chars = 0


def _in_word(character: str) -> bool:
    """Whether ``character`` is one that ``\\w`` matches (a letter, a digit or an underscore)."""
    return character.isalnum() or character == "_"


UNDATED = 2**62  # the recency of an article with no date: after every dated one


def build_schema(languages: tuple[str, ...] = ()) -> Schema:
    """The index schema; with ``languages``, the one queries are analysed with over an index holding them."""
    words = RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map)
    prose = words | StopFilter(stoplist=STOP_WORDS, minsize=1) | _LanguageStemFilter(languages)
    names = RegexTokenizer(r"[^\x1f]+") | LowercaseFilter() | CharsetFilter(accent_map) | _NameWordsFilter()
    return Schema(
        id=ID(stored=True, unique=True),
        title=_LanguageText(analyzer=prose, stored=True),
        body=_LanguageText(analyzer=prose, stored=True),
        analysis=ID(stored=True),  # the language title and body were stemmed in
        authors=TEXT(analyzer=names, stored=True, phrase=False),
        source=TEXT(analyzer=names, stored=True, phrase=False),
        source_exact=ID(sortable=True),
        language=TEXT(analyzer=names, stored=True, phrase=False),
        categories=TEXT(analyzer=names, stored=True, phrase=False),
        url=ID(stored=True),
        path=ID(stored=True),
        published=DATETIME(sortable=True),
        published_text=STORED(),  # the date as the source gave it, zone included; `published` is naive UTC
        recency=COLUMN(NumericColumn("q", default=UNDATED)),  # sorts newest first, undated articles last
        warnings=STORED(),
        facets=COLUMN(VarBytesColumn()),  # JSON of the values facets count, read per document without stored fields
        group=STORED(),  # the near-duplicate group
        group_number=COLUMN(NumericColumn("q", default=0)),  # the group as a number: results collapse by it
    )


def analyzer(field: str):
    """The analyzer a field is indexed with (the relevance benchmark compares rankings over the same tokens)."""
    return build_schema()[field].analyzer

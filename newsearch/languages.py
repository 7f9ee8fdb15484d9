"""Languages: an article's language as a two-letter code, from its metadata or detected from its text."""

from __future__ import annotations

import re

# The most frequent words of each language. Many are shared ("de" is French, Spanish, Portuguese,
# Dutch...), so a word counts 1/n towards each of the n languages that list it: the words only one
# language uses decide, and the shared ones only add evidence.
_COMMON_WORDS = {
    "en": "the of and to in a is that for it was on with as by at from this have are be not which were",
    "de": "der die und in den von zu das mit sich des auf für ist im dem nicht ein eine als auch es an werden "
          "aus er hat dass sie nach wird bei",
    "fr": "de la le et les des en un du une que est pour qui dans par plus pas au sur ne se avec il sont ce "
          "cette aux",
    "es": "de la que el en y los del se las por un para con no una su al lo como más pero sus le ya fue este",
    "it": "di e il la che in a per un del non è della le si da una con i dei alla gli sono nel anche come",
    "pt": "de a o que e do da em um para com não uma os no se na por mais as dos ao das é pela pelo também "
          "são você",
    "nl": "de en van het een in is dat op te zijn met voor niet aan er maar om ook als bij door wordt naar",
    "sv": "och i att det som en på är av för med till den har inte om ett var de men också efter",
    "da": "og i at det er en til på som de med for af den ikke har et var jeg men også efter blev havde ud mod "
          "meget hvor hvornår sig nu",
    "no": "og i det er som en til på av for med at ikke den har et var de men også etter ble seg hadde ut mot "
          "mye hvor når nå",
    "fi": "ja on ei se että oli ovat hän mutta myös kun tai ole joka sen kanssa tämä niin kuin",
    "hu": "a az és hogy nem is egy volt meg van de csak már még ez mint el ki ha",
    "ro": "și de la în cu că pe nu din mai este fost pentru sau sunt care a o un al",
    "tr": "ve bir bu için ile da de olarak çok daha gibi ama kadar sonra olan en ne o",
    "ru": "и в не на что с по как это из но его он она они был была были для я то а к у же",
    "uk": "і в не на що з до як це та але його він вона вони був була були для й у від",
}
_WORDS = {code: frozenset(words.split()) for code, words in _COMMON_WORDS.items()}


def _word_shares() -> dict[str, dict[str, float]]:
    """Each common word's share for each language listing it: 1/n when n languages list it."""
    languages: dict[str, list[str]] = {}
    for code, words in _WORDS.items():
        for word in words:
            languages.setdefault(word, []).append(code)
    return {word: dict.fromkeys(codes, 1 / len(codes)) for word, codes in languages.items()}


_SHARES = _word_shares()  # word -> {language: its share of the word}
_NAMES = {
    "english": "en", "german": "de", "deutsch": "de", "french": "fr", "français": "fr", "spanish": "es",
    "español": "es", "italian": "it", "italiano": "it", "portuguese": "pt", "português": "pt", "dutch": "nl",
    "nederlands": "nl", "swedish": "sv", "svenska": "sv", "danish": "da", "dansk": "da", "norwegian": "no",
    "norsk": "no", "nb": "no", "nn": "no", "finnish": "fi", "suomi": "fi", "hungarian": "hu", "magyar": "hu",
    "romanian": "ro", "română": "ro", "turkish": "tr", "türkçe": "tr", "russian": "ru", "русский": "ru",
    "ukrainian": "uk", "українська": "uk", "arabic": "ar",
}
_TOKEN = re.compile(r"\w+")
DETECT_CHARS = 3000  # the opening of the text that detection reads
MIN_EVIDENCE = 5  # common words needed before a text's language is trusted
MIN_LEAD = 1.5  # times more common words of the best language than of the runner-up


def language_code(metadata: str) -> str:
    """A language as metadata gives it ('de', 'de-DE', 'German', 'pt_BR') as a lower-case code; '' if unknown."""
    value = metadata.strip().lower().replace("_", "-")
    if not value:
        return ""
    if value in _NAMES:
        return _NAMES[value]
    primary = value.split("-")[0]
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else ""


def detect(text: str) -> str:
    """The language of a text from its common words ('' when the text is too short or too mixed to tell)."""
    counts = dict.fromkeys(_WORDS, 0.0)
    for word in _TOKEN.findall(text[:DETECT_CHARS].lower()):
        for code, share in _SHARES.get(word, {}).items():
            counts[code] += share
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    (best, most), (_, second) = ranked[0], ranked[1]
    if most < MIN_EVIDENCE or most < MIN_LEAD * second:
        return ""
    return best


def analysis_language(metadata: str, text: str) -> str:
    """An article's language: its metadata's as a code, else detected from its text ('' if unknown).

    Readers store it on the Article, so facets, filters and ``show`` see one spelling
    ('de', never 'de-DE' or 'German'); engines apply it again to articles apps pass in.
    """
    return language_code(metadata) or detect(text)

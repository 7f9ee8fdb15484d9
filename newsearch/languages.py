"""Languages: an article's language as a two-letter code, from its metadata or detected from its text."""

from __future__ import annotations

import re

# Very frequent words that are rare in other languages; a text's language is the one whose words it uses most.
_COMMON_WORDS = {
    "en": "the of and to in that is was for with on are as by from this have were which",
    "de": "der die und das ist nicht mit den von sich des auf für ein eine dem wird auch",
    "fr": "le les des est une pour dans qui sur pas par aux avec ces sont cette été leur",
    "es": "el los las del por con una para que fue como más pero sus sobre este entre",
    "it": "il della che per una sono gli nel alla delle non anche come questo dei stato",
    "pt": "os das não uma para com que ao dos pelo mais foi pela são como seu também",
    "nl": "het een van en dat niet zijn voor met op ook werd door naar bij aan deze",
    "sv": "och att det som för med har inte till den av ett var på om också efter",
    "da": "og det er til som af ikke med har den på et for fra blev også efter",
    "no": "og det er til som ikke med har på av et for fra ble også etter seg",
    "fi": "ja on ei se että oli ovat hän mutta myös kun tai ole joka sen kanssa",
    "hu": "a az és hogy nem is egy volt meg van de csak már még ez mint",
    "ro": "și de la în cu că pe nu din mai este fost pentru sau sunt care",
    "tr": "ve bir bu için ile da de olarak çok daha gibi ama kadar sonra olan",
    "ru": "и в не на что с по как это из но его он она они был была были для",
    "uk": "і в не на що з до як це та але його він вона вони був була були для",
}
_WORDS = {code: frozenset(words.split()) for code, words in _COMMON_WORDS.items()}
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
    counts = dict.fromkeys(_WORDS, 0)
    for word in _TOKEN.findall(text[:DETECT_CHARS].lower()):
        for code, words in _WORDS.items():
            if word in words:
                counts[code] += 1
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

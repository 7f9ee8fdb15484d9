"""Query text to Typesense search parameters: the language's parser tree as a ``filter_by`` expression, plus
the words and phrases ``q`` ranks by.

Which articles match is decided by ``filter_by`` alone, over fields holding each
article's indexed words (stems, in its language, as the Whoosh engine makes them):
AND, OR, NOT and parentheses nest freely there (a NOT is pushed down to the words,
``words:!=...``), so matching is exact; a phrase is its pairs of adjacent words
(exact for two words). ``q`` only ranks: it holds the words and phrases every
match must contain, so it never narrows the matches further (and makes a longer
phrase exact). Features Typesense cannot express are refused with a
QuerySyntaxError naming them (see UNSUPPORTED); docs/scale-out.md lists the
approximations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from whoosh import query

from ..errors import QuerySyntaxError
from ..query import MAX_EXPANSIONS
from ..spelling import edit_distance
from .whoosh_analysis import build_schema
from .whoosh_query import folded, bound_moment, loosened, read, split_stems
from .whoosh_ranking import TEXT_FIELDS

# Query field -> the Typesense field of its indexed words (``words`` holds title and body together).
WORD_FIELDS = {"title": "title_words", "body": "body_words"}
# Query field -> the Typesense field of its pairs of adjacent indexed words ("humanitarian corridor"):
# a phrase of two words is one pair, exactly; a longer one is all its pairs, each somewhere.
PAIR_FIELDS = {"title": "title_pairs", "body": "body_pairs"}
NAME_FIELDS = {"authors": "authors_names", "source": "source_names", "language": "language_names",
               "categories": "categories_names"}
EXACT_FIELDS = {"id": "key", "url": "url", "path": "path"}
STEM_SLACK = 3  # a prefix also finds stems up to this many letters shorter ("evacuat*" finds the stem "evacu")
UNSUPPORTED = "the typesense engine cannot search"

# A filter_by expression is a str, or True (matches everything) or False (matches nothing).


@lru_cache(maxsize=16)
def query_schema(languages: tuple[str, ...]):
    """The Whoosh schema whose analyzers stem query words in each of ``languages`` (English first)."""
    return build_schema(languages)


@lru_cache(maxsize=256)
def parsed(text: str, languages: tuple[str, ...]) -> tuple[query.Query, query.Query]:
    """The parser's trees of a query: plain words all required, and the looser second tier."""
    schema = query_schema(languages)
    strict = split_stems(folded(read(text, schema, loose=False), schema)).normalize()
    loose = loosened(split_stems(folded(read(text, schema, loose=True), schema)).normalize())
    return strict, loose


@dataclass
class Plan:
    """One tier of a search: which articles match (``filter``), and what ranks them (``q``)."""

    filter: str | bool
    words: list[str] = field(default_factory=list)  # indexed words every match holds, in query order
    optional: list[str] = field(default_factory=list)  # indexed words some matches hold
    phrases: list[tuple[str, ...]] = field(default_factory=list)  # phrases every match holds

    @property
    def required(self) -> bool:
        """True when q ranks by words and phrases every match holds (so q does not narrow the matches)."""
        return bool(self.words or self.phrases)

    @property
    def ranking_words(self) -> list[str]:
        """The words of q: the required ones, else the optional ones (of which Typesense drops some)."""
        return self.words if self.required else self.optional

    def q(self, words: list[str] | None = None) -> str:
        """The q parameter: words and "phrases"; ``*`` when there is nothing to rank by."""
        parts = list(self.ranking_words if words is None else words)
        parts += [f'"{" ".join(phrase)}"' for phrase in self.phrases]
        return " ".join(parts) or "*"


@dataclass
class Marks:
    """What a snippet marks: indexed words, prefixes, fuzzy words and phrases (words, slop)."""

    words: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)
    fuzzy: set[tuple[str, int]] = field(default_factory=set)
    phrases: list[tuple[tuple[str, ...], int]] = field(default_factory=list)
    phrase_only: set[str] = field(default_factory=set)

    def matched(self, terms: set[str]) -> set[str]:
        """The indexed words among ``terms`` that the query searched for outside phrases."""
        found = terms & self.words
        for term in terms - found:
            if any(term.startswith(prefix) or prefix.startswith(term) and len(prefix) - len(term) <= STEM_SLACK
                   for prefix in self.prefixes) or any(
                    abs(len(term) - len(word)) <= distance and edit_distance(term, word) <= distance
                    for word, distance in self.fuzzy):
                found.add(term)
        return found - self.phrase_only


# Lexicon: (prefix, at most how many) -> index words starting with prefix
Lexicon = Callable[[str, int], list[str]]


class Translator:
    """Turns parser trees into Plans, looking words up in the index through ``lexicon``."""

    def __init__(self, lexicon: Lexicon, close_words: Callable[[str, int], list[str]], languages: tuple[str, ...]):
        self.lexicon = lexicon
        self.close_words = close_words
        self.languages = languages

    def tiers(self, text: str) -> list[Plan]:
        """The query with every plain word required, then (if different) the articles only the looser
        query finds (some of the words), ranked by those words."""
        strict_tree, loose_tree = parsed(text, self.languages)
        strict = self.plan(strict_tree)
        if loose_tree == strict_tree:
            return [strict]
        loose = self.plan(loose_tree, loose=True)
        loose.filter = all_of([loose.filter, self.condition(strict_tree, positive=False)])
        return [strict, loose]

    def plan(self, tree: query.Query, *, loose: bool = False) -> Plan:
        """The Plan of one tree: exact filter, the words and phrases to rank by.

        ``loose``: the some-of-the-words tier, ranked by all its words, phrases counted as their words.
        """
        plan = Plan(filter=True)
        self._ranking(tree, plan, required=True, loose=loose)
        plan.filter = self.condition(tree)
        plan.words = list(dict.fromkeys(plan.words))
        plan.optional = [word for word in dict.fromkeys(plan.optional) if word not in plan.words]
        return plan

    def marks(self, text: str) -> Marks:
        """What snippets mark for this query (exclusions left out)."""
        marks = Marks()
        self._collect_marks(parsed(text, self.languages)[0], marks)
        in_phrases = {word for phrase, _ in marks.phrases for word in phrase}
        marks.phrase_only = in_phrases - marks.words
        return marks

    # -- matching

    def condition(self, node: query.Query, positive: bool = True) -> str | bool:
        """The filter_by expression matching what ``node`` matches (or, not ``positive``, what it does not).

        A phrase is its pairs of adjacent words, all present (see PAIR_FIELDS).
        """
        def each(child, sign=positive):
            return self.condition(child, sign)

        if node is query.NullQuery:
            return not positive
        if isinstance(node, query.Every):
            return positive
        if isinstance(node, query.Not):
            return each(node.query, not positive)
        if isinstance(node, query.AndNot):
            return self._joined([each(node.a), each(node.b, not positive)], positive)
        if isinstance(node, query.AndMaybe):
            return each(node.a)
        if isinstance(node, query.And):
            return self._joined([each(child) for child in _meaningful(node)], positive)
        if isinstance(node, (query.Or, query.DisjunctionMax)):
            children = _meaningful(node)
            grouped = _grouped_words(children)
            parts = [words_clause(name, words, positive) for name, words in grouped.items()]
            parts += [each(child) for child in children if not _is_word(child)]
            return self._joined(parts, not positive)
        return self._leaf(node, positive)

    @staticmethod
    def _joined(parts: list, conjunction: bool):
        return all_of(parts) if conjunction else any_of(parts)

    def _leaf(self, node: query.Query, positive: bool) -> str | bool:
        name = getattr(node, "fieldname", None)
        if name == "published":
            if isinstance(node, (query.DateRange, query.NumericRange)):
                return _dates(node.start, node.end, node.startexcl, node.endexcl, positive)
            if isinstance(node, query.Term):
                return _dates(node.text, node.text, False, False, positive)
        if name in WORD_FIELDS:
            if isinstance(node, query.Term):
                return words_clause(WORD_FIELDS[name], [node.text], positive)
            if isinstance(node, query.Phrase):
                if node.slop > 1:
                    raise QuerySyntaxError(f"{UNSUPPORTED} words near each other (\"...\"~{node.slop}); "
                                           "search the exact phrase, or use another engine")
                if len(node.words) == 1:
                    return words_clause(WORD_FIELDS[name], list(node.words), positive)
                joined = all_of if positive else any_of
                return joined([words_clause(PAIR_FIELDS[name], [pair], positive) for pair in pairs(node.words)])
            if isinstance(node, query.Prefix):
                return words_clause(WORD_FIELDS[name], self.prefixed(node.text), positive)
            if isinstance(node, query.FuzzyTerm):
                return words_clause(WORD_FIELDS[name], self.near(node.text, node.maxdist, node.prefixlength),
                                     positive)
        if name in NAME_FIELDS and isinstance(node, query.Term):
            return words_clause(NAME_FIELDS[name], [node.text], positive)
        if name in EXACT_FIELDS and isinstance(node, query.Term):
            return words_clause(EXACT_FIELDS[name], [node.text], positive)
        shown = f"{name}:{getattr(node, 'text', '')}*" if isinstance(node, query.Prefix) else str(node)
        raise QuerySyntaxError(f"{UNSUPPORTED} {shown}; use another engine for this query")

    def prefixed(self, prefix: str) -> list[str]:
        """The index words starting with ``prefix``, and stems it was cut to; QuerySyntaxError when too many."""
        if not prefix:
            return []
        found = self.lexicon(prefix, MAX_EXPANSIONS + 1)
        if len(found) > MAX_EXPANSIONS:
            raise QuerySyntaxError(f"'{prefix}*' matches more than {MAX_EXPANSIONS} words in the index; "
                                   "give more letters")
        for length in range(max(3, len(prefix) - STEM_SLACK), len(prefix)):
            found += [word for word in self.lexicon(prefix[:length], MAX_EXPANSIONS) if word == prefix[:length]]
        return sorted(set(found))

    def near(self, word: str, distance: int, kept: int) -> list[str]:
        """The index words within ``distance`` edits of ``word`` sharing its first ``kept`` letters, as far as
        Typesense's typo search finds them (a page of candidates: an approximation on large indexes)."""
        found = [term for term in self.close_words(word, distance) if term.startswith(word[:kept])]
        near = [term for term in found if abs(len(term) - len(word)) <= distance
                and edit_distance(term, word) <= distance]
        if len(near) > MAX_EXPANSIONS:
            raise QuerySyntaxError(f"'{word}~' matches more than {MAX_EXPANSIONS} words in the index; "
                                   "give more letters")
        return near

    # -- ranking

    def _ranking(self, node: query.Query, plan: Plan, *, required: bool, loose: bool) -> None:
        """Collect the words and phrases q ranks by: in the strict tier the ones every match must hold."""
        if isinstance(node, query.Not):
            return
        if isinstance(node, query.AndNot):
            self._ranking(node.a, plan, required=required, loose=loose)
            self._ranking(query.Not(node.b), plan, required=required, loose=loose)
            return
        if isinstance(node, query.AndMaybe):
            self._ranking(node.a, plan, required=required, loose=loose)
            self._ranking(node.b, plan, required=False, loose=loose)
            return
        phrase = _phrase(node)
        if phrase:
            if loose:
                plan.optional.extend(phrase)
            elif required:
                plan.phrases.append(phrase)
            return
        word = _word(node)
        if word:
            (plan.words if required and not loose else plan.optional).append(word)
            return
        if isinstance(node, query.And):
            for child in node.children():
                self._ranking(child, plan, required=required, loose=loose)
        elif isinstance(node, (query.Or, query.DisjunctionMax)):
            for child in node.children():
                self._ranking(child, plan, required=False, loose=loose)

    # -- marks

    def _collect_marks(self, node: query.Query, marks: Marks) -> None:
        if isinstance(node, query.Not):
            return
        if isinstance(node, query.AndNot):
            self._collect_marks(node.a, marks)
            return
        if getattr(node, "fieldname", None) == "body" and node.is_leaf():
            if isinstance(node, query.Prefix):
                marks.prefixes.add(node.text)
            elif isinstance(node, query.FuzzyTerm):
                marks.fuzzy.add((node.text, node.maxdist))
            elif isinstance(node, query.Phrase):
                marks.phrases.append((tuple(node.words), node.slop))
            elif isinstance(node, query.Term):
                marks.words.add(node.text)
            return
        for child in node.children():
            self._collect_marks(child, marks)


def _meaningful(node: query.Query) -> list[query.Query]:
    """The children of a group, without stop words (which match nothing and are ignored in a group)."""
    return [child for child in node.children() if child is not query.NullQuery]


def _is_word(node: query.Query) -> bool:
    return type(node) is query.Term and node.fieldname in WORD_FIELDS


def _grouped_words(children: list[query.Query]) -> dict[str, list[str]]:
    """Plain words of an OR group by the field they are searched in; ``words`` when title and body share them."""
    by_field: dict[str, list[str]] = {}
    for child in children:
        if _is_word(child):
            by_field.setdefault(child.fieldname, []).append(child.text)
    if set(by_field) == set(TEXT_FIELDS) and set(by_field["title"]) == set(by_field["body"]):
        return {"words": by_field["title"]}
    return {WORD_FIELDS[name]: words for name, words in by_field.items()}


def _word(node: query.Query) -> str | None:
    """The indexed word a node searches in title and body (or one of them), if it is one plain word."""
    if _is_word(node):
        return node.text
    if isinstance(node, (query.Or, query.DisjunctionMax)) and node.children() and all(
            _is_word(child) for child in node.children()):
        texts = {child.text for child in node.children()}
        if len(texts) == 1:
            return texts.pop()
    return None


def _phrase(node: query.Query) -> tuple[str, ...] | None:
    """The words of a phrase searched in title and body alike, if ``node`` is one that q can rank by:
    not a phrase of one field alone, nor one whose words stem differently in the index's languages."""
    if isinstance(node, (query.Or, query.DisjunctionMax)) and node.children() and all(
            isinstance(child, query.Phrase) and child.slop <= 1 for child in node.children()):
        variants = {tuple(child.words) for child in node.children()}
        fields = {child.fieldname for child in node.children()}
        if len(variants) == 1 and fields == set(TEXT_FIELDS):
            return variants.pop()
    return None


def pairs(words) -> list[str]:
    """The adjacent pairs of a phrase's indexed words, as PAIR_FIELDS hold them."""
    return [f"{first} {second}" for first, second in zip(words, words[1:])]


def _quoted(value: str) -> str:
    """A filter_by value in backticks (which may hold commas, colons and spaces)."""
    if "`" in value:
        raise QuerySyntaxError(f"{UNSUPPORTED} a value with a backtick: {value!r}")
    return f"`{value}`"


def words_clause(name: str, words: list[str], positive: bool) -> str | bool:
    """``name`` holds one of ``words`` (or, not ``positive``, none of them)."""
    words = list(dict.fromkeys(words))
    if not words:
        return not positive
    values = _quoted(words[0]) if len(words) == 1 else "[" + ",".join(map(_quoted, words)) + "]"
    return f"{name}:{'=' if positive else '!='}{values}"


def all_of(parts: list) -> str | bool:
    """Filters joined by &&; False (nothing matches) absorbs the rest, True (everything) drops out."""
    return _combined(parts, " && ", absorbing=False)


def any_of(parts: list) -> str | bool:
    """Filters joined by ||; True absorbs the rest, False drops out."""
    return _combined(parts, " || ", absorbing=True)


def _combined(parts: list, operator: str, absorbing: bool) -> str | bool:
    if any(part is absorbing for part in parts):
        return absorbing
    parts = list(dict.fromkeys(part for part in parts if part is not (not absorbing)))
    if not parts:
        return not absorbing
    return parts[0] if len(parts) == 1 else "(" + operator.join(parts) + ")"


def seconds(moment: dt.datetime) -> int:
    """A naive UTC datetime as whole seconds since 1970 (how ``published`` is stored)."""
    return int((moment - dt.datetime(1970, 1, 1)).total_seconds())


def date_range(start: dt.datetime | None, end: dt.datetime | None, positive: bool = True) -> str | bool:
    """Dated articles published between ``start`` and ``end`` (inclusive; None: open), or all others."""
    bounds = ["dated:=true"]
    if start is not None:
        bounds.append(f"published:>={seconds(start)}")
    if end is not None:
        bounds.append(f"published:<={seconds(end)}")
    if positive:
        return all_of(bounds)
    return any_of(["dated:=false"] + [bound.replace(">=", "<").replace("<=", ">") for bound in bounds[1:]])


def _dates(start, end, start_excluded: bool, end_excluded: bool, positive: bool) -> str | bool:
    first, last = bound_moment(start), bound_moment(end)
    if first is not None and start_excluded:
        first += dt.timedelta(seconds=1)
    if last is not None and end_excluded:
        last -= dt.timedelta(seconds=1)
    return date_range(first, last, positive)

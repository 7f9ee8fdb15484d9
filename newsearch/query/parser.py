"""Query text to the query tree: the one parser every engine's queries come from, errors with their position.

Any text is a query: words typed or pasted (a headline with ``<TX>``, ``Selbach:``,
stray brackets, quotes inside words, emoji) are searched as words. Explicit syntax
keeps its meaning and its precise errors: ``field:value``, ``"phrases"``~N, AND, OR,
NOT, ``-word``, ``+word``, ``(groups)``, ``published:[A TO B]``, ``prefix*``, ``fuzzy~``.
In a query written all in capitals (a pasted wire headline), AND, OR and NOT are words.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from .. import schema
from ..dates import parse_bound
from ..errors import QuerySyntaxError
from .tree import And, DateRange, Fuzzy, Node, Not, Or, Phrase, Prefix, Term, leaves, rewrite_leaves

MAX_QUERY_CHARS = 4000
MAX_DEPTH = 32  # brackets and NOTs nested deeper are refused (a real query nests two or three)
MAX_FUZZY = 2  # the most edits a fuzzy word may be away
# Fuzzy and prefix words a query may hold: each is expanded to up to MAX_EXPANSIONS index words (a person's
# query has a few; 300 made the whoosh engine search for 5 s on Reuters, the most allowed 0.3 s).
MAX_PATTERNS = 20
_CONTEXT = 40  # characters of the query shown either side of a problem
_OPERATORS = ("AND", "OR", "NOT")
_SHOUTED = 3  # a query with at least this many words, all in capitals, reads its AND/OR/NOT as words
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_FIELD = re.compile(r"([A-Za-z_]\w*):(?!//)")
_COMPARISON = re.compile(r"[<>]=?")
_FUZZY = re.compile(r"^(.*[^\W_])~(\d*(?:\.\d+)?)$", re.S)
_SLOP = re.compile(r"~(\d+)")
_DATE_HINT = "use YYYY, YYYY-MM or YYYY-MM-DD"
_ONE_MICROSECOND = dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class _Token:
    kind: str  # word, phrase, open, close, and, or, not, minus, plus, field, compare, range
    text: str
    start: int
    end: int
    slop: int = 1


def clean(text: str) -> str:
    """The query text as it is parsed: control characters ignored, outer spaces dropped."""
    return _CONTROL.sub(" ", text).strip()


def parse(text: str) -> Node:
    """The tree of a query (control characters ignored); QuerySyntaxError pointing at the first problem."""
    text = clean(text)
    if not text:
        raise QuerySyntaxError("the query is empty")
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(f"the query is {len(text)} characters long; the most is {MAX_QUERY_CHARS}: "
                               f"{text[:_CONTEXT]}…")
    tokens = _Lexer(text).tokens()
    if tokens and all(token.kind in ("and", "or", "not", "open", "close") for token in tokens):
        raise error(text, tokens[0].start, "the query has operators but no words to search for")
    tokens = _balanced(text, tokens)
    tree = _Parser(text, tokens).parse()
    patterns = sum(isinstance(leaf, (Prefix, Fuzzy)) for leaf in leaves(tree, excluded=True))
    if patterns > MAX_PATTERNS:
        raise QuerySyntaxError(f"the query has {patterns} fuzzy or prefix words (word~, word*); the most is "
                               f"{MAX_PATTERNS}, as each stands for many words of the index")
    return tree


def error(text: str, position: int, problem: str) -> QuerySyntaxError:
    """The problem, where it is, and the query around it (cut to a readable line)."""
    if len(text) <= 2 * _CONTEXT:
        return QuerySyntaxError(f"{problem}, at character {position + 1} of the query: {text}")
    start, end = max(0, position - _CONTEXT), min(len(text), position + _CONTEXT)
    excerpt = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
    return QuerySyntaxError(f"{problem}, at character {position + 1} of the query: {excerpt}")


def _operators_are_words(text: str) -> bool:
    """True for text written all in capitals, as wire headlines are: its AND, OR and NOT are words."""
    words = [word for word in re.findall(r"[^\W\d_]+", text) if word not in _OPERATORS]
    return len(words) >= _SHOUTED and all(word.isupper() for word in words)


class _Lexer:
    """Splits query text into tokens; a token is syntax only where it is written as syntax."""

    def __init__(self, text: str):
        self.text = text
        self.operators = not _operators_are_words(text)
        self.found: list[_Token] = []

    def tokens(self) -> list[_Token]:
        text, position = self.text, 0
        while position < len(text):
            char = text[position]
            if char.isspace():
                position += 1
            elif char in "()":
                self._add("open" if char == "(" else "close", char, position, position + 1)
                position += 1
            elif char in "+-" and position + 1 < len(text) and not text[position + 1].isspace() \
                    and text[position + 1] not in "+-)":
                self._add("plus" if char == "+" else "minus", char, position, position + 1)
                position += 1
            elif char == '"':
                position = self._phrase(position)
            else:
                field = _FIELD.match(text, position)
                position = self._field(field) if field and self._is_field(field) else self._word(position)
        return self.found

    def _add(self, kind: str, text: str, start: int, end: int, slop: int = 1) -> None:
        self.found.append(_Token(kind, text, start, end, slop))

    def _phrase(self, start: int) -> int:
        close = self.text.find('"', start + 1)
        if close < 0:
            raise error(self.text, start, 'this " has no closing quote')
        end = close + 1
        slop = _SLOP.match(self.text, end)
        if slop:
            end = slop.end()
        self._add("phrase", self.text[start + 1:close], start, end, int(slop.group(1)) if slop else 1)
        return end

    def _word(self, start: int) -> int:
        end = start
        while end < len(self.text) and not self.text[end].isspace() and self.text[end] not in "()":
            end += 1
        word = self.text[start:end]
        attached = bool(self.found) and self.found[-1].kind == "field" and self.found[-1].end == start
        if word in _OPERATORS and self.operators and not attached:
            self._add(word.lower(), word, start, end)
        else:
            self._add("word", word, start, end)
        return end

    def _is_field(self, match: re.Match) -> bool:
        """``name:`` is a field when it names one (or, in lower case with a value after it, tries to)."""
        name, after = match.group(1), match.end()
        has_value = after < len(self.text) and not self.text[after].isspace()
        if schema.field(name) is None:
            if name.islower() and has_value:
                raise error(self.text, match.start(1),
                            f"unknown field '{name}' (fields: {', '.join(schema.QUERY_NAMES)})")
            return False
        return has_value or name.islower()

    def _field(self, match: re.Match) -> int:
        text, start, position = self.text, match.start(), match.end()
        known = schema.field(match.group(1))
        assert known is not None  # _is_field let only a known field's name through
        name = known.name
        self._add("field", name, start, position)
        if position >= len(text) or text[position].isspace():
            raise error(text, start, f"field '{match.group(1)}:' has no value")
        comparison = _COMPARISON.match(text, position)
        if comparison and name == "published":
            self._add("compare", comparison.group(), position, comparison.end())
            position = comparison.end()
            if position >= len(text) or text[position].isspace() or text[position] in "()":
                raise error(text, start, f"field '{match.group(1)}:' has no value")
            return self._word(position)
        if text[position] in "[{":
            close = min((i for i in (text.find("]", position), text.find("}", position)) if i >= 0), default=-1)
            if close < 0:
                raise error(text, position, f"'{text[position]}' is never closed")
            self._add("range", text[position:close + 1], position, close + 1)
            return close + 1
        return position  # the value is lexed as the next token: a word, a phrase or a (group)


def _balanced(text: str, tokens: list[_Token]) -> list[_Token]:
    """The tokens with stray brackets dropped, where the query uses no other syntax; else the first
    unmatched bracket is an error."""
    open_at: list[int] = []
    stray: set[int] = set()
    for number, token in enumerate(tokens):
        if token.kind == "open":
            open_at.append(number)
        elif token.kind == "close":
            if open_at:
                open_at.pop()
            else:
                stray.add(number)
    stray.update(open_at)
    if not stray:
        return tokens
    if any(token.kind not in ("word", "open", "close") for token in tokens):
        first = tokens[min(stray)]
        raise error(text, first.start, f"'{first.text}' has no opening bracket" if first.kind == "close"
                    else f"'{first.text}' is never closed")
    return [token for number, token in enumerate(tokens) if number not in stray]


class _Parser:
    """Recursive descent over the tokens: OR binds tighter than AND, which joins words side by side."""

    def __init__(self, text: str, tokens: list[_Token]):
        self.text = text
        self.tokens = tokens
        self.at = 0

    def parse(self) -> Node:
        node = self._sequence(0)
        return node if isinstance(node, And) else And((node,), implicit=True)

    # -- helpers

    def _peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _next(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def _needs_after(self, operator: _Token) -> None:
        following = self._peek()
        if following is None or following.kind in ("close", "and", "or"):
            raise error(self.text, operator.start, f"'{operator.text}' needs a word after it")

    def _deeper(self, depth: int, token: _Token) -> int:
        if depth >= MAX_DEPTH:
            raise error(self.text, token.start, f"the query nests brackets or NOT more than {MAX_DEPTH} deep")
        return depth + 1

    # -- grammar

    def _sequence(self, depth: int) -> Node:
        """Clauses side by side or joined by AND, up to a closing bracket or the end."""
        clauses: list[Node] = []
        explicit = False
        while (token := self._peek()) is not None and token.kind != "close":
            if token.kind in ("and", "or"):
                if not clauses:
                    raise error(self.text, token.start, f"'{token.text}' needs a word before it")
                if token.kind == "or":
                    raise error(self.text, token.start, "'OR' needs a word before it")
                self._next()
                self._needs_after(token)
                explicit = True
                continue
            clauses.append(self._clause(depth))
        return And(tuple(clauses), implicit=not explicit)

    def _clause(self, depth: int) -> Node:
        """Unary terms joined by OR."""
        parts = [self._unary(depth)]
        while (token := self._peek()) is not None and token.kind == "or":
            self._next()
            self._needs_after(token)
            parts.append(self._unary(depth))
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def _unary(self, depth: int) -> Node:
        token = self._peek()
        if token is None:  # the callers look ahead first; kept for safety
            raise error(self.text, len(self.text), "the query ends where a word was expected")
        if token.kind in ("not", "minus"):
            self._next()
            self._needs_after(token)
            return Not(self._unary(self._deeper(depth, token)))
        if token.kind == "plus":
            self._next()
            return And((self._unary(depth),))  # required, also among the optional words of the second tier
        return self._primary(depth)

    def _primary(self, depth: int) -> Node:
        token = self._next()
        if token.kind == "open":
            inner = self._sequence(self._deeper(depth, token))
            self._next()  # the closing bracket (brackets are balanced by now)
            return inner
        if token.kind == "phrase":
            return Phrase(token.text, slop=token.slop)
        if token.kind == "field":
            return self._field_value(token, depth)
        return self._word(token)

    def _word(self, token: _Token, field: str | None = None) -> Node:
        word = token.text
        if "*" in word:
            if word.index("*") != len(word) - 1 or not re.search(r"[^\W_]", word):
                raise error(self.text, token.start, f"'{word}': '*' may only end a word, as in evacuat*")
            return Prefix(word[:-1], field)
        fuzzy = _FUZZY.match(word)
        if fuzzy:
            distance = min(round(float(fuzzy.group(2))) if fuzzy.group(2) else 1, MAX_FUZZY)
            return Fuzzy(fuzzy.group(1), field, max(distance, 1))
        return Term(word, field, at=token.start)

    def _field_value(self, field: _Token, depth: int) -> Node:
        value = self._peek()
        if value is None or value.start != field.end or value.kind in ("close",):
            raise error(self.text, field.start, f"field '{field.text}:' has no value")
        self._next()
        if field.text == "published":
            return self._dates(field, value)
        if value.kind == "range":
            raise error(self.text, value.start, f"ranges are for published: only, not {field.text}:")
        if value.kind == "open":
            inner = self._sequence(self._deeper(depth, value))
            self._next()
            return rewrite_leaves(inner, lambda leaf: replace(leaf, field=field.text)
                                  if not isinstance(leaf, DateRange) and leaf.field is None else leaf)
        if value.kind == "phrase":
            return Phrase(value.text, field.text, value.slop)
        return self._word(value, field.text)

    def _dates(self, field: _Token, value: _Token) -> Node:
        """A published: value as a range of moments: a date, a comparison with one, or [A TO B]."""
        if value.kind == "range":
            bounds = re.split(r"\s+TO\s+", value.text[1:-1].strip())
            if len(bounds) != 2:
                raise error(self.text, value.start, "a date range is written [FROM TO UNTIL], as in [2022 TO 2023-06]")
            start = self._bound(bounds[0], value, end=value.text[0] == "{")
            end = self._bound(bounds[1], value, end=value.text[-1] == "]")
            if start is not None and value.text[0] == "{":
                start += _ONE_MICROSECOND
            if end is not None and value.text[-1] == "}":
                end -= _ONE_MICROSECOND
            return DateRange(start, end)
        if value.kind == "compare":
            operand = self._next()
            operator = value.text
            moment = self._bound(operand.text, operand, end=operator in (">", "<="))
            if moment is None:  # "*": no date to compare with
                raise error(self.text, operand.start, f"published:{operator} needs a date, not '*'")
            if operator in (">", "<="):
                return DateRange(moment + _ONE_MICROSECOND, None) if operator == ">" else DateRange(None, moment)
            return DateRange(moment, None) if operator == ">=" else DateRange(None, moment - _ONE_MICROSECOND)
        if value.kind not in ("word", "phrase"):
            raise error(self.text, field.start, "field 'published:' has no value")
        return DateRange(self._bound(value.text, value, end=False), self._bound(value.text, value, end=True))

    def _bound(self, text: str, token: _Token, *, end: bool) -> dt.datetime | None:
        text = text.strip()
        if text == "*":
            return None
        moment = parse_bound(text, end=end)
        if moment is None:
            raise error(self.text, token.start, f"published: cannot read {text!r} as a date ({_DATE_HINT})")
        return moment

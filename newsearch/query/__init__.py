"""The query language newsearch owns: its tree, parser, request, marks, synonyms and spelling; engines translate it."""

from .deadline import Deadline
from .marks import Marks, TermMarks
from .parser import MAX_QUERY_CHARS, parse
from .request import MAX_LIMIT, MAX_PAGE, SORTS, SearchRequest, build_request
from .tree import And, DateRange, Every, Fuzzy, Node, Not, Nothing, Or, Phrase, Prefix, Term

MAX_EXPANSIONS = 1000  # index words a prefix or fuzzy word may stand for
SIMILAR_TERMS = 12  # telling words of an article that `similar` searches for

__all__ = [
           "MAX_EXPANSIONS",
           "MAX_LIMIT",
           "MAX_PAGE",
           "MAX_QUERY_CHARS",
           "SIMILAR_TERMS",
           "SORTS",
           "And",
           "DateRange",
           "Deadline",
           "Every",
           "Fuzzy",
           "Marks",
           "Node",
           "Not",
           "Nothing",
           "Or",
           "Phrase",
           "Prefix",
           "SearchRequest",
           "Term",
           "TermMarks",
           "build_request",
           "parse",
]

"""newsearch: full-text search for news archives. The public API: Index, its result and report types, errors."""

import logging

from .article import Article
from .errors import IndexExists, IndexLocked, IndexNotFound, NewsearchError, QuerySyntaxError, QueryTimeout, ReadError
from .index import ArticleNotFound, CheckReport, Index, IndexStats, MarkedArticle
from .results import Fragment, Hit, Results, Snippet
from .suggestions import Completion
from .watches import Alert, Watch, WatchNotFound

__version__ = "0.1.0"
_LAZY = {"UpdateReport": "indexer", "read_article": "readers", "read_articles": "readers"}


def __getattr__(name: str):
    """Names whose modules read files, imported on first use: ``newsearch query`` never needs them."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "Alert", "Article", "ArticleNotFound", "CheckReport", "Completion", "Fragment", "Hit", "Index", "IndexExists",
    "IndexLocked", "IndexNotFound", "IndexStats", "MarkedArticle", "NewsearchError", "QuerySyntaxError", "QueryTimeout",
    "ReadError", "Results", "Snippet", "UpdateReport", "Watch", "WatchNotFound", "read_article", "read_articles",
]

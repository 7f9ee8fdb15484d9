"""newsearch: full-text search for news archives. The public API: Index, its result and report types, errors."""

import logging

from .article import Article
from .errors import IndexExists, IndexLocked, IndexNotFound, NewsearchError, QuerySyntaxError, ReadError
from .index import ArticleNotFound, CheckReport, Index, IndexStats
from .indexer import UpdateReport
from .readers import read_article, read_articles
from .results import Hit, Results, Snippet

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "Article", "ArticleNotFound", "CheckReport", "Hit", "Index", "IndexExists", "IndexLocked", "IndexNotFound", "IndexStats",
    "NewsearchError", "QuerySyntaxError", "ReadError", "Results", "Snippet", "UpdateReport", "read_article", "read_articles",
]

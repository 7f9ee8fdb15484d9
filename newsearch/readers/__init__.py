"""File -> Article: html (lxml: metadata layers and body extraction), text, json/jsonl, encodings; the only parsers."""

from ..dates import parse_bound, parse_date
from .files import FileRead, FileStream, find_files, read_article, read_articles, read_file, stream_file
from .records import article_from_record

__all__ = ["FileRead", "FileStream", "article_from_record", "find_files", "parse_bound", "parse_date", "read_article",
           "read_articles", "read_file", "stream_file"]

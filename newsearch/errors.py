"""NewsearchError and the few subclasses the library raises; imports nothing from the package."""


def quoted(text: str) -> str:
    """``text`` in quotes for a message: line breaks, control characters and undecodable bytes escaped."""
    def shown(char: str) -> str:
        if "\udc80" <= char <= "\udcff":  # a byte a command line could not decode, as Python passes it on
            return f"\\x{ord(char) - 0xDC00:02x}"
        return char if char.isprintable() else repr(char)[1:-1]
    return "'" + "".join(map(shown, text)) + "'"


class NewsearchError(Exception):
    """Base of every error newsearch raises on purpose; its message tells a person what to do."""

    exit_code = 1


class IndexNotFound(NewsearchError):
    """There is no index where one was expected, or it holds no documents."""


class IndexExists(NewsearchError):
    """Creating an index would overwrite a folder that is not ours, or an index without overwrite=True."""


class IndexLocked(NewsearchError):
    """Another writer holds the index's write lock."""

    exit_code = 75


class QuerySyntaxError(NewsearchError):
    """The query text or a query option cannot be understood."""


class QueryTimeout(NewsearchError):
    """A query ran past its deadline (``Index.query(timeout=...)``, ``--timeout``) and was stopped."""


class ReadError(NewsearchError):
    """A file or record cannot be turned into an article."""

    def __init__(self, path: str, reason: str):
        super().__init__(path, reason)  # both in args, so the error pickles (files are read in worker processes)
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"

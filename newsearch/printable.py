"""Text shown to a person with its control characters as escapes: a newline in a file name or an id cannot
forge a line of a report, and a terminal code in a title cannot hide in a page."""

from __future__ import annotations

_ESCAPED = {code: repr(chr(code))[1:-1] for code in (*range(32), *range(127, 160))}
_ESCAPED_IN_PROSE = {code: escape for code, escape in _ESCAPED.items() if chr(code) not in "\n\t"}


def printable(text: str) -> str:
    """``text`` with every control character shown as an escape (``\\n``, ``\\x1b``): for names and one-line reports."""
    return str(text).translate(_ESCAPED)


def printable_prose(text: str) -> str:
    """``text`` with control characters shown as escapes, but for its line breaks and tabs: for titles and bodies."""
    return str(text).translate(_ESCAPED_IN_PROSE)

"""Cursors of the HTTP API: an opaque token for the next page of a search, which may go past the page cap."""

from __future__ import annotations

import base64
import dataclasses
import re

from .. import QuerySyntaxError, Results
from .params import SearchParams

_CURSOR = re.compile(r"^p(\d{1,5})l(\d{1,3})$")


def next_cursor(results: Results) -> str | None:
    """The cursor of the page after these results; None on the last page."""
    shown = results.stories if results.stories is not None else results.total
    if results.ran_suggestion or results.page * results.limit >= shown:
        return None
    return base64.urlsafe_b64encode(f"p{results.page + 1}l{results.limit}".encode()).decode().rstrip("=")


def follow(cursor: str, params: SearchParams) -> SearchParams:
    """The search's parameters at the cursor's page; QuerySyntaxError (400) for a cursor this server did not give."""
    try:
        decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        decoded = ""
    found = _CURSOR.match(decoded)
    if not found or int(found.group(2)) != params.limit:
        raise QuerySyntaxError("cursor: not a cursor of this search; pass a next_cursor with the same limit")
    return dataclasses.replace(params, page=int(found.group(1)))

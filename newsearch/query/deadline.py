"""A query's deadline: the moment by which it must be answered, which engines check as they work."""

from __future__ import annotations

import math
import time

from ..errors import QuerySyntaxError, QueryTimeout


class Deadline:
    """``seconds`` from now; ``check()`` raises QueryTimeout once they have passed.

    Engines call ``check`` between units of work (a segment's postings, a block of
    collected documents, a tier), so a query stops soon after its deadline rather than
    answering late; what one unit costs is how far past the deadline it may run.
    """

    def __init__(self, seconds: float):
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not (
                0 < seconds < math.inf):
            raise QuerySyntaxError(f"timeout must be a positive number of seconds, not {seconds!r}")
        self.seconds = float(seconds)
        self.at = time.monotonic() + self.seconds
        self._stopped = ""

    def stop(self, reason: str) -> None:
        """Make the next ``check`` raise QueryTimeout now, saying ``reason`` (safe from another thread)."""
        self._stopped = reason

    def check(self) -> None:
        if self._stopped:
            raise QueryTimeout(f"the query was stopped: {self._stopped}")
        if time.monotonic() > self.at:
            raise QueryTimeout(f"the query ran past its timeout of {self.seconds:g} s and was stopped; "
                               "narrow it (fewer fuzzy~ or prefix* words) or allow more time (--timeout)")

    def left(self) -> float:
        """Seconds until the deadline (negative once past)."""
        return self.at - time.monotonic()


def check(deadline: Deadline | None) -> None:
    """``deadline.check()``, for a request that may have no deadline."""
    if deadline is not None:
        deadline.check()

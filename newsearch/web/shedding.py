"""How a server sheds work it no longer owes: heavy searches wait for one of a few slots, a search whose
client has gone is not started (or is stopped at its next deadline check), and none outlives its deadline."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread
from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.types import Send

from .. import QueryTimeout
from ..query import Deadline

T = TypeVar("T")
_HEAVY = re.compile(r"~|\w\*")  # a fuzzy word or phrase, or a prefix (not the * of an open range)
HEAVY_SLOTS = 2  # fuzzy and prefix searches running at once on the server; the others wait their turn
LIGHT_SLOTS = 16  # other searches running at once (the rest of the thread pool serves pages and the API)


def heavy_slots(processes: int) -> int:
    """One server process's share of HEAVY_SLOTS when ``processes`` serve together (at least one each), so
    that a storm of heavy searches holds as many cores with ``serve --workers N`` as with one process."""
    return max(1, HEAVY_SLOTS // processes)


def is_heavy(text: str) -> bool:
    """True for a query whose cost grows with the index's vocabulary: fuzzy (word~) or prefix (word*) words."""
    return _HEAVY.search(text) is not None


class SearchSlots:
    """Runs searches in threads: heavy ones in a few slots, light ones in LIGHT_SLOTS, so that a storm
    of heavy queries queues behind itself and light ones keep their latency."""

    def __init__(self, heavy: int = HEAVY_SLOTS, light: int = LIGHT_SLOTS):
        self._heavy = anyio.CapacityLimiter(heavy)
        self._light = anyio.CapacityLimiter(light)

    async def run(self, request: Request, text: str, timeout: float, search: Callable[[Deadline], T]) -> T:
        """``search(deadline)`` in a thread, once a slot is free; the deadline is stopped when the client
        hangs up or the server shuts down (the engine then stops at its next check: QueryTimeout)."""
        deadline = Deadline(timeout)
        if await request.is_disconnected():
            raise QueryTimeout("the query was not started: its client has gone")
        limiter = self._heavy if is_heavy(text) else self._light
        failure: Exception | None = None
        async with anyio.create_task_group() as watchers:
            watchers.start_soon(_watch, request, deadline)
            try:
                answer = await anyio.to_thread.run_sync(search, deadline, limiter=limiter, abandon_on_cancel=True)
            except anyio.get_cancelled_exc_class():
                deadline.stop("the server is shutting down")
                raise
            except Exception as error:  # raised below, as itself: the task group would wrap it in a group
                failure = error
            finally:
                watchers.cancel_scope.cancel()
        if failure is not None:
            raise failure
        return answer


async def _watch(request: Request, deadline: Deadline) -> None:
    """Stop ``deadline`` once the request's client has disconnected.

    Waits on the ASGI messages themselves: ``Request.is_disconnected`` never sees a disconnect
    behind a middleware that wraps ``receive`` (the app's security headers), as it does not wait.
    """
    while (await request.receive())["type"] != "http.disconnect":
        pass
    deadline.stop("its client has gone")


class DeadlineStream(StreamingResponse):
    """A streamed answer whose lines may stop at a deadline (a later page of an export): the lines sent are
    kept, one line is logged, and the response is left unfinished, so the connection closes before the
    end of the body and the client sees an incomplete transfer, never a short answer that looks whole."""

    async def stream_response(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        try:
            async for chunk in self.body_iterator:
                data = chunk if isinstance(chunk, bytes | memoryview) else chunk.encode(self.charset)
                await send({"type": "http.response.body", "body": data, "more_body": True})
        except QueryTimeout as error:
            logging.getLogger("uvicorn.error").warning("a streamed answer was cut short: %s", error)
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})

"""A real server sheds work it no longer owes: a search whose client hangs up is stopped, heavy searches queue
in their own slots, and a search still running at shutdown is stopped (benchmarks/serve_load.py --hostile
measures the latencies)."""

from __future__ import annotations

import http.client
import socket
import threading
import time

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed (make install adds it)")

from newsearch import QueryTimeout
from newsearch.web import create_app
from newsearch.web.shedding import HEAVY_SLOTS, heavy_slots, is_heavy

from conftest import SEED_ID, serving


@pytest.fixture
def served(built_index, monkeypatch):
    """(port, the served Index, what its searches did): a uvicorn server on a free loopback port whose
    searches for "hold" hold on, checking their deadline as an engine does, until released."""
    app = create_app(built_index, timeout=30)
    index = app.state.index.get()
    events = {"started": threading.Semaphore(0), "stopped": [], "release": threading.Event(), "running": 0,
              "most running": 0}
    query, lock = index.query, threading.Lock()

    def holding(text, timeout=None, **options):
        if not text.startswith("hold"):
            return query(text, timeout=timeout, **options)
        with lock:
            events["running"] += 1
            events["most running"] = max(events["most running"], events["running"])
        events["started"].release()
        try:
            while not events["release"].wait(0.01):
                timeout.check()  # as an engine checks between its units of work
            return query("Mariupol corridor", timeout=timeout, **options)
        except QueryTimeout as error:
            events["stopped"].append(str(error))
            raise
        finally:
            with lock:
                events["running"] -= 1

    monkeypatch.setattr(index, "query", holding)
    with serving(app) as port:
        yield port, events
        events["release"].set()


def _send(port: int, query: str) -> http.client.HTTPConnection:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", f"/api/search?q={query}")
    return connection


def test_a_search_whose_client_hangs_up_is_stopped(served):
    port, events = served
    connection = _send(port, "hold")
    assert events["started"].acquire(timeout=10)
    connection.sock.shutdown(socket.SHUT_RDWR)
    connection.close()
    waited = time.monotonic() + 10
    while not events["stopped"] and time.monotonic() < waited:
        time.sleep(0.01)
    assert events["stopped"] == ["the query was stopped: its client has gone"]
    answer = _send(port, "Mariupol%20corridor").getresponse()
    assert answer.status == 200 and SEED_ID in answer.read().decode()


def test_heavy_searches_take_turns_while_light_ones_are_answered(served):
    port, events = served
    heavy = [_send(port, "hold~") for _ in range(HEAVY_SLOTS + 2)]
    for _ in range(HEAVY_SLOTS):
        assert events["started"].acquire(timeout=10)
    light = _send(port, "Mariupol%20corridor").getresponse()
    assert light.status == 200 and SEED_ID in light.read().decode()
    assert events["running"] == HEAVY_SLOTS  # the other heavy searches wait for a slot
    events["release"].set()
    assert [connection.getresponse().status for connection in heavy] == [200] * len(heavy)
    assert events["most running"] == HEAVY_SLOTS


@pytest.mark.engine_free
def test_fuzzy_and_prefix_words_make_a_search_heavy():
    assert is_heavy("markett~2") and is_heavy("evacuat*") and is_heavy('"Mariupol corridor"~3')
    assert not is_heavy("Mariupol corridor") and not is_heavy("published:[2022 TO *] -oil")


@pytest.mark.engine_free
def test_server_processes_share_the_heavy_slots():
    # with `serve --workers N` a storm of fuzzy searches may not hold more cores than with one process
    assert heavy_slots(1) == HEAVY_SLOTS
    assert sum(heavy_slots(2) for _ in range(2)) <= HEAVY_SLOTS
    assert heavy_slots(16) == 1  # never none: a process must still answer fuzzy searches

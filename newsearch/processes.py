"""Worker processes that end with the process that started them, even when it is killed (kill -9)."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time

PARENT_POLL_SECONDS = 0.5


def spawn_context():
    """The multiprocessing context for workers: spawned, not forked, so that a worker never inherits
    a write lock's descriptor and, outliving a killed parent, keeps the index locked."""
    return multiprocessing.get_context("spawn")


def end_with_parent(parent: int) -> None:
    """In a worker: exit when process ``parent`` is gone (say, killed by cron's timeout)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()

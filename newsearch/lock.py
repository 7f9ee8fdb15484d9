"""The write lock of an index folder: one writer at a time, released by the kernel when its process dies."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from .errors import IndexLocked, NewsearchError

FILE_NAME = ".write.lock"
POLL_SECONDS = 0.1


class WriteLock:
    """An exclusive ``flock`` on ``<index>/.write.lock``, holding the owner's pid for the message others get.

    A lock left by a process that died (even by ``kill -9``) is free again at
    once: the kernel drops ``flock`` locks with the process.
    """

    def __init__(self, folder: Path, wait: float = 0.0):
        self.path = folder / FILE_NAME
        self.wait = wait
        self._fd: int | None = None

    def __enter__(self) -> WriteLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise NewsearchError(f"cannot write the index in '{self.path.parent}': {error.strerror or error}") from None
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
                    os.close(fd)
                    raise IndexLocked(f"the index in '{self.path.parent}' is being written by process {holder}; "
                                      f"try again later or pass --wait SECONDS") from None
                time.sleep(POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc_info) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

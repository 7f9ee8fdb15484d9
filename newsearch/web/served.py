"""The index a server answers from, opened on first use and shared by every request."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from fastapi import Request

from .. import Index


class ServedIndex:
    """The index in one folder: opened on first use, then reused.

    An open Index follows the live generation by itself, so a rebuild or an update by
    another process is answered from at once; until an index exists, ``get`` raises
    IndexNotFound and every request answers 503.
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self._index: Index | None = None
        self._lock = threading.Lock()

    def get(self) -> Index:
        """The open index; IndexNotFound while there is none in the folder."""
        with self._lock:
            if self._index is None:
                # searching only: an engine on a server uses its search-only key if the index names one
                self._index = Index.open(self.folder, search_only=True)
            return self._index

    def close(self) -> None:
        with self._lock:
            if self._index is not None:
                self._index.close()
                self._index = None


def served_index(request: Request) -> Index:
    """The application's open index, as a request dependency (IndexNotFound, so 503, while there is none)."""
    return request.app.state.index.get()


def served_timeout(request: Request) -> float:
    """The seconds a search may take on this server (``serve --timeout``), as a request dependency."""
    return request.app.state.timeout

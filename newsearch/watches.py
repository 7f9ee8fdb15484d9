"""Saved searches kept with an index, and their alerts: the matching articles new since a search last reported.

The searches live in ``watches.json`` and what each has reported in ``alerts.json``, both in the
index folder beside the generations (not in one), so updates and rebuilds keep them. A search
stores its query text, which is run through ``Index.query`` like any other. What a search has
reported is the set of ids that matched it when it last reported: the next alerts are the
matches not in that set (articles added since, or changed so that they now match), less the
near-duplicates of an article in it. No write of the index has to record anything for this.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import NewsearchError, QuerySyntaxError
from .export import every_hit
from .results import Hit, Results

WATCHES_FILE = "watches.json"
ALERTS_FILE = "alerts.json"
LOCK_FILE = ".watches.lock"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class WatchNotFound(NewsearchError):
    """No saved search has the name asked for."""


@dataclass(frozen=True)
class Watch:
    """A saved search: its name, query text, sources (empty: every source) and when it was saved."""

    name: str
    query: str
    sources: tuple[str, ...] = ()
    created: str = ""  # ISO 8601, UTC

    def to_dict(self) -> dict:
        """JSON-ready values."""
        return {"name": self.name, "query": self.query, "sources": list(self.sources), "created": self.created}


@dataclass(frozen=True)
class Alert:
    """One article new to a saved search."""

    watch: str
    hit: Hit

    def to_dict(self) -> dict:
        """The saved search's name under ``watch``, then the hit's id, title, source, published, url and snippet."""
        fields = self.hit.to_dict()
        return {"watch": self.watch, **{name: fields[name] for name in ("id", "title", "source", "published",
                                                                         "url", "snippet")}}


Search = Callable[..., Results]  # Index.query
Story = Callable[[str], tuple[str, set]]  # an article's id -> its near-duplicate group and the group's ids


class Watches:
    """The saved searches of the index in ``folder``; each call reads and writes the files under a lock."""

    def __init__(self, folder: Path):
        self.folder = folder

    def add(self, name: str, query: str, sources: Iterable[str] = ()) -> Watch:
        """Save (or replace) a search; a replaced one reports afresh."""
        if not isinstance(name, str) or not _NAME.match(name):
            raise QuerySyntaxError(f"a saved search's name is 1 to 64 letters, digits, '.', '_' or '-', "
                                   f"starting with a letter or digit, not {name!r}")
        watch = Watch(name, query, tuple(sources),
                      dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat())
        with self._locked():
            watches, reported = self._read(WATCHES_FILE), self._read(ALERTS_FILE)
            watches[name] = watch.to_dict()
            reported.pop(name, None)
            self._write(ALERTS_FILE, reported)
            self._write(WATCHES_FILE, watches)
        return watch

    def saved(self) -> list[Watch]:
        """Every saved search, by name."""
        with self._locked():
            watches = self._read(WATCHES_FILE)
        return [_watch(fields) for _, fields in sorted(watches.items())]

    def remove(self, name: str) -> None:
        """Forget a saved search and what it reported; WatchNotFound when there is none of this name."""
        with self._locked():
            watches, reported = self._read(WATCHES_FILE), self._read(ALERTS_FILE)
            if name not in watches:
                raise self._not_found(name, watches)
            del watches[name]
            reported.pop(name, None)
            self._write(WATCHES_FILE, watches)
            self._write(ALERTS_FILE, reported)

    def alerts(self, search: Search, story: Story, names: Iterable[str] = (),
               peek: bool = False) -> list[Alert]:
        """Per saved search (all, or those named), the matching articles it has not reported, newest first;
        recorded as reported unless ``peek``. A first run reports every match; of the new articles of one
        story only the newest is reported, and none of a story the search reported before."""
        with self._locked():
            watches, reported = self._read(WATCHES_FILE), self._read(ALERTS_FILE)
            names = list(dict.fromkeys(names)) or sorted(watches)
            for name in names:
                if name not in watches:
                    raise self._not_found(name, watches)
            found = []
            for name in names:
                watch = _watch(watches[name])
                before = set(reported.get(name, ()))
                matching, new = self._new(watch, search, story, before)
                found += [Alert(name, hit) for hit in self._with_snippets(watch, search, new)]
                reported[name] = sorted(matching)
            if not peek:
                self._write(ALERTS_FILE, reported)
        return found

    @staticmethod
    def _new(watch: Watch, search: Search, story: Story, before: set) -> tuple[set, list[str]]:
        """(the ids matching the search now, the ids to report: new ones, one per story not reported before)."""
        matching, new, stories = set(), [], set()
        for hit in _hits(watch, search, snippets=False):
            matching.add(hit.id)
            if hit.id in before:
                continue
            group, members = story(hit.id)
            if group in stories or (members - {hit.id}) & before:
                continue
            stories.add(group)
            new.append(hit.id)
        return matching, new

    @staticmethod
    def _with_snippets(watch: Watch, search: Search, ids: list[str]) -> list[Hit]:
        """The hits of these ids with their snippets, in the search's order (newest first)."""
        wanted: set[str] = set(ids)
        hits: list[Hit] = []
        if wanted:
            for hit in _hits(watch, search, snippets=True):
                if hit.id in wanted:
                    hits.append(hit)
                    wanted.discard(hit.id)
                    if not wanted:  # new articles are mostly recent: this stops after a page or two
                        break
        return hits

    def _not_found(self, name: str, watches: dict) -> WatchNotFound:
        known = ", ".join(sorted(watches)) or "none yet; add one with 'newsearch watch add NAME QUERY'"
        return WatchNotFound(f"no saved search named '{name}' in '{self.folder}' (saved: {known})")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """An exclusive flock on the folder's watches lock, so two runs never lose each other's changes."""
        try:
            fd = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise NewsearchError(f"cannot keep saved searches in '{self.folder}': {error.strerror or error}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _read(self, name: str) -> dict:
        path = self.folder / name
        try:
            values = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise NewsearchError(f"cannot read '{path}': {error}") from None
        if not isinstance(values, dict):
            raise NewsearchError(f"'{path}' is damaged: remove it (its saved searches are lost)")
        return values

    def _write(self, name: str, values: dict) -> None:
        """Replace the file in one step: a reader sees the old values or the new ones."""
        temporary = self.folder / f".{name}.{os.getpid()}.tmp"
        try:
            temporary.write_text(json.dumps(values, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            os.replace(temporary, self.folder / name)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise NewsearchError(f"cannot write '{self.folder / name}': {error.strerror or error}") from None


def _watch(fields: dict) -> Watch:
    return Watch(fields["name"], fields["query"], tuple(fields.get("sources", ())), fields.get("created", ""))


def _hits(watch: Watch, search: Search, snippets: bool) -> Iterator[Hit]:
    """Every match of a saved search, each copy of a story listed, newest first."""
    return every_hit(lambda **page: search(watch.query, source=list(watch.sources), sort="date", collapse=False,
                                           snippets=snippets, **page))

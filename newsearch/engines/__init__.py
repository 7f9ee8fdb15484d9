"""The engines newsearch can keep an index in, found by name; each is imported only when an index uses it.

Engines are entry points of the group ``newsearch.engines`` (``name = module:Class``);
the three that ship with newsearch are known without them too (a checkout that is not
installed). A further engine is one module with an Engine subclass and one entry point.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

from ..errors import NewsearchError

DEFAULT = "whoosh"
GROUP = "newsearch.engines"
# An engine that keeps its data outside the generation folder (a server) writes this file there,
# {"engine": name, ...}, so that a replaced generation's data can be dropped with its folder.
EXTERNAL_FILE = "engine.json"
ENVIRONMENT = "NEWSEARCH_ENGINE"  # names the engine of new indexes when no engine is asked for
# The engines that ship with newsearch: name -> (module:Class, the pip extra that installs what it needs).
_SHIPPED = {
    "whoosh": ("newsearch.engines.whoosh:WhooshEngine", ""),
    "tantivy": ("newsearch.engines.tantivy:TantivyEngine", "tantivy"),
    "typesense": ("newsearch.engines.typesense:TypesenseEngine", "typesense"),
}


def _registered() -> dict[str, tuple[str, str]]:
    """Every engine: the shipped ones, and those other packages register as entry points."""
    found = dict(_SHIPPED)
    for entry in metadata.entry_points(group=GROUP):
        found.setdefault(entry.name, (entry.value, entry.name))
    return found


def names() -> tuple[str, ...]:
    """The names of every engine known, installed or not."""
    return tuple(_registered())


def default() -> str:
    """The engine of a new index when none is named: $NEWSEARCH_ENGINE, else whoosh."""
    return os.environ.get(ENVIRONMENT, "").strip() or DEFAULT


def engine_class(name: str):
    """The Engine subclass called ``name``.

    NewsearchError names the valid engines for an unknown name, and the pip extra for one not installed.
    """
    registered = _registered()
    if name not in registered:
        raise NewsearchError(f"unknown engine {name!r} (engines: {', '.join(registered)})")
    target, extra = registered[name]
    module_name, class_name = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise NewsearchError(f"the {name} engine needs a package that is not installed ({error.name}); "
                             f"install it with: pip install 'newsearch[{extra}]'") from None
    return getattr(module, class_name)


def installed() -> tuple[str, ...]:
    """The names of the engines whose packages are installed."""
    found = []
    for name in names():
        try:
            engine_class(name)
        except NewsearchError:
            continue
        found.append(name)
    return tuple(found)


def stored_options(name: str, options: Mapping | None) -> dict:
    """The engine options an index of engine ``name`` keeps in its metadata (secrets left out, checked)."""
    return engine_class(name).stored_options(options)


def discard(generation: Path, options: Mapping | None) -> None:
    """Drop what a generation that is being removed keeps outside its folder (nothing for embedded engines)."""
    try:
        name = json.loads((generation / EXTERNAL_FILE).read_text(encoding="utf-8"))["engine"]
    except (OSError, ValueError, KeyError, TypeError):
        return
    engine_class(name).discard(generation, options)

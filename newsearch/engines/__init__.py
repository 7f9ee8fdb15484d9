"""The engines newsearch can keep an index in, by name; each is imported only when an index uses it."""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Mapping
from pathlib import Path

from ..errors import NewsearchError

DEFAULT = "whoosh"
# An engine that keeps its data outside the generation folder (a server) writes this file there,
# {"engine": name, ...}, so that a replaced generation's data can be dropped with its folder.
EXTERNAL_FILE = "engine.json"
ENVIRONMENT = "NEWSEARCH_ENGINE"  # names the engine of new indexes when no engine is asked for
# Engine name -> (module, class, the pip extra that installs what it needs, or "" when always installed).
_ENGINES = {
    "whoosh": ("newsearch.engines.whoosh", "WhooshEngine", ""),
    "tantivy": ("newsearch.engines.tantivy", "TantivyEngine", "tantivy"),
    "typesense": ("newsearch.engines.typesense", "TypesenseEngine", "typesense"),
}
NAMES = tuple(_ENGINES)


def default() -> str:
    """The engine of a new index when none is named: $NEWSEARCH_ENGINE, else whoosh."""
    return os.environ.get(ENVIRONMENT, "").strip() or DEFAULT


def engine_class(name: str):
    """The class of the engine called ``name``: ``create(folder)`` and ``open(folder)`` give an Engine.

    NewsearchError names the valid engines for an unknown name, and the pip extra for one not installed.
    """
    if name not in _ENGINES:
        raise NewsearchError(f"unknown engine {name!r} (engines: {', '.join(NAMES)})")
    module_name, class_name, extra = _ENGINES[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise NewsearchError(f"the {name} engine needs a package that is not installed ({error.name}); "
                             f"install it with: pip install 'newsearch[{extra}]'") from None
    return getattr(module, class_name)


def installed() -> tuple[str, ...]:
    """The names of the engines whose packages are installed."""
    found = []
    for name in NAMES:
        try:
            engine_class(name)
        except NewsearchError:
            continue
        found.append(name)
    return tuple(found)


def stored_options(name: str, options: Mapping | None) -> dict:
    """The engine options an index of engine ``name`` keeps in its metadata (secrets left out, checked).

    NewsearchError when the engine takes no options and some are given.
    """
    engine = engine_class(name)
    if hasattr(engine, "stored_options"):
        return engine.stored_options(options)
    if options:
        raise NewsearchError(f"the {name} engine takes no options ({', '.join(sorted(options))})")
    return {}


def discard(generation: Path, options: Mapping | None) -> None:
    """Drop what a generation that is being removed keeps outside its folder (nothing for embedded engines)."""
    try:
        name = json.loads((generation / EXTERNAL_FILE).read_text(encoding="utf-8"))["engine"]
    except (OSError, ValueError, KeyError, TypeError):
        return
    engine_class(name).discard(generation, options)

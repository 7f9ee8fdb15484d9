"""Shared fixtures: small real indexes built in tmp_path, never mocks."""

from __future__ import annotations

import contextlib
import gzip
import itertools
import json
import os
import shutil
import socket
import threading
import time
from collections import Counter
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


def _engines() -> tuple[str, ...]:
    """The engines the contract suite runs on: every installed one (typesense where its server is installed)."""
    found = [name for name in engines.installed() if name != "typesense" or server_binary() is not None]
    return tuple(found)


ENGINES = _engines()


def needs(capability: str, reason: str):
    """Mark a test of a feature only engines with this capability flag have (the others refuse or
    approximate it, and say so: docs/scale-out.md)."""
    return pytest.mark.needs(capability=capability, reason=reason)


def pytest_configure(config):
    config.addinivalue_line("markers", "engine_free: the module's tests touch no engine: they run once")
    config.addinivalue_line("markers", "only_engine(name): the module tests one engine's internals")
    config.addinivalue_line("markers", "needs(capability, reason): skipped on engines without the capability")


def pytest_generate_tests(metafunc):
    """Every test that touches an engine runs once per engine (a session-wide parameter, so each engine's
    tests run together and module fixtures are built once per engine); engine-free modules run once."""
    if metafunc.definition.get_closest_marker("engine_free"):
        return
    only = metafunc.definition.get_closest_marker("only_engine")
    names = [name for name in ENGINES if only is None or name == only.args[0]]
    if "engine" not in metafunc.fixturenames:
        metafunc.fixturenames.append("engine")
    metafunc.parametrize("engine", names, indirect=True, scope="session")


@pytest.fixture(scope="session")
def engine(request, tmp_path_factory):
    """The engine this test runs on, as $NEWSEARCH_ENGINE (the default of new indexes) for its duration;
    for typesense, one real node for the whole run, its address and key in the variables the engine reads."""
    name = request.param
    saved = {key: os.environ.get(key) for key in ("NEWSEARCH_ENGINE", "NEWSEARCH_TYPESENSE_NODES",
                                                  "TYPESENSE_API_KEY")}
    os.environ["NEWSEARCH_ENGINE"] = name
    if name == "typesense":
        servers = start_servers(tmp_path_factory.mktemp("typesense"), count=1, timeout=30)
        request.addfinalizer(servers.stop)
        os.environ["NEWSEARCH_TYPESENSE_NODES"] = servers.urls[0]
        os.environ["TYPESENSE_API_KEY"] = servers.api_key
    yield name
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(autouse=True)
def _capabilities(request):
    """Skip a test marked ``needs(capability)`` on an engine without it."""
    marker = request.node.get_closest_marker("needs")
    callspec = getattr(request.node, "callspec", None)
    if marker is not None and callspec is not None and "engine" in callspec.params:
        name = callspec.params["engine"]
        if not getattr(engines.engine_class(name), marker.kwargs["capability"]):
            pytest.skip(f"the {name} engine {marker.kwargs['reason']} (docs/scale-out.md)")


def shared_path(*parts: str) -> Path:
    """A path in ../shared/corpora, or skip the test with a reason when it is not there."""
    path = SHARED.joinpath("corpora", *parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared corpora sit beside the repository only in the project's workspace")
    return path


@pytest.fixture(scope="session")
def long_article() -> tuple[str, str]:
    """(about 3 MB of real Reuters paragraphs, the last holding a word no paragraph before it has; that word):
    an article longer than the pieces readers and engines work a long text in (1 MB)."""
    with gzip.open(shared_path("reuters", "reuters.jsonl.gz"), "rt", encoding="utf-8") as feed:
        paragraphs = [" ".join(part.split()) for line in itertools.islice(feed, 3000)
                      for part in json.loads(line).get("body", "").split("\n\n") if part.strip()]
    counts = Counter(word for part in paragraphs for word in set(part.lower().split()))
    at, word = next((at, word) for at in range(len(paragraphs) - 1, -1, -1)
                    for word in paragraphs[at].lower().split()
                    if word.isalpha() and len(word) > 5 and counts[word] == 1)
    last = paragraphs.pop(at)
    text: list[str] = []
    size = 0
    while size < 3 * 2 ** 20:
        text.append(paragraphs[len(text) % len(paragraphs)])
        size += len(text[-1]) + 2
    return "\n\n".join([*text, last]), word


def whoosh_segments(generation: Path) -> set[str]:
    """The ids of the segments a Whoosh generation folder's table of contents lists (its files start with them)."""
    from whoosh.filedb.filestore import FileStorage

    return {segment.segment_id() for segment in FileStorage(str(generation)).open_index()._segments()}


@contextlib.contextmanager
def serving(app, log_level: str = "warning") -> Iterator[int]:
    """Serve the ASGI ``app`` with uvicorn in a thread on a free loopback port, given to the block, until it ends."""
    import uvicorn  # the serve extra: only the tests that serve import this

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level=log_level))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        waited = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < waited and thread.is_alive(), "the server did not start"
            time.sleep(0.05)
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


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

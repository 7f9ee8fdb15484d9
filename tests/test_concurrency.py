"""Reads racing writes and rebuilds: no engine error reaches the reader (benchmarks/concurrency.py at small counts).

Reads are counted, not timed; the benchmark runs the issue's full counts (10,000 threaded
reads, 5,000 process reads across 8 rebuilds) and prints the time.
"""

from __future__ import annotations

import importlib.util

import pytest

from conftest import CORPUS, ROOT


@pytest.fixture(scope="module")
def workloads():
    spec = importlib.util.spec_from_file_location("concurrency", ROOT / "benchmarks" / "concurrency.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def folder(tmp_path, workloads, engine):
    if engine == "typesense":
        pytest.skip("a Typesense index keeps no searcher or file in this process to close under a reader: "
                    "every read is an HTTP request, and the suite's time goes to the engines that do")
    workloads.build(tmp_path / "index", CORPUS, None)
    return tmp_path / "index"


def test_readers_sharing_an_index_never_see_a_writer_thread_at_work(workloads, folder):
    assert workloads.threads(folder, reads=2_000) == {}


def test_readers_opening_the_index_per_query_never_see_a_rebuild_at_work(workloads, folder):
    assert workloads.processes(folder, queries=400, rebuilds=3) == {}

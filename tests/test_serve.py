"""`newsearch serve` through the framework's test client: every endpoint, error statuses, escaping, live index."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from xml.etree import ElementTree

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed (make install adds it)")
from fastapi.testclient import TestClient

from newsearch import Index
from newsearch.cli import cli
from newsearch.web import create_app, is_loopback
from newsearch.web.params import MAX_DEPTH
from newsearch.web.shown import public

from conftest import CORPUS, SEED_ID, needs

PAYLOAD = '<script>alert("x")</script><img src=x onerror="alert(1)">'
EVIL = {"id": "evil-<1>", "title": f"Harbour corridor {PAYLOAD}", "source": f"Wire {PAYLOAD}",
        "body": f"The corridor reopened. {PAYLOAD} The corridor stays open.", "published": "2022-03-20",
        "url": "javascript:alert(1)", "authors": [PAYLOAD]}
RAW = ("<script>", "<img", "onerror=\"alert", "javascript:alert")


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory, engine) -> Path:
    folder = tmp_path_factory.mktemp("serve") / "index"
    with Index.create(folder) as ix:
        assert ix.update(Path(__file__).resolve().parents[1] / "corpus").ok
        ix.add([EVIL])
    return folder


@pytest.fixture(scope="module")
def client(index_dir, engine):
    with TestClient(create_app(index_dir)) as client:
        yield client


def assert_escaped(text: str) -> None:
    for raw in RAW:
        assert raw not in text, f"{raw!r} reached the page unescaped"


# -- the JSON API

def test_search_has_the_shape_of_query_json(client, index_dir, runner):
    response = client.get("/api/search",
                          params={"q": "Mariupol corridor", "limit": 3, "facet": ["source", "published:year"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["hits"][0]["id"] == SEED_ID
    assert "<b>Mariupol</b>" in body["hits"][0]["snippet"]
    printed = runner.invoke(cli, ["query", "Mariupol corridor", "--limit", "3", "--facet", "source", "--facet",
                                  "published:year", "--json", "--index", str(index_dir)])
    assert body.pop("next_cursor")  # the API's one addition: a cursor for the next page
    assert body == public(json.loads(printed.output))  # the other: a path shows no folder above the corpus
    assert (body["page"], body["limit"]) == (1, 3)


def test_search_takes_every_option_of_the_cli(client, index_dir):
    params = {"q": "corridor", "limit": 2, "page": 2, "sort": "date", "since": "2021", "until": "2022-12",
              "source": ["Valdoria Wire", "Northfield Courier"], "facet": "source", "snippet_chars": 80}
    body = client.get("/api/search", params=params).json()
    with Index.open(index_dir) as ix:
        expected = ix.query("corridor", limit=2, page=2, sort="date", since="2021", until="2022-12",
                            source=["Valdoria Wire", "Northfield Courier"], facets=["source"], snippet_chars=80)
    assert body.pop("next_cursor") is None  # the last page
    assert body == public(expected.to_dict())
    assert set(body["facets"]["source"]) <= {"Valdoria Wire", "Northfield Courier"}
    assert all(len(hit["snippet"]) < 200 for hit in body["hits"])
    suggested = client.get("/api/search", params={"q": "Mariupl corridr"}).json()
    assert suggested["suggestion"] == "Mariupol corridor" and suggested["ran_suggestion"]


def test_article_similar_stats_and_health(client, index_dir):
    with Index.open(index_dir) as ix:
        tram = "html/tram-line-extension-eastquay.html"
        assert client.get(f"/api/articles/{tram}").json() == public(ix.get(tram).to_dict())
        assert client.get("/api/articles/evil-%3C1%3E").json()["id"] == "evil-<1>"
        similar = client.get(f"/api/similar/{SEED_ID}", params={"limit": 3}).json()
        assert similar == public(ix.similar(SEED_ID, limit=3).to_dict())
        assert SEED_ID not in {h["id"] for h in similar["hits"]}
        assert client.get("/api/stats").json() == public(ix.stats().to_dict())
        assert client.get("/api/health").json() == {"status": "ok", "documents": ix.stats().documents,
                                                    "pid": os.getpid()}


@pytest.mark.parametrize("path, params, command", [
    (f"/api/articles/{SEED_ID}", {}, ["show", SEED_ID]),
    (f"/api/similar/{SEED_ID}", {"limit": 3}, ["similar", SEED_ID, "--limit", "3"]),
    (f"/api/duplicates/{SEED_ID}", {}, ["similar", SEED_ID, "--duplicates"]),
    ("/api/timeline", {"q": "harbour OR ferry", "by": "year", "source": ["The Harbour Gazette"]},
     ["timeline", "harbour OR ferry", "--by", "year", "--source", "The Harbour Gazette"]),
    ("/api/stats", {}, ["stats"]),
])
def test_every_endpoint_answers_what_its_command_prints_with_json(client, index_dir, runner, path, params, command):
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    printed = runner.invoke(cli, [*command, "--json", "--index", str(index_dir)])
    assert printed.exit_code == 0, printed.output
    assert response.json() == public(json.loads(printed.output))


@pytest.mark.parametrize("query, problem", [
    ({"q": '"unclosed'}, "quote"),
    ({"q": ""}, "empty"),
    ({"q": "x" * 1001}, "q:"),
    ({"q": "corridor", "limit": 0}, "limit"),
    ({"q": "corridor", "limit": 101}, "limit"),
    ({"q": "corridor", "page": 0}, "page"),
    ({"q": "corridor", "limit": 100, "page": MAX_DEPTH // 100 + 1}, "too deep"),
    ({"q": "corridor", "sort": "oldest"}, "sort"),
    ({"q": "corridor", "facet": "colour"}, "unknown facet"),
    ({"q": "corridor", "since": "yesterday"}, "since"),
    ({"q": "corridor", "limit": "many"}, "limit"),
    ({"q": "corridor", "source": ["Reuters"] * 21}, "at most 20 source"),
])
def test_bad_requests_are_400_with_a_message(client, query, problem):
    response = client.get("/api/search", params=query)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == 400 and problem in body["message"]


def test_unknown_ids_are_404(client):
    for path in ("/api/articles/no-such-id", "/api/similar/no-such-id", "/articles/no-such-id"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "no-such-id" in response.text
    assert client.get("/api/articles/no-such-id").json()["message"].startswith("no article with id 'no-such-id'")


def test_no_index_yet_is_503_then_a_new_index_is_served_without_restart(tmp_path):
    folder = tmp_path / "index"
    with TestClient(create_app(folder)) as client:
        for path in ("/api/search?q=corridor", "/api/stats", "/api/health", "/api/articles/x", "/?q=corridor"):
            response = client.get(path)
            assert response.status_code == 503, path
            assert "newsearch index" in response.text
        assert "No index to search yet" in client.get("/?q=corridor").text
        with Index.create(folder) as ix:
            ix.add([{"id": "a", "title": "Ferry timetable", "body": "The ferry sails at noon."}])
        assert client.get("/api/search?q=ferry").json()["total"] == 1


def test_a_rebuilt_or_updated_index_is_answered_from_at_once(tmp_path):
    folder, corpus = tmp_path / "index", tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "one.txt").write_text("Ferry strike\n\nThe ferry crews walked out.", encoding="utf-8")
    Index.build(folder, corpus)
    with TestClient(create_app(folder)) as client:
        assert client.get("/api/search?q=ferry").json()["total"] == 1
        assert client.get("/api/search?q=tram").json()["total"] == 0
        (corpus / "two.txt").write_text("Tram strike\n\nThe tram and ferry crews walked out.", encoding="utf-8")
        Index.build(folder, corpus)  # a new generation goes live
        assert client.get("/api/search?q=ferry").json()["total"] == 2
        (corpus / "one.txt").unlink()
        with Index.open(folder) as ix:
            ix.update()
        assert [hit["id"] for hit in client.get("/api/search?q=ferry").json()["hits"]] == ["two.txt"]


def test_a_slow_query_does_not_hold_up_other_requests(client, monkeypatch):
    index = client.app.state.index.get()
    started, release, answers = threading.Event(), threading.Event(), []
    query = index.query

    def slow_for_one_text(text, **options):
        if text == "slow":
            started.set()
            release.wait(10)
        return query(text, **options)

    monkeypatch.setattr(index, "query", slow_for_one_text)
    slow = threading.Thread(target=lambda: answers.append(client.get("/api/search", params={"q": "slow"})))
    slow.start()
    try:
        assert started.wait(5)
        assert client.get("/api/search", params={"q": "corridor"}).status_code == 200
        assert client.get("/", params={"q": "corridor"}).status_code == 200
        assert slow.is_alive(), "the fast requests waited for the slow one"
    finally:
        release.set()
        slow.join(10)
    assert answers[0].status_code == 200


def test_openapi_documentation_is_served_without_a_cdn(client):
    spec = client.get("/openapi.json").json()
    assert {"/api/search", "/api/articles/{id}", "/api/similar/{id}", "/api/stats", "/api/health"} <= set(spec["paths"])
    assert {param["name"] for param in spec["paths"]["/api/search"]["get"]["parameters"]} >= {
        "q", "limit", "page", "sort", "since", "until", "source", "facet", "snippet_chars"}
    responses = spec["paths"]["/api/search"]["get"]["responses"]
    assert set(responses) == {"200", "400", "503"} and "ValidationError" not in json.dumps(spec)
    docs = client.get("/api/docs").text
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs)
    assert assets and all(asset.startswith("/swagger-ui/") for asset in assets), assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


# -- the page

def test_search_page_lists_hits_facets_chart_and_pages(client):
    page = client.get("/", params={"q": "Mariupol corridor", "limit": 2})
    assert page.status_code == 200
    text = page.text
    # one script, a file of this server (completions while typing); the page works without it
    assert re.findall(r"<script[^>]*>", text) == ['<script src="/static/suggest.js" defer>']
    assert re.search(r'<li class="hit">\s*<h2><a href="/articles/000_fdb48ad2d1f0ca55.txt\?', text)
    assert "<mark>Mariupol</mark>" in text
    assert "matching articles" in text and 'aria-current="page"' in text
    assert "<svg class=\"histogram\"" in text and "<rect" in text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe" not in policy and "default-src 'none'" in policy
    assert client.get("/static/suggest.js").status_code == 200
    source_link = html.unescape(re.search(r'<a href="(/\?[^"]*source=Valdoria\+Wire[^"]*)"', text).group(1))
    narrowed = client.get(source_link).text
    assert "Remove filter source Valdoria Wire" in narrowed
    assert set(re.findall(r'<p class="meta">([^<·]+)', narrowed)) == {"Valdoria Wire "}
    next_link = html.unescape(re.search(r'<a rel="next" href="([^"]+)"', text).group(1))
    assert "page=2" in next_link
    assert '<ol class="hits" start="3">' in client.get(next_link).text
    by_date = client.get("/", params={"q": "corridor", "sort": "date"}).text
    dates = re.findall(r'<time datetime="([^"]+)"', by_date)
    assert dates == sorted(dates, reverse=True) and len(dates) > 2


def test_date_facet_links_narrow_to_that_bucket(client):
    text = client.get("/", params={"q": "corridor"}).text
    link = html.unescape(re.search(r'<a href="(/\?[^"]*since=2021-10&amp;until=2021-10[^"]*)"', text).group(1))
    narrowed = client.get(link).text
    assert set(re.findall(r'<time datetime="(\d{4}-\d\d)', narrowed)) == {"2021-10"}


def test_a_bad_search_shows_why_with_the_query_kept_to_correct(client):
    page = client.get("/", params={"q": 'corridor AND "Mariupol'})
    assert page.status_code == 400
    assert "That search cannot be run" in page.text and "has no closing quote" in page.text
    assert 'value="corridor AND &#34;Mariupol"' in page.text


def test_suggestion_line_links_the_respelled_search(client):
    text = client.get("/", params={"q": "Mariupl corridr"}).text
    assert 'showing results for\n    <a href="/?q=Mariupol+corridor">Mariupol corridor</a>' in text


def test_article_view_marks_the_query_in_the_full_text(client):
    text = client.get(f"/articles/{SEED_ID}", params={"q": "Mariupol corridor", "page": 1}).text
    assert text.count("<mark>Mariupol</mark>") >= 5 and "<mark>corridors</mark>" in text
    assert 'href="/?q=Mariupol+corridor"' in text
    assert "Similar articles" in text


def test_every_piece_of_text_and_the_query_is_escaped(client):
    for response in (client.get("/", params={"q": "corridor Harbour"}),
                     client.get("/", params={"q": PAYLOAD}),
                     client.get("/articles/evil-%3C1%3E", params={"q": f"corridor {PAYLOAD}"}),
                     client.get("/articles/evil-%3C1%3E", params={"q": '"unclosed <script>'}),
                     client.get("/", params={"q": "corridor", "source": PAYLOAD}),
                     client.get("/api/docs/../../articles/%3Cscript%3E")):
        assert_escaped(response.text)
    page = client.get("/", params={"q": "corridor Harbour"}).text
    assert "Harbour corridor &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    view = client.get("/articles/evil-%3C1%3E", params={"q": "corridor"}).text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in view and 'class="original"' not in view
    hit = client.get("/api/search", params={"q": "corridor Harbour"}).json()["hits"][0]
    assert hit["id"] == "evil-<1>" and "&lt;script&gt;" in hit["snippet"] and "<script" not in hit["snippet"]


def test_serve_command_is_thin_and_the_web_stack_loads_only_for_it(runner):
    assert "--port" in runner.invoke(cli, ["serve", "--help"]).output
    code = "import sys, newsearch.cli; print(sorted({'fastapi', 'starlette', 'uvicorn', 'jinja2'} & set(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
    without = ("import sys; sys.modules['fastapi'] = None\n"
               "from newsearch.cli import cli; cli(['serve'])")
    result = subprocess.run([sys.executable, "-c", without], capture_output=True, text=True)
    assert result.returncode == 1
    assert "install newsearch[serve]" in result.stderr and "Traceback" not in result.stderr


def test_serve_listens_where_the_environment_says(tmp_path):
    import socket
    import time
    import urllib.error
    import urllib.request

    with socket.socket() as probe:  # a free port on the loopback address the server is told to use
        probe.bind(("127.0.0.2", 0))
        port = probe.getsockname()[1]
    environment = {**os.environ, "NEWSEARCH_HOST": "127.0.0.2", "NEWSEARCH_PORT": str(port)}
    server = subprocess.Popen([sys.executable, "-m", "newsearch", "serve", "--index", str(tmp_path / "none")],
                              env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        answer = None
        for _ in range(100):  # up to about 20 s for the server to start on a busy machine
            try:
                urllib.request.urlopen(f"http://127.0.0.2:{port}/api/health", timeout=2)
            except urllib.error.HTTPError as error:
                answer = error  # 503: there is no index in that folder, but it is our server answering
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.2)
        assert answer is not None and answer.code == 503, server.stderr.read() if server.poll() is not None else ""
        assert json.loads(answer.read())["status"] == 503
    finally:
        server.terminate()
        server.wait(10)


def start_server(index_dir: Path, log: Path, *options: str) -> tuple[subprocess.Popen, int]:
    """`newsearch serve` on a free loopback port, its output in ``log`` (a pipe would fill and stall it)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with log.open("w") as output:
        server = subprocess.Popen([sys.executable, "-m", "newsearch", "serve", "--index", str(index_dir),
                                   "--port", str(port), *options], stdout=output, stderr=subprocess.STDOUT)
    return server, port


def health_from_every_worker(server: subprocess.Popen, port: int, log: Path, documents: int,
                             workers: int) -> set[int]:
    """The processes seen answering /api/health with ``documents``, once ``workers`` of them have (bursts of
    concurrent requests on new connections, which the kernel hands to whichever worker accepts first)."""
    import time
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    def health(_: int) -> dict | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=10) as answer:
                return json.loads(answer.read())
        except OSError:
            return None

    seen: set[int] = set()
    with ThreadPoolExecutor(8) as pool:
        for _ in range(300):  # about a minute for a busy machine to start both workers and spread the bursts
            assert server.poll() is None, log.read_text()
            for answer in pool.map(health, range(8)):
                if answer is not None and answer["documents"] == documents:
                    seen.add(answer["pid"])
            if len(seen) >= workers:
                return seen
            time.sleep(0.2)
    raise AssertionError(f"{len(seen)} of {workers} workers answered with {documents} documents: {log.read_text()}")


def stop(server: subprocess.Popen, workers: set[int]) -> None:
    """SIGTERM to the server: it exits 0, and no worker outlives it."""
    server.terminate()
    assert server.wait(10) == 0
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists(), f"worker {pid} outlived the server"


@pytest.mark.only_engine("whoosh")  # the engine the processes are for (one interpreter lock each); any engine works
def test_workers_answer_from_every_process_follow_an_update_and_stop_together(tmp_path, runner):
    corpus, folder = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(CORPUS / "txt", corpus)
    arrival = corpus / "harbour-bridge-reopens.txt"
    arrival.rename(tmp_path / arrival.name)  # indexed by the update, while the server runs
    assert runner.invoke(cli, ["index", str(corpus), "--index", str(folder)]).exit_code == 0
    server, port = start_server(folder, tmp_path / "serve.log", "--workers", "2")
    try:
        before = health_from_every_worker(server, port, tmp_path / "serve.log", 7, workers=2)
        assert len(before) == 2 and server.pid not in before
        (tmp_path / arrival.name).rename(arrival)
        updated = runner.invoke(cli, ["update", "--index", str(folder)])
        assert updated.exit_code == 0, updated.output
        after = health_from_every_worker(server, port, tmp_path / "serve.log", 8, workers=2)
        assert after == before  # the same workers, each now on the new generation
        hits = json.loads(urllib_get(port, "/api/search?q=harbour+bridge+reopens"))["hits"]
        assert hits[0]["id"] == "harbour-bridge-reopens.txt"
    finally:
        if server.poll() is None:
            stop(server, before)


@pytest.mark.only_engine("whoosh")
def test_a_worker_that_dies_is_replaced_and_the_port_keeps_answering(tmp_path, runner):
    import signal

    folder, log = tmp_path / "index", tmp_path / "serve.log"
    assert runner.invoke(cli, ["index", str(CORPUS / "txt"), "--index", str(folder)]).exit_code == 0
    server, port = start_server(folder, log, "--workers", "2")
    workers: set[int] = set()
    try:
        workers = health_from_every_worker(server, port, log, 8, workers=2)
        dead = workers.pop()
        os.kill(dead, signal.SIGKILL)
        workers |= health_from_every_worker(server, port, log, 8, workers=2)
        assert dead not in workers and len(workers) == 2
        assert f"Child process [{dead}] died" in log.read_text()
    finally:
        if server.poll() is None:
            stop(server, workers)


def urllib_get(port: int, path: str) -> bytes:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
        return answer.read()


@needs("collapses", "does not collapse near-duplicates yet: it lists every copy")
def test_page_and_api_show_each_story_once(tmp_path, runner):
    story = ("The ferry operator said on Tuesday that the harbour crossing would reopen next week after repairs "
             "to the landing stage, which was damaged in the storm last month. Engineers replaced two pontoons "
             "and the ramp, and inspectors will check the work on Friday before the first sailing. The company "
             "apologised to passengers for the long closure and said timetables would return to normal.")
    records = [{"id": "wire", "title": "Ferry crossing to reopen", "body": story, "published": "2022-03-01",
                "source": "Valdoria Wire"},
               {"id": "copy", "title": "Harbour ferry back next week", "body": story + " More to follow.",
                "published": "2022-03-01", "source": "Northfield Courier"}]
    with Index.create(tmp_path / "ix") as ix:
        ix.add(records)
    with TestClient(create_app(tmp_path / "ix")) as client:
        page = client.get("/", params={"q": "ferry harbour"}).text
        assert "2 matching articles in 1 story" in page and "+1 similar" in page
        collapsed = client.get("/api/search", params={"q": "ferry harbour"}).json()
        assert (collapsed["total"], collapsed["stories"], len(collapsed["hits"])) == (2, 1, 1)
        assert collapsed["hits"][0]["duplicates"] == 1
        every = client.get("/api/search", params={"q": "ferry harbour", "collapse": "false"}).json()
        assert (every["stories"], sorted(hit["id"] for hit in every["hits"])) == (None, ["copy", "wire"])
        versions = client.get("/api/duplicates/wire").json()
    assert [(v["id"], v["source"]) for v in versions["duplicates"]] == [("copy", "Northfield Courier")]
    printed = runner.invoke(cli, ["similar", "wire", "--duplicates", "--json", "--index", str(tmp_path / "ix")])
    assert json.loads(printed.output) == versions


# -- feeds and the timeline

ATOM = "{http://www.w3.org/2005/Atom}"


def parse_atom(response) -> ElementTree.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{name}").text, name
    for entry in feed.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated", "summary"):
            assert entry.find(f"{ATOM}{name}") is not None and entry.find(f"{ATOM}{name}").text, name
        assert entry.find(f"{ATOM}link[@rel='alternate']").get("href").startswith("http://testserver/articles/")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", entry.find(f"{ATOM}updated").text)
    return feed


def test_feed_of_a_search_is_atom_newest_first_and_linked_from_the_page(client, index_dir):
    feed = parse_atom(client.get("/feed.atom", params={"q": "corridor"}))
    with Index.open(index_dir) as ix:
        newest = [hit.id for hit in ix.query("corridor", sort="date", limit=20)]
    entries = feed.findall(f"{ATOM}entry")
    assert [entry.find(f"{ATOM}link").get("href").rsplit("/", 1)[1] for entry in entries] == [
        re.sub(r"[^\w.~-]", lambda c: "%" + c.group().encode().hex().upper(), id) for id in newest]
    assert "<b>corridor</b>" in entries[0].find(f"{ATOM}summary").text
    assert len(parse_atom(client.get("/feed.atom", params={"q": "corridor", "limit": 2})).findall(f"{ATOM}entry")) == 2
    page = client.get("/", params={"q": "corridor"}).text
    assert '<link rel="alternate" type="application/atom+xml"' in page and 'href="/feed.atom?q=corridor"' in page
    assert client.get("/feed.atom").status_code == 400
    assert client.get("/feed.atom", params={"q": "corridor", "watch": "x"}).status_code == 400


def test_feed_of_a_saved_search_and_escaping(client, index_dir):
    with Index.open(index_dir) as ix:
        ix.watch("gazette-harbour", "harbour", source="The Harbour Gazette")
    feed = parse_atom(client.get("/feed.atom", params={"watch": "gazette-harbour"}))
    assert "gazette-harbour" in feed.find(f"{ATOM}title").text
    authors = {entry.find(f"{ATOM}author/{ATOM}name").text for entry in feed.findall(f"{ATOM}entry")}
    assert len(feed.findall(f"{ATOM}entry")) == 6 and authors
    assert client.get("/feed.atom", params={"watch": "never-saved"}).status_code == 404
    entries = parse_atom(client.get("/feed.atom", params={"q": "corridor Harbour"})).findall(f"{ATOM}entry")
    [evil] = [entry for entry in entries if entry.find(f"{ATOM}id").text.endswith("/articles/evil-%3C1%3E")]
    assert evil.find(f"{ATOM}title").text == EVIL["title"]  # text in the XML, never markup
    assert evil.find(f"{ATOM}link[@rel='related']") is None  # a javascript: URL is not linked


def test_timeline_endpoint_gives_the_numbers_of_the_command(client, index_dir, runner):
    for by in ("week", "month"):
        body = client.get("/api/timeline", params={"q": "corridor", "by": by, "since": "2021"}).json()
        printed = runner.invoke(cli, ["timeline", "corridor", "--by", by, "--since", "2021", "--json",
                                      "--index", str(index_dir)])
        assert body == json.loads(printed.output) and body["total"] > 0
    assert client.get("/api/timeline", params={"q": "corridor", "by": "hour"}).status_code == 400


def test_suggest_completes_title_words_and_titles(client, index_dir):
    body = client.get("/api/suggest", params={"q": "Mariupol corr"}).json()
    assert body["q"] == "Mariupol corr" and 0 < len(body["suggestions"]) <= 10
    assert {"text": "Mariupol corridor", "kind": "word"} in body["suggestions"]
    titles = client.get("/api/suggest", params={"q": "harbour corridor"}).json()["suggestions"]
    assert {"text": EVIL["title"], "kind": "title"} in titles  # as text: the page's script never parses it as HTML
    words = [item["text"] for item in client.get("/api/suggest", params={"q": "h"}).json()["suggestions"]]
    assert len(words) == 10 and "harbour" in words and all(word.lower().startswith("h") for word in words)
    assert client.get("/api/suggest", params={"q": "h", "limit": 3}).json()["suggestions"][:1] == [
        {"text": words[0], "kind": "word"}]
    assert client.get("/api/suggest", params={"q": ""}).json()["suggestions"] == []
    assert client.get("/api/suggest", params={"q": "qzxv"}).json()["suggestions"] == []
    assert client.get("/api/suggest", params={"q": "h", "limit": 11}).status_code == 400


def test_suggestions_follow_an_update(tmp_path):
    with Index.create(tmp_path / "ix") as ix:
        ix.add([{"id": "a", "title": "Ferry timetable changes", "body": "The ferry sails at noon."}])
    with TestClient(create_app(tmp_path / "ix")) as client:
        assert [s["text"] for s in client.get("/api/suggest", params={"q": "fer"}).json()["suggestions"]] == [
            "ferry", "Ferry timetable changes"]
        with Index.open(tmp_path / "ix") as ix:
            ix.add([{"id": "b", "title": "Ferries return to the harbour", "body": "Both ferries sailed."}])
        assert [s["text"] for s in client.get("/api/suggest", params={"q": "fer"}).json()["suggestions"]] == [
            "ferries", "ferry", "Ferries return to the harbour", "Ferry timetable changes"]


# -- what a server tells of itself

def test_the_server_tells_no_path_on_its_disk(client, index_dir):
    hits = client.get("/api/search", params={"q": "Mariupol corridor"}).json()["hits"]
    assert hits[0]["path"] == f"corpus/{SEED_ID}"
    assert client.get(f"/api/articles/{SEED_ID}").json()["path"] == f"corpus/{SEED_ID}"
    stats = client.get("/api/stats").json()
    assert stats["corpus"] == ["corpus"] and stats["path"] == "index"
    exported = client.get("/api/export", params={"q": "Mariupol corridor", "format": "jsonl"}).text.splitlines()
    assert json.loads(exported[0])["path"] == f"corpus/{SEED_ID}"
    table = client.get("/api/export", params={"q": "Mariupol corridor", "format": "csv"}).text
    assert f"corpus/{SEED_ID}" in table and str(index_dir.parent) not in table
    missing = client.get("/api/articles/no-such-id").json()["message"]
    assert missing == "no article with id 'no-such-id' in 'index'"
    assert str(index_dir.parent) not in client.get("/articles/no-such-id").text


def test_only_loopback_addresses_count_as_this_machine():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10") and not is_loopback("example.org")


def test_control_characters_in_titles_show_as_escapes(tmp_path):
    record = {"id": "wire-1", "title": "Harbour\x07 storm\x1b[2J", "body": "The harbour closed in the storm."}
    with Index.create(tmp_path / "ix") as ix:
        ix.add([record])  # ids with control characters are refused when indexed; titles keep them
    with TestClient(create_app(tmp_path / "ix")) as client:
        page = client.get("/", params={"q": "harbour storm"}).text
        article = client.get("/articles/wire-1").text
        hit = client.get("/api/search", params={"q": "harbour storm"}).json()["hits"][0]
    for shown in (page, article):
        assert "\x1b" not in shown and "\x07" not in shown
        assert html.escape("Harbour\\x07 storm\\x1b[2J") in shown
    assert hit["title"] == record["title"]  # the API gives the text itself; only what a person reads is escaped

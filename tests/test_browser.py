"""The search page in a real headless Chromium: search, facets, pages, article view, and no script ever runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import CORPUS, ROOT, SEED_ID, serving

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "screenshots"
# Debian's Chromium, as root on a machine without general network access, needs these to start quietly.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PAYLOAD = '<script>window.__pwned = "script"</script><img src=x onerror="window.__pwned = \'onerror\'">'
MALICIOUS = {
    "id": "evil-1", "source": "Evil Wire", "published": "2022-03-20", "url": "javascript:window.__pwned='url'",
    "title": f"Harbour corridor reopened {PAYLOAD}",
    "body": f"The corridor to the harbour reopened on Sunday. {PAYLOAD}\n\nOfficials said the corridor stays open.",
}

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (make install adds it)")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium package (.ci/run does)", allow_module_level=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory, engine):
    """A real uvicorn server on a free loopback port over the bundled corpus plus one malicious article."""
    from newsearch import Index
    from newsearch.web import create_app

    folder = tmp_path_factory.mktemp("browser")
    corpus = Path(shutil.copytree(CORPUS, folder / "corpus"))
    (corpus / "evil.json").write_text(json.dumps(MALICIOUS), encoding="utf-8")
    with Index.create(folder / "index") as ix:
        assert ix.update(corpus).ok
    with serving(create_app(folder / "index")) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def browser(engine):
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


def assert_nothing_ran(page) -> None:
    assert page.evaluate("window.__pwned") is None
    assert page.dialogs == []


def test_search_facet_pages_and_article_view(server, page):
    SCREENSHOTS.mkdir(exist_ok=True)
    page.goto(server)
    page.get_by_label("Search the archive").fill("Mariupol corridor")
    page.get_by_label("Search the archive").press("Enter")
    page.wait_for_url("**/?q=Mariupol+corridor*")

    first = page.locator(".hit").first
    assert SEED_ID in first.locator("h2 a").get_attribute("href")
    marks = {text.lower() for text in first.locator("mark").all_inner_texts()}
    assert "mariupol" in marks and marks & {"corridor", "corridors"}
    # The malicious article is listed with its markup shown as text.
    evil = page.locator(".hit", has_text="Harbour corridor reopened")
    assert "<script>" in evil.locator("h2").inner_text()
    assert "onerror=" in evil.inner_text()
    assert page.locator(".histogram rect").count() >= 2
    page.screenshot(path=str(SCREENSHOTS / "search.png"), clip={"x": 0, "y": 0, "width": 1200, "height": 720})
    total = int(page.locator("#count").inner_text().split()[0])

    page.locator(".sources a", has_text="Valdoria Wire").click()
    page.wait_for_url("**source=Valdoria+Wire*")
    narrowed = page.locator(".hit")
    assert 0 < narrowed.count() < total
    assert all("Valdoria Wire" in text for text in narrowed.locator(".meta").all_inner_texts())
    page.get_by_label("Remove filter source Valdoria Wire").click()
    assert page.locator(".hit").count() == total

    page.goto(page.url + "&limit=2")
    page.get_by_role("link", name="Next ›").click()
    assert page.locator(".pages [aria-current=page]").inner_text() == "2"
    assert page.locator("ol.hits").get_attribute("start") == "3"
    assert SEED_ID not in page.content()
    page.get_by_role("link", name="‹ Previous").click()
    page.locator(".hit h2 a").first.click()

    page.wait_for_url(f"**/articles/{SEED_ID}*")
    body_marks = {text.lower() for text in page.locator(".body mark").all_inner_texts()}
    assert {"mariupol", "corridors"} <= body_marks
    assert page.locator(".body mark").count() >= 5
    page.screenshot(path=str(SCREENSHOTS / "article.png"), full_page=True)
    page.get_by_role("link", name="Back to the results for Mariupol corridor").click()
    assert page.locator(".hit").count() == 2
    assert_nothing_ran(page)


def test_malicious_article_runs_nothing_in_its_view(server, page):
    page.goto(f"{server}/articles/evil-1?q=corridor+%3Cscript%3Ealert(1)%3C/script%3E")
    assert "<script>" in page.locator("h1").inner_text()
    assert 'onerror="window.__pwned' in page.locator(".body").inner_text()
    assert page.locator(".body mark").first.inner_text().lower() == "corridor"
    assert page.locator(".original").count() == 0  # a javascript: URL is never a link
    assert page.locator("img").count() == 0
    page.get_by_label("Search the archive").fill('<img src=x onerror="window.__pwned=1">')
    page.get_by_label("Search the archive").press("Enter")
    page.wait_for_load_state()
    assert_nothing_ran(page)


def test_page_fits_a_phone_screen(server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{server}/?q=corridor")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator(".hit").count() > 0
    page.screenshot(path=str(SCREENSHOTS / "phone.png"))
    context.close()


def test_search_box_offers_completions_while_typing(server, page):
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(server)
    box = page.get_by_label("Search the archive")
    box.press_sequentially("Mariupol corr", delay=20)
    page.locator("#q-suggestions option[value='Mariupol corridor']").wait_for(state="attached")  # the last keystroke's
    offered = page.eval_on_selector_all("#q-suggestions option", "options => options.map(option => option.value)")
    assert "Mariupol corridor" in offered and len(offered) <= 10
    assert box.get_attribute("list") == "q-suggestions"
    box.fill("")
    box.press_sequentially("harbour corridor reo", delay=20)
    page.locator("#q-suggestions option[value^='Harbour corridor reopened']").wait_for(state="attached")
    offered = page.eval_on_selector_all("#q-suggestions option", "options => options.map(option => option.value)")
    assert any("<script>" in value for value in offered)  # the malicious title is offered as text
    assert page.locator("img").count() == 0
    box.press("Enter")
    page.wait_for_url("**/?q=harbour+corridor+reo*")
    assert_nothing_ran(page)
    assert problems == []  # no request or script refused by the Content-Security-Policy


def test_search_works_without_javascript(server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server)
    page.get_by_label("Search the archive").fill("Mariupol corridor")
    page.get_by_label("Search the archive").press("Enter")
    page.wait_for_url("**/?q=Mariupol+corridor*")
    assert SEED_ID in page.locator(".hit h2 a").first.get_attribute("href")
    assert page.locator("#q-suggestions").count() == 0
    context.close()

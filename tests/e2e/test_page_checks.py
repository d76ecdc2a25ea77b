"""The page checks every browser test relies on must fail on a broken page, or they prove nothing."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.harness import PageProblems, accessibility_violations, assert_accessible, assert_page_ok

pytestmark = pytest.mark.browser

PAGES = {
    "/ok": (200, "<main><h1>Daily papers</h1><p>fine</p></main>"),
    "/server-error": (500, "<main><h1>Internal Server Error</h1></main>"),
    "/script-error": (200, "<main><h1>Daily papers</h1></main><script>undefinedFunction()</script>"),
    "/no-heading": (200, "<main><p>A template that lost its heading</p></main>"),
    "/failing-asset": (200, '<main><h1>Daily papers</h1></main><script src="/missing.js"></script>'),
    "/inaccessible": (
        200,
        '<main><h1>Daily papers</h1><h3>Skipped a level</h3><img src="data:,">'
        '<button></button><button aria-label="Upvote">12</button></main>',
    ),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's hook name)
        status, body = PAGES.get(self.path, (404, "<h1>Not found</h1>"))
        data = f"<!doctype html><html lang='en'><title>t</title><link rel='icon' href='data:,'>{body}</html>".encode()
        self.send_response(status)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def broken_site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _check(browser, url: str) -> str:
    context = browser.new_context()
    try:
        page = context.new_page()
        problems = PageProblems(page)
        response = page.goto(url)
        page.wait_for_load_state("load")
        return assert_page_ok(page, response, problems)
    finally:
        context.close()


def test_a_healthy_page_passes(browser, broken_site):
    assert _check(browser, broken_site + "/ok") == "Daily papers"


@pytest.mark.parametrize(
    "path, reason",
    [
        ("/server-error", "answered 500"),
        ("/script-error", "uncaught script error"),
        ("/no-heading", "has 0 main headings"),
        ("/failing-asset", "console error"),
    ],
)
def test_a_broken_page_fails(browser, broken_site, path, reason):
    with pytest.raises(AssertionError, match=reason):
        _check(browser, broken_site + path)


def test_the_browser_cannot_reach_the_internet(browser):
    context = browser.new_context()
    try:
        with pytest.raises(PlaywrightError, match="ERR_NAME_NOT_RESOLVED"):
            context.new_page().goto("https://cdn.jsdelivr.net/", timeout=10_000)
    finally:
        context.close()


def test_the_accessibility_check_fails_on_an_inaccessible_page(browser, broken_site):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(broken_site + "/ok")
        assert_accessible(page)
        page.goto(broken_site + "/inaccessible")
        rules = {line.split(" ", 1)[0] for line in accessibility_violations(page)}
        assert {"image-alt", "button-name", "heading-order", "label-content-name-mismatch"} <= rules
        with pytest.raises(AssertionError, match="accessibility rules"):
            assert_accessible(page)
    finally:
        context.close()

"""Absolute links follow the site as it is served: pages and feeds link to the origin they were asked on
(unless DAILYPAPERS_BASE_URL says otherwise); mail links to the configured base or the address `serve` binds,
never to a Host header a request made up."""

from __future__ import annotations

import re
import socket
import subprocess
from pathlib import Path

import pytest

import dailypapers.commands.demo as demo_commands
from dailypapers.config import get_settings, reset_settings
from tests.web_helpers import add_papers, client, csrf, free_port, record, signup

PAPER = "2501.00042"
SERVED = "http://papers.test:18200"
OUTSIDE = {"http://arxiv.org", "https://arxiv.org", "http://www.w3.org"}
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def paper(session):
    add_papers(session, [record(PAPER, "Graph networks for rivers")])


def absolute_links(text: str) -> set[str]:
    """The origins of every absolute http(s) link on a page or in a feed, but arXiv's and XML namespaces."""
    return {m[1] for m in re.finditer(r"(https?://[^/\"'&<\s]+)", text)} - OUTSIDE


def public_collection(c) -> str:
    signup(c)
    created = c.post("/collections", data={"name": "Reading group", "public": "1", "csrf_token": csrf(c, "/papers")})
    assert created.status_code == 303
    return created.headers["location"]


PAGES = [
    "/papers/feed.xml",
    "/papers/rss.xml",
    "/papers/trending/feed.xml",
    "/papers/trending/rss.xml",
    "/search/feed.xml?q=rivers&mode=keyword",
    "/search/rss.xml?q=rivers&mode=keyword",
    f"/papers/{PAPER}",
    f"/papers/{PAPER}.md",
    "/docs",
]


def test_pages_and_feeds_link_to_the_origin_they_were_asked_on(settings, paper, monkeypatch):
    monkeypatch.delenv("DAILYPAPERS_BASE_URL", raising=False)
    reset_settings()
    with client(SERVED) as c:
        for path in PAGES:
            answer = c.get(path)
            assert answer.status_code == 200, path
            assert absolute_links(answer.text) == {SERVED}, path
        page = c.get(f"/papers/{PAPER}").text
        assert f'<meta property="og:url" content="{SERVED}/papers/{PAPER}">' in page
        assert f'HfApi(endpoint="{SERVED}")' in c.get("/docs").text
        collection = public_collection(c)
        share = re.search(r'id="share-link">([^<]+)<', c.get(collection).text)[1]
        assert share == SERVED + collection


def test_the_configured_base_url_wins_over_the_request(settings, paper, monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_BASE_URL", "https://papers.example.org/")
    reset_settings()
    with client(SERVED) as c:
        for path in PAGES:
            assert absolute_links(c.get(path).text) == {"https://papers.example.org"}, path


def test_the_page_cache_keeps_each_host_its_own_links(settings, paper, monkeypatch):
    monkeypatch.delenv("DAILYPAPERS_BASE_URL", raising=False)
    monkeypatch.setenv("DAILYPAPERS_PAGE_CACHE_SECONDS", "60")
    reset_settings()
    with client(SERVED) as c:
        assert absolute_links(c.get("/papers/feed.xml").text) == {SERVED}
        forged = c.get("/papers/feed.xml", headers={"Host": "evil.example"}).text
        assert absolute_links(forged) == {"http://evil.example"}
        assert absolute_links(c.get("/papers/feed.xml").text) == {SERVED}  # not poisoned by the forged Host


@pytest.mark.parametrize("configured", [True, False])
def test_the_confirmation_mail_never_trusts_the_request_host(settings, sink, monkeypatch, configured):
    """Configured: its base URL. Unset: the address the server listens on (`serve` sets it), never the Host."""
    if configured:
        expected = "http://testserver"  # the sink's settings configure it
    else:
        monkeypatch.delenv("DAILYPAPERS_BASE_URL")
        monkeypatch.setenv("DAILYPAPERS_SERVED_URL", expected := "http://127.0.0.1:18200")
        reset_settings()
    with client("http://evil.example") as c:
        answer = c.post("/api/subscriptions", json={"email": "reader@example.org"})
        assert answer.status_code == 202
    [mail] = sink.handler.to("reader@example.org")
    text = mail.message.get_body(("plain",)).get_content()
    assert "evil.example" not in mail.message.as_string()
    assert absolute_links(text) == {expected}


@pytest.mark.parametrize(
    "host,url",
    [
        ("127.0.0.1", "http://127.0.0.1:18200"),
        ("0.0.0.0", "http://127.0.0.1:18200"),
        ("::1", "http://[::1]:18200"),
        ("papers.lan", "http://papers.lan:18200"),
    ],
)
def test_serve_tells_mail_the_address_it_binds(settings, monkeypatch, host, url):
    monkeypatch.delenv("DAILYPAPERS_BASE_URL", raising=False)
    monkeypatch.delenv("DAILYPAPERS_SERVED_URL", raising=False)
    monkeypatch.setattr(demo_commands, "check_port_free", lambda host, port: None)
    seen = {}
    monkeypatch.setattr(demo_commands.uvicorn, "run", lambda *a, **k: seen.update(origin=get_settings().origin()))
    demo_commands.serve_command(host=host, port=18200, workers=1)
    assert seen["origin"] == url


def test_serve_keeps_a_configured_base_url(settings, monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_BASE_URL", "https://papers.example.org")
    monkeypatch.setattr(demo_commands.uvicorn, "run", lambda *a, **k: None)
    demo_commands.serve_command(host="127.0.0.1", port=free_port(), workers=1)
    assert get_settings().origin() == "https://papers.example.org"


def test_demo_on_a_busy_port_fails_at_once_before_loading(cli, settings):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("demo", "--port", str(port))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "--port" in result.stderr
    assert "demo papers" not in result.stderr + result.stdout  # reported before loading and indexing


def test_make_demo_passes_the_port_and_host_through():
    dry = subprocess.run(
        ["make", "-n", "demo", "PORT=18200", "HOST=0.0.0.0"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "dailypapers demo --host 0.0.0.0 --port 18200" in dry
    dry = subprocess.run(
        ["make", "-n", "serve", "PORT=18201"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "dailypapers serve --host 127.0.0.1 --port 18201" in dry

"""The anonymous micro-cache: what it keeps, for whom, and when it lets go."""

from __future__ import annotations

import asyncio
import re
import tracemalloc

import pytest

from dailypapers.config import reset_settings
from dailypapers.web.middleware import cache
from tests.web_helpers import Clock, add_papers, client, csrf, csrf_from, record, signup


@pytest.fixture
def clock() -> Clock:
    return Clock()  # the cache's clock, moved by the test instead of waited for


@pytest.fixture
def short_cache(settings, monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_PAGE_CACHE_SECONDS", "3")
    reset_settings()


def test_anonymous_pages_are_kept_briefly_then_refreshed(short_cache, clock, session):
    add_papers(session, [record("2501.00001", "First paper")])
    c = client(clock=clock)
    assert "First paper" in c.get("/papers").text
    add_papers(session, [record("2501.00002", "Second paper")])  # written behind the app's back
    assert "Second paper" not in c.get("/papers").text  # served from memory
    assert "Second paper" in c.get("/papers?sort=newest").text  # another URL is another entry
    clock.now += 6.8  # past the period, its jitter and the stale-while-revalidate grace period after it
    assert "Second paper" in c.get("/papers").text


def test_signed_in_visitors_always_get_fresh_pages(short_cache, clock, session):
    add_papers(session, [record("2501.00001", "First paper")])
    c = client(clock=clock)
    signup(c)
    c.get("/papers")
    add_papers(session, [record("2501.00002", "Second paper")])
    assert "Second paper" in c.get("/papers").text


def test_a_write_empties_the_cache(short_cache, clock, session):
    add_papers(session, [record("2501.00001", "First paper")])
    other = client(clock=clock)
    signup(other)
    page = other.post("/settings/tokens", data={"name": "t", "csrf_token": csrf(other, "/settings")})
    token = re.search(r'id="new-token">(dp_[^<]+)<', page.text)[1]
    c = client(clock=clock)
    assert "data-count>0<" in c.get("/papers/2501.00001").text  # now in c's cache
    voted = c.post("/api/papers/2501.00001/upvote", headers={"Authorization": f"Bearer {token}"})
    assert voted.json()["upvotes"] == 1
    assert "data-count>1<" in c.get("/papers/2501.00001").text


def test_pages_with_forms_are_never_shared(short_cache, clock):
    first, second = client(clock=clock), client(clock=clock)
    assert csrf_from(first.get("/login").text) != csrf_from(second.get("/login").text)
    a = client(clock=clock)
    assert csrf_from(a.get("/login").text) == csrf_from(a.get("/login").text)  # same browser, same token


def test_cache_can_be_turned_off(settings, monkeypatch, clock, session):
    monkeypatch.setenv("DAILYPAPERS_PAGE_CACHE_SECONDS", "0")
    reset_settings()
    add_papers(session, [record("2501.00001", "First paper")])
    c = client(clock=clock)
    c.get("/papers")
    add_papers(session, [record("2501.00002", "Second paper")])
    assert "Second paper" in c.get("/papers").text


def test_expired_pages_are_refreshed_in_the_background(settings, monkeypatch, clock, session):
    monkeypatch.setenv("DAILYPAPERS_PAGE_CACHE_SECONDS", "2")
    reset_settings()
    add_papers(session, [record("2501.00001", "First paper")])
    with client(clock=clock) as c:  # one event loop for the whole block: a background render outlives its request
        assert "First paper" in c.get("/papers").text
        add_papers(session, [record("2501.00002", "Second paper")])
        clock.now += 2.6  # past the period and its jitter, within the grace period after it
        assert "Second paper" not in c.get("/papers").text  # stale, served at once; a refresh starts
        c.portal.call(background_renders, c.app)
        assert "Second paper" in c.get("/papers").text  # the refresh, kept: no visitor waited for it


async def background_renders(app) -> None:
    """Wait for the micro-cache's background renders to land (instead of polling the site until they do)."""
    layer = app.middleware_stack
    while not isinstance(layer, cache.MicroCache):
        layer = layer.app
    await asyncio.gather(*layer.tasks)


class Pages:
    """A bare ASGI app: `/N` answers N bytes; counts its renders."""

    def __init__(self):
        self.renders = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":  # a client's `with` block starts and stops the app
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            return await send({"type": "lifespan.shutdown.complete"})
        self.renders += 1
        name = scope["path"].strip("/")
        size = int(name) if name.isdigit() else 0
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"x" * size})


@pytest.fixture
def small_cache(monkeypatch, clock):
    """A cache of 160 kB with a 1 s period, in front of `Pages`, and a client with one event loop for all its
    requests (a background refresh outlives the request that started it)."""
    from fastapi.testclient import TestClient

    monkeypatch.setenv("DAILYPAPERS_PAGE_CACHE_SECONDS", "1")
    monkeypatch.setenv("DAILYPAPERS_PAGE_CACHE_BYTES", "160000")
    reset_settings()
    pages = Pages()
    micro = cache.MicroCache(pages, clock=clock)
    with TestClient(micro) as c:
        yield pages, micro, c


def held(micro) -> int:
    return sum(len(entry.body) for entry in micro.entries.values())


def test_the_cache_is_bounded_by_bytes_oldest_first(small_cache):
    pages, micro, c = small_cache
    for n in range(5000, 5100):  # 100 distinct pages of about 5 kB: 500 kB in all
        c.get(f"/{n}")
    assert held(micro) <= 160_000
    assert micro.bytes == sum(micro._size(k, e.headers, e.body) for k, e in micro.entries.items())
    renders = pages.renders
    c.get("/5099")  # the newest is still kept
    assert pages.renders == renders
    c.get("/5000")  # the oldest went first
    assert pages.renders == renders + 1


def test_a_response_too_large_for_the_cache_is_not_kept(small_cache):
    pages, micro, c = small_cache
    c.get("/5000")
    c.get("/5000")
    assert pages.renders == 1
    c.get("/20000")  # above a sixteenth of the bound: it would push out everything else
    c.get("/20000")
    assert pages.renders == 3
    assert held(micro) == 5000


class Stream:
    """A bare ASGI app that streams `chunks` pieces of 10 kB, as a StreamingResponse does (an export)."""

    def __init__(self, chunks: int):
        self.chunks = chunks

    async def __call__(self, scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for _ in range(self.chunks):
            await send({"type": "http.response.body", "body": b"x" * 10_000, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


def test_a_streamed_response_too_large_for_the_cache_is_not_held_while_it_streams(small_cache):
    """A public collection's export streams 35 MB to an anonymous reader: the cache lets go of each piece
    once the response is past what it would keep, so its memory does not grow with the response."""
    micro = cache.MicroCache(Stream(chunks=200))  # 2 MB, the cache keeps at most 10 kB of one response
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/export.bib",
        "query_string": b"",
        "scheme": "http",
        "headers": [(b"host", b"testserver")],
    }
    received = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):  # the client takes each piece and lets it go
        received.append(len(message.get("body", b"")))

    tracemalloc.start()
    try:
        asyncio.run(micro(scope, receive, send))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sum(received) == 2_000_000 and not micro.entries
    assert peak < 500_000, f"the cache held {peak:,} bytes of a 2 MB stream"


def test_a_quiet_cache_lets_go_of_expired_pages(small_cache, clock):
    pages, micro, c = small_cache
    for n in range(100, 110):
        c.get(f"/{n}")
    assert len(micro.entries) == 10
    clock.now += 2.5  # past the period, its jitter and grace period: nothing here can be served again
    c.get("/static/site.css")  # any request at all, even one the cache never keeps
    assert len(micro.entries) == 0 and micro.bytes == 0


def test_pages_stored_together_expire_apart(small_cache, clock, monkeypatch):
    """Each entry's period is stretched at random, so a second's worth of pages is not rendered again at once."""
    pages, micro, c = small_cache
    stretch = iter([0.0, 0.99])  # the first page's period as it is, the second's stretched by nearly a quarter
    monkeypatch.setattr(cache, "jitter", lambda: next(stretch))
    c.get("/100")
    c.get("/101")
    renders = pages.renders
    clock.now += 1.1  # past a period, within the stretched one
    c.get("/101")
    assert pages.renders == renders and not micro.refreshing  # still fresh: no render, none started
    c.get("/100")
    # stale: served, and rendered again behind it (a refresh leaves `refreshing` after its render: this order)
    assert micro.refreshing or pages.renders == renders + 1


class GatedPages(Pages):
    """`Pages` whose background refreshes wait at a gate while one is set (an asyncio.Event of the client's loop);
    a reader's render never waits, so a reader who renders shows in the count at once."""

    gate: asyncio.Event | None = None

    async def __call__(self, scope, receive, send):
        if self.gate is not None and scope.get("state", {}).get(cache.BACKGROUND_REFRESH):
            await self.gate.wait()
        await super().__call__(scope, receive, send)


def test_a_refresh_that_runs_late_keeps_its_page_served_until_it_lands(monkeypatch, clock):
    """Under load a refresh can take longer than the grace period: readers keep the stale page meanwhile, rather
    than each of them rendering it again, and once the refresh lands its page is the one served."""
    from fastapi.testclient import TestClient

    monkeypatch.setenv("DAILYPAPERS_PAGE_CACHE_SECONDS", "1")
    monkeypatch.setattr(cache, "jitter", lambda: 0.0)
    reset_settings()
    pages = GatedPages()
    micro = cache.MicroCache(pages, clock=clock)
    with TestClient(micro) as c:  # one event loop: the refresh outlives the request that started it
        assert c.get("/100").content == b"x" * 100
        pages.gate = c.portal.call(_new_event)
        clock.now += 1.5  # stale, within the grace period: served, and a refresh starts (held at the gate)
        refresh_began = clock.now
        assert c.get("/100").status_code == 200 and micro.refreshing
        clock.now += 5.0  # long past the grace period, the refresh still running
        c.get("/other")  # any request sweeps the expired entries: this one stays, its refresh running
        for _ in range(3):
            assert c.get("/100").content == b"x" * 100
        assert pages.renders == 2  # the first render and "/other" (the refresh waits): no reader rendered "/100"
        c.portal.call(pages.gate.set)
        c.portal.call(_tasks_done, micro)
        assert not micro.refreshing and pages.renders == 3
        # the refresh's page replaced the stale one, born when the refresh began to read
        assert [started for key, (started, *_) in micro.entries.items() if key[3] == "/100"] == [refresh_began]
        clock.now += 10.0  # long expired, and no refresh running: a reader renders it
        assert c.get("/100").content == b"x" * 100 and pages.renders == 4


async def _new_event() -> asyncio.Event:
    return asyncio.Event()


async def _tasks_done(micro) -> None:
    await asyncio.gather(*micro.tasks)


def test_a_page_whose_data_did_not_change_is_renewed_without_a_render(monkeypatch, clock):
    """A refresh asks the store's data version first: unchanged since the render, the page is kept another period
    (up to RENEWAL_LIMIT periods after its render); changed, or unknown, it is rendered again."""
    from fastapi.testclient import TestClient

    monkeypatch.setenv("DAILYPAPERS_PAGE_CACHE_SECONDS", "1")
    monkeypatch.setattr(cache, "jitter", lambda: 0.0)
    reset_settings()
    pages, store = Pages(), {"version": "a"}
    micro = cache.MicroCache(pages, clock=clock, version=lambda: store["version"])

    def stale_read() -> int:
        """Renders after a read one period on (served from memory, then refreshed behind it)."""
        clock.now += 1.1
        assert c.get("/100").content == b"x" * 100
        c.portal.call(_tasks_done, micro)
        return pages.renders

    with TestClient(micro) as c:
        c.get("/100")
        assert pages.renders == 1  # a reader's render, at version "a"
        assert stale_read() == 1  # nothing written since: renewed
        assert stale_read() == 1
        store["version"] = "b"  # a commit, in any worker
        assert stale_read() == 2
        # unchanged, but rendered again once RENEWAL_LIMIT periods have passed since its render (9 x 1.1 s < 10 s)
        assert [stale_read() for _ in range(cache.RENEWAL_LIMIT)] == [2] * (cache.RENEWAL_LIMIT - 1) + [3]
        store["version"] = None  # a store that cannot tell: every refresh renders
        assert [stale_read() for _ in range(2)] == [4, 5]


def test_the_data_version_moves_with_every_commit(settings, session):
    """`data_version` reads the same while nothing is written (on SQLite, where no other database shares the
    server) and moves once a write commits, from another connection as from this process's pool."""
    from dailypapers.store.db import data_version

    before = data_version()
    assert before is not None
    if settings.db_url.startswith("sqlite"):
        assert data_version() == before
        assert "2501.00001" not in _paper_ids(session)  # a read moves nothing
        assert data_version() == before
    add_papers(session, [record("2501.00001", "First paper")])
    assert data_version() != before


def _paper_ids(session) -> set[str]:
    from sqlalchemy import select

    from dailypapers.store.models import Paper

    return set(session.scalars(select(Paper.arxiv_id)))

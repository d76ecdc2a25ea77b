"""The feed and paper pages take turns on their own threads (`page_threads` per worker), and a page that is
held up holds up no other route."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import anyio
import pytest
from fastapi import Request

from dailypapers.config import reset_settings
from dailypapers.web import page_threads
from dailypapers.web.middleware.cache import BACKGROUND_REFRESH
from dailypapers.web.routes import papers as paper_routes
from tests.web_helpers import client

WAIT = 30  # seconds; every wait below ends as soon as its condition holds


def _until(condition, what: str) -> None:
    """Poll a condition the requests reach on their own threads; fails after WAIT seconds."""
    done = threading.Event()
    for _ in range(WAIT * 100):
        if condition():
            return
        done.wait(0.01)
    pytest.fail(f"never happened: {what}")


def _waiting() -> int:
    """Pages waiting for a page thread (the test client's event loop has the only limiter)."""
    return sum(limiter.statistics().tasks_waiting for limiter in list(page_threads._limiters.values()))


@pytest.mark.parametrize("threads", [1, 2])
def test_pages_take_turns_and_a_held_page_holds_up_no_other_route(demo, monkeypatch, threads):
    monkeypatch.setenv("DAILYPAPERS_PAGE_THREADS", str(threads))
    reset_settings()
    release = threading.Event()
    lock = threading.Lock()
    inside, peak = [0], [0]
    shown = paper_routes.paper_view

    def held_paper_view(*args, **kwargs):
        with lock:
            inside[0] += 1
            peak[0] = max(peak[0], inside[0])
        try:
            assert release.wait(WAIT), "the test never released the page"
            return shown(*args, **kwargs)
        finally:
            with lock:
                inside[0] -= 1

    try:
        _held_pages(threads, held_paper_view, release, inside, monkeypatch)
    finally:
        release.set()  # a failing test lets its pages go rather than hold them for WAIT seconds
    assert peak[0] == threads


def _held_pages(threads, held_paper_view, release, inside, monkeypatch) -> None:
    with client() as web, ThreadPoolExecutor(threads + 1) as browsers:
        ids = [entry["paper"]["id"] for entry in web.get("/api/daily_papers?limit=5").json()]
        monkeypatch.setattr(paper_routes, "paper_view", held_paper_view)
        pages = [browsers.submit(web.get, f"/papers/{arxiv_id}") for arxiv_id in ids[: threads + 1]]
        _until(lambda: inside[0] == threads and _waiting() == 1, "the pages queue")

        # Every page thread is held, one more page waits for one, and the rest of the site answers.
        assert web.get("/api/daily_papers?limit=1").status_code == 200
        assert web.get(f"/api/papers/{ids[0]}").status_code == 200
        assert inside[0] == threads

        release.set()
        assert [page.result(WAIT).status_code for page in pages] == [200] * (threads + 1)


def test_the_default_is_one_thread_on_sqlite_and_four_on_a_database_server(settings, monkeypatch):
    monkeypatch.delenv("DAILYPAPERS_PAGE_THREADS", raising=False)
    reset_settings()
    expected = 1 if settings.db_url.startswith("sqlite") else 4
    assert page_threads.page_thread_count() == expected


def test_a_page_cache_refresh_takes_no_page_thread(settings):
    """The page cache's background renders keep the shared pool: a page a visitor waits for queues behind busy
    page threads, a refresh nobody waits for does not (behind them it would fall out of the cache's period)."""

    def page(request: Request) -> str:
        return "rendered"

    run = page_threads.on_page_thread(page)

    def request(state: dict) -> Request:
        return Request({"type": "http", "method": "GET", "path": "/papers", "headers": [], "state": state})

    async def scenario() -> None:
        limiter = page_threads._limiter()
        holders = [object() for _ in range(int(limiter.total_tokens))]
        for holder in holders:  # every page thread busy
            await limiter.acquire_on_behalf_of(holder)
        visitor = asyncio.create_task(run(request=request({})))
        while limiter.statistics().tasks_waiting == 0:
            await asyncio.sleep(0)
        assert not visitor.done()
        with anyio.fail_after(WAIT):
            assert await run(request=request({BACKGROUND_REFRESH: True})) == "rendered"
        assert not visitor.done() and limiter.statistics().tasks_waiting == 1
        for holder in holders:
            limiter.release_on_behalf_of(holder)
        with anyio.fail_after(WAIT):
            assert await visitor == "rendered"

    asyncio.run(scenario())

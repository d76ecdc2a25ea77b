"""The feed and paper pages take turns on their own threads (`page_threads` per worker), and a page that is
held up holds up no other route."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from dailypapers.config import reset_settings
from dailypapers.web import page_threads
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

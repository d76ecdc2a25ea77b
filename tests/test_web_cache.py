"""The anonymous micro-cache: what it keeps, for whom, and when it lets go."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from dailypapers.config import reset_settings
from dailypapers.web import cache
from tests.web_helpers import add_papers, client, csrf, csrf_from, live_server, record, signup


class Clock:
    """The cache's clock, moved by the test instead of waited for."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(cache, "clock", fake)
    return fake


@pytest.fixture
def short_cache(settings, monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_PAGE_CACHE_SECONDS", "3")
    reset_settings()


def test_anonymous_pages_are_kept_briefly_then_refreshed(short_cache, clock, session):
    add_papers(session, [record("2501.00001", "First paper")])
    c = client()
    assert "First paper" in c.get("/papers").text
    add_papers(session, [record("2501.00002", "Second paper")])  # written behind the app's back
    assert "Second paper" not in c.get("/papers").text  # served from memory
    assert "Second paper" in c.get("/papers?sort=newest").text  # another URL is another entry
    clock.now += 6.1  # past the period and the stale-while-revalidate grace period after it
    assert "Second paper" in c.get("/papers").text


def test_signed_in_visitors_always_get_fresh_pages(short_cache, session):
    add_papers(session, [record("2501.00001", "First paper")])
    c = client()
    signup(c)
    c.get("/papers")
    add_papers(session, [record("2501.00002", "Second paper")])
    assert "Second paper" in c.get("/papers").text


def test_a_write_empties_the_cache(short_cache, session):
    add_papers(session, [record("2501.00001", "First paper")])
    other = client()
    signup(other)
    page = other.post("/settings/tokens", data={"name": "t", "csrf_token": csrf(other, "/settings")})
    token = re.search(r'id="new-token">(dp_[^<]+)<', page.text)[1]
    c = client()
    assert 'data-count>0<' in c.get("/papers/2501.00001").text  # now in c's cache
    voted = c.post("/api/papers/2501.00001/upvote", headers={"Authorization": f"Bearer {token}"})
    assert voted.json()["upvotes"] == 1
    assert 'data-count>1<' in c.get("/papers/2501.00001").text


def test_pages_with_forms_are_never_shared(short_cache):
    first, second = client(), client()
    assert csrf_from(first.get("/login").text) != csrf_from(second.get("/login").text)
    a = client()
    assert csrf_from(a.get("/login").text) == csrf_from(a.get("/login").text)  # same browser, same token


def test_cache_can_be_turned_off(settings, monkeypatch, session):
    monkeypatch.setenv("DAILYPAPERS_PAGE_CACHE_SECONDS", "0")
    reset_settings()
    add_papers(session, [record("2501.00001", "First paper")])
    c = client()
    c.get("/papers")
    add_papers(session, [record("2501.00002", "Second paper")])
    assert "Second paper" in c.get("/papers").text


def test_expired_pages_are_refreshed_in_the_background(settings, monkeypatch, clock, session):
    monkeypatch.setenv("DAILYPAPERS_PAGE_CACHE_SECONDS", "2")
    reset_settings()
    add_papers(session, [record("2501.00001", "First paper")])
    with live_server() as base:
        assert "First paper" in httpx.get(base + "/papers").text
        add_papers(session, [record("2501.00002", "Second paper")])
        clock.now += 2.2  # past the period, within the grace period after it
        assert "Second paper" not in httpx.get(base + "/papers").text  # stale, served at once; a refresh starts
        deadline = time.monotonic() + 10  # how long the background render may take on a busy machine
        while "Second paper" not in httpx.get(base + "/papers").text:
            assert time.monotonic() < deadline, "the background refresh never landed"
            time.sleep(0.05)

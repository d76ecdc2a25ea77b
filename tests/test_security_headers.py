"""Every answer carries the security headers: pages, API reads, files, errors, refusals and cached copies."""

from __future__ import annotations

import pytest

from dailypapers.config import reset_settings
from dailypapers.web.middleware.body_limit import MAX_BODY_BYTES
from tests.web_helpers import add_papers, client, record

EXPECTED = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
}


def _assert_secured(response) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (name, response.request.url)
    policy = dict(part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))
    assert policy["script-src"] == "'self'"  # no inline script runs, whatever reaches a page
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "'unsafe-eval'" not in response.headers["content-security-policy"]


@pytest.fixture
def site(settings, session, monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_PAGE_CACHE_SECONDS", "60")
    reset_settings()
    add_papers(session, [record("2501.00001", "Attention")])
    return client()


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/papers"),
        ("GET", "/papers"),  # the second answer comes from the micro-cache
        ("GET", "/papers/2501.00001"),
        ("GET", "/api/daily_papers"),
        ("GET", "/static/site.css"),
        ("GET", "/papers/feed.xml"),
        ("GET", "/no/such/page"),
        ("GET", "/api/papers/9999.99999"),
        ("GET", "/trends.svg?q=attention"),
        ("HEAD", "/papers"),
        ("GET", "/healthz"),
        ("POST", "/login"),
    ],
)
def test_every_answer_is_secured(site, method, path):
    _assert_secured(site.request(method, path))


def test_a_refused_body_is_secured_too(site):
    _assert_secured(
        site.post(
            "/api/papers/2501.00001/comment",
            content=b"x" * (MAX_BODY_BYTES + 1),
            headers={"content-type": "application/json"},
        )
    )

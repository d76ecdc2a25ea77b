"""Logs for operators: one access line per request under a request id (sent back as X-Request-ID), a
request's errors under the same id, JSON lines on request, and no secret in any line of a whole session."""

from __future__ import annotations

import json
import logging
import re

import httpx
import pytest
from sqlalchemy import select

from dailypapers.config import configure_logging, reset_settings
from dailypapers.digest.tokens import subscriber_links
from dailypapers.store.models import Subscriber
from dailypapers.web.routes import papers as pages_module
from tests.test_subscribe_web import ADDRESS, link_in, local, subscribe
from tests.web_helpers import PASSWORD, Clock, add_papers, client, csrf, record, served, signup

FRESH_ID = re.compile(r"[0-9a-f]{16}")
LINK_TOKEN = "Wz" + "a1B2c3D4e5" * 4  # as long as a signed email link's token


def access_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "dailypapers.access"]


@pytest.fixture
def log_format(monkeypatch):
    """Set DAILYPAPERS_LOG_FORMAT for the app made next; the site's handler is put back to text after."""

    def use(name: str) -> None:
        monkeypatch.setenv("DAILYPAPERS_LOG_FORMAT", name)
        reset_settings()
        configure_logging()

    yield use
    monkeypatch.delenv("DAILYPAPERS_LOG_FORMAT")
    reset_settings()
    configure_logging()


def test_each_request_gets_an_id_and_a_safe_one_is_kept(settings):
    c = client(clock=Clock())
    first, second = c.get("/healthz").headers["x-request-id"], c.get("/healthz").headers["x-request-id"]
    assert FRESH_ID.fullmatch(first) and FRESH_ID.fullmatch(second) and first != second
    assert c.get("/healthz", headers={"X-Request-ID": "lb-7f3a.2:9_x"}).headers["x-request-id"] == "lb-7f3a.2:9_x"
    for unsafe in ("x" * 65, "two words", "a<b>", "id\tx", ""):
        assert FRESH_ID.fullmatch(c.get("/healthz", headers={"X-Request-ID": unsafe}).headers["x-request-id"])
    c.get("/papers")
    hit = c.get("/papers", headers={"X-Request-ID": "cache-hit"})  # answered from the micro-cache
    refused = c.post("/login", content=b"x" * 300_000, headers={"X-Request-ID": "too-big"})  # before any route
    missing = c.get("/no/such/page")
    assert (hit.headers["x-request-id"], refused.status_code, refused.headers["x-request-id"]) == (
        "cache-hit",
        413,
        "too-big",
    )
    assert FRESH_ID.fullmatch(missing.headers["x-request-id"])


def test_one_access_line_per_request_without_query_or_tokens(settings, caplog):
    c = client()
    caplog.clear()
    searched = c.get("/search", params={"q": "private words", "mode": "keyword"}, headers={"X-Request-ID": "s-1"})
    link = c.get(f"/subscriptions/unsubscribe/{LINK_TOKEN}", headers={"X-Request-ID": "s-2"})
    c.get("/no/such/page", headers={"X-Request-ID": "s-3"})
    lines = access_records(caplog)
    assert [(r.request_id, r.method, r.route, r.path, r.status) for r in lines] == [
        ("s-1", "GET", "/search", "/search", searched.status_code),
        ("s-2", "GET", "/subscriptions/unsubscribe/{token}", "/subscriptions/unsubscribe/***", link.status_code),
        ("s-3", "GET", "unmatched", "/no/such/page", 404),
    ]
    assert all(isinstance(r.duration_ms, float) and r.duration_ms >= 0 for r in lines)
    assert lines[1].getMessage().startswith("GET /subscriptions/unsubscribe/*** 400 ")
    assert "private" not in caplog.text and LINK_TOKEN not in caplog.text


def test_json_lines(settings, log_format, capsys):
    log_format("json")
    c = client()
    capsys.readouterr()
    c.get("/papers?category=cs.LG", headers={"X-Request-ID": "json-1"})
    logging.getLogger("dailypapers.digest.outbox").warning("the outbox was not sent:\n550 <%s> refused", ADDRESS)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]  # every line is one object
    access, warning = lines
    assert access["request_id"] == "json-1" and access["level"] == "INFO" and access["logger"] == "dailypapers.access"
    assert {key: access[key] for key in ("method", "route", "path", "status")} == {
        "method": "GET",
        "route": "/papers",
        "path": "/papers",
        "status": 200,
    }
    assert access["message"].startswith("GET /papers 200 ") and isinstance(access["duration_ms"], float)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", access["time"])
    assert warning["message"] == "the outbox was not sent:\n550 <r***@example.org> refused"
    assert "request_id" not in warning  # logged outside any request


@pytest.mark.parametrize("name", ["text", "json"])
def test_emails_and_api_tokens_are_redacted(log_format, capsys, name):
    log_format(name)
    capsys.readouterr()
    token = "dp_" + "Zx9-_" * 5  # token-like, and shorter than a real one: not a leak to conftest's run_log
    logging.getLogger("dailypapers.test").warning("token %s of ada.lovelace+digest@mail.example.org", token)
    written = capsys.readouterr().err
    assert "a***@mail.example.org" in written and "dp_***" in written
    assert "lovelace" not in written and token not in written


def test_a_requests_errors_carry_its_id(settings, monkeypatch, caplog):
    """Under uvicorn as `serve` runs it: what the request logs in its worker thread, uvicorn's traceback
    after the 500, and the access line all name the id the visitor was given."""

    def broken(*args, **kwargs):
        logging.getLogger("dailypapers.web.routes.papers").error("the feed cannot be read")
        raise RuntimeError("boom")

    monkeypatch.setattr(pages_module, "feed_rows", broken)
    caplog.set_level(logging.INFO)
    with served(monkeypatch) as url:
        answer = httpx.get(f"{url}/papers", headers={"Accept": "application/json"})
        caplog.clear()
        again = httpx.get(f"{url}/papers", headers={"Accept": "application/json"})
    request_id = again.headers["x-request-id"]
    assert again.status_code == 500 and FRESH_ID.fullmatch(request_id)
    assert answer.headers["x-request-id"] != request_id
    ours = [r for r in caplog.records if r.request_id == request_id]
    logged = {(r.name, r.levelname, r.getMessage().strip()) for r in ours}
    assert ("dailypapers.web.routes.papers", "ERROR", "the feed cannot be read") in logged
    assert ("uvicorn.error", "ERROR", "Exception in ASGI application") in logged
    assert [r.status for r in ours if r.name == "dailypapers.access"] == [500]
    assert [r for r in ours if r.exc_info and r.exc_info[0] is RuntimeError]


METRICS_TOKEN = "metrics-" + "q7" * 12


def test_a_whole_session_leaves_no_secret_in_the_log(settings, sink, session, monkeypatch, capsys, caplog):
    """A reader's whole visit, logged at DEBUG through the site's handler: signup, login, an API token and a
    call with it, a digest subscription confirmed and ended by its email links, and a scrape. The log has a
    line for each request, and not one of the secrets that went by."""
    monkeypatch.setenv("DAILYPAPERS_METRICS_TOKEN", METRICS_TOKEN)
    reset_settings()
    add_papers(session, [record("2501.00001")])
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="mail.log")  # the test's SMTP server, not the site: it logs mail
    secrets = {
        "password": PASSWORD,
        "address": ADDRESS,
        "signing key": settings.signing_key,
        "metrics token": METRICS_TOKEN,
    }
    with client() as c:
        signup(c, "alice", PASSWORD)
        c.post("/logout", data={"csrf_token": csrf(c, "/settings")})
        secrets["form token"] = csrf(c)
        login = c.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": secrets["form token"]})
        assert login.status_code == 303
        secrets["session cookie"], secrets["csrf cookie"] = c.cookies["dp_session"], c.cookies["dp_csrf"]
        page = c.post("/settings/tokens", data={"name": "scripts", "csrf_token": csrf(c, "/settings")})
        secrets["api token"] = token = re.search(r'id="new-token">(dp_[^<]+)<', page.text)[1]
        bearer = {"Authorization": f"Bearer {token}"}
        with client() as api:
            assert api.post("/api/papers/2501.00001/upvote", headers=bearer).status_code == 200
            assert api.get("/api/library", headers=bearer).status_code == 200
        assert "Check your inbox" in subscribe(c).text
        [confirmation] = sink.handler.to(ADDRESS)
        confirm, manage = (link_in(confirmation.message, f"/subscriptions/{kind}") for kind in ("confirm", "manage"))
        assert c.post(local(confirm)).status_code == 200
        assert c.get(local(manage)).status_code == 200
        reader = session.scalar(select(Subscriber).where(Subscriber.email == ADDRESS))
        unsubscribe = subscriber_links(reader, "http://testserver", settings.signing_key)["unsubscribe"]  # a digest's
        assert c.get(local(unsubscribe)).status_code == 200 and c.post(local(unsubscribe)).status_code == 200
        for name, link in (("confirm", confirm), ("manage", manage), ("unsubscribe", unsubscribe)):
            secrets[f"{name} link"] = link.rsplit("/", 1)[1]
        assert c.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 200
    written = capsys.readouterr().err
    assert written.count(" dailypapers.access ") >= 14
    assert "POST /login 303" in written and "POST /subscriptions/unsubscribe/*** 200" in written
    assert "r***@example.org" in written  # the test's mail server logs the address; the site's handler redacts it
    leaked = [name for name, secret in secrets.items() if secret in written]
    assert not leaked, leaked

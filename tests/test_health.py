"""`/healthz` and `/readyz`: what a load balancer or supervisor asks, on both backends; never cached, never
rate-limited, and never a word of configuration in the answer."""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest
from sqlalchemy import text

from dailypapers.config import reset_settings
from dailypapers.index.engines import forget_indexes, keyword_index
from dailypapers.store.db import get_engine
from tests.web_helpers import Clock, client, live_server, touch_a_paper


def _checks(response) -> dict[str, str]:
    return {check["check"]: check["status"] for check in response.json()["checks"]}


def _leaks_nothing(response, settings) -> None:
    body = response.text
    for secret in (str(settings.data_dir), settings.db_url.split("://", 1)[1], "sqlite", "postgresql", "password"):
        assert secret not in body
    json.loads(body)


def test_healthz_answers_while_the_process_lives(settings):
    response = client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_on_the_healthy_demo(demo):
    response = client().get("/readyz")
    assert response.status_code == 200, response.text
    assert _checks(response) == {"database": "ok", "schema": "ok", "keyword_index": "ok"}
    _leaks_nothing(response, demo)


def test_not_ready_while_migrations_are_not_current(demo):
    c = client()
    with get_engine().begin() as conn:  # the migrations' record gone: a database `db upgrade` has not set up
        conn.execute(text("DELETE FROM alembic_version"))
    response = c.get("/readyz")
    assert response.status_code == 503
    assert _checks(response)["schema"] == "failed"
    assert _checks(response)["database"] == "ok"
    _leaks_nothing(response, demo)


def test_not_ready_while_the_keyword_index_cannot_catch_up(demo):
    c = client()
    index = keyword_index(get_engine())
    writer = index.index.writer()  # another process rebuilding the index holds its writer
    try:
        touch_a_paper(get_engine())
        response = c.get("/readyz")
    finally:
        del writer
    assert response.status_code == 503, response.text
    assert _checks(response) == {"database": "ok", "schema": "ok", "keyword_index": "failed"}
    _leaks_nothing(response, demo)


def test_a_keyword_index_merely_behind_catches_up_and_is_ready(demo):
    c = client()
    touch_a_paper(get_engine())  # another host's ingest: this host's replica catches up when asked
    assert c.get("/readyz").status_code == 200


def test_not_ready_when_the_database_is_unreachable(demo, monkeypatch, tmp_path, free_tcp_port):
    c = client()
    unreachable = (
        f"sqlite:///{tmp_path}/no-such-dir/dailypapers.db"
        if demo.db_url.startswith("sqlite")
        else f"postgresql+psycopg://dp:hunter2@127.0.0.1:{free_tcp_port}/dailypapers"
    )
    monkeypatch.setenv("DAILYPAPERS_DATABASE_URL", unreachable)
    reset_settings()
    forget_indexes()
    response = c.get("/readyz")
    assert response.status_code == 503
    assert set(_checks(response).values()) == {"failed"}
    assert "hunter2" not in response.text and "no-such-dir" not in response.text
    assert str(free_tcp_port) not in response.text
    assert c.get("/healthz").status_code == 200  # alive, though not ready


@pytest.fixture
def free_tcp_port() -> int:
    from tests.web_helpers import free_port

    return free_port()  # nothing listens there


def test_probes_are_neither_cached_nor_rate_limited(demo):
    c = client(clock=Clock())  # the cache's clock stands still: an entry would never expire
    for _ in range(3 * max(demo.rate_limit_logins, demo.rate_limit_writes)):
        assert c.get("/readyz").status_code == 200
        assert c.get("/healthz").status_code == 200
    index = keyword_index(get_engine())
    writer = index.index.writer()
    try:
        touch_a_paper(get_engine())
        assert c.get("/readyz").status_code == 503  # the state of now, not a copy from memory
    finally:
        del writer
    assert c.get("/readyz").headers["cache-control"] == "no-store"


@pytest.fixture
def quick_checks(settings, monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_READY_CHECK_SECONDS", "1")
    reset_settings()


def _ready_in_time(base: str) -> httpx.Response:
    """/readyz, which must answer within a few seconds of the checks' 1-second bound (the client gives up at 20)."""
    started = time.monotonic()
    response = httpx.get(f"{base}/readyz", timeout=20)
    assert time.monotonic() - started < 8
    return response


@pytest.mark.postgresql_only
def test_a_hung_database_server_is_not_ready_in_time(quick_checks, monkeypatch):
    """A server that takes connections and never answers (hung, or its address black-holed): without a connect
    timeout the driver would wait 130 seconds, and the probe with it."""
    with socket.create_server(("127.0.0.1", 0)) as hung, live_server() as base:
        monkeypatch.setenv(
            "DAILYPAPERS_DATABASE_URL", f"postgresql+psycopg://dp@127.0.0.1:{hung.getsockname()[1]}/dailypapers"
        )
        reset_settings()
        response = _ready_in_time(base)
    assert response.status_code == 503
    assert _checks(response) == {"database": "failed", "schema": "failed", "keyword_index": "failed"}


@pytest.mark.postgresql_only
def test_a_migration_holding_the_schema_is_not_ready_in_time(quick_checks):
    """`db upgrade` in progress holds the migrations' table locked: the schema check waited for it to finish."""
    with live_server() as base, get_engine().connect() as migration:
        migration.execute(text("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE"))
        response = _ready_in_time(base)
    assert response.status_code == 503
    assert _checks(response) == {"database": "ok", "schema": "failed", "keyword_index": "ok"}

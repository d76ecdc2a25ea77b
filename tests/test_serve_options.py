"""What `dailypapers serve` tells uvicorn: forwarded headers count only from configured proxies, and a request
body that trickles in is cut off."""

from __future__ import annotations

import select as io_select
import socket

import httpx
import pytest
from sqlalchemy import select

from dailypapers.config import reset_settings
from dailypapers.store.db import session_scope
from dailypapers.store.models import RateEvent
from tests.web_helpers import PASSWORD, csrf_from, live_server, served

FORGED = "203.0.113.9"


def _login_addresses(url: str, forwarded_for: str) -> set[str]:
    """Log in (wrongly) claiming to be `forwarded_for`; returns the addresses the login rate limit counted."""
    with httpx.Client(base_url=url, timeout=30) as web:  # a loaded machine: argon2 on a busy core
        token = csrf_from(web.get("/login").text)
        web.post(
            "/login",
            data={"username": "nobody", "password": PASSWORD, "csrf_token": token},
            headers={"X-Forwarded-For": forwarded_for},
        )
    with session_scope() as session:
        keys = session.scalars(select(RateEvent.key).where(RateEvent.key.like("login:ip:%"))).all()
    return {key.removeprefix("login:ip:") for key in keys}


def test_a_forged_forwarded_for_does_not_change_the_address(settings, monkeypatch):
    with served(monkeypatch) as url:
        assert _login_addresses(url, FORGED) == {"127.0.0.1"}


def test_a_configured_proxy_is_believed(settings, monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_TRUSTED_PROXIES", "127.0.0.1")
    reset_settings()
    with served(monkeypatch) as url:
        assert _login_addresses(url, FORGED) == {FORGED}


@pytest.fixture
def short_body_time(settings, monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_REQUEST_BODY_SECONDS", "0.5")
    reset_settings()


def test_a_trickled_body_is_cut_off(short_body_time):
    length = 4000
    with live_server() as url, socket.create_connection(url.removeprefix("http://").split(":")) as sock:
        sock.sendall(
            b"POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded"
            b"\r\nContent-Length: %d\r\n\r\n" % length
        )
        sent = 0
        while sent < length and not io_select.select([sock], [], [], 0.05)[0]:  # one byte, until the server answers
            sock.sendall(b"a")
            sent += 1
        sock.settimeout(20)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert sent < length  # the server gave up before the body was whole


@pytest.fixture
def short_header_time(settings, monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_REQUEST_HEADER_SECONDS", "0.5")
    reset_settings()


def _trickle(sock, request: bytes) -> int:
    """Send `request` a byte each 50 ms until the server answers or closes; returns how many bytes went."""
    sent = 0
    while sent < len(request) and not io_select.select([sock], [], [], 0.05)[0]:
        sock.sendall(request[sent : sent + 1])
        sent += 1
    return sent


@pytest.mark.sqlite_only("the HTTP protocol under the app does not depend on the store")
def test_trickled_headers_are_cut_off_on_new_and_kept_alive_connections(short_header_time, monkeypatch):
    request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + b"x" * 200 + b"\r\n\r\n"
    with served(monkeypatch) as url:
        address = url.removeprefix("http://").split(":")
        with socket.create_connection(address) as sock:
            sent = _trickle(sock, request)
            sock.settimeout(20)
            answer = sock.recv(65536)
            assert sock.recv(65536) == b""  # and the connection closed
        assert answer.startswith(b"HTTP/1.1 408") and b"headers took longer than 0.5 seconds" in answer, answer
        assert sent < len(request)
        with socket.create_connection(address) as sock:  # one request in time, then the next one trickled
            sock.sendall(request)
            sock.settimeout(20)
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
            sent = _trickle(sock, request)
            assert sock.recv(65536).startswith(b"HTTP/1.1 408") and sent < len(request)


@pytest.mark.sqlite_only("the HTTP protocol under the app does not depend on the store")
def test_a_connection_that_sends_nothing_is_closed(short_header_time, monkeypatch):
    with served(monkeypatch) as url, socket.create_connection(url.removeprefix("http://").split(":")) as sock:
        sock.settimeout(5)
        assert sock.recv(65536) == b""  # closed, unanswered: there was no request

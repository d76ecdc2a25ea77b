"""Accounts: argon2 passwords, cookie flags, CSRF on every form, login rate limits, API tokens."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from dailypapers.config import reset_settings
from dailypapers.store.db import session_scope
from dailypapers.store.models import ApiToken, User
from tests.web_helpers import PASSWORD, client, csrf, signup


def test_signup_hashes_password_with_argon2_and_logs_in(settings):
    c = client()
    response = signup(c, "alice", email="alice@example.org")
    assert response.headers["location"] == "/papers"
    with session_scope() as session:
        user = session.scalar(select(User).where(User.username == "alice"))
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert 'id="nav-user">alice<' in c.get("/papers").text


def test_session_cookie_flags(settings):
    c = client()
    cookie = signup(c).headers["set-cookie"]
    assert "dp_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Secure" not in cookie  # plain HTTP here


def test_session_cookie_is_secure_behind_https(settings, monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_BASE_URL", "https://papers.example.org")
    reset_settings()
    c = client("https://papers.example.org")
    first = c.get("/login")
    assert "Secure" in first.headers["set-cookie"]  # the CSRF cookie
    response = c.post("/signup", data={"username": "bob", "password": PASSWORD, "csrf_token": csrf(c, "/signup")})
    assert "Secure" in response.headers["set-cookie"]


@pytest.mark.parametrize("username,password,message", [
    ("a", PASSWORD, "a username has 3 to 40"),
    ("bad name!", PASSWORD, "a username has 3 to 40"),
    ("carol", "short", "at least 8 characters"),
])
def test_signup_rejects_bad_input_with_a_message(settings, username, password, message):
    c = client()
    response = c.post("/signup", data={"username": username, "password": password, "csrf_token": csrf(c)})
    assert response.status_code == 400 and message in response.text
    with session_scope() as session:
        assert session.scalar(select(User)) is None


def test_signup_rejects_taken_username(settings):
    signup(client(), "alice")
    c = client()
    response = c.post("/signup", data={"username": "ALICE", "password": PASSWORD, "csrf_token": csrf(c)})
    assert response.status_code == 400 and "is taken" in response.text


def test_login_logout(settings):
    signup(client(), "alice")
    c = client()
    bad = c.post("/login", data={"username": "alice", "password": "wrong password", "csrf_token": csrf(c)})
    assert bad.status_code == 400 and "wrong username or password" in bad.text
    good = c.post("/login", data={"username": "alice", "password": PASSWORD, "next": "/about",
                                  "csrf_token": csrf(c)})
    assert good.status_code == 303 and good.headers["location"] == "/about"
    assert 'id="nav-user"' in c.get("/papers").text
    out = c.post("/logout", data={"csrf_token": csrf(c, "/papers")})
    assert out.status_code == 303
    assert 'id="nav-login"' in c.get("/papers").text


def test_login_next_cannot_leave_the_site(settings):
    signup(client(), "alice")
    c = client()
    response = c.post("/login", data={"username": "alice", "password": PASSWORD, "next": "//evil.example/x",
                                      "csrf_token": csrf(c)})
    assert response.headers["location"] == "/papers"


@pytest.mark.parametrize("token", ["", "forged", "0" * 64])
def test_forms_without_a_valid_csrf_token_are_refused(settings, token):
    c = client()
    c.get("/login")  # has a CSRF cookie, but sends a wrong token
    response = c.post("/signup", data={"username": "mallory", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 403 and "CSRF" in response.text
    with session_scope() as session:
        assert session.scalar(select(User)) is None


def test_csrf_token_of_another_browser_is_refused(settings):
    victim, attacker = client(), client()
    token = csrf(attacker)
    victim.get("/login")
    response = victim.post("/signup", data={"username": "mallory", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 403


def test_login_attempts_are_rate_limited(settings, monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_RATE_LIMIT_LOGINS", "3")
    reset_settings()
    signup(client(), "alice")
    c = client()
    token = csrf(c)
    codes = [c.post("/login", data={"username": "alice", "password": "nope nope", "csrf_token": token}).status_code
             for _ in range(4)]
    assert codes == [400, 400, 400, 429]
    blocked = c.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0


def test_api_tokens_are_shown_once_and_stored_hashed(settings):
    c = client()
    signup(c)
    page = c.post("/settings/tokens", data={"name": "laptop", "csrf_token": csrf(c, "/settings")})
    token = re.search(r'id="new-token">(dp_[^<]+)<', page.text)[1]
    with session_scope() as session:
        row = session.scalar(select(ApiToken))
        assert row.name == "laptop" and token not in row.token_hash and len(row.token_hash) == 64
    assert token not in c.get("/settings").text
    me = c.get("/api/papers/2501.00001", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 404  # authenticated, the paper just does not exist
    bad = c.get("/api/papers/2501.00001", headers={"Authorization": "Bearer dp_wrong"})
    assert bad.status_code == 401 and bad.json() == {"error": "the API token is not valid"}


def test_settings_needs_login(settings):
    response = client().get("/settings")
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


def test_password_change_ends_other_sessions(settings):
    laptop, phone = client(), client()
    signup(laptop, "alice")
    phone.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": csrf(phone)})
    assert 'id="nav-user"' in phone.get("/settings").text
    wrong = laptop.post("/settings/password", data={"current": "nope nope", "new": "another password",
                                                    "csrf_token": csrf(laptop, "/settings")})
    assert wrong.status_code == 400 and "the current password is wrong" in wrong.text
    changed = laptop.post("/settings/password", data={"current": PASSWORD, "new": "another password",
                                                      "csrf_token": csrf(laptop, "/settings")})
    assert changed.status_code == 200 and "Password changed." in changed.text
    assert laptop.get("/settings").status_code == 200  # this browser got a fresh cookie
    assert phone.get("/settings").status_code == 303  # the other one is logged out
    fresh = client()
    ok = fresh.post("/login", data={"username": "alice", "password": "another password", "csrf_token": csrf(fresh)})
    assert ok.status_code == 303

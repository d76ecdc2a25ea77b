"""Accounts: argon2 passwords, cookie flags, CSRF on every form, login rate limits, API tokens."""

from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import func, select

from dailypapers.community import users
from dailypapers.community.login_addresses import ADDRESSES_PER_USER, is_known_address, remember_address
from dailypapers.community.users import authenticate, create_user
from dailypapers.config import reset_settings
from dailypapers.store.db import session_scope
from dailypapers.store.models import ApiToken, LoginAddress, User
from dailypapers.web.middleware import throttle
from tests.web_helpers import PASSWORD, client, csrf, signup

OWNER = "198.51.100.7"  # the address alice signs up from
NEW_PASSWORD = "another long passphrase"


def _login(c, username: str, password: str):
    return c.post("/login", data={"username": username, "password": password, "csrf_token": csrf(c)})


def _strangers_fail(username: str, times: int) -> list[int]:
    """Wrong passwords for `username`, each from an address of its own; returns the statuses."""
    return [_login(client(address=f"203.0.113.{i}"), username, "wrong password").status_code for i in range(times)]


@pytest.mark.real_argon2
def test_signup_hashes_password_with_argon2_and_logs_in(settings):
    c = client()
    response = signup(c, "alice", email="alice@example.org")
    assert response.headers["location"] == "/papers"
    with session_scope() as session:
        user = session.scalar(select(User).where(User.username == "alice"))
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
        # argon2-cffi's recommended cost (RFC 9106's second choice), not the tests' quick one
        real = PasswordHasher()
        assert extract_parameters(user.password_hash) == extract_parameters(real.hash("x"))
        assert (real.time_cost, real.memory_cost) == (3, 65536)
    assert 'id="nav-user">alice<' in c.get("/papers").text


def test_signups_from_one_address_are_limited_per_hour(settings, monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_RATE_LIMIT_SIGNUPS", "2")
    reset_settings()
    for name in ("ann", "bob"):
        signup(client(), name)
    c = client()
    third = c.post("/signup", data={"username": "cat", "password": PASSWORD, "csrf_token": csrf(c, "/signup")})
    assert third.status_code == 429
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(User).where(User.username == "cat")) == 0


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


@pytest.mark.parametrize(
    "username,password,message",
    [
        ("a", PASSWORD, "a username has 3 to 40"),
        ("bad name!", PASSWORD, "a username has 3 to 40"),
        ("carol", "short", "at least 8 characters"),
        ("carol", "password", "too easy to guess (this is a top-10 common password)"),
        ("carol", "12345678", "too easy to guess"),
        ("carol", "qwertyuiop", "too easy to guess"),
        ("carol", " " * 8, "cannot be only spaces"),
        ("carol", "\t \n  \t  ", "cannot be only spaces"),
        ("caroline9", "caroline9", "must not contain the username"),
        ("carol", "I am CAROL, hello world", "must not contain the username"),
    ],
)
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
    good = c.post("/login", data={"username": "alice", "password": PASSWORD, "next": "/about", "csrf_token": csrf(c)})
    assert good.status_code == 303 and good.headers["location"] == "/about"
    assert 'id="nav-user"' in c.get("/papers").text
    out = c.post("/logout", data={"csrf_token": csrf(c, "/papers")})
    assert out.status_code == 303
    assert 'id="nav-login"' in c.get("/papers").text


def test_login_next_cannot_leave_the_site(settings):
    signup(client(), "alice")
    c = client()
    response = c.post(
        "/login", data={"username": "alice", "password": PASSWORD, "next": "//evil.example/x", "csrf_token": csrf(c)}
    )
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
    codes = [
        c.post("/login", data={"username": "alice", "password": "nope nope", "csrf_token": token}).status_code
        for _ in range(4)
    ]
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
    wrong = laptop.post(
        "/settings/password",
        data={"current": "nope nope", "new": "another password", "csrf_token": csrf(laptop, "/settings")},
    )
    assert wrong.status_code == 400 and "the current password is wrong" in wrong.text
    changed = laptop.post(
        "/settings/password",
        data={"current": PASSWORD, "new": "another password", "csrf_token": csrf(laptop, "/settings")},
    )
    assert changed.status_code == 200 and "Password changed." in changed.text
    assert laptop.get("/settings").status_code == 200  # this browser got a fresh cookie
    assert phone.get("/settings").status_code == 303  # the other one is logged out
    fresh = client()
    ok = fresh.post("/login", data={"username": "alice", "password": "another password", "csrf_token": csrf(fresh)})
    assert ok.status_code == 303


def test_a_weak_new_password_is_refused_on_the_settings_page(settings):
    c = client()
    signup(c, "alice")
    token = csrf(c, "/settings")
    weak = c.post("/settings/password", data={"current": PASSWORD, "new": "alice2024!", "csrf_token": token})
    assert weak.status_code == 400 and "must not contain the username" in weak.text
    common = c.post("/settings/password", data={"current": PASSWORD, "new": "iloveyou", "csrf_token": token})
    assert common.status_code == 400 and "too easy to guess" in common.text
    assert _login(client(), "alice", PASSWORD).status_code == 303  # the old password still works


def test_strangers_failing_from_many_addresses_cannot_lock_the_owner_out(settings):
    signup(client(address=OWNER), "alice")
    assert _strangers_fail("alice", 12) == [400] * 10 + [429] * 2
    # The account's limit is closed to new addresses, whether the password is right or not ...
    stranger = _login(client(address="192.0.2.1"), "alice", PASSWORD)
    assert stranger.status_code == 429 and int(stranger.headers["retry-after"]) > 0
    # ... but not to its owner, from where they signed in before.
    assert _login(client(address=OWNER), "alice", PASSWORD).status_code == 303


def test_strangers_cannot_close_the_password_form(settings):
    owner = client(address=OWNER)
    signup(owner, "alice")
    _strangers_fail("alice", 12)
    token = csrf(owner, "/settings")
    wrong = {"current": "wrong password", "new": NEW_PASSWORD, "csrf_token": token}
    assert [owner.post("/settings/password", data=wrong).status_code for _ in range(9)] == [400] * 9
    changed = owner.post("/settings/password", data={"current": PASSWORD, "new": NEW_PASSWORD, "csrf_token": token})
    assert changed.status_code == 200 and "Password changed." in changed.text
    # The form's own limit counts the session's wrong current passwords, with the same allowance.
    token = csrf(owner, "/settings")
    wrong["csrf_token"] = token
    assert [owner.post("/settings/password", data=wrong).status_code for _ in range(11)] == [400] * 10 + [429]


def test_only_failed_logins_count(settings):
    c = client()
    signup(c, "alice")
    assert [_login(c, "alice", PASSWORD).status_code for _ in range(12)] == [303] * 12
    assert [_login(c, "alice", "wrong password").status_code for _ in range(10)] == [400] * 10
    assert _login(c, "alice", "wrong password").status_code == 429


def test_failures_from_one_address_wait_longer_each_time(settings, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(throttle, "clock", lambda: now[0])
    signup(client(address=OWNER), "alice")
    attacker = client(address="203.0.113.5")
    assert [_login(attacker, "alice", "wrong password").status_code for _ in range(10)] == [400] * 10
    waits = []
    for _ in range(3):
        refused = _login(attacker, "alice", "wrong password")
        assert refused.status_code == 429
        waits.append(int(refused.headers["retry-after"]))
        now[0] += waits[-1] - 1
        assert _login(attacker, "alice", PASSWORD).status_code == 429  # not yet, not even the right password
        now[0] += 1
        assert _login(attacker, "alice", "wrong password").status_code == 400  # one more try, then a longer wait
    assert waits == [300, 600, 1200]
    assert _login(client(address=OWNER), "alice", PASSWORD).status_code == 303  # the owner was never slowed


def test_an_address_failing_at_many_accounts_is_slowed(settings, monkeypatch):
    monkeypatch.setattr(settings, "rate_limit_logins", 2)  # an address may fail 3 times as often: 6 times
    attacker = client(address="203.0.113.5")
    codes = [_login(attacker, f"user{i}", "wrong password").status_code for i in range(7)]
    assert codes == [400] * 6 + [429]


def test_known_addresses_are_kept_hashed_and_few(session):
    user = create_user(session, "alice", PASSWORD)
    for i in range(ADDRESSES_PER_USER + 1):
        remember_address(session, user.id, f"203.0.113.{i}")
    assert not is_known_address(session, user.id, "203.0.113.0")  # the oldest is forgotten
    assert is_known_address(session, user.id, "203.0.113.1") and is_known_address(session, user.id, "203.0.113.10")
    assert not is_known_address(session, user.id, "192.0.2.1")
    assert session.scalar(select(func.count()).select_from(LoginAddress)) == ADDRESSES_PER_USER
    assert not any("203.0.113" in h for h in session.scalars(select(LoginAddress.address_hash)))


class CountingHasher(PasswordHasher):
    """argon2 as it is, counting its verifications and hashes."""

    def __init__(self):
        super().__init__()
        self.verified: list[str] = []
        self.hashed = 0

    def verify(self, hash, password):
        self.verified.append(hash)
        return super().verify(hash, password)

    def hash(self, password, *, salt=None):
        self.hashed += 1
        return super().hash(password, salt=salt)


@pytest.mark.real_argon2
def test_every_login_verifies_one_argon2_hash_of_the_same_cost(session, monkeypatch):
    """Timing tells no one which names exist, or which accounts (the demo voters) have no password."""
    alice = create_user(session, "alice", PASSWORD)
    create_user(session, "voter", None)  # a demo voter: no password at all
    users.verify_password(None, "warm up")  # any one-time set-up happens before counting
    hasher = CountingHasher()
    monkeypatch.setattr(users, "_hasher", hasher)
    for username, password in [
        ("alice", PASSWORD),
        ("alice", "wrong"),
        ("voter", ""),
        ("voter", "x"),
        ("nobody", PASSWORD),
        ("", ""),
    ]:
        hasher.verified.clear()
        found = authenticate(session, username, password)
        assert (found is not None) is (password == PASSWORD and username == "alice")
        assert len(hasher.verified) == 1 and hasher.hashed == 0, username
        assert extract_parameters(hasher.verified[0]) == extract_parameters(alice.password_hash)

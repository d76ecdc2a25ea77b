"""`dailypapers users ...` through the CLI (`cli` in tests/conftest.py)."""

from __future__ import annotations

import json

from sqlalchemy import select

from dailypapers.store.db import session_scope
from dailypapers.store.models import User
from tests.web_helpers import PASSWORD, client, csrf


def test_create_admin_and_token(cli):
    created = cli("users", "create", "root", "--admin", "--password-stdin", input=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    assert "created administrator root" in created.stderr
    listed = json.loads(cli("users", "list", "--json").stdout)
    assert [(u["username"], u["admin"]) for u in listed] == [("root", True)]
    token = cli("users", "token", "root", "--name", "ci")
    assert token.returncode == 0 and token.stdout.startswith("dp_") and len(token.stdout.strip()) > 30
    assert cli("users", "admin", "root", "--revoke").returncode == 0
    assert json.loads(cli("users", "list", "--json").stdout)[0]["admin"] is False


def test_token_works_against_the_api(cli, settings):
    cli("users", "create", "alice", "--password-stdin", input=PASSWORD + "\n")
    token = cli("users", "token", "alice").stdout.strip()
    response = client().post("/api/papers/2501.00001/upvote", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404  # authenticated; the paper does not exist


def test_bad_input_is_one_line_errors(cli):
    bad_name = cli("users", "create", "x", "--password-stdin", input=PASSWORD + "\n")
    assert bad_name.returncode == 2 and bad_name.stderr.startswith("error: a username has 3 to 40")
    short = cli("users", "create", "bob", "--password-stdin", input="short\n")
    assert short.returncode == 2 and "at least 8 characters" in short.stderr and "Traceback" not in short.stderr
    cli("users", "create", "bob", "--password-stdin", input=PASSWORD + "\n")
    taken = cli("users", "create", "bob", "--password-stdin", input=PASSWORD + "\n")
    assert taken.returncode == 1 and "is taken" in taken.stderr
    missing = cli("users", "token", "nobody")
    assert missing.returncode == 1 and missing.stderr.strip() == "error: no user 'nobody'"


def test_a_weak_password_is_a_usage_error(cli):
    """The web's check, through the same validator: one line, exit 2, no account made."""
    for password, message in [
        (
            "12345678",
            "the password is too easy to guess (this is a top-10 common password): a few unrelated "
            "words make a strong one",
        ),
        ("bobby-tables", "the password must not contain the username"),
    ]:
        created = cli("users", "create", "bobby", "--password-stdin", input=password + "\n")
        assert (created.returncode, created.stderr) == (2, f"error: {message}\n")
    with session_scope() as session:
        assert session.scalar(select(User)) is None


def test_a_weak_new_password_leaves_the_old_one(cli):
    cli("users", "create", "alice", "--password-stdin", input=PASSWORD + "\n")
    weak = cli("users", "password", "alice", "--password-stdin", input="iloveyou\n")
    assert weak.returncode == 2 and weak.stderr.startswith("error: the password is too easy to guess")
    assert len(weak.stderr.splitlines()) == 1
    c = client()
    login = c.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": csrf(c)})
    assert login.status_code == 303

"""Issue 19's smaller findings: disabled accounts and tokens, bounded ids, CSRF on the subscription API,
forms through the input model, the trends SVG, and HTTP/OpenAPI conformance."""

from __future__ import annotations

import pytest
from sqlalchemy import func, update

from dailypapers.store.db import session_scope
from dailypapers.store.models import User
from tests.web_helpers import add_papers, client, csrf, record, token_for

PAPER = "2501.00001"


@pytest.fixture
def paper(settings, session):
    add_papers(session, [record(PAPER, "Attention")])
    return PAPER


def _disable_in_place(username: str) -> None:
    """Mark an account disabled without the revocation `set_disabled` does, as a token that outlived the
    disabling (made before it, or by an older release after it) would see."""
    with session_scope() as session:
        session.execute(update(User).where(User.username == username).values(disabled_at=func.now()))


# --- 6. a disabled account gets no token, and its tokens open nothing ------------------------------------


def test_the_cli_refuses_a_token_for_a_disabled_user(paper, cli):
    token_for(client())
    assert cli("users", "disable", "alice").returncode == 0
    made = cli("users", "token", "alice")
    assert made.returncode == 1 and made.stdout == ""
    assert made.stderr.strip() == "error: alice is disabled; enable the account first"


def test_a_token_of_a_disabled_user_can_neither_vote_comment_nor_collect(paper):
    c = client()
    token = token_for(c)
    _disable_in_place("alice")
    scripted = client()
    form = {"name": "mine", "csrf_token": csrf(scripted)}
    scripted.headers["Authorization"] = f"Bearer {token}"
    assert scripted.post(f"/api/papers/{PAPER}/upvote").status_code == 401
    assert scripted.post(f"/api/papers/{PAPER}/comment", json={"comment": "back again"}).status_code == 401
    assert scripted.post("/collections", data=form).status_code == 401

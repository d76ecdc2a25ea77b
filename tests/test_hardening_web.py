"""The web boundary refuses what it cannot handle with a 4xx (never a 500), the CSRF check and logout mean
what they say, and a full disk answers 503 to writes while reads keep working."""

from __future__ import annotations

import errno
import json
import pathlib

import pytest
from sqlalchemy import event, select, update

from dailypapers.community import comments as comments_module
from dailypapers.errors import InvalidInput
from dailypapers.store.db import get_engine, session_scope
from dailypapers.store.models import Comment
from dailypapers.validators import arxiv_category, email_address, in_categories
from tests.digest_helpers import add_subscriber
from tests.test_api import token_for
from tests.test_digest_compose import digest_for, feed  # noqa: F401  (feed is a fixture)
from tests.web_helpers import PASSWORD, add_papers, client, csrf, make_admin, record, signup

HUGE = str(2**63)
PAPER = "2501.00001"


@pytest.fixture
def paper(settings, session):
    add_papers(session, [record(PAPER, "Attention")])
    return PAPER


@pytest.fixture
def api(paper):
    c = client()
    c.headers["Authorization"] = f"Bearer {token_for(c)}"
    return c


def _comment(api, body="first", **extra) -> int:
    response = api.post(f"/api/papers/{PAPER}/comment", json={"comment": body, **extra})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


# --- 1. dates at the end of the calendar --------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/papers/month/9999-12",
        "/papers/date/9999-12-31",
        "/papers/week/9999-W52",
        "/papers/week/9999-W01",
        "/api/daily_papers?week=9999-W52",
        "/api/daily_papers?month=9999-12",
        "/api/daily_papers?date=9999-12-31",
        "/api/papers/search?q=attention&to=9999-12-31",
        "/search?q=attention&to=9999-12-31",
        "/papers/date/0000-01-01",
        "/papers/date/0001-01-01",
        "/papers/date/٢٠٢٥-٠١-٠١",
        "/papers?date=9999-12-31",
    ],
)
def test_dates_past_the_calendar_are_bad_input(paper, path):
    assert client().get(path).status_code == 400


def test_the_last_supported_year_still_works(paper):
    c = client()
    for path in (
        "/papers/month/9998-12",
        "/papers/week/9998-W52",
        "/papers/date/9998-12-31",
        "/api/papers/search?q=attention&to=9998-12-31",
        "/papers/date/0002-01-01",
    ):
        assert c.get(path).status_code == 200, path


# --- 2, 3. integers: beyond 64 bits, and digits of other scripts ---------------------------------------


@pytest.mark.parametrize(
    "method,path",
    [
        ("delete", f"/api/comments/{HUGE}"),
        ("patch", f"/api/comments/{HUGE}"),
        ("post", f"/api/comments/{HUGE}/hide"),
        ("delete", "/api/comments/²"),
        ("delete", "/api/comments/0"),
    ],
)
def test_huge_or_odd_comment_ids_are_bad_input(api, method, path):
    response = api.request(method, path, json={"comment": "x", "hidden": True})
    assert response.status_code == 400, response.text
    assert "error" in response.json()


@pytest.mark.parametrize("cursor", ["99999999999999999999", HUGE, "%C2%B2", "-1", "1e3"])
def test_bad_cursors_are_bad_input(paper, cursor):
    assert client().get(f"/api/papers?cursor={cursor}").status_code == 400


@pytest.mark.parametrize("parent", [HUGE, 2**63, "²", "٣", True, "-1"])
def test_a_json_parent_id_must_be_a_plain_number(api, parent):
    response = api.post(f"/api/papers/{PAPER}/comment", json={"comment": "reply", "parentId": parent})
    assert response.status_code == 400, response.text


def test_a_json_parent_id_may_be_text_or_a_number(api):
    first = _comment(api)
    assert _comment(api, "as text", parentId=str(first)) > first
    assert _comment(api, "as a number", parentId=first) > first


def test_huge_ids_in_forms_and_form_paths_are_bad_input(paper):
    c = client()
    signup(c)
    token = csrf(c, f"/papers/{PAPER}")
    form = {"csrf_token": token, "body": "a reply"}
    assert c.post(f"/papers/{PAPER}/comments", data={**form, "parent": HUGE}).status_code == 400
    assert c.post(f"/papers/{PAPER}/comments", data={**form, "parent": "²"}).status_code == 400
    assert c.post(f"/comments/{HUGE}/edit", data=form).status_code == 400
    assert c.post(f"/settings/tokens/{HUGE}/delete", data={"csrf_token": token}).status_code == 400
    assert c.post(f"/papers/{PAPER}/comments", data={**form, "parent": ""}).status_code == 303  # no parent


# --- 4, 5. lone surrogates and deep JSON ------------------------------------------------------------


def _raw_json(c, path, text: str):
    return c.post(path, content=text.encode(), headers={"Content-Type": "application/json"})


def test_a_lone_surrogate_in_a_comment_is_bad_input(api):
    response = _raw_json(api, f"/api/papers/{PAPER}/comment", '{"comment": "bad \\ud800"}')
    assert response.status_code == 400
    assert "surrogate" in response.json()["error"]
    first = _comment(api)
    assert (
        api.patch(
            f"/api/comments/{first}", content=b'{"comment": "\\udfff"}', headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )


def test_a_lone_surrogate_in_an_interest_is_bad_input(settings):
    body = '{"email": "ada@example.org", "interests": ["bad \\ud800"]}'
    response = _raw_json(client(), "/api/subscriptions", body)
    assert response.status_code == 400
    assert "surrogate" in response.json()["error"]


@pytest.mark.parametrize("path", ["/api/subscriptions", f"/api/papers/{PAPER}/comment"])
def test_deeply_nested_json_is_refused_before_parsing(api, path):
    response = _raw_json(api, path, "[" * 50_000)
    assert response.status_code == 400
    assert "nests deeper" in response.json()["error"]
    brackets_in_text = json.dumps({"comment": "[" * 1000})  # brackets inside a string are text, not depth
    assert _raw_json(api, f"/api/papers/{PAPER}/comment", brackets_in_text).status_code == 201


# --- 6. a full disk ---------------------------------------------------------------------------------


@pytest.fixture
def full_disk(paper):
    """The real thing: SQLite may not grow the database file by a single page."""
    engine = get_engine()

    def cap(dbapi_connection, _record):
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    def full():
        event.listen(engine, "connect", cap)
        engine.dispose()

    yield full
    event.remove(engine, "connect", cap)
    engine.dispose()


@pytest.mark.sqlite_only("fills a SQLite file to its page limit")
def test_writes_answer_503_when_the_disk_is_full_and_reads_keep_working(api, full_disk):
    full_disk()
    big = "lorem ipsum " * 800  # more than the free room left in the file's pages
    response = api.post(f"/api/papers/{PAPER}/comment", json={"comment": big})
    assert response.status_code == 503
    assert "disk is full" in response.json()["error"]
    assert response.headers["retry-after"]
    page = api.get(f"/papers/{PAPER}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert api.get(f"/api/papers/{PAPER}").status_code == 200


def test_a_full_disk_gives_browsers_a_page_that_says_so(paper, monkeypatch):
    c = client()
    signup(c)
    token = csrf(c, f"/papers/{PAPER}")

    def no_room(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(comments_module, "add_comment", no_room)
    response = c.post(f"/papers/{PAPER}/comments", data={"csrf_token": token, "body": "hello"})
    assert response.status_code == 503
    assert "text/html" in response.headers["content-type"]
    assert "disk is full" in response.text


def test_other_errors_still_answer_500(paper, monkeypatch):
    def broken(*_args, **_kwargs):
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(comments_module, "add_comment", broken)
    c = client()
    c.headers["Authorization"] = f"Bearer {token_for(c)}"
    with pytest.raises(OSError):  # the test client re-raises what the server logs
        c.post(f"/api/papers/{PAPER}/comment", json={"comment": "x"})


def test_the_signing_key_is_made_at_start_and_no_request_writes_a_file(settings, monkeypatch):
    c = client()  # create_app() reads or creates the key
    assert (settings.data_dir / "secret_key").exists()
    original = pathlib.Path.write_text

    def disk_full(self, *args, **kwargs):
        if self.parent == settings.data_dir:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "write_text", disk_full)
    assert c.get("/login").status_code == 200
    signup(c)
    c.post("/logout", data={"csrf_token": csrf(c, "/papers")})
    response = c.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": csrf(c)})
    assert response.status_code == 303


# --- 7. CSRF: only a valid Bearer token replaces it --------------------------------------------------------


def test_any_other_authorization_header_still_needs_the_csrf_token(paper):
    c = client()
    signup(c)
    for header in ("x", "Basic YWxpY2U6eA==", "Token abc"):
        response = c.post(f"/api/papers/{PAPER}/upvote", headers={"Authorization": header})
        assert response.status_code == 403, header
    assert c.post(f"/api/papers/{PAPER}/upvote", headers={"Authorization": "Bearer dp_forged"}).status_code == 401
    ok = c.post(f"/api/papers/{PAPER}/upvote", headers={"Authorization": "x", "X-CSRF-Token": csrf(c, "/papers")})
    assert ok.status_code == 200


# --- 8. sessions end on the server ----------------------------------------------------------------------


def test_logout_ends_the_session_even_for_a_copied_cookie(paper):
    c = client()
    signup(c)
    captured = c.cookies.get("dp_session")
    c.post("/logout", data={"csrf_token": csrf(c, "/papers")})
    thief = client()
    thief.cookies.set("dp_session", captured)
    assert thief.get("/settings").status_code == 303  # to /login


def test_log_out_everywhere_ends_every_session_of_the_user(paper):
    laptop, phone, other = client(), client(), client()
    signup(laptop)
    phone.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": csrf(phone)})
    signup(other, "bob")
    assert phone.get("/settings").status_code == 200
    assert 'id="logout-everywhere"' in laptop.get("/settings").text
    response = laptop.post("/settings/sessions/end", data={"csrf_token": csrf(laptop, "/settings")})
    assert response.status_code == 303
    assert laptop.get("/settings").status_code == 303
    assert phone.get("/settings").status_code == 303
    assert other.get("/settings").status_code == 200  # another user's session is not touched


def test_a_new_password_ends_the_other_sessions_and_the_page_says_tokens_survive(paper):
    laptop, phone = client(), client()
    token = token_for(laptop)
    phone.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": csrf(phone)})
    page = laptop.post(
        "/settings/password",
        data={"current": PASSWORD, "new": "another long password", "csrf_token": csrf(laptop, "/settings")},
    )
    assert page.status_code == 200
    assert "API tokens keep working" in page.text
    assert laptop.get("/settings").status_code == 200
    assert phone.get("/settings").status_code == 303
    scripted = client()
    scripted.headers["Authorization"] = f"Bearer {token}"
    assert scripted.post(f"/api/papers/{PAPER}/upvote").status_code == 200


def test_disabling_a_user_ends_their_sessions_and_tokens_and_stops_logins(paper, cli):
    browser = client()
    token = token_for(browser)
    assert cli("users", "disable", "alice").returncode == 0
    assert browser.get("/settings").status_code == 303
    scripted = client()
    scripted.headers["Authorization"] = f"Bearer {token}"
    assert scripted.post(f"/api/papers/{PAPER}/upvote").status_code == 401
    login = {"username": "alice", "password": PASSWORD}
    assert browser.post("/login", data={**login, "csrf_token": csrf(browser)}).status_code == 400
    assert cli("users", "disable", "alice", "--enable").returncode == 0
    assert browser.post("/login", data={**login, "csrf_token": csrf(browser)}).status_code == 303


# --- 11. no replies to hidden comments -------------------------------------------------------------------


def test_a_reply_to_a_hidden_comment_is_refused_like_one_to_a_missing_comment(api):
    hidden = _comment(api, "spam")
    with session_scope() as session:
        session.execute(update(Comment).where(Comment.id == hidden).values(hidden=True))
    response = api.post(f"/api/papers/{PAPER}/comment", json={"comment": "reply", "parentId": hidden})
    missing = api.post(f"/api/papers/{PAPER}/comment", json={"comment": "reply", "parentId": 999_999})
    assert response.status_code == missing.status_code == 400
    assert response.json() == missing.json()
    with session_scope() as session:
        assert session.scalar(select(Comment.id).where(Comment.parent_id == hidden)) is None


def test_an_administrator_can_still_hide_and_reply_after_unhiding(api):
    make_admin("alice")
    first = _comment(api)
    assert api.post(f"/api/comments/{first}/hide", json={"hidden": True}).status_code == 200
    assert api.post(f"/api/papers/{PAPER}/comment", json={"comment": "r", "parentId": first}).status_code == 400
    assert api.post(f"/api/comments/{first}/hide", json={"hidden": False}).status_code == 200
    assert _comment(api, "r", parentId=first) > first


# --- 13. one category and one email validator --------------------------------------------------------------


def test_categories_are_spelled_as_arxiv_does_and_archives_match_their_categories():
    assert arxiv_category(" CS.lg ") == "cs.LG"
    assert arxiv_category("cond-mat.Stat-Mech") == "cond-mat.stat-mech"
    assert arxiv_category("cs") == "cs"
    for bad in ("nonsense.XY", "cs.", "c" * 50, "cs.LG cs.AI"):
        with pytest.raises(InvalidInput):
            arxiv_category(bad)
    assert in_categories(["cs.LG", "stat.ML"], {"cs"}) == ["cs.LG"]
    assert in_categories(["cs.LG", "stat.ML"], {"stat.ML", "math"}) == ["stat.ML"]
    assert in_categories(["csx.LG"], {"cs"}) == []


def test_an_archive_level_category_picks_its_papers_for_the_digest(feed):  # noqa: F811
    astro = add_subscriber(feed, "d@example.org", categories="astro-ph")
    _, _, personal = digest_for(feed, astro)
    assert [p.arxiv_id for p in personal] == ["2611.00004"]
    assert personal[0].why == "New in astro-ph.CO, which you follow"


def test_feed_and_search_take_the_same_categories_as_the_subscription_form(paper):
    c = client()
    assert [p["paper"]["id"] for p in c.get("/api/daily_papers?category=cs.cl").json()] == [PAPER]
    assert [p["paper"]["id"] for p in c.get("/api/daily_papers?category=cs").json()] == [PAPER]
    assert c.get("/api/daily_papers?category=nonsense.XY").status_code == 400
    assert c.get("/api/papers/search?q=attention&category=nonsense.XY").status_code == 400


def test_one_email_check_for_accounts_and_subscriptions(settings):
    assert email_address(" Ada@Example.org ") == "Ada@Example.org"
    c = client()
    response = c.post(
        "/signup",
        data={"username": "ada", "password": PASSWORD, "email": "ada@exämple.org", "csrf_token": csrf(c, "/signup")},
    )
    assert response.status_code == 400
    assert "not an email address we can send to" in response.text


# --- 14. the OpenAPI document tells the truth about status codes -------------------------------------------


def test_the_openapi_document_lists_400_not_422(settings):
    spec = client().get("/openapi.json").json()
    operations = [op for item in spec["paths"].values() for op in item.values()]
    assert operations
    assert not [op["summary"] for op in operations if "422" in op["responses"]]
    assert all("400" in op["responses"] for op in operations)
    delete = spec["paths"]["/api/comments/{comment_id}"]["delete"]
    assert {"401", "403", "404", "429", "503"} <= set(delete["responses"])
    comment_id = delete["parameters"][0]["schema"]
    assert comment_id["minimum"] == 1 and comment_id["maximum"] == 2**31 - 1
    assert "415" in spec["paths"]["/api/subscriptions"]["post"]["responses"]

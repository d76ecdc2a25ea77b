"""Issue 19's smaller findings: disabled accounts and tokens, bounded ids, CSRF on the subscription API,
forms through the input model, the trends SVG, and HTTP/OpenAPI conformance."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select, update

from dailypapers.charts import trend_chart
from dailypapers.store.db import session_scope
from dailypapers.store.models import SavedSearch, Subscriber, User
from tests.web_helpers import add_papers, client, csrf, make_admin, record, signup, token_for

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


@pytest.mark.slow
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


# --- 9. every id a request carries fits the id columns ---------------------------------------------------

BEYOND_INT32 = str(2**31)  # PostgreSQL's INTEGER ids end at 2**31 - 1
HUGE = str(2**63)


@pytest.mark.parametrize("author", [HUGE, str(2**64), BEYOND_INT32, "²", "-1"])
@pytest.mark.parametrize("wanted", ["1", "0"])
def test_a_claim_of_a_huge_or_odd_author_position_is_bad_input(paper, author, wanted):
    c = client()
    signup(c)
    form = {"author": author, "claim": wanted, "csrf_token": csrf(c, f"/papers/{PAPER}")}
    response = c.post(f"/papers/{PAPER}/claim", data=form, headers={"Accept": "application/json"})
    assert response.status_code == 400, response.text
    assert "error" in response.json()


@pytest.mark.parametrize("claim_id", [HUGE, BEYOND_INT32, "²", "0"])
def test_a_decision_on_a_huge_or_odd_claim_id_is_bad_input(paper, claim_id):
    c = client()
    signup(c, "root")
    make_admin("root")
    form = {"decision": "approve", "csrf_token": csrf(c, "/admin/claims")}
    response = c.post(f"/admin/claims/{claim_id}", data=form, headers={"Accept": "application/json"})
    assert response.status_code == 400, response.text
    assert "error" in response.json()


# --- 11. the subscription API borrows no cookie without the CSRF token ------------------------------------


def _subscriber_owner(email: str) -> tuple[bool, int | None]:
    with session_scope() as session:
        row = session.scalar(select(Subscriber).where(Subscriber.email == email))
        return row is not None, row.user_id if row else None


def test_a_cookie_borne_subscription_needs_the_csrf_token(settings, sink):
    browser = client()
    signup(browser)
    forged = browser.post("/api/subscriptions", json={"email": "forged@example.org"})
    assert forged.status_code == 403 and "CSRF" in forged.json()["error"]
    assert _subscriber_owner("forged@example.org") == (False, None)
    token = csrf(browser, "/settings")
    mine = browser.post("/api/subscriptions", json={"email": "mine@example.org"}, headers={"X-CSRF-Token": token})
    assert mine.status_code == 202
    with session_scope() as session:
        alice = session.scalar(select(User.id).where(User.username == "alice"))
    assert _subscriber_owner("mine@example.org") == (True, alice)
    assert client().post("/api/subscriptions", json={"email": "anon@example.org"}).status_code == 202
    assert _subscriber_owner("anon@example.org") == (True, None)


# --- 12. every form goes through the input model ----------------------------------------------------------


@pytest.mark.parametrize("name", ["ring\x07bell", "nul\x00byte"])
def test_a_saved_search_cannot_be_renamed_to_a_control_character(settings, name):
    c = client()
    signup(c)
    token = csrf(c, "/search")
    made = c.post(
        "/saved-searches",
        data={"q": "attention", "name": "mine", "csrf_token": token},
        headers={"Accept": "application/json"},
    )
    assert made.status_code == 200, made.text
    saved_id = made.json()["id"]
    renamed = c.post(
        f"/saved-searches/{saved_id}/rename",
        data={"name": name, "csrf_token": token},
        headers={"Accept": "application/json"},
    )
    assert renamed.status_code == 400 and "control character" in renamed.json()["error"]
    with session_scope() as session:
        assert session.get(SavedSearch, saved_id).name == "mine"


@pytest.mark.parametrize("field", ["email", "interests", "frequency", "categories"])
def test_the_subscribe_form_refuses_control_characters(settings, sink, field):
    c = client()
    form = {"email": "reader@example.org", "frequency": "daily", "interests": "graph networks", "categories": ""}
    form[field] = form[field] + "\x07"
    answer = c.post("/subscribe", data={**form, "csrf_token": csrf(c, "/subscribe")})
    assert answer.status_code == 400
    with session_scope() as session:
        assert session.scalar(select(Subscriber.id)) is None
    assert c.post("/subscribe", data={**form, field: form[field][:-1]}).status_code == 403  # still no CSRF, no way


# --- 13. the trends SVG always parses ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/trends.svg", "/trends"])
@pytest.mark.parametrize("query", ["Attention\x07", "Atten\x00tion", "Attention\x1b[31m"])
def test_a_control_character_in_a_trends_query_is_bad_input(paper, path, query):
    response = client().get(path, params={"q": query})
    assert response.status_code == 400
    assert "control character" in response.text


def test_the_chart_parses_as_xml_whatever_its_labels_hold():
    svg = trend_chart(
        ["2025-01", "2025-02"],
        [("bell\x07 & <b>nul\x00", [1.0, None]), ("esc\x1b", [0.5, 2.0])],
        title="“bell\x07” & <b>",
    )
    root = ElementTree.fromstring(svg)
    assert root.get("aria-label") == "“bell” & <b>"
    assert "bell & <b>nul" in "".join(root.itertext())


# --- 18. conformance: Allow on 405, the schema's bounds, no empty cursor -----------------------------------


@pytest.mark.parametrize(
    "method,path,allowed",
    [
        ("OPTIONS", f"/api/papers/{PAPER}/upvote", {"POST", "DELETE"}),
        ("PUT", f"/api/papers/{PAPER}/save", {"POST", "DELETE"}),
        ("OPTIONS", "/api/papers", {"GET", "HEAD"}),
        ("OPTIONS", "/papers", {"GET", "HEAD"}),
        ("DELETE", "/about", {"GET", "HEAD"}),
    ],
)
def test_a_405_names_every_method_the_resource_allows(paper, method, path, allowed):
    response = client().request(method, path)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["allow"].split(",")} == allowed


def _parameter(spec: dict, path: str, name: str) -> dict:
    [found] = [p["schema"] for p in spec["paths"][path]["get"]["parameters"] if p["name"] == name]
    return found


def test_the_openapi_schema_states_the_real_bounds(settings):
    spec = client().get("/openapi.json").json()
    for path, maximum in [
        ("/api/daily_papers", 100),
        ("/api/papers/search", 120),
        ("/api/papers", 100),
        ("/api/papers/{arxiv_id}/related", 50),
        ("/api/recommendations", 100),
    ]:
        limit = _parameter(spec, path, "limit")
        assert (limit.get("minimum"), limit.get("maximum")) == (1, maximum), path
    assert _parameter(spec, "/api/recommendations", "days")["minimum"] == 1
    assert _parameter(spec, "/api/papers/search", "q")["maxLength"] == 250
    bodies = spec["components"]["schemas"]
    for model in ("SavedSearchIn", "CollectionIn"):
        assert bodies[model]["properties"]["name"]["minLength"] == 1, model


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=-1"])
def test_limits_out_of_range_are_bad_input(paper, query):
    response = client().get(f"/api/papers?{query}")
    assert response.status_code == 400 and "limit" in response.json()["error"]


def test_an_empty_cursor_is_bad_input(paper):
    response = client().get("/api/papers?cursor=")
    assert response.status_code == 400 and "cursor" in response.json()["error"]

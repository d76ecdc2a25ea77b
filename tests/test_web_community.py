"""Submissions, upvotes and comments, through the pages (form posts and the JSON the script asks for)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from dailypapers.community.submissions import wait_for_background_fetch
from dailypapers.config import reset_settings
from dailypapers.store.db import session_scope
from dailypapers.store.models import Comment, DailyEntry, Paper, User, Vote
from tests.arxiv_server import refusing_url, serving_settings
from tests.web_helpers import PASSWORD, add_papers, client, csrf, csrf_from, live_server, make_admin, record, signup

JSON = {"Accept": "application/json"}


@pytest.fixture
def alice(settings):
    c = client()
    signup(c, "alice")
    return c


def token_of(c, path="/papers") -> str:
    return csrf(c, path)


# --- submission -----------------------------------------------------------------------------------------


def test_submit_a_stored_paper_puts_it_on_todays_feed(alice, session):
    add_papers(session, [record("2501.00101", "Stored paper", days_old=2)], feed=False)
    response = alice.post(
        "/submit", data={"paper": "https://arxiv.org/abs/2501.00101v1", "csrf_token": token_of(alice, "/submit")}
    )
    assert response.status_code == 303 and response.headers["location"] == "/papers/2501.00101"
    feed = alice.get("/papers").text
    assert "Stored paper" in feed and '<a class="submitter" href="/users/alice">' in feed
    assert "Stored paper" in alice.get("/users/alice").text


@pytest.mark.parametrize(
    "value,status,message",
    [
        ("not an id", 400, "not an arXiv id or URL"),
        ("2513.00001", 400, "month 13 does not exist"),
    ],
)
def test_submit_rejects_bad_ids(alice, value, status, message):
    response = alice.post("/submit", data={"paper": value, "csrf_token": token_of(alice, "/submit")})
    assert response.status_code == status and message in response.text


def test_submit_rejects_papers_outside_the_window_and_duplicates(alice, session):
    add_papers(session, [record("2501.00102", "Old paper", days_old=30)], feed=False)
    add_papers(session, [record("2501.00103", "Already there", days_old=1)])
    token = token_of(alice, "/submit")
    old = alice.post("/submit", data={"paper": "2501.00102", "csrf_token": token})
    assert old.status_code == 400 and "only papers from the last 14 days can be submitted" in old.text
    dup = alice.post("/submit", data={"paper": "2501.00103", "csrf_token": token})
    assert dup.status_code == 400 and "already on the daily feed" in dup.text
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(DailyEntry)) == 1


def test_submit_needs_login_and_csrf(settings, session):
    anonymous = client()
    assert anonymous.get("/submit").status_code == 303
    c = client()
    signup(c, "alice")
    assert c.post("/submit", data={"paper": "2501.00101", "csrf_token": "nope"}).status_code == 403


def test_submit_fetches_unknown_papers_from_arxiv(alice, monkeypatch):
    with serving_settings(monkeypatch, DAILYPAPERS_FEED_WINDOW_DAYS=100000) as (fake, _):
        response = alice.post("/submit", data={"paper": "arXiv:1710.08557", "csrf_token": token_of(alice, "/submit")})
        assert response.status_code == 303, response.text
        assert any(r.path == "/api/query" for r in fake.requests)
    page = alice.get("/papers/1710.08557").text
    assert "On Neuromechanical Approaches for the Study of Biological Grasp and Manipulation" in page


def test_submit_of_a_fetched_paper_outside_the_window_is_refused_but_stored(alice, monkeypatch):
    with serving_settings(monkeypatch):
        response = alice.post("/submit", data={"paper": "1710.08557", "csrf_token": token_of(alice, "/submit")})
    assert response.status_code == 400 and "first appeared on arXiv on 2017-10-24" in response.text
    with session_scope() as s:
        assert s.scalar(select(Paper.title).where(Paper.arxiv_id == "1710.08557"))
        assert s.scalar(select(func.count()).select_from(DailyEntry)) == 0


def test_submit_of_a_paper_arxiv_does_not_have(alice, monkeypatch):
    with serving_settings(monkeypatch):
        response = alice.post("/submit", data={"paper": "2501.99999", "csrf_token": token_of(alice, "/submit")})
    assert response.status_code == 404 and "arXiv has no paper 2501.99999" in response.text


def _submit_within_bound(alice, paper: str):
    """Post the submit form; the answer must come well within the configured wait (0.2 s) plus overhead."""
    started = time.monotonic()
    response = alice.post("/submit", data={"paper": paper, "csrf_token": token_of(alice, "/submit")})
    assert time.monotonic() - started < 5, "the page waited on arXiv past its bound"
    return response


def test_submit_answers_in_time_when_arxiv_hangs_and_adds_the_paper_when_it_answers(alice, monkeypatch):
    with serving_settings(
        monkeypatch,
        DAILYPAPERS_FEED_WINDOW_DAYS=100000,
        DAILYPAPERS_ARXIV_SUBMIT_WAIT=0.2,
        DAILYPAPERS_ARXIV_TIMEOUT=60,
    ) as (fake, _):
        fake.hang()
        response = _submit_within_bound(alice, "arXiv:1710.08557")
        assert response.status_code == 202 and 'id="submit-pending"' in response.text
        assert "arXiv did not answer within 0.2 seconds" in response.text
        assert '<strong id="pending-id">1710.08557</strong> goes on the feed of' in response.text
        assert "still fetching" in alice.get("/submit").text  # the member can come back and see it
        again = _submit_within_bound(alice, "1710.08557")  # one fetch per paper at a time
        assert again.status_code == 400 and "being fetched from arXiv" in again.text
        fake.release()
        wait_for_background_fetch("1710.08557", timeout=30)
    assert "still fetching" not in alice.get("/submit").text
    with session_scope() as s:
        entry = s.scalar(select(DailyEntry).join(Paper).where(Paper.arxiv_id == "1710.08557"))
        assert entry is not None and entry.date == datetime.now(UTC).date() and entry.submitted_by.username == "alice"


def test_a_background_fetch_that_fails_says_why_on_the_submit_page(alice, monkeypatch):
    with serving_settings(monkeypatch, DAILYPAPERS_ARXIV_SUBMIT_WAIT=0.2) as (fake, _):
        fake.hang()
        assert _submit_within_bound(alice, "2501.99999").status_code == 202
        fake.release()
        wait_for_background_fetch("2501.99999", timeout=30)
    page = alice.get("/submit").text
    assert 'id="waiting-2501.99999"' in page and "not added: arXiv has no paper 2501.99999" in page
    bob = client()
    signup(bob, "bob")
    assert "2501.99999" not in bob.get("/submit").text  # each member sees their own


def test_submitting_again_clears_an_earlier_failure(alice, monkeypatch, session):
    with serving_settings(monkeypatch, DAILYPAPERS_ARXIV_SUBMIT_WAIT=0.2) as (fake, _):
        fake.hang()
        assert _submit_within_bound(alice, "2501.00101").status_code == 202  # arXiv has no such paper
        fake.release()
        wait_for_background_fetch("2501.00101", timeout=30)
    assert 'id="waiting-2501.00101"' in alice.get("/submit").text
    add_papers(session, [record("2501.00101", "Now stored")], feed=False)  # it came in another way since
    assert _submit_within_bound(alice, "2501.00101").status_code == 303
    assert 'id="waiting-2501.00101"' not in alice.get("/submit").text


def test_submit_when_arxiv_refuses_connections_is_a_quick_error_page(alice, monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_ARXIV_API_URL", refusing_url())
    monkeypatch.setenv("DAILYPAPERS_ARXIV_RETRIES", "0")
    reset_settings()
    response = _submit_within_bound(alice, "2501.99999")
    assert response.status_code == 502 and "cannot connect" in response.text and 'id="form-error"' in response.text
    assert 'id="waiting-heading"' not in response.text  # the member saw why: nothing left pending


def test_api_submission_is_accepted_for_later_when_arxiv_hangs(alice, monkeypatch):
    with serving_settings(monkeypatch, DAILYPAPERS_FEED_WINDOW_DAYS=100000, DAILYPAPERS_ARXIV_SUBMIT_WAIT=0.2) as (
        fake,
        _,
    ):
        fake.hang()
        response = alice.post(
            "/api/daily_papers", json={"arxivId": "1710.08557"}, headers={"X-CSRF-Token": token_of(alice)}
        )
        assert response.status_code == 202 and response.json() == {"id": "1710.08557", "status": "pending"}
        fake.release()
        wait_for_background_fetch("1710.08557", timeout=30)


# --- upvotes --------------------------------------------------------------------------------------------


def test_upvote_toggle_without_javascript(alice, session):
    add_papers(session, [record("2501.00201", "Votable")])
    token = token_of(alice)
    up = alice.post(
        "/papers/2501.00201/upvote",
        data={"vote": "1", "csrf_token": token},
        headers={"referer": "http://testserver/papers"},
    )
    assert up.status_code == 303 and up.headers["location"] == "/papers#paper-2501.00201"
    html = alice.get("/papers/2501.00201").text
    assert 'aria-pressed="true"' in html and "data-count>1<" in html
    again = alice.post("/papers/2501.00201/upvote", data={"vote": "1", "csrf_token": token})  # idempotent
    assert again.status_code == 303
    assert "data-count>1<" in alice.get("/papers/2501.00201").text
    alice.post("/papers/2501.00201/upvote", data={"vote": "0", "csrf_token": token})
    assert "data-count>0<" in alice.get("/papers/2501.00201").text


def test_a_vote_without_javascript_returns_to_the_card_voted_on(alice, session):
    """A long feed reloads at the card, not at its top; the card's id is what the anchor names."""
    add_papers(session, [record("2501.00203", "Votable"), record("cs/0101001", "Old-style id")])
    alice.post("/submit", data={"paper": "2501.00203", "csrf_token": token_of(alice, "/submit")})
    token = token_of(alice)
    for arxiv_id, anchor in [("2501.00203", "paper-2501.00203"), ("cs/0101001", "paper-cs-0101001")]:
        up = alice.post(
            f"/papers/{arxiv_id}/upvote",
            data={"vote": "1", "csrf_token": token},
            headers={"referer": "http://testserver/papers/trending?p=1"},
        )
        assert up.headers["location"] == f"/papers/trending?p=1#{anchor}"
    assert 'id="paper-2501.00203"' in alice.get("/papers").text
    on_its_page = alice.post(
        "/papers/2501.00203/upvote",
        data={"vote": "0", "csrf_token": token},
        headers={"referer": "http://testserver/papers/2501.00203"},
    )
    assert on_its_page.headers["location"] == "/papers/2501.00203"
    saved = alice.post(
        "/papers/2501.00203/save",
        data={"on": "1", "csrf_token": token},
        headers={"referer": "http://testserver/papers"},
    )
    assert saved.headers["location"] == "/papers#paper-2501.00203"


def test_upvote_json_for_the_script(alice, session):
    add_papers(session, [record("2501.00202", "Votable")])
    token = token_of(alice)
    first = alice.post("/papers/2501.00202/upvote", data={"csrf_token": token}, headers=JSON)  # no value: toggle
    assert first.json() == {"id": "2501.00202", "upvoted": True, "upvotes": 1}
    second = alice.post("/papers/2501.00202/upvote", data={"csrf_token": token}, headers=JSON)
    assert second.json() == {"id": "2501.00202", "upvoted": False, "upvotes": 0}


def test_upvote_errors(alice, session):
    add_papers(session, [record("2501.00203", "Votable")])
    assert (
        alice.post("/papers/2501.99999/upvote", data={"csrf_token": token_of(alice)}, headers=JSON).status_code == 404
    )
    forged = alice.post("/papers/2501.00203/upvote", data={"csrf_token": "x"}, headers=JSON)
    assert forged.status_code == 403 and "CSRF" in forged.json()["error"]
    anonymous = client()
    anonymous.get("/papers")
    response = anonymous.post("/papers/2501.00203/upvote", data={"csrf_token": csrf(anonymous, "/login")}, headers=JSON)
    assert response.status_code == 401


def test_concurrent_upvotes_stay_counted_exactly(settings, session):
    """8 users each send the same upvote 3 times at once over real HTTP: 8 votes, count 8."""
    add_papers(session, [record("2501.00204", "Popular")])
    with live_server() as base:
        browsers = []
        for n in range(8):
            b = httpx.Client(base_url=base, follow_redirects=False, timeout=60)
            token = csrf_from(b.get("/signup").text)
            assert (
                b.post(
                    "/signup", data={"username": f"user{n:02d}", "password": PASSWORD, "csrf_token": token}
                ).status_code
                == 303
            )
            browsers.append((b, csrf_from(b.get("/papers").text)))
        barrier = threading.Barrier(24)
        codes, failures = [], []

        def vote(b, token):
            barrier.wait()
            r = b.post("/papers/2501.00204/upvote", data={"vote": "1", "csrf_token": token}, headers=JSON)
            codes.append(r.status_code)
            if r.status_code != 200:
                failures.append(r.text[:300])

        threads = [threading.Thread(target=vote, args=bt) for bt in browsers for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not any(t.is_alive() for t in threads), "votes still pending after 2 minutes"
        for b, _ in browsers:
            b.close()
    assert codes == [200] * 24, failures
    with session_scope() as s:
        paper = s.scalar(select(Paper).where(Paper.arxiv_id == "2501.00204"))
        assert paper.upvotes == 8 == s.scalar(select(func.count()).select_from(Vote).where(Vote.paper_id == paper.id))


def test_writes_are_rate_limited(settings, session, monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_RATE_LIMIT_WRITES", "5")
    reset_settings()
    add_papers(session, [record("2501.00205", "Votable")])
    c = client()
    signup(c)
    token = token_of(c)
    codes = [
        c.post("/papers/2501.00205/upvote", data={"csrf_token": token}, headers=JSON).status_code for _ in range(6)
    ]
    assert codes == [200] * 5 + [429]


# --- comments -------------------------------------------------------------------------------------------


def _comment(c, arxiv_id, body, **headers):
    return c.post(f"/papers/{arxiv_id}/comments", data={"body": body, "csrf_token": token_of(c)}, headers=headers)


def test_comment_markdown_is_rendered_and_sanitised(alice, session):
    add_papers(session, [record("2501.00301", "Discussed")])
    body = (
        "**Bold** and `code` [ok](https://example.org) [bad](javascript:alert(1)) "
        "<script>alert(2)</script> <img src=x onerror=alert(3)>\n\n- item"
    )
    response = _comment(alice, "2501.00301", body)
    assert response.status_code == 303 and response.headers["location"].startswith("/papers/2501.00301#comment-")
    html = alice.get("/papers/2501.00301").text
    section = html[html.index('id="discussion"') :]
    assert "<strong>Bold</strong>" in section and "<code>code</code>" in section and "<li>item</li>" in section
    assert 'href="https://example.org" rel="nofollow noopener noreferrer ugc"' in section
    assert 'href="javascript' not in section.lower() and "<script>alert(2)" not in section and "<img" not in section
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in section  # shown as text, not run
    with session_scope() as s:
        assert s.scalar(select(Paper.num_comments).where(Paper.arxiv_id == "2501.00301")) == 1


def test_comment_json_for_the_script(alice, session):
    add_papers(session, [record("2501.00302", "Discussed")])
    response = _comment(alice, "2501.00302", "Nice *result*", **JSON)
    assert response.status_code == 201
    data = response.json()
    assert data["numComments"] == 1 and "<em>result</em>" in data["html"]
    assert f'id="comment-{data["id"]}"' in data["html"]


@pytest.mark.parametrize("body,message", [("   ", "the comment is empty"), ("x" * 10_001, "the limit is 10000")])
def test_bad_comments_are_refused(alice, session, body, message):
    add_papers(session, [record("2501.00303", "Discussed")])
    response = _comment(alice, "2501.00303", body, **JSON)
    assert response.status_code == 400 and message in response.json()["error"]
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Comment)) == 0


def test_edit_and_delete_own_comment_only(alice, session):
    add_papers(session, [record("2501.00304", "Discussed")])
    cid = _comment(alice, "2501.00304", "first", **JSON).json()["id"]
    edited = alice.post(
        f"/comments/{cid}/edit", data={"body": "second _take_", "csrf_token": token_of(alice)}, headers=JSON
    )
    assert edited.status_code == 200 and "<em>take</em>" in edited.json()["html"]
    bob = client()
    signup(bob, "bob")
    assert (
        bob.post(
            f"/comments/{cid}/edit", data={"body": "hijack", "csrf_token": token_of(bob)}, headers=JSON
        ).status_code
        == 403
    )
    assert bob.post(f"/comments/{cid}/delete", data={"csrf_token": token_of(bob)}, headers=JSON).status_code == 403
    deleted = alice.post(f"/comments/{cid}/delete", data={"csrf_token": token_of(alice)}, headers=JSON)
    assert deleted.json() == {"id": cid, "deleted": True, "numComments": 0}
    assert "second" not in alice.get("/papers/2501.00304").text
    assert alice.post(f"/comments/{cid}/delete", data={"csrf_token": token_of(alice)}, headers=JSON).status_code == 404


# --- moderation -----------------------------------------------------------------------------------------


def test_admin_hides_papers_and_comments(alice, session):
    add_papers(session, [record("2501.00401", "Spam paper"), record("2501.00402", "Good paper")])
    cid = _comment(alice, "2501.00402", "buy pills", **JSON).json()["id"]
    assert alice.post("/papers/2501.00401/hide", data={"csrf_token": token_of(alice)}).status_code == 403
    admin = client()
    signup(admin, "root")
    make_admin("root")
    token = token_of(admin)
    assert admin.post("/papers/2501.00401/hide", data={"hidden": "1", "csrf_token": token}).status_code == 303
    assert admin.post(f"/comments/{cid}/hide", data={"hidden": "1", "csrf_token": token}).status_code == 303
    visitor = client()
    assert "Spam paper" not in visitor.get("/papers").text
    assert visitor.get("/papers/2501.00401").status_code == 404
    assert "buy pills" not in visitor.get("/papers/2501.00402").text
    assert "Spam paper" in admin.get("/papers/2501.00401").text  # admins still see it, marked hidden
    with session_scope() as s:
        assert s.scalar(select(Paper.num_comments).where(Paper.arxiv_id == "2501.00402")) == 0
    assert "buy pills" in admin.get("/papers/2501.00402").text  # no comment counted, and admins still see it


def test_trending_feed_excludes_entries_older_than_the_window(settings, session):
    now = datetime.now(UTC)
    add_papers(
        session,
        [record("2501.00501", "Ancient")],
        on=(now - timedelta(days=60)).date(),
        submitted_at=now - timedelta(days=60),
    )
    assert "Ancient" not in client().get("/papers/trending").text


def test_replies_sit_under_what_they_answer(alice, session):
    add_papers(session, [record("2501.00305", "Discussed")])
    first = _comment(alice, "2501.00305", "first", **JSON).json()["id"]
    second = _comment(alice, "2501.00305", "second", **JSON).json()["id"]
    reply = alice.post(
        "/papers/2501.00305/comments",
        data={"body": "answer to first", "parent": str(first), "csrf_token": token_of(alice)},
        headers=JSON,
    )
    assert reply.status_code == 201 and 'data-depth="1"' in reply.json()["html"]
    html = alice.get("/papers/2501.00305").text
    assert html.index(f'id="comment-{first}"') < html.index("answer to first") < html.index(f'id="comment-{second}"')
    bad = alice.post(
        "/papers/2501.00305/comments",
        data={"body": "x", "parent": "99999", "csrf_token": token_of(alice)},
        headers=JSON,
    )
    assert bad.status_code == 400 and "does not exist" in bad.json()["error"]


def test_anonymous_form_post_goes_to_login_and_back(settings, session):
    add_papers(session, [record("2501.00601", "Votable")])
    c = client()
    response = c.post(
        "/papers/2501.00601/upvote",
        data={"csrf_token": csrf(c, "/login")},
        headers={"referer": "http://testserver/papers/2501.00601"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/papers/2501.00601"


def test_moderation_page_lists_hidden_things_for_admins_only(alice, session):
    add_papers(session, [record("2501.00701", "Spam paper"), record("2501.00702", "Good paper")])
    cid = _comment(alice, "2501.00702", "buy pills", **JSON).json()["id"]
    assert alice.get("/admin").status_code == 403
    admin = client()
    signup(admin, "root")
    make_admin("root")
    token = token_of(admin)
    admin.post("/papers/2501.00701/hide", data={"hidden": "1", "csrf_token": token})
    admin.post(f"/comments/{cid}/hide", data={"hidden": "1", "csrf_token": token})
    page = admin.get("/admin")
    assert page.status_code == 200 and 'id="nav-admin"' in page.text
    hidden = page.text[page.text.index('id="hidden-papers"') :]
    assert "Spam paper" in hidden and "Good paper" not in hidden.split("</ul>")[0]
    assert f'id="comment-{cid}"' in page.text and "<strong>hidden</strong>" in page.text
    assert client().get("/admin").status_code == 303  # anonymous: to the login page


@pytest.mark.slow
def test_submissions_left_waiting_by_a_stopped_web_process_are_fetched_by_ingest_pending(alice, monkeypatch, cli):
    from dailypapers.community.submissions import STALE_AFTER, PendingSubmission, _record

    now = datetime.now(UTC)
    submitted = now - STALE_AFTER - timedelta(minutes=1)
    with session_scope() as s:
        alice_id = s.scalar(select(User.id).where(User.username == "alice"))
    _record(PendingSubmission("1710.08557", submitted), alice_id)  # its fetch died with the web process
    _record(PendingSubmission("2501.99999", submitted), alice_id)
    _record(PendingSubmission("1403.5117", now), alice_id)  # may still be fetching in the web process: left alone
    with serving_settings(monkeypatch, DAILYPAPERS_FEED_WINDOW_DAYS=100000) as (fake, _):
        result = cli("ingest", "--pending", env={**fake.env(), "DAILYPAPERS_FEED_WINDOW_DAYS": "100000"})
    assert result.returncode == 0, result.stderr
    assert f"1710.08557: on the feed of {submitted.date().isoformat()} for alice" in result.stderr
    assert "2501.99999: not added: arXiv has no paper 2501.99999" in result.stderr
    assert "2 waiting submissions fetched" in result.stderr
    page = alice.get("/submit").text
    assert "not added: arXiv has no paper 2501.99999" in page and 'id="waiting-1403.5117"' in page
    assert 'id="waiting-1710.08557"' not in page
    assert "--pending goes alone" in cli("ingest", "--pending", "1710.08557").stderr

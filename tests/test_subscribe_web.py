"""Subscribing on the site, through the real app and a real SMTP server: double opt-in, every link of a digest
followed, one-click unsubscribe (RFC 8058), the preferences page, the JSON API, and refused links."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import itsdangerous.timed
import pytest
from sqlalchemy import select, update

from dailypapers.config import get_settings
from dailypapers.digest.outbox import drain
from dailypapers.digest.run import send_period
from dailypapers.digest.schedule import parse_periods
from dailypapers.digest.tokens import make_token
from dailypapers.store.models import OutboxMail, Subscriber
from tests.digest_helpers import CONFIRMED_AT, ISSUE_DAY, PERIOD, links_in, seed_feed, use_smtp
from tests.smtp_sink import free_port
from tests.web_helpers import client, csrf, signup

ADDRESS = "reader@example.org"


@pytest.fixture
def site(sink, session):
    seed_feed(session)
    with client() as c:
        yield c


def subscriber(session, email: str = ADDRESS) -> Subscriber | None:
    session.expire_all()
    return session.scalar(select(Subscriber).where(Subscriber.email == email))


def subscribe(c, email: str = ADDRESS, **fields):
    data = {
        "email": email,
        "frequency": "daily",
        "interests": "graph networks\nspeech recognition",
        "categories": "cs.LG eess.AS",
        "csrf_token": csrf(c, "/subscribe"),
        **fields,
    }
    return c.post("/subscribe", data=data)


def link_in(message, path: str) -> str:
    text = message.get_body(("plain",)).get_content()
    match = re.search(rf"http://testserver{path}/[\w.-]+", text)
    assert match, f"no {path} link in:\n{text}"
    return match[0]


def local(url: str) -> str:
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == "testserver", url
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def confirm(c, sink, session, email: str = ADDRESS) -> None:
    """Follow the confirmation email's link and press the button; then date the confirmation before the
    fixed test period (the digest goes to those confirmed by its issue day)."""
    url = link_in(sink.handler.to(email)[-1].message, "/subscriptions/confirm")
    assert c.post(local(url)).status_code == 200
    session.execute(update(Subscriber).where(Subscriber.email == email).values(confirmed_at=CONFIRMED_AT))
    session.commit()


def send():
    return send_period(parse_periods(PERIOD, ISSUE_DAY)[0])


def test_subscribe_confirm_and_nothing_is_sent_before_confirmation(site, sink, session):
    page = site.get("/subscribe")
    assert page.status_code == 200 and 'id="subscribe-form"' in page.text
    answer = subscribe(site)
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    stored = subscriber(session)
    assert stored.confirmed_at is None
    assert (stored.interests, stored.categories) == ("graph networks\nspeech recognition", "cs.LG eess.AS")
    [confirmation] = sink.handler.to(ADDRESS)
    assert "Confirm" in confirmation.message["Subject"]
    assert send().report.sent == 0  # unconfirmed: no digest
    assert len(sink.handler.to(ADDRESS)) == 1

    manage = site.get(local(link_in(confirmation.message, "/subscriptions/manage")))
    assert manage.status_code == 200 and "waiting for you to follow the link" in manage.text
    url = link_in(confirmation.message, "/subscriptions/confirm")
    page = site.get(local(url))  # a mail scanner fetching the link must not confirm
    assert page.status_code == 200 and 'id="confirm-button"' in page.text
    assert subscriber(session).confirmed_at is None
    done = site.post(local(url))
    assert done.status_code == 200 and "You are subscribed" in done.text
    assert subscriber(session).confirmed_at is not None
    again = site.get(local(url))
    assert "subscribed already" in again.text


def test_every_link_in_a_digest_works_and_unsubscribe_really_unsubscribes(site, sink, session):
    subscribe(site)
    confirm(site, sink, session)
    assert send().report.sent == 1
    digest = sink.handler.to(ADDRESS)[-1].message
    html = digest.get_body(("html",)).get_content()
    text = digest.get_body(("plain",)).get_content()
    links = set(links_in(html))
    ours = {url for url in links if url.startswith("http://testserver")}
    assert {urlsplit(u).path.split("/")[2] for u in ours if u.startswith("http://testserver/subscriptions/")} == {
        "manage",
        "unsubscribe",
    }
    assert len([u for u in ours if "/papers/" in u]) >= 8
    for url in ours:  # every link on this site answers
        response = site.get(local(url), follow_redirects=True)
        assert response.status_code == 200, (url, response.status_code)
    for url in links - ours:  # arXiv pages and PDFs (not fetched: tests stay offline)
        assert re.fullmatch(r"https://arxiv\.org/(abs|pdf)/\d{4}\.\d{4,5}", url), url
    missing = [url for url in ours if url not in text]
    assert missing == [], "the plain-text part lacks links of the HTML part"
    assert subscriber(session).unsubscribed_at is None  # following the links changed nothing

    unsubscribe_url = digest["List-Unsubscribe"].strip("<>")
    assert unsubscribe_url in links  # the header and the visible link are the same
    with client() as mail_client:  # RFC 8058: a POST with no cookies and no CSRF token
        one_click = mail_client.post(
            local(unsubscribe_url),
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert one_click.status_code == 200 and "You are unsubscribed" in one_click.text
    assert subscriber(session).unsubscribed_at is not None
    next_day = send_period(parse_periods("daily:2026-11-23", ISSUE_DAY)[0])
    assert next_day.report.sent == 0 and len(sink.handler.to(ADDRESS)) == 2  # confirmation + one digest
    page = site.get(local(unsubscribe_url)).text
    assert "You are unsubscribed" in page
    assert site.post(local(unsubscribe_url)).status_code == 200  # a second click is harmless


def test_the_visible_unsubscribe_page_asks_before_unsubscribing(site, sink, session):
    subscribe(site)
    confirm(site, sink, session)
    send()
    url = link_in(sink.handler.to(ADDRESS)[-1].message, "/subscriptions/unsubscribe")
    page = site.get(local(url))
    assert page.status_code == 200 and 'id="unsubscribe-button"' in page.text
    assert subscriber(session).unsubscribed_at is None
    form_action = re.search(r'<form action="([^"]+)" method="post"', page.text)[1]
    assert site.post(form_action, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert subscriber(session).unsubscribed_at is not None


def test_manage_page_changes_preferences_and_refuses_bad_ones(site, sink, session):
    subscribe(site)
    confirm(site, sink, session)
    send()
    url = local(link_in(sink.handler.to(ADDRESS)[-1].message, "/subscriptions/manage"))
    page = site.get(url)
    assert page.status_code == 200 and "graph networks" in page.text and "cs.LG eess.AS" in page.text
    assert page.headers["cache-control"] == "no-store"  # an address and its settings: no cache keeps them
    token = csrf(site, url)
    saved = site.post(
        url,
        data={
            "action": "save",
            "frequency": "weekly",
            "interests": "galaxy clusters",
            "categories": "astro-ph.co",
            "csrf_token": token,
        },
    )
    assert saved.status_code == 303
    assert "preferences are saved" in site.get(saved.headers["location"]).text
    stored = subscriber(session)
    assert (stored.frequency, stored.interests, stored.categories) == ("weekly", "galaxy clusters", "astro-ph.CO")
    bad = site.post(
        url, data={"action": "save", "frequency": "hourly", "interests": "x", "categories": "", "csrf_token": token}
    )
    assert bad.status_code == 400 and "unknown frequency" in bad.text
    assert subscriber(session).frequency == "weekly"  # nothing half-written
    assert (
        site.post(url, data={"action": "save", "frequency": "daily", "interests": "", "categories": ""}).status_code
        == 403
    )  # no CSRF token
    site.post(url, data={"action": "unsubscribe", "csrf_token": token})
    assert subscriber(session).unsubscribed_at is not None
    assert 'id="resubscribe-button"' in site.get(url).text
    site.post(url, data={"action": "resubscribe", "csrf_token": token})
    assert subscriber(session).unsubscribed_at is None


@pytest.mark.parametrize("kind", ["confirm", "manage", "unsubscribe"])
def test_forged_and_expired_links_are_refused(site, sink, session, monkeypatch, kind):
    subscribe(site)
    secret = get_settings().signing_key
    stored = subscriber(session)
    form = {"csrf_token": csrf(site, "/subscribe"), "action": "unsubscribe"}  # the manage form needs one
    damaged = make_token(stored, "manage", secret)[:-3] + "abc"
    for forged in ("WzEsMV0.aUOVpA.forgedforgedforgedforgedforg", "garbage", damaged):
        for method in ("get", "post"):
            extra = {"data": form} if method == "post" else {}
            response = getattr(site, method)(f"/subscriptions/{kind}/{forged}", **extra)
            assert response.status_code == 400 and "does not work" in response.text, (forged, method)
    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() - 400 * 86400)
    old = make_token(stored, kind, secret)
    monkeypatch.undo()
    response = site.post(f"/subscriptions/{kind}/{old}", data=form)
    assert response.status_code == 410 and "expired" in response.text
    stored = subscriber(session)
    assert stored.confirmed_at is None and stored.unsubscribed_at is None  # nothing changed


def test_resubscribing_after_unsubscribing_needs_a_new_confirmation_and_retires_old_links(site, sink, session):
    subscribe(site)
    confirm(site, sink, session)
    send()
    first_version = subscriber(session).token_version
    old_manage = local(link_in(sink.handler.to(ADDRESS)[-1].message, "/subscriptions/manage"))
    site.post(local(link_in(sink.handler.to(ADDRESS)[-1].message, "/subscriptions/unsubscribe")))
    subscribe(site, interests="speech synthesis")
    stored = subscriber(session)
    assert stored.confirmed_at is None and stored.token_version == first_version + 1
    assert site.get(old_manage).status_code == 400  # a link from the old subscription
    assert "Confirm" in sink.handler.to(ADDRESS)[-1].message["Subject"]


def test_subscribing_a_subscribed_address_changes_nothing_and_tells_its_owner(site, sink, session):
    subscribe(site)
    confirm(site, sink, session)
    answer = subscribe(site, interests="something an attacker wants", frequency="weekly")
    assert answer.status_code == 200 and "Check your inbox" in answer.text  # the same answer as for a new one
    stored = subscriber(session)
    assert (stored.frequency, stored.interests) == ("daily", "graph networks\nspeech recognition")
    note = sink.handler.to(ADDRESS)[-1].message
    assert (
        "already subscribed" in note["Subject"] and "/subscriptions/manage/" in note.get_body(("plain",)).get_content()
    )


def test_a_search_can_be_saved_as_an_interest(site, sink, session):
    page = site.get(
        "/subscribe", params={"q": '"speech recognition" streaming', "category": "eess.AS", "frequency": "weekly"}
    )
    assert page.status_code == 200
    assert "&#34;speech recognition&#34; streaming</textarea>" in page.text
    assert 'value="eess.AS"' in page.text and 'value="weekly" id="frequency-weekly" checked' in page.text


def test_form_errors_are_shown_and_nothing_is_stored(site, sink, session):
    for fields, message in [
        ({"email": "not-an-address"}, "not an email address"),
        ({"email": "a@b.org\r\nBcc: victim@example.org"}, "not an email address"),
        ({"frequency": "monthly"}, "unknown frequency"),
        ({"categories": "Deep Learning"}, "not an arXiv category"),
        ({"interests": "x" * 300}, "the limit is 250"),
    ]:
        response = subscribe(site, **fields)
        assert response.status_code == 400 and message in response.text, fields
    assert session.scalar(select(Subscriber.id)) is None and sink.received == []
    assert site.post("/subscribe", data={"email": ADDRESS}).status_code == 403  # no CSRF token


def test_the_api_subscribes_with_json_and_answers_errors_in_json(site, sink, session):
    created = site.post(
        "/api/subscriptions",
        json={
            "email": "api@example.org",
            "frequency": "weekly",
            "interests": ["graph networks"],
            "categories": ["cs.LG"],
        },
    )
    assert created.status_code == 202 and created.json()["status"] == "confirmation_sent"
    stored = subscriber(session, "api@example.org")
    assert (stored.frequency, stored.interests, stored.categories, stored.confirmed_at) == (
        "weekly",
        "graph networks",
        "cs.LG",
        None,
    )
    assert len(sink.handler.to("api@example.org")) == 1
    for body, status, message in [
        ({"email": "nope"}, 400, "not an email address"),
        ({"email": "b@example.org", "frequency": "hourly"}, 400, "unknown frequency"),
        ({"email": "b@example.org", "interests": 5}, 400, "string or a list"),
        ([1, 2], 400, "JSON object"),
    ]:
        response = site.post("/api/subscriptions", json=body)
        assert response.status_code == status and message in response.json()["error"], body
    wrong_type = site.post(
        "/api/subscriptions",
        content=b"email=x@example.org",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert wrong_type.status_code == 415 and "error" in wrong_type.json()
    assert subscriber(session, "b@example.org") is None


def test_the_api_documents_its_body_as_the_model_that_checks_it(site):
    spec = site.get("/openapi.json").json()
    body = spec["paths"]["/api/subscriptions"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    model = spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert set(model["properties"]) == {"email", "frequency", "interests", "categories"}
    wrong = site.post("/api/subscriptions", json={"email": "b@example.org", "categories": {"cs": "LG"}})
    assert wrong.status_code == 400 and wrong.json()["error"].startswith("categories: ")


def queued(session, email: str = ADDRESS) -> list[tuple[str, str]]:
    session.expire_all()
    return session.execute(
        select(OutboxMail.kind, OutboxMail.status).where(OutboxMail.recipient == email).order_by(OutboxMail.id)
    ).all()


def test_smtp_down_the_request_is_answered_and_the_queued_confirmation_goes_out_later(site, sink, session, monkeypatch):
    use_smtp(monkeypatch, free_port(), DAILYPAPERS_SMTP_RETRIES="1")
    down = site.post("/api/subscriptions", json={"email": ADDRESS})
    assert down.status_code == 202  # the request never waits on the SMTP server
    form = subscribe(site)
    assert form.status_code == 200 and "Check your inbox" in form.text
    assert sink.received == []
    assert queued(session) == [("confirm", "pending")]  # the second request replaced the first's mail
    use_smtp(monkeypatch, sink.port)
    assert drain().sent == 1  # what `digest send` does first
    assert len(sink.handler.to(ADDRESS)) == 1
    assert queued(session) == [("confirm", "sent")]
    assert drain().sent == 0  # sent once
    link_in(sink.handler.to(ADDRESS)[0].message, "/subscriptions/confirm")


def test_confirmation_mails_to_one_address_are_rate_limited(site, sink, session):
    for _ in range(3):
        assert site.post("/api/subscriptions", json={"email": ADDRESS}).status_code == 202
    limited = site.post("/api/subscriptions", json={"email": ADDRESS})
    assert limited.status_code == 429 and "too many" in limited.json()["error"]
    assert len(sink.handler.to(ADDRESS)) == 3


def test_a_signed_in_subscription_links_the_account_and_a_form_never_relinks_an_active_one(site, sink, session):
    signup(site, "ada")
    assert subscribe(site).status_code in (200, 303)
    ada_id = subscriber(session).user_id
    assert ada_id is not None  # linked to the signed-in account asking (it takes effect once confirmed)
    confirm(site, sink, session)
    site.post("/logout", data={"csrf_token": csrf(site, "/subscribe")})
    signup(site, "mallory")
    assert subscribe(site).status_code in (200, 303)  # someone else asks for the same, active, address
    assert subscriber(session).user_id == ada_id
    with client() as anonymous:
        assert subscribe(anonymous, "other@example.org").status_code in (200, 303)
    assert subscriber(session, "other@example.org").user_id is None

"""Digest subscriptions on the site: the subscribe form and API, confirm, manage, one-click unsubscribe.

Links in emails carry a signed token (digest/tokens.py) instead of a login. Their GET pages never
change anything, because mail scanners fetch links: confirming and unsubscribing happen on POST, from
the page's button or, for unsubscribing, straight from the mail client (RFC 8058 one-click: a POST with
`List-Unsubscribe=One-Click`, no cookies, no CSRF token; the signed token is the authority).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from dailypapers.config import get_settings
from dailypapers.digest.identity import mail_site
from dailypapers.digest.outbox import drain_quietly, queue_subscription_mail
from dailypapers.digest.schedule import FREQUENCIES
from dailypapers.digest.subscribe import (
    MAX_INTERESTS,
    Preferences,
    confirm,
    is_active,
    normalize_email,
    resubscribe,
    start_subscription,
    unsubscribe,
    validate_preferences,
)
from dailypapers.digest.tokens import BadToken, subscriber_for_token, subscriber_links
from dailypapers.errors import InvalidInput
from dailypapers.store.db import Session
from dailypapers.store.models import Subscriber
from dailypapers.web.auth import checked_csrf, current_user
from dailypapers.web.database import DbSession
from dailypapers.web.inputs import SubscriptionForm, SubscriptionIn
from dailypapers.web.middleware.csrf import csrf_token
from dailypapers.web.middleware.rate_limits import client_ip, rate_limit
from dailypapers.web.openapi import error_response
from dailypapers.web.templating import absolute_url, render

router = APIRouter()
SUBSCRIBES_PER_IP_HOUR = 20
MAILS_PER_ADDRESS_HOUR = 3  # confirmation mails to one address: the form must not become a mail bomb
SENT_MESSAGE = (
    "If this address can be subscribed, a confirmation email is on its way to it. Follow the link in "
    "it to start your digest; nothing is sent before that."
)


def _secret() -> str:
    return get_settings().signing_key


def _manage_link(request: Request, subscriber) -> str:
    """The manage link shown on a page (mail builds its own from the configured site, never from a request)."""
    return subscriber_links(subscriber, absolute_url(request, ""), _secret())["manage"]


def _request_subscription(request: Request, session: Session, email: str, prefs: Preferences) -> None:
    """Record the request and queue the confirmation (or, to a subscribed address, its manage link) in the
    same transaction; the response's background task sends it (`_send_queued`), `digest send` retries it.

    Answers the same whatever the address's state, so the form reveals nothing about who subscribes."""
    address = normalize_email(email)
    rate_limit(f"subscribe:ip:{client_ip(request)}", SUBSCRIBES_PER_IP_HOUR, 3600)
    rate_limit(f"subscribe:mail:{address}", MAILS_PER_ADDRESS_HOUR, 3600)
    user = current_user(request)
    subscriber, action = start_subscription(session, address, prefs, user.id if user else None)
    queue_subscription_mail(session, subscriber, action, mail_site(get_settings()))


def _send_queued() -> BackgroundTask:
    """Runs after the response has gone: the request never waits on the SMTP server."""
    return BackgroundTask(drain_quietly)


def _form_context(prefs: Preferences | None = None, **extra) -> dict:
    prefs = prefs or Preferences()
    return dict(
        frequencies=FREQUENCIES,
        max_interests=MAX_INTERESTS,
        frequency=prefs.frequency,
        interests="\n".join(prefs.interests),
        categories=" ".join(prefs.categories),
        **extra,
    )


@router.get("/subscribe", include_in_schema=False)
def subscribe_form(request: Request, q: str = "", category: str = "", frequency: str = "daily"):
    """The form; `?q=...&category=...` (the search page's own parameters) fills it in, so a search can be
    saved as an interest: "get these by email"."""
    user = current_user(request)
    form = Preferences(
        frequency if frequency in FREQUENCIES else "daily", [q[:250]] if q.strip() else [], category.split()[:5]
    )
    return render(
        request, "subscriptions/subscribe.html", **_form_context(form, email=(user.email if user else "") or "")
    )


@router.post("/subscribe", include_in_schema=False, dependencies=[Depends(checked_csrf)])
def subscribe_submit(request: Request, form: Annotated[SubscriptionForm, Form()], session: DbSession):
    try:
        prefs = validate_preferences(form.frequency, form.interests, form.categories)
        _request_subscription(request, session, form.email, prefs)
    except InvalidInput as exc:
        return render(
            request,
            "subscriptions/subscribe.html",
            status_code=400,
            **_form_context(_as_typed(form), email=form.email, error=str(exc)),
        )
    page = render(request, "subscriptions/notice.html", title="Check your inbox", message=SENT_MESSAGE)
    page.background = _send_queued()
    return page


def _as_typed(form: SubscriptionForm) -> Preferences:
    """The preferences as typed, to show the form again beside what is wrong with them."""
    return Preferences(
        form.frequency if form.frequency in FREQUENCIES else "daily",
        form.interests.splitlines(),
        form.categories.split(),
    )


def _json_body(request: Request) -> None:
    """A form post gets 415, not the model's complaint that it is no JSON object."""
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise HTTPException(415, "send a JSON body with Content-Type: application/json")


@router.post(
    "/api/subscriptions",
    status_code=202,
    tags=["subscriptions"],
    dependencies=[
        Depends(checked_csrf),  # the session cookie links the subscription to its member
        Depends(_json_body),
    ],
    responses={403: error_response(403), 415: error_response(415), 429: error_response(429)},
)
async def subscribe_api(request: Request, body: SubscriptionIn, session: DbSession):
    """Subscribe an address to the digest: `{"email", "frequency": "daily"|"weekly", "interests": [..] or
    text, "categories": [..] or text}`. A confirmation email goes out; nothing else is sent before it is
    followed. The answer is the same whether or not the address was subscribed already."""
    prefs = validate_preferences(body.frequency, body.interests, body.categories)
    await run_in_threadpool(_request_subscription, request, session, body.email, prefs)
    return JSONResponse(
        {"status": "confirmation_sent", "message": SENT_MESSAGE}, status_code=202, background=_send_queued()
    )


def _page(request: Request, name: str, status_code: int = 200, **context):
    """A page behind a signed link: it shows an address and its state, so no cache may keep it (neither
    browsers and proxies, nor the site's own micro-cache, which skips per-browser pages)."""
    csrf_token(request)  # marks the response as per-browser
    return render(request, name, status_code=status_code, headers={"Cache-Control": "no-store"}, **context)


def _notice(request: Request, title: str, message: str, **context):
    """A signed link's notice page: what happened, or (with `button`) what its button would do: the button
    posts back to the same address, as mail scanners only fetch."""
    if "button" in context:
        context["action"] = request.url.path
    return _page(request, "subscriptions/notice.html", title=title, message=message, **context)


def bad_link(request: Request, exc: BadToken):
    """The answer to a forged, damaged, retired or expired link (the app's handler for `BadToken`)."""
    message = str(exc) + (
        ". Your newest email has a fresh link; or subscribe again with the same address and, if "
        "it is subscribed, we email you a new link to manage or stop your digest."
        if exc.expired
        else "."
    )
    return _notice(request, "This link does not work", message, status_code=410 if exc.expired else 400, error=True)


def _linked(purpose: str) -> Callable[[str, Session], Subscriber]:
    """A dependency: the subscriber the signed `{token}` in the path was made for, in the request's session.
    A bad link raises `BadToken`, which `bad_link` answers."""

    def subscriber(token: str, session: DbSession) -> Subscriber:
        return subscriber_for_token(session, token, purpose, _secret())

    return subscriber


ConfirmLink = Annotated[Subscriber, Depends(_linked("confirm"))]
ManageLink = Annotated[Subscriber, Depends(_linked("manage"))]
UnsubscribeLink = Annotated[Subscriber, Depends(_linked("unsubscribe"))]


@router.get("/subscriptions/confirm/{token}", include_in_schema=False)
def confirm_page(request: Request, subscriber: ConfirmLink):
    if is_active(subscriber):
        return _notice(request, "You are subscribed", f"{subscriber.email} is subscribed already; nothing to do.")
    return _notice(
        request,
        "Confirm your subscription",
        f"Start sending the paper digest to {subscriber.email}?",
        button="Confirm my subscription",
        button_id="confirm-button",
    )


@router.post("/subscriptions/confirm/{token}", include_in_schema=False)
def confirm_submit(request: Request, subscriber: ConfirmLink):
    confirm(subscriber)
    when = "each weekday" if subscriber.frequency == "daily" else "each Monday"
    return _notice(
        request,
        "You are subscribed",
        f"{subscriber.email} will get the {subscriber.frequency} digest {when}.",
        manage_url=_manage_link(request, subscriber),
    )


@router.get("/subscriptions/manage/{token}", include_in_schema=False)
def manage_page(request: Request, subscriber: ManageLink, saved: int = 0):
    return _page(
        request,
        "subscriptions/manage.html",
        **_form_context(
            Preferences.of(subscriber),
            email=subscriber.email,
            state=_state(subscriber),
            action=request.url.path,
            flash="Your preferences are saved." if saved else None,
        ),
    )


def _state(subscriber) -> str:
    if subscriber.unsubscribed_at is not None:
        return "unsubscribed"
    if subscriber.bounced_at is not None:
        return "bounced"
    return "active" if subscriber.confirmed_at is not None else "unconfirmed"


@router.post("/subscriptions/manage/{token}", include_in_schema=False, dependencies=[Depends(checked_csrf)])
def manage_submit(request: Request, subscriber: ManageLink, form: Annotated[SubscriptionForm, Form()]):
    if form.action == "unsubscribe":
        unsubscribe(subscriber)
    elif form.action == "resubscribe":
        resubscribe(subscriber)
    elif form.action == "save":
        try:
            validate_preferences(form.frequency, form.interests, form.categories).apply(subscriber)
        except InvalidInput as exc:  # checked before anything changes: the form again, beside its error
            return _page(
                request,
                "subscriptions/manage.html",
                status_code=400,
                **_form_context(
                    _as_typed(form),
                    email=subscriber.email,
                    state=_state(subscriber),
                    action=request.url.path,
                    error=str(exc),
                ),
            )
    else:
        raise InvalidInput(f"unknown action {form.action!r}")
    return RedirectResponse(f"{request.url.path}?saved=1", status_code=303)


@router.get("/subscriptions/unsubscribe/{token}", include_in_schema=False)
def unsubscribe_page(request: Request, subscriber: UnsubscribeLink):
    email = subscriber.email
    if subscriber.unsubscribed_at is not None:
        return _notice(request, "You are unsubscribed", f"{email} gets no more digests.")
    return _notice(
        request,
        "Unsubscribe",
        f"Stop sending the paper digest to {email}?",
        button="Unsubscribe",
        button_id="unsubscribe-button",
        one_click=True,
    )


@router.post("/subscriptions/unsubscribe/{token}", include_in_schema=False)
def unsubscribe_submit(request: Request, subscriber: UnsubscribeLink):
    """The page's button and RFC 8058 one-click both land here; answering 200 (no redirect) either way."""
    unsubscribe(subscriber)
    return _notice(
        request,
        "You are unsubscribed",
        f"{subscriber.email} gets no more digests. Changed your mind? You can subscribe again from the "
        "preferences page.",
        manage_url=_manage_link(request, subscriber),
    )

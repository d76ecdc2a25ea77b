"""Sign up, log in, log out, and the settings page with personal API tokens.

The routes that sign someone in or out open `session_scope()` themselves, not the request's `DbSession`:
`log_in` and `log_out` (web/auth.py) write the browser's session in a transaction of their own, which must
commit before the cookie goes out, and on SQLite it would wait on a request's session still holding a write.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from dailypapers.community.login_addresses import is_known_address
from dailypapers.community.sessions import end_all_sessions
from dailypapers.community.tokens import create_api_token, list_api_tokens, revoke_api_token
from dailypapers.community.users import WrongPassword, authenticate, change_password, create_user
from dailypapers.config import get_settings
from dailypapers.errors import InvalidInput
from dailypapers.store.db import session_scope
from dailypapers.store.models import User
from dailypapers.web.auth import Writer, checked_csrf, log_in, log_out, require_user
from dailypapers.web.database import DbSession
from dailypapers.web.inputs import DbId, LoginForm, PasswordForm, SignupForm, TokenForm
from dailypapers.web.middleware.rate_limits import client_ip, rate_limit
from dailypapers.web.middleware.throttle import Limit, begin_attempt, too_many
from dailypapers.web.responses import safe_next
from dailypapers.web.templating import render

router = APIRouter(include_in_schema=False)
LOGIN_WINDOW = 300.0  # the first wait once a limit is reached; it doubles with each further failure
ADDRESS_SHARE = 3  # one address may be a whole office behind NAT: it may fail this many accounts' worth
CSRF_CHECKED = [Depends(checked_csrf)]  # a form post by someone not signed in (yet)


@router.get("/signup")
def signup_form(request: Request, next: str = "/papers"):
    return render(request, "signup.html", next=safe_next(next), form={})


@router.post("/signup", dependencies=CSRF_CHECKED)
def signup(request: Request, form: Annotated[SignupForm, Form()]):
    rate_limit(f"signup:ip:{client_ip(request)}", get_settings().rate_limit_signups, 3600)
    try:
        with session_scope() as session:
            user = create_user(session, form.username, form.password, email=form.email, fullname=form.fullname)
    except InvalidInput as exc:
        return render(
            request,
            "signup.html",
            status_code=400,
            error=str(exc),
            next=safe_next(form.next),
            form=form.model_dump(include={"username", "email", "fullname"}),
        )
    response = RedirectResponse(safe_next(form.next), status_code=303)
    log_in(request, response, user)
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/papers"):
    return render(request, "login.html", next=safe_next(next), username="")


@router.post("/login", dependencies=CSRF_CHECKED)
def login(request: Request, form: Annotated[LoginForm, Form()]):
    """Failed logins are limited per address, per account and address, and per account. The first two
    refuse a try before the password is checked. The account's own limit, which strangers failing from
    many addresses can close, still lets its owner in: the right password, from an address they signed in
    from before."""
    allowed, address, name = get_settings().rate_limit_logins, client_ip(request), form.username.strip().lower()[:64]
    pair = f"login:pair:{address}:{name}"
    account = f"login:user:{name}"
    attempt = begin_attempt(
        [Limit(f"login:ip:{address}", allowed * ADDRESS_SHARE, LOGIN_WINDOW), Limit(pair, allowed, LOGIN_WINDOW)],
        [Limit(account, allowed, LOGIN_WINDOW)],
    )
    closed = attempt.waits[account]
    with session_scope() as session:
        user = authenticate(session, form.username, form.password)
        admitted = user is not None and (not closed or is_known_address(session, user.id, address))
    if admitted and user is not None:
        attempt.succeeded(pair)
        response = RedirectResponse(safe_next(form.next), status_code=303)
        log_in(request, response, user)
        return response
    if user is not None:
        attempt.succeeded()  # a right password is no failure, though this address must wait
    if closed:  # right or wrong, the same answer: a stranger learns nothing of the password
        raise too_many(closed)
    return render(
        request,
        "login.html",
        status_code=400,
        error="wrong username or password",
        next=safe_next(form.next),
        username=form.username,
    )


@router.post("/logout", dependencies=CSRF_CHECKED)
def logout(request: Request):
    response = RedirectResponse("/papers", status_code=303)
    log_out(request, response)
    return response


@router.post("/settings/sessions/end")
def logout_everywhere(request: Request, user: Writer):
    """End every session of the user, this browser's too (a lost laptop, a shared computer)."""
    with session_scope() as session:
        end_all_sessions(session, user.id)
    response = RedirectResponse("/login", status_code=303)
    log_out(request, response)
    return response


@router.get("/settings")
def settings_page(request: Request, session: DbSession):
    user = require_user(request)
    tokens = list_api_tokens(session, user)
    return render(request, "settings.html", tokens=tokens, new_token=None)


@router.post("/settings/tokens")
def new_token(request: Request, user: Writer, form: Annotated[TokenForm, Form()], session: DbSession):
    token = create_api_token(session, user, form.name)
    tokens = list_api_tokens(session, user)
    return render(request, "settings.html", tokens=tokens, new_token=token)


@router.post("/settings/password")
def change_password_form(request: Request, user: Writer, form: Annotated[PasswordForm, Form()]):
    """A new password; every session ends, and this browser gets a new one. Wrong current passwords are
    limited per account, counted only from its own signed-in sessions: strangers cannot close this form."""
    limit = Limit(f"password:user:{user.id}", get_settings().rate_limit_logins, LOGIN_WINDOW)
    attempt = begin_attempt([limit])
    error: InvalidInput | None = None
    account: User | None = None
    with session_scope() as session:
        tokens = list_api_tokens(session, user)
        try:
            account = change_password(session, user.id, form.current, form.new)
            session.expunge(account)
        except InvalidInput as exc:
            error = exc
    if not isinstance(error, WrongPassword):
        attempt.succeeded(limit.key)  # the current password was right, whatever became of the new one
    if error is not None or account is None:
        return render(
            request, "settings.html", status_code=400, tokens=tokens, new_token=None, password_error=str(error)
        )
    response = render(request, "settings.html", tokens=tokens, new_token=None, flash="Password changed.")
    log_in(request, response, account)
    return response


@router.post("/settings/tokens/{token_id}/delete")
def delete_token(token_id: DbId, user: Writer, session: DbSession):
    revoke_api_token(session, user, token_id)
    return RedirectResponse("/settings", status_code=303)

"""Sign up, log in, log out, and the settings page with personal API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from dailypapers.community.sessions import end_all_sessions
from dailypapers.community.tokens import create_api_token, list_api_tokens, revoke_api_token
from dailypapers.community.users import authenticate, change_password, create_user
from dailypapers.config import get_settings
from dailypapers.errors import InvalidInput
from dailypapers.store.db import session_scope
from dailypapers.web.auth import Writer, checked_csrf, log_in, log_out, require_user
from dailypapers.web.inputs import DbId, LoginForm, PasswordForm, SignupForm, TokenForm
from dailypapers.web.responses import safe_next
from dailypapers.web.security import client_ip, rate_limit
from dailypapers.web.templating import render

router = APIRouter(include_in_schema=False)
LOGIN_WINDOW = 300.0
SIGNUPS_PER_HOUR = 20
CSRF_CHECKED = [Depends(checked_csrf)]  # a form post by someone not signed in (yet)


@router.get("/signup")
def signup_form(request: Request, next: str = "/papers"):
    return render(request, "signup.html", next=safe_next(next), form={})


@router.post("/signup", dependencies=CSRF_CHECKED)
def signup(request: Request, form: Annotated[SignupForm, Form()]):
    rate_limit(f"signup:ip:{client_ip(request)}", SIGNUPS_PER_HOUR, 3600)
    try:
        with session_scope() as session:
            user = create_user(session, form.username, form.password, email=form.email, fullname=form.fullname)
    except InvalidInput as exc:
        return render(request, "signup.html", status_code=400, error=str(exc), next=safe_next(form.next),
                      form=form.model_dump(include={"username", "email", "fullname"}))
    response = RedirectResponse(safe_next(form.next), status_code=303)
    log_in(request, response, user)
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/papers"):
    return render(request, "login.html", next=safe_next(next), username="")


@router.post("/login", dependencies=CSRF_CHECKED)
def login(request: Request, form: Annotated[LoginForm, Form()]):
    limit = get_settings().rate_limit_logins
    rate_limit(f"login:ip:{client_ip(request)}", limit, LOGIN_WINDOW)
    rate_limit(f"login:user:{form.username.strip().lower()[:64]}", limit, LOGIN_WINDOW)
    with session_scope() as session:
        user = authenticate(session, form.username, form.password)
    if user is None:
        return render(request, "login.html", status_code=400, error="wrong username or password",
                      next=safe_next(form.next), username=form.username)
    response = RedirectResponse(safe_next(form.next), status_code=303)
    log_in(request, response, user)
    return response


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
def settings_page(request: Request):
    user = require_user(request)
    with session_scope() as session:
        tokens = list_api_tokens(session, user)
    return render(request, "settings.html", tokens=tokens, new_token=None)


@router.post("/settings/tokens")
def new_token(request: Request, user: Writer, form: Annotated[TokenForm, Form()]):
    with session_scope() as session:
        token = create_api_token(session, user, form.name)
        tokens = list_api_tokens(session, user)
    return render(request, "settings.html", tokens=tokens, new_token=token)


@router.post("/settings/password")
def change_password_form(request: Request, user: Writer, form: Annotated[PasswordForm, Form()]):
    """A new password; every session ends, and this browser gets a new one."""
    rate_limit(f"login:user:{user.username.lower()}", get_settings().rate_limit_logins, LOGIN_WINDOW)
    with session_scope() as session:
        tokens = list_api_tokens(session, user)
        try:
            account = change_password(session, user.id, form.current, form.new)
        except InvalidInput as exc:
            return render(request, "settings.html", status_code=400, tokens=tokens, new_token=None,
                          password_error=str(exc))
        session.expunge(account)
    response = render(request, "settings.html", tokens=tokens, new_token=None, flash="Password changed.")
    log_in(request, response, account)
    return response


@router.post("/settings/tokens/{token_id}/delete")
def delete_token(token_id: DbId, user: Writer):
    with session_scope() as session:
        revoke_api_token(session, user, token_id)
    return RedirectResponse("/settings", status_code=303)

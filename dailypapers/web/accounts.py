"""Sign up, log in, log out, and the settings page with personal API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from dailypapers.config import get_settings
from dailypapers.errors import InvalidInput
from dailypapers.store.db import session_scope
from dailypapers.store.models import User
from dailypapers.web.auth import (
    authenticate,
    create_api_token,
    create_user,
    hash_password,
    list_api_tokens,
    log_in,
    log_out,
    require_user,
    revoke_api_token,
    validate_password,
    verify_password,
)
from dailypapers.web.responses import safe_next
from dailypapers.web.security import client_ip, rate_limit, verify_csrf
from dailypapers.web.templating import render

router = APIRouter(include_in_schema=False)
LOGIN_WINDOW = 300.0
SIGNUPS_PER_HOUR = 20


@router.get("/signup")
def signup_form(request: Request, next: str = "/papers"):
    return render(request, "signup.html", next=safe_next(next), form={})


@router.post("/signup")
def signup(request: Request, username: str = Form(""), password: str = Form(""), email: str = Form(""),
           fullname: str = Form(""), next: str = Form("/papers"), csrf_token: str = Form("")):
    verify_csrf(request, csrf_token)
    rate_limit(f"signup:ip:{client_ip(request)}", SIGNUPS_PER_HOUR, 3600)
    form = {"username": username, "email": email, "fullname": fullname}
    try:
        with session_scope() as session:
            user = create_user(session, username, password, email=email, fullname=fullname)
    except InvalidInput as exc:
        return render(request, "signup.html", status_code=400, error=str(exc), next=safe_next(next), form=form)
    response = RedirectResponse(safe_next(next), status_code=303)
    log_in(request, response, user)
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/papers"):
    return render(request, "login.html", next=safe_next(next), username="")


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("/papers"),
          csrf_token: str = Form("")):
    verify_csrf(request, csrf_token)
    limit = get_settings().rate_limit_logins
    rate_limit(f"login:ip:{client_ip(request)}", limit, LOGIN_WINDOW)
    rate_limit(f"login:user:{username.strip().lower()[:64]}", limit, LOGIN_WINDOW)
    with session_scope() as session:
        user = authenticate(session, username, password)
    if user is None:
        return render(request, "login.html", status_code=400, error="wrong username or password",
                      next=safe_next(next), username=username)
    response = RedirectResponse(safe_next(next), status_code=303)
    log_in(request, response, user)
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form("")):
    verify_csrf(request, csrf_token)
    response = RedirectResponse("/papers", status_code=303)
    log_out(response)
    return response


@router.get("/settings")
def settings_page(request: Request):
    user = require_user(request)
    with session_scope() as session:
        tokens = list_api_tokens(session, user)
    return render(request, "settings.html", tokens=tokens, new_token=None)


@router.post("/settings/tokens")
def new_token(request: Request, name: str = Form("api"), csrf_token: str = Form("")):
    verify_csrf(request, csrf_token)
    user = require_user(request)
    rate_limit(f"write:user:{user.id}", get_settings().rate_limit_writes, 60)
    with session_scope() as session:
        token = create_api_token(session, user, name)
        tokens = list_api_tokens(session, user)
    return render(request, "settings.html", tokens=tokens, new_token=token)


@router.post("/settings/password")
def change_password(request: Request, current: str = Form(""), new: str = Form(""), csrf_token: str = Form("")):
    """A new password; other browsers' sessions end (their cookies carry the old password's fingerprint)."""
    verify_csrf(request, csrf_token)
    user = require_user(request)
    rate_limit(f"login:user:{user.username.lower()}", get_settings().rate_limit_logins, LOGIN_WINDOW)
    with session_scope() as session:
        tokens = list_api_tokens(session, user)
        account = session.get(User, user.id)
        if not verify_password(account.password_hash, current):
            return render(request, "settings.html", status_code=400, tokens=tokens, new_token=None,
                          password_error="the current password is wrong")
        try:
            account.password_hash = hash_password(validate_password(new))
        except InvalidInput as exc:
            return render(request, "settings.html", status_code=400, tokens=tokens, new_token=None,
                          password_error=str(exc))
        session.flush()
        session.expunge(account)
    response = render(request, "settings.html", tokens=tokens, new_token=None, flash="Password changed.")
    log_in(request, response, account)
    return response


@router.post("/settings/tokens/{token_id}/delete")
def delete_token(request: Request, token_id: int, csrf_token: str = Form("")):
    verify_csrf(request, csrf_token)
    user = require_user(request)
    with session_scope() as session:
        revoke_api_token(session, user, token_id)
    return RedirectResponse("/settings", status_code=303)

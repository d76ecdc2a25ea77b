"""Who is asking, and may they write: the request side of accounts (the accounts themselves live in
dailypapers.community).

The session cookie is HttpOnly, SameSite=Lax, and Secure when the site is reached over HTTPS. Its value
is a random secret that community/sessions.py looks up server-side, so logging out ends it.
Every write by a signed-in user, from a form, a script or the JSON API, goes through the one guard `writer`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.responses import Response
from fastapi.security import HTTPBearer

from dailypapers.community import moderation
from dailypapers.community.login_addresses import remember_address
from dailypapers.community.sessions import SESSION_SECONDS, end_session, start_session, user_for_session
from dailypapers.community.tokens import user_for_token
from dailypapers.config import get_settings
from dailypapers.store.db import Session, session_scope
from dailypapers.store.models import User
from dailypapers.web.middleware.csrf import csrf_from_request, is_https, verify_csrf
from dailypapers.web.middleware.rate_limits import client_ip, rate_limit

SESSION_COOKIE = "dp_session"
WRITE_WINDOW = 60  # seconds; `rate_limit_writes` writes per user in it
# Declares the Bearer scheme in the OpenAPI document; `current_user` reads the header itself.
BEARER = HTTPBearer(auto_error=False, description="A personal API token from the settings page: dp_...")


class LoginRequired(Exception):
    """Raised by `require_user`: pages redirect to /login, the API answers 401."""


def log_in(request: Request, response: Response, user: User) -> None:
    """A new session for this browser; its address becomes one the user is known to sign in from."""
    with session_scope() as session:
        value = start_session(session, user)
        remember_address(session, user.id, client_ip(request))
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=is_https(request.scope),
        path="/",
    )


def log_out(request: Request, response: Response) -> None:
    """End this browser's session on the server (a copy of the cookie opens nothing), and drop the cookie."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        with session_scope() as session:
            end_session(session, cookie)
    response.delete_cookie(SESSION_COOKIE, path="/")


def _look_up(find: Callable[[Session, str], User | None], secret: str) -> User | None:
    """The user behind a token or cookie, detached so the request can keep it after its session closes."""
    with session_scope() as session:
        user = find(session, secret)
        if user is not None:
            session.expunge(user)
        return user


def current_user(request: Request) -> User | None:
    """The signed-in user (from the session cookie or a Bearer token), looked up once per request."""
    if hasattr(request.state, "user"):
        return request.state.user
    user = None
    if _bearer(request):
        user = _look_up(user_for_token, request.headers["authorization"][7:].strip())
        if user is None:
            raise HTTPException(401, "the API token is not valid")
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            user = _look_up(user_for_session, cookie)
    request.state.user = user
    return user


def require_user(request: Request) -> User:
    user = current_user(request)
    if user is None:
        raise LoginRequired()
    return user


def require_admin(request: Request) -> User:
    return moderation.require_admin(require_user(request))


def _bearer(request: Request) -> bool:
    return request.headers.get("authorization", "").lower().startswith("bearer ")


def _csrf_required(request: Request) -> bool:
    """Forms always carry the CSRF token. The JSON API needs it only when it rides on the session cookie:
    a request with no session has no ambient authority another site could borrow, and one with a Bearer
    token is its user only if the token is valid (`current_user` answers 401 otherwise). Any other
    Authorization header is no credential at all and replaces nothing."""
    if not request.url.path.startswith("/api/"):
        return True
    return not _bearer(request) and bool(request.cookies.get(SESSION_COOKIE))


async def checked_csrf(request: Request) -> None:
    """Dependency of every form post and cookie-borne write: 403 unless the request carries this browser's
    CSRF token (the X-CSRF-Token header or the csrf_token field)."""
    if _csrf_required(request):
        verify_csrf(request, await csrf_from_request(request))


def writer(request: Request, _csrf: None = Depends(checked_csrf), _token: object = Security(BEARER)) -> User:
    """Dependency of every write by a signed-in user: the CSRF check, then the user, then the per-user
    write rate limit (429 beyond it)."""
    user = require_user(request)
    rate_limit(f"write:user:{user.id}", get_settings().rate_limit_writes, WRITE_WINDOW)
    return user


Writer = Annotated[User, Depends(writer)]  # a route parameter `user: Writer` puts the route behind the guard

"""CSRF tokens: the check every form and every cookie-authenticated write goes through.

CSRF is a signed double submit: each browser gets a random `dp_csrf` cookie (HttpOnly, SameSite=Lax)
and every form carries HMAC(secret, cookie). A forged request from another site can neither read the
cookie nor compute the HMAC, so `verify_csrf` rejects it with 403.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache

from fastapi import HTTPException, Request

from dailypapers.config import get_settings
from dailypapers.web.middleware.added_headers import AddedHeaders, Headers

CSRF_COOKIE = "dp_csrf"
CSRF_FIELD = "csrf_token"  # form field name
CSRF_HEADER = "x-csrf-token"  # header name for scripts (fetch/htmx)
_STATE_NEW_COOKIE = "csrf_new_cookie"


@lru_cache(maxsize=4)
def _key(secret: str) -> bytes:
    return hashlib.sha256(b"dailypapers-csrf:" + secret.encode()).digest()


def _sign(cookie: str) -> str:
    return hmac.new(_key(get_settings().signing_key), cookie.encode(), hashlib.sha256).hexdigest()


def _cookie_value(request: Request) -> str:
    value = request.cookies.get(CSRF_COOKIE)
    if value and 16 <= len(value) <= 64:
        return value
    value = getattr(request.state, _STATE_NEW_COOKIE, None)
    if value is None:
        value = secrets.token_urlsafe(24)
        setattr(request.state, _STATE_NEW_COOKIE, value)  # CsrfCookieMiddleware sets it on the response
    return value


def csrf_token(request: Request) -> str:
    """The token to put in a form's hidden `csrf_token` field (or an `X-CSRF-Token` header)."""
    request.state.csrf_used = True  # the page is now per-browser: the micro-cache must not keep it
    token = getattr(request.state, "csrf_token", None)
    if token is None:  # signed once per request: a page of cards has a form or three per card
        token = request.state.csrf_token = _sign(_cookie_value(request))
    return token


def verify_csrf(request: Request, token: str | None) -> None:
    """Raise 403 unless `token` was made by `csrf_token` for this browser's cookie."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not token or not hmac.compare_digest(_sign(cookie), str(token)):
        raise HTTPException(
            403,
            "the form has expired or did not come from this site (CSRF check failed); reload the page and try again",
        )


async def csrf_from_request(request: Request) -> str | None:
    """The token a request carries: the X-CSRF-Token header, else the csrf_token form field."""
    token = request.headers.get(CSRF_HEADER)
    if token:
        return token
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


class CsrfCookieMiddleware(AddedHeaders):
    """When a handler minted a CSRF cookie for a new browser, set it on the response."""

    def added(self, scope, headers: Headers) -> Headers:
        value = scope.get("state", {}).get(_STATE_NEW_COOKIE)
        if not value:
            return []
        secure = "; Secure" if is_https(scope) else ""
        return [(b"set-cookie", f"{CSRF_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax{secure}".encode())]


def is_https(scope) -> bool:
    """True when the browser talks HTTPS to us (directly, or through a proxy uvicorn trusts)."""
    return scope.get("scheme") == "https" or (get_settings().base_url or "").startswith("https://")

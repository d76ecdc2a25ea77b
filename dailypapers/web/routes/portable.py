"""Your data, portable: download everything you have here as one file, and import such a file from another
dailypapers site, from the settings page and the API. Only the signed-in member's own data goes out; an import
is one transaction, and a refused file changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from dailypapers.community.tokens import list_api_tokens
from dailypapers.config import get_settings
from dailypapers.digest.identity import mail_site
from dailypapers.digest.outbox import drain_quietly
from dailypapers.errors import InvalidInput
from dailypapers.portable.export import export_json
from dailypapers.portable.format import MAX_BYTES, parse_export
from dailypapers.portable.load import ImportReport, import_member
from dailypapers.store.db import Session, session_scope
from dailypapers.store.models import User
from dailypapers.web.auth import Writer, require_user
from dailypapers.web.database import DbSession
from dailypapers.web.middleware.rate_limits import rate_limit
from dailypapers.web.templating import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/me", tags=["your data"])
EXPORTS_PER_MINUTE = 6  # an export reads everything the member has
# The import's own body cap, over the site's 256 KB for every other write: the file's bound and a form's frame.
BODY_LIMITS = {"/api/me/import": MAX_BYTES + 64 * 1024, "/settings/import": MAX_BYTES + 64 * 1024}


def _export(request: Request, session: Session) -> Response:
    user = require_user(request)
    rate_limit(f"export:me:{user.id}", EXPORTS_PER_MINUTE, 60)
    body = export_json(session, user, get_settings().origin())
    name = f"dailypapers-{user.username}-{datetime.now(UTC):%Y-%m-%d}.json"
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


def _import(user: User, data: bytes) -> ImportReport:
    """In a transaction of its own, not the request's: a refused file rolls back all it wrote, and the page
    that says why is still rendered (a caught error in the request's session would commit the half)."""
    export = parse_export(data)
    with session_scope() as session:
        return import_member(session, user, export, mail_site(get_settings()))


def _mail_after(report: ImportReport) -> BackgroundTask | None:
    """Confirmations go out after the response (the outbox), as the subscribe form's do."""
    return BackgroundTask(drain_quietly) if report.confirmations else None


@api.get(
    "/export",
    summary="Everything you have here (library, signals with their times, collections, saved "
    "searches, subscriptions, For you settings) as one JSON file another site imports",
)
def export_api(request: Request, session: DbSession):
    return _export(request, session)


@api.post(
    "/import",
    summary="Import a file from GET /api/me/export (of this or another site): all or nothing; "
    "papers this site lacks are listed under `unmatched`",
)
async def import_api(request: Request, user: Writer):
    report = await run_in_threadpool(_import, user, await request.body())
    return JSONResponse(report.as_json(), background=_mail_after(report))


@router.get("/settings/export")
def export_download(request: Request, session: DbSession):
    return _export(request, session)


@router.post("/settings/import")
async def import_upload(
    request: Request, user: Writer, session: DbSession, file: Annotated[UploadFile | None, File()] = None
):
    try:
        if file is None or not file.filename:
            raise InvalidInput("choose the file you exported (a .json file)")
        report = await run_in_threadpool(_import, user, await file.read(MAX_BYTES + 1))
    except InvalidInput as exc:
        return await run_in_threadpool(_settings, request, session, user, 400, import_error=str(exc))
    page = await run_in_threadpool(_settings, request, session, user, 200, import_report=report)
    page.background = _mail_after(report)
    return page


def _settings(request: Request, session: Session, user: User, status: int, **context) -> Response:
    tokens = list_api_tokens(session, user)
    return render(request, "settings.html", status_code=status, tokens=tokens, new_token=None, **context)

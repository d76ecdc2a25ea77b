"""The application factory. A plain feed page until the full site lands."""

from __future__ import annotations

import html

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from dailypapers.store.db import session_scope
from dailypapers.store.models import DailyEntry


def create_app() -> FastAPI:
    app = FastAPI(title="dailypapers")

    @app.get("/", include_in_schema=False)
    def root():
        return RedirectResponse("/papers")

    @app.get("/papers", response_class=HTMLResponse)
    def feed():
        with session_scope() as session:
            entries = session.scalars(
                select(DailyEntry).options(joinedload(DailyEntry.paper)).order_by(DailyEntry.date.desc())
            ).all()
            items = "".join(
                f"<li>{e.date} · {e.paper.upvotes} ▲ · <a href='{html.escape(e.paper.abs_url)}'>"
                f"{html.escape(e.paper.title)}</a></li>"
                for e in entries
            )
        return f"<!doctype html><title>dailypapers</title><h1>Daily papers</h1><ul>{items}</ul>"

    return app

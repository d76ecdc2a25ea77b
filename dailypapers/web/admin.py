"""The moderation page for administrators: hidden papers and comments, and the latest comments."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from dailypapers.store.db import session_scope
from dailypapers.store.models import Comment, Paper
from dailypapers.web.auth import require_admin
from dailypapers.web.comments import render_markdown
from dailypapers.web.templating import render

router = APIRouter(include_in_schema=False)
RECENT = 50


@router.get("/admin")
def moderation(request: Request):
    require_admin(request)
    with session_scope() as session:
        hidden_papers = list(session.scalars(select(Paper).where(Paper.hidden.is_(True)).order_by(Paper.id.desc())))
        comments = list(session.scalars(
            select(Comment).options(joinedload(Comment.user)).where(Comment.deleted.is_(False))
            .order_by(Comment.hidden.desc(), Comment.created_at.desc()).limit(RECENT)))
        papers = {p.id: p for p in session.scalars(select(Paper).where(Paper.id.in_({c.paper_id for c in comments})))}
    return render(request, "admin.html", hidden_papers=hidden_papers, comments=comments, papers=papers,
                  rendered={c.id: render_markdown(c.body) for c in comments})

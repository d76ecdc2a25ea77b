"""The moderation pages for administrators: hidden papers and comments, the latest comments, and the
author claims waiting for a decision."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Request

from dailypapers.community.claims import pending_claims
from dailypapers.community.comments import render_markdown
from dailypapers.community.moderation import moderation_queue
from dailypapers.web.auth import require_admin
from dailypapers.web.database import DbSession
from dailypapers.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/admin")
def moderation(request: Request, session: DbSession):
    require_admin(request)
    queue = moderation_queue(session)
    return render(
        request,
        "admin.html",
        hidden_papers=queue.hidden_papers,
        comments=queue.comments,
        papers=queue.papers,
        rendered={c.id: render_markdown(c.body) for c in queue.comments},
    )


@router.get("/admin/claims")
def claims_queue(request: Request, session: DbSession):
    require_admin(request)
    claims = pending_claims(session)
    session.expunge_all()
    # Claims of the same author compete: the page says so, since approving one turns down the others.
    rivals = Counter((claim.paper_id, claim.author_index) for claim in claims)
    return render(request, "admin_claims.html", claims=claims, rivals=rivals)

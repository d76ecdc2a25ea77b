"""The For-you profile: what the member's model learned and the controls that steer it, as a page
(/for-you/profile, forms that answer a 303 back) and as JSON (/api/me/profile) with the same actions. Every
write goes through the `Writer` guard (CSRF or a token, and the write rate limit)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from dailypapers.community.profile import ignore_signal, set_controls
from dailypapers.ranking.profile import Profile, read_profile
from dailypapers.ranking.signals import FeedSettings
from dailypapers.web.auth import Writer, require_user
from dailypapers.web.database import DbSession
from dailypapers.web.inputs import MarkForm, ProfileForm, ProfileIn
from dailypapers.web.responses import answer
from dailypapers.web.templating import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/me/profile", tags=["library"])
PAGE = "/for-you/profile"


def _settings_json(settings: FeedSettings) -> dict:
    return {
        "paused": settings.paused_at is not None,
        "paused_at": settings.paused_at.isoformat() if settings.paused_at else None,
        "reset_at": settings.reset_at.isoformat() if settings.reset_at else None,
        "community": settings.community,
        "diversity": settings.diversity,
    }


def profile_json(profile: Profile) -> dict:
    return {
        "settings": _settings_json(profile.settings),
        "trained": profile.trained,
        "unit": "standard deviations of the model's scores over a sample of the site's papers",
        "topics": {
            "up": [{"topic": t.name, "weight": round(t.weight, 3)} for t in profile.pulls],
            "down": [{"topic": t.name, "weight": round(t.weight, 3)} for t in profile.pushes],
        },
        "papers": [
            {
                "id": s.paper.arxiv_id,
                "title": s.paper.title,
                "signals": s.kinds,
                "weight": None if s.weight is None else round(s.weight, 3),
                "state": s.state,
            }
            for s in profile.papers
        ],
        "total": profile.total,
    }


# --- the page -------------------------------------------------------------------------------------------


@router.get(PAGE)
def profile_page(request: Request, session: DbSession):
    user = require_user(request)
    profile = read_profile(session, user)
    topics = profile.pulls + profile.pushes
    papers = [s.weight for s in profile.papers if s.weight is not None]
    return render(
        request,
        "for_you_profile.html",
        profile=profile,
        topic_scale=max((abs(t.weight) for t in topics), default=1.0) or 1.0,
        paper_scale=max((abs(w) for w in papers), default=1.0) or 1.0,
    )


@router.post(PAGE + "/papers/{arxiv_id:path}/ignore")
def ignore(request: Request, arxiv_id: str, user: Writer, form: Annotated[MarkForm, Form()], session: DbSession):
    ignored = ignore_signal(session, user, arxiv_id, form.wanted)
    return answer(request, {"id": arxiv_id, "ignored": ignored}, f"{PAGE}#signals-heading")


@router.post(PAGE + "/pause")
def pause(request: Request, user: Writer, form: Annotated[MarkForm, Form()], session: DbSession):
    settings = set_controls(session, user, paused=form.wanted if form.wanted is not None else True)
    return answer(request, _settings_json(settings), PAGE)


@router.post(PAGE + "/controls")
def controls(request: Request, user: Writer, form: Annotated[ProfileForm, Form()], session: DbSession):
    settings = set_controls(session, user, community=form.community, diversity=form.diversity)
    return answer(request, _settings_json(settings), f"{PAGE}#controls-heading")


# --- the JSON API ---------------------------------------------------------------------------------------


@api.get("", summary="What your For-you model learned (topics and papers, each with its weight) and its controls")
def profile_api(request: Request, session: DbSession):
    return profile_json(read_profile(session, require_user(request)))


@api.post("", summary="Pause or resume learning, set the community weight and the diversity (0 to 1)")
def controls_api(body: ProfileIn, user: Writer, session: DbSession):
    return _settings_json(set_controls(session, user, body.paused, body.community, body.diversity))


@api.post("/ignored/{arxiv_id:path}", summary="Take a paper's signals out of your profile (the marks stay)")
@api.delete("/ignored/{arxiv_id:path}", summary="Put a paper's signals back into your profile")
def ignore_api(request: Request, arxiv_id: str, user: Writer, session: DbSession):
    return {"id": arxiv_id, "ignored": ignore_signal(session, user, arxiv_id, request.method == "POST")}

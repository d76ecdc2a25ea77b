"""Reading groups on the web: the list and creation (/groups), a group's page (/groups/{slug}: its collection
with notes, its week, its threads, its For you), invite links (/invites/{token}), the group's signed feeds, and
the JSON API (/api/groups...). community/groups.py decides who may see and do what: to anyone not a member
every group address answers 404.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request

from dailypapers.community import groups
from dailypapers.community.comments import render_markdown
from dailypapers.community.groups import Activity, Membership
from dailypapers.community.library import card_state
from dailypapers.config import get_settings
from dailypapers.ranking.recommend import Pick
from dailypapers.store.db import session_scope
from dailypapers.store.models import GroupComment, GroupInvite, GroupMember, GroupPaper, Paper, ReadingGroup, User
from dailypapers.web.auth import Writer, current_user, require_user
from dailypapers.web.database import DbSession
from dailypapers.web.inputs import (
    DbId,
    GroupCommentForm,
    GroupCommentIn,
    GroupForm,
    GroupIn,
    GroupPaperForm,
    GroupPaperIn,
    GroupPreferencesForm,
    GroupPreferencesIn,
    InviteForm,
    InviteIn,
    JoinIn,
    Text,
)
from dailypapers.web.openapi import error_response
from dailypapers.web.responses import answer
from dailypapers.web.routes import paper_feeds as feeds
from dailypapers.web.templating import absolute_url, render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["reading groups"])
FOR_YOU_SIZE = 10


def _invite_path(invite: GroupInvite) -> str:
    return f"/invites/{groups.invite_token(invite)}"


def feed_paths(group: ReadingGroup, user: User) -> dict[str, str]:
    key = quote(groups.feed_token(group, user))
    return {"atom": f"/groups/{group.slug}/feed.xml?key={key}", "rss": f"/groups/{group.slug}/rss.xml?key={key}"}


# --- JSON shapes -----------------------------------------------------------------------------------------


def _paper(paper: Paper) -> dict:
    return {"id": paper.arxiv_id, "title": paper.title, "url": f"/papers/{paper.arxiv_id}"}


def _group(found: Membership) -> dict:
    g, m = found.group, found.member
    return {
        "slug": g.slug,
        "name": g.name,
        "url": f"/groups/{g.slug}",
        "role": m.role,
        "shares": m.shares,
        "digest": m.digest,
    }


def _member(member: GroupMember) -> dict:
    return {"username": member.user.username, "role": member.role, "joined_at": member.joined_at.isoformat()}


def _item(item: GroupPaper, paper: Paper) -> dict:
    adder = item.added_by.username if item.added_by else None
    return {**_paper(paper), "note": item.note, "added_by": adder, "added_at": item.added_at.isoformat()}


def _activity(a: Activity) -> dict:
    return {"kind": a.kind, "who": a.who, "at": a.at.isoformat(), "paper": _paper(a.paper)}


def _pick(pick: Pick) -> dict:
    return {**_paper(pick.paper), "score": round(pick.score, 4), "why": pick.why}


def _comment(comment: GroupComment, paper: Paper) -> dict:
    return {
        "id": comment.id,
        "paper": paper.arxiv_id,
        "author": comment.user.username,
        "parentId": comment.parent_id,
        "createdAt": comment.created_at.isoformat(),
        "comment": comment.body,
        "html": str(render_markdown(comment.body)),
    }


def _invite(request: Request, invite: GroupInvite) -> dict:
    return {
        "id": invite.id,
        "url": absolute_url(request, _invite_path(invite)),
        "expires_at": invite.expires_at.isoformat() if invite.expires_at else None,
    }


# --- pages -----------------------------------------------------------------------------------------------


@router.get("/groups")
def list_page(request: Request, session: DbSession):
    user = require_user(request)
    return render(request, "groups.html", memberships=groups.user_groups(session, user))


@router.post("/groups")
def create(request: Request, user: Writer, form: Annotated[GroupForm, Form()], session: DbSession):
    group = groups.create_group(session, user, form.name, form.slug)
    return answer(request, {"slug": group.slug, "url": f"/groups/{group.slug}"}, f"/groups/{group.slug}")


@router.get("/groups/{slug}")
def page(request: Request, slug: str, session: DbSession):
    user = require_user(request)
    found = groups.membership(session, user, slug)
    group = found.group
    items = groups.group_papers(session, group)
    threads = groups.threads(session, group)
    picks = groups.group_for_you(session, group, limit=FOR_YOU_SIZE)
    shown = [p for _, p in items] + [p.paper for p in picks]
    marks = card_state(session, user.id, [p.id for p in shown])
    rendered = {c.id: render_markdown(c.body) for thread in threads.values() for c, _ in thread}
    return render(
        request,
        "group.html",
        group=group,
        me=found.member,
        is_owner=found.is_owner,
        items=items,
        threads=threads,
        rendered=rendered,
        week=groups.week(session, group),
        picks=picks,
        members=groups.members(session, user, slug),
        invites=groups.live_invites(session, user, slug) if found.is_owner else [],
        invite_path=_invite_path,
        feeds=feed_paths(group, user),
        marks=marks,
        voted=marks.voted,
    )


@router.post("/groups/{slug}/papers")
def add_paper(request: Request, slug: str, user: Writer, form: Annotated[GroupPaperForm, Form()], session: DbSession):
    item = groups.add_paper(session, user, slug, form.paper, form.note)
    return answer(request, {"group": slug, "paper_id": item.paper_id, "note": item.note}, f"/groups/{slug}#shared")


@router.post("/groups/{slug}/papers/{arxiv_id:path}/remove")
def remove_paper(request: Request, slug: str, arxiv_id: str, user: Writer, session: DbSession):
    groups.remove_paper(session, user, slug, arxiv_id)
    return answer(request, {"group": slug, "id": arxiv_id, "removed": True}, f"/groups/{slug}#shared")


@router.post("/groups/{slug}/comments")
def comment(request: Request, slug: str, user: Writer, form: Annotated[GroupCommentForm, Form()], session: DbSession):
    made = groups.add_comment(session, user, slug, form.paper, form.body, form.parent)
    return answer(request, {"id": made.id}, f"/groups/{slug}#group-comment-{made.id}")


@router.post("/groups/{slug}/comments/{comment_id}/delete")
def delete_comment(request: Request, slug: str, comment_id: DbId, user: Writer, session: DbSession):
    groups.delete_comment(session, user, slug, comment_id)
    return answer(request, {"id": comment_id, "deleted": True}, f"/groups/{slug}#shared")


@router.post("/groups/{slug}/invites")
def invite(request: Request, slug: str, user: Writer, form: Annotated[InviteForm, Form()], session: DbSession):
    made = groups.create_invite(session, user, slug, form.lasts)
    return answer(request, _invite(request, made), f"/groups/{slug}#invites")


@router.post("/groups/{slug}/invites/{invite_id}/revoke")
def revoke(request: Request, slug: str, invite_id: DbId, user: Writer, session: DbSession):
    groups.revoke_invite(session, user, slug, invite_id)
    return answer(request, {"id": invite_id, "revoked": True}, f"/groups/{slug}#invites")


@router.post("/groups/{slug}/members/{username}/remove")
def remove_member(request: Request, slug: str, username: Text, user: Writer, session: DbSession):
    groups.remove_member(session, user, slug, username)
    return answer(request, {"group": slug, "username": username, "removed": True}, f"/groups/{slug}#members")


@router.post("/groups/{slug}/leave")
def leave(request: Request, slug: str, user: Writer, session: DbSession):
    groups.leave(session, user, slug)
    return answer(request, {"group": slug, "left": True}, "/groups")


@router.post("/groups/{slug}/preferences")
def preferences(
    request: Request, slug: str, user: Writer, form: Annotated[GroupPreferencesForm, Form()], session: DbSession
):
    member = groups.set_preferences(session, user, slug, **form.changes)
    return answer(request, {"shares": member.shares, "digest": member.digest}, f"/groups/{slug}#me")


@router.get("/invites/{token}")
def invite_page(request: Request, token: str, session: DbSession):
    """What an invite opens: the group's name and a button to join (signed-out visitors log in first)."""
    group = groups.invited_group(session, token)
    return render(request, "group_invite.html", group=group, token=token, user=current_user(request))


@router.post("/invites/{token}")
def join(request: Request, token: str, user: Writer, session: DbSession):
    group = groups.join(session, user, token)
    return answer(request, {"slug": group.slug, "url": f"/groups/{group.slug}"}, f"/groups/{group.slug}")


# --- feeds: a member's signed link, no cookie ------------------------------------------------------------


def _channel(slug: str, key: str, kind: str) -> feeds.Channel:
    with session_scope() as session:
        group = groups.feed_group(session, slug, key)
        items = [feeds.Item(paper, item.added_at) for item, paper in groups.group_papers(session, group)]
        name = group.name
    return feeds.Channel(
        f"{get_settings().site_name}: {name}",
        f"/groups/{slug}",
        f"/groups/{slug}/{'feed' if kind == 'atom' else 'rss'}.xml?key={quote(key)}",
        f"The papers of the reading group “{name}”, newest first",
        items[: feeds.FEED_SIZE],
    )


@router.get("/groups/{slug}/feed.xml")
def atom(request: Request, slug: str, key: str = Query("", max_length=500)):
    return feeds.atom(_channel(slug, key, "atom"), absolute_url(request, ""))


@router.get("/groups/{slug}/rss.xml")
def rss(request: Request, slug: str, key: str = Query("", max_length=500)):
    return feeds.rss(_channel(slug, key, "rss"), absolute_url(request, ""))


# --- the JSON API ----------------------------------------------------------------------------------------


@api.get("/groups", summary="The reading groups you are in")
def list_json(request: Request, session: DbSession):
    return [_group(found) for found in groups.user_groups(session, require_user(request))]


@api.post("/groups", status_code=201, summary="Create a reading group; you are its owner")
def create_json(body: GroupIn, user: Writer, session: DbSession):
    group = groups.create_group(session, user, body.name, body.slug)
    return _group(groups.membership(session, user, group.slug))


@api.get("/groups/{slug}", summary="A group of yours: its members, papers with notes, week, and feed links")
def group_json(request: Request, slug: str, session: DbSession):
    user = require_user(request)
    found = groups.membership(session, user, slug)
    return {
        **_group(found),
        "members": [_member(m) for m in groups.members(session, user, slug)],
        "papers": [_item(item, paper) for item, paper in groups.group_papers(session, found.group)],
        "week": [_activity(a) for a in groups.week(session, found.group)],
        "feeds": feed_paths(found.group, user),
    }


@api.post("/groups/{slug}/papers", status_code=201, summary="Add a paper, with a note, to the group's collection")
def add_paper_json(slug: str, body: GroupPaperIn, user: Writer, session: DbSession):
    item = groups.add_paper(session, user, slug, body.paper, body.note)
    paper = session.get_one(Paper, item.paper_id)
    return _item(item, paper)


@api.delete("/groups/{slug}/papers/{arxiv_id:path}", summary="Take a paper out of the group's collection")
def remove_paper_json(slug: str, arxiv_id: str, user: Writer, session: DbSession):
    groups.remove_paper(session, user, slug, arxiv_id)
    return {"id": arxiv_id, "removed": True}


@api.get("/groups/{slug}/comments", summary="The group's threads on its papers (members only)")
def comments_json(request: Request, slug: str, session: DbSession):
    group = groups.membership(session, require_user(request), slug).group
    papers = {paper.id: paper for _, paper in groups.group_papers(session, group)}
    return [
        _comment(c, papers[paper_id])
        for paper_id, thread in groups.threads(session, group).items()
        if paper_id in papers
        for c, _ in thread
    ]


@api.post("/groups/{slug}/comments", status_code=201, summary="Comment in the group's thread on one of its papers")
def comment_json(slug: str, body: GroupCommentIn, user: Writer, session: DbSession):
    made = groups.add_comment(session, user, slug, body.paper, body.comment, body.parent_id)
    return _comment(made, session.get_one(Paper, made.paper_id))


@api.delete("/groups/{slug}/comments/{comment_id}", summary="Delete your comment (owners: any comment)")
def delete_comment_json(slug: str, comment_id: DbId, user: Writer, session: DbSession):
    groups.delete_comment(session, user, slug, comment_id)
    return {"id": comment_id, "deleted": True}


@api.get("/groups/{slug}/for-you", summary="The group's For you: this week's papers its model ranks highest")
def for_you_json(request: Request, slug: str, session: DbSession, window: str = Query("week", max_length=10)):
    return [_pick(p) for p in groups.for_you(session, require_user(request), slug, window, FOR_YOU_SIZE)]


@api.get("/groups/{slug}/members", summary="The group's members")
def members_json(request: Request, slug: str, session: DbSession):
    return [_member(m) for m in groups.members(session, require_user(request), slug)]


@api.delete("/groups/{slug}/members/{username}", summary="Remove a member (owners only)")
def remove_member_json(slug: str, username: Text, user: Writer, session: DbSession):
    groups.remove_member(session, user, slug, username)
    return {"username": username, "removed": True}


@api.post("/groups/{slug}/invites", status_code=201, summary="Make an invite link (owners only); days=0: no expiry")
def invite_json(request: Request, slug: str, body: InviteIn, user: Writer, session: DbSession):
    return _invite(request, groups.create_invite(session, user, slug, body.lasts))


@api.get("/groups/{slug}/invites", summary="The group's live invite links (owners only)")
def invites_json(request: Request, slug: str, session: DbSession):
    return [_invite(request, i) for i in groups.live_invites(session, require_user(request), slug)]


@api.delete("/groups/{slug}/invites/{invite_id}", summary="Revoke an invite link (owners only)")
def revoke_json(slug: str, invite_id: DbId, user: Writer, session: DbSession):
    groups.revoke_invite(session, user, slug, invite_id)
    return {"id": invite_id, "revoked": True}


@api.post(
    "/groups/join",
    summary="Join a group with the token of an invite link",
    responses={404: error_response(404)},
)
def join_json(body: JoinIn, user: Writer, session: DbSession):
    group = groups.join(session, user, body.invite)
    return _group(groups.membership(session, user, group.slug))


@api.post("/groups/{slug}/leave", summary="Leave a group; you lose access at once")
def leave_json(slug: str, user: Writer, session: DbSession):
    groups.leave(session, user, slug)
    return {"group": slug, "left": True}


@api.patch("/groups/{slug}/me", summary="Your settings in the group: share your upvotes and saves, get its email")
def preferences_json(slug: str, body: GroupPreferencesIn, user: Writer, session: DbSession):
    member = groups.set_preferences(session, user, slug, shares=body.shares, digest=body.digest)
    return {"shares": member.shares, "digest": member.digest}

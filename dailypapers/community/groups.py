"""Reading groups: a few members who share a collection (each paper with a note), discuss its papers in threads
only they read, and get a feed and a weekly email of their own.

Who sees what. A group and everything in it exists only for its members: to anyone else (a stranger, a member
who left, a visitor) every group address answers "not found", as if the group did not exist. Membership is
read on every request, so a member who leaves or is removed loses access at once, feed links included.

Roles. The creator is its owner; owners invite (a signed link that may expire and can be revoked) and remove
members. Any member adds papers, comments and leaves. The only owner cannot leave while others remain (the
group would have no one to run it); the last member leaving deletes the group.

Sharing. A member's upvotes and saves are their own until they choose to share them with a group
(`shares`, off on joining): then the group's week shows them, with their name, and they train the group's feed.
The papers a member adds to the group are the group's from the start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from itsdangerous import BadSignature, URLSafeSerializer

from dailypapers.community.comments import thread_order
from dailypapers.community.comments import validate_body as validate_comment
from dailypapers.community.papers import load_paper
from dailypapers.config import get_settings
from dailypapers.errors import InvalidInput, NotAllowed, NotFound
from dailypapers.ranking.group_feed import group_picks
from dailypapers.ranking.recommend import Pick
from dailypapers.store import groups as store
from dailypapers.store.db import Session
from dailypapers.store.models import GroupComment, GroupInvite, GroupMember, GroupPaper, Paper, ReadingGroup, User
from dailypapers.store.people import user_by_name
from dailypapers.store.reads import papers_by_ids
from dailypapers.validators import plain_text
from dailypapers.validators import slug as valid_slug

MAX_NAME = 120
MAX_NOTE = 2000
MAX_INVITE_DAYS = 365
WEEK = timedelta(days=7)
OWNER, MEMBER = "owner", "member"

# --- signed links ----------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _signer(secret: str, purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=f"dailypapers.groups.{purpose}")


def _sign(purpose: str, *values: int) -> str:
    return _signer(get_settings().signing_key, purpose).dumps(list(values))


def _read(purpose: str, token: str, size: int) -> list[int]:
    try:
        values = _signer(get_settings().signing_key, purpose).loads(token or "")
    except BadSignature:
        raise NotFound(f"this {purpose} link is not valid") from None
    if not (isinstance(values, list) and len(values) == size and all(type(v) is int for v in values)):
        raise NotFound(f"this {purpose} link is not valid")
    return values


def invite_token(invite: GroupInvite) -> str:
    """The invite link's token: the invite row's id and random key, signed with the site's key."""
    return _sign("invite", invite.id, invite.link_key)


def feed_token(group: ReadingGroup, user: User) -> str:
    """A member's own feed link: it opens the feed only while they are a member."""
    return _sign("feed", group.id, user.id, group.link_key)


# --- groups and membership -------------------------------------------------------------------------------


def _name(name: str) -> str:
    name = plain_text((name or "").strip(), "the group's name")
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(f"a group's name has 1 to {MAX_NAME} characters")
    return name


def create_group(session: Session, user: User, name: str, slug: str) -> ReadingGroup:
    """A new group with `user` as its owner; InvalidInput for a slug already taken."""
    slug, name = valid_slug(slug), _name(name)
    if store.slug_taken(session, slug):
        raise InvalidInput(f"the address /groups/{slug} is taken; choose another slug")
    return store.add_group(session, slug, name, user.id)


@dataclass
class Membership:
    group: ReadingGroup
    member: GroupMember

    @property
    def is_owner(self) -> bool:
        return self.member.role == OWNER


def _group_named(session: Session, slug: str) -> ReadingGroup | None:
    """The group at /groups/{slug}; None for a slug no group can have (checked before any query)."""
    try:
        return store.group_by_slug(session, valid_slug(slug))
    except InvalidInput:
        return None


def membership(session: Session, user: User | None, slug: str) -> Membership:
    """The user's membership of the group; NotFound for anyone who is not a member (the group stays unseen)."""
    group = _group_named(session, slug) if user is not None else None
    member = store.member_row(session, group.id, user.id) if group is not None and user is not None else None
    if group is None or member is None:
        raise NotFound(f"no group {slug}")
    return Membership(group, member)


def _owner(session: Session, user: User, slug: str) -> Membership:
    found = membership(session, user, slug)
    if not found.is_owner:
        raise NotAllowed("only the group's owners can do this")
    return found


def user_groups(session: Session, user: User) -> list[Membership]:
    return [Membership(group, member) for group, member in store.groups_of(session, user.id)]


def members(session: Session, user: User, slug: str) -> list[GroupMember]:
    return store.members_of(session, membership(session, user, slug).group.id)


def leave(session: Session, user: User, slug: str) -> None:
    found = membership(session, user, slug)
    group = found.group
    others = [m for m in store.members_of(session, group.id) if m.user_id != user.id]
    if not others:
        store.delete_group(session, group)
        return
    if found.is_owner and store.count_owners(session, group.id) == 1:
        raise InvalidInput("you are the group's only owner: remove the other members first")
    store.remove_member(session, group.id, user.id)


def remove_member(session: Session, user: User, slug: str, username: str) -> None:
    """An owner takes a member out of the group (themselves: `leave`)."""
    group = _owner(session, user, slug).group
    other = user_by_name(session, username)
    if other is None or store.member_row(session, group.id, other.id) is None:
        raise NotFound(f"{username} is not a member of this group")
    if other.id == user.id:
        return leave(session, user, slug)
    store.remove_member(session, group.id, other.id)


def set_preferences(
    session: Session, user: User, slug: str, *, shares: bool | None = None, digest: bool | None = None
) -> GroupMember:
    found = membership(session, user, slug)
    values = {k: v for k, v in (("shares", shares), ("digest", digest)) if v is not None}
    if values:
        store.set_member(session, found.group.id, user.id, **values)
        session.refresh(found.member)
    return found.member


# --- invites ---------------------------------------------------------------------------------------------


def create_invite(session: Session, user: User, slug: str, days: int | None = 14) -> GroupInvite:
    """A new invite link of the group (owners only), valid `days` days, or until revoked when None."""
    group = _owner(session, user, slug).group
    if days is not None and not 1 <= days <= MAX_INVITE_DAYS:
        raise InvalidInput(f"an invite lasts 1 to {MAX_INVITE_DAYS} days")
    expires = datetime.now(UTC) + timedelta(days=days) if days is not None else None
    return store.add_invite(session, group.id, user.id, expires)


def live_invites(session: Session, user: User, slug: str) -> list[GroupInvite]:
    return store.live_invites(session, _owner(session, user, slug).group.id, datetime.now(UTC))


def revoke_invite(session: Session, user: User, slug: str, invite_id: int) -> None:
    group = _owner(session, user, slug).group
    invite = store.invite_by_id(session, invite_id)
    if invite is None or invite.group_id != group.id:
        raise NotFound(f"no invite {invite_id} in this group")
    if invite.revoked_at is None:
        store.revoke_invite(session, invite, datetime.now(UTC))


def invited_group(session: Session, token: str, now: datetime | None = None) -> ReadingGroup:
    """The group a live invite link opens; NotFound for a forged, revoked or expired one."""
    invite_id, key = _read("invite", token, 2)
    invite = store.invite_by_id(session, invite_id)
    if invite is None or invite.link_key != key or invite.revoked_at is not None:
        raise NotFound("this invite link is not valid, or was revoked")
    if invite.expires_at is not None and invite.expires_at <= (now or datetime.now(UTC)):
        raise NotFound("this invite link has expired; ask the group for a new one")
    group = store.group_by_id(session, invite.group_id)
    if group is None:
        raise NotFound("this invite link is not valid")
    return group


def join(session: Session, user: User, token: str) -> ReadingGroup:
    group = invited_group(session, token)
    store.add_member(session, group.id, user.id)
    return group


def feed_group(session: Session, slug: str, token: str) -> ReadingGroup:
    """The group a member's feed link opens, while they are a member; NotFound otherwise."""
    group_id, user_id, key = _read("feed", token, 3)
    group = _group_named(session, slug)
    if (
        group is None
        or group.id != group_id
        or group.link_key != key
        or not store.member_row(session, group_id, user_id)
    ):
        raise NotFound(f"no feed at this address for group {slug}")
    return group


# --- the shared collection and its threads ---------------------------------------------------------------


def add_paper(session: Session, user: User, slug: str, arxiv_id: str, note: str = "") -> GroupPaper:
    """Any member adds a paper with a note; adding one the group has changes its note if the adder gives one."""
    group = membership(session, user, slug).group
    paper = load_paper(session, arxiv_id)
    note = plain_text((note or "").replace("\r\n", "\n").strip(), "the note")
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"the note is {len(note)} characters long; the limit is {MAX_NOTE}")
    row = store.group_paper(session, group.id, paper.id)
    if row is None:
        return store.add_group_paper(session, group.id, paper.id, user.id, note)
    if note:
        row.note = note
    return row


def remove_paper(session: Session, user: User, slug: str, arxiv_id: str) -> None:
    """The member who added it or an owner takes a paper out of the group's collection."""
    found = membership(session, user, slug)
    paper = load_paper(session, arxiv_id, include_hidden=True)
    row = store.group_paper(session, found.group.id, paper.id)
    if row is None:
        raise NotFound(f"{arxiv_id} is not in this group")
    if row.added_by_id != user.id and not found.is_owner:
        raise NotAllowed("only who added a paper, or an owner, can take it out")
    store.remove_group_paper(session, row)


def group_papers(session: Session, group: ReadingGroup) -> list[tuple[GroupPaper, Paper]]:
    return [(item, paper) for item, paper in store.group_papers(session, group.id)]


def _shared_paper(session: Session, group: ReadingGroup, arxiv_id: str) -> Paper:
    paper = load_paper(session, arxiv_id)
    if store.group_paper(session, group.id, paper.id) is None:
        raise NotFound(f"{arxiv_id} is not in this group: add it first, then discuss it")
    return paper


def add_comment(
    session: Session, user: User, slug: str, arxiv_id: str, body: str, parent_id: int | None = None
) -> GroupComment:
    """A comment in the group's thread on one of its papers, read by its members only."""
    group = membership(session, user, slug).group
    paper = _shared_paper(session, group, arxiv_id)
    body = validate_comment(body)
    if parent_id is not None:
        parent = store.group_comment(session, parent_id)
        if parent is None or parent.group_id != group.id or parent.paper_id != paper.id or parent.deleted:
            raise InvalidInput("the comment you reply to is not in this thread")
    return store.add_group_comment(
        session, group_id=group.id, paper_id=paper.id, user_id=user.id, body=body, parent_id=parent_id
    )


def delete_comment(session: Session, user: User, slug: str, comment_id: int) -> None:
    """The author's delete, or an owner's."""
    found = membership(session, user, slug)
    comment = store.group_comment(session, comment_id)
    if comment is None or comment.group_id != found.group.id or comment.deleted:
        raise NotFound(f"no comment {comment_id} in this group")
    if comment.user_id != user.id and not found.is_owner:
        raise NotAllowed("you can only delete your own comments")
    store.delete_group_comment(session, comment)


def threads(session: Session, group: ReadingGroup) -> dict[int, list[tuple[GroupComment, int]]]:
    """{paper id: its thread in reading order, with depths} of the group's papers."""
    by_paper: dict[int, list[GroupComment]] = {}
    for comment in store.group_comments(session, group.id):
        by_paper.setdefault(comment.paper_id, []).append(comment)
    return {paper_id: thread_order(comments) for paper_id, comments in by_paper.items()}  # type: ignore[misc,arg-type]


# --- the week, and the group's feed ----------------------------------------------------------------------


@dataclass
class Activity:
    kind: str  # upvoted | saved | added
    paper: Paper
    who: str  # the member's username
    at: datetime


def week(session: Session, group: ReadingGroup, now: datetime | None = None) -> list[Activity]:
    """What members did in the last seven days that the group may see: papers added to it, and the upvotes and
    saves of the members who share theirs. Visible papers only; a member who left takes theirs along."""
    since = (now or datetime.now(UTC)) - WEEK
    rows = store.shared_activity(session, group.id, since)
    names = {m.user_id: m.user.username for m in store.members_of(session, group.id)}
    papers = {p.id: p for _, p in store.group_papers(session, group.id)}
    missing = {r.paper_id for r in rows} - set(papers)
    if missing:
        papers |= papers_by_ids(session, missing)
    return [
        Activity(r.kind, papers[r.paper_id], names[r.user_id], r.at)
        for r in rows
        if r.paper_id in papers and r.user_id in names
    ]


def for_you(session: Session, user: User, slug: str, window: str | int | None = "week", limit: int = 20) -> list[Pick]:
    return group_picks(session, membership(session, user, slug).group.id, window, limit)


def group_for_you(
    session: Session, group: ReadingGroup, window: str | int | None = "week", limit: int = 20
) -> list[Pick]:
    """The group's feed for a caller that has checked membership already (its feed link, its digest)."""
    return group_picks(session, group.id, window, limit)


# --- the operator's view (the CLI) ---------------------------------------------------------------------------


def all_groups(session: Session) -> list[tuple[ReadingGroup, list[GroupMember]]]:
    """Every group with its members: for the site's operator, who holds the database anyway."""
    return [(group, store.members_of(session, group.id)) for group in store.all_groups(session)]


def group_members(session: Session, slug: str) -> list[GroupMember]:
    group = _group_named(session, slug)
    if group is None:
        raise NotFound(f"no group {slug}")
    return store.members_of(session, group.id)

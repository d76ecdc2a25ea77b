"""The reading groups' tables: groups, members, invites, the shared collection, the group threads, and the
members' shared signals. Every SQL statement about them is here; community/groups.py decides who may do what.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, delete, func, literal_column, select, union_all, update
from sqlalchemy.orm import Session, joinedload

from dailypapers.errors import InvalidInput
from dailypapers.store.db import IntegrityError, added, deleted, insert_or_else
from dailypapers.store.models import (
    GroupComment,
    GroupInvite,
    GroupMember,
    GroupPaper,
    Paper,
    ReadingGroup,
    Save,
    User,
    Vote,
)

# --- groups and members ----------------------------------------------------------------------------------


def add_group(session: Session, slug: str, name: str, owner_id: int) -> ReadingGroup:
    group = ReadingGroup(slug=slug, name=name)
    session.add(group)
    try:
        session.flush()
    except IntegrityError as exc:  # another member took the slug a moment after the caller checked it
        raise InvalidInput(f"the address /groups/{slug} is taken; choose another slug") from exc
    session.add(GroupMember(group_id=group.id, user_id=owner_id, role="owner"))
    session.flush()
    return group


def slug_taken(session: Session, slug: str) -> bool:
    return session.scalar(select(ReadingGroup.id).where(ReadingGroup.slug == slug)) is not None


def group_by_slug(session: Session, slug: str) -> ReadingGroup | None:
    return session.scalar(select(ReadingGroup).where(ReadingGroup.slug == slug))


def group_by_id(session: Session, group_id: int) -> ReadingGroup | None:
    return session.get(ReadingGroup, group_id)


def delete_group(session: Session, group: ReadingGroup) -> None:
    deleted(session, group)


def member_row(session: Session, group_id: int, user_id: int) -> GroupMember | None:
    return session.get(GroupMember, (group_id, user_id))


def members_of(session: Session, group_id: int) -> list[GroupMember]:
    """The members with their accounts, owners first, then by joining."""
    return list(
        session.scalars(
            select(GroupMember)
            .options(joinedload(GroupMember.user))
            .where(GroupMember.group_id == group_id)
            .order_by(GroupMember.role.desc(), GroupMember.joined_at, GroupMember.user_id)
        )
    )


def add_member(session: Session, group_id: int, user_id: int) -> None:
    """Idempotent: a member who opens an invite again stays as they are."""
    session.execute(
        insert_or_else(session, GroupMember)
        .values(group_id=group_id, user_id=user_id, role="member", shares=False, digest=True, joined_at=func.now())
        .on_conflict_do_nothing()
    )


def remove_member(session: Session, group_id: int, user_id: int) -> None:
    session.execute(delete(GroupMember).where(GroupMember.group_id == group_id, GroupMember.user_id == user_id))


def count_owners(session: Session, group_id: int) -> int:
    return (
        session.scalar(select(func.count()).where(GroupMember.group_id == group_id, GroupMember.role == "owner")) or 0
    )


def groups_of(session: Session, user_id: int) -> Sequence[Row[ReadingGroup, GroupMember]]:
    """(group, the user's membership) of each group the user is in, by name."""
    return session.execute(
        select(ReadingGroup, GroupMember)
        .join(GroupMember, GroupMember.group_id == ReadingGroup.id)
        .where(GroupMember.user_id == user_id)
        .order_by(ReadingGroup.name, ReadingGroup.id)
    ).all()


def digest_members(session: Session, group_id: int) -> list[GroupMember]:
    return [m for m in members_of(session, group_id) if m.digest]


def all_groups(session: Session) -> list[ReadingGroup]:
    return list(session.scalars(select(ReadingGroup).order_by(ReadingGroup.id)))


# --- invites ---------------------------------------------------------------------------------------------


def add_invite(session: Session, group_id: int, created_by_id: int | None, expires_at: datetime | None) -> GroupInvite:
    invite = GroupInvite(group_id=group_id, created_by_id=created_by_id, expires_at=expires_at)
    return added(session, invite)


def invite_by_id(session: Session, invite_id: int) -> GroupInvite | None:
    return session.get(GroupInvite, invite_id)


def live_invites(session: Session, group_id: int, now: datetime) -> list[GroupInvite]:
    return list(
        session.scalars(
            select(GroupInvite)
            .where(
                GroupInvite.group_id == group_id,
                GroupInvite.revoked_at.is_(None),
                (GroupInvite.expires_at.is_(None)) | (GroupInvite.expires_at > now),
            )
            .order_by(GroupInvite.id)
        )
    )


def revoke_invite(session: Session, invite: GroupInvite, now: datetime) -> None:
    invite.revoked_at = now
    session.flush()


# --- the shared collection -------------------------------------------------------------------------------


def group_paper(session: Session, group_id: int, paper_id: int) -> GroupPaper | None:
    return session.get(GroupPaper, (group_id, paper_id))


def add_group_paper(session: Session, group_id: int, paper_id: int, user_id: int, note: str) -> GroupPaper:
    row = GroupPaper(group_id=group_id, paper_id=paper_id, added_by_id=user_id, note=note)
    return added(session, row)


def remove_group_paper(session: Session, row: GroupPaper) -> None:
    deleted(session, row)


def group_papers(session: Session, group_id: int) -> Sequence[Row[GroupPaper, Paper]]:
    """(item, paper) of the group's visible papers, newest first."""
    return session.execute(
        select(GroupPaper, Paper)
        .join(Paper, Paper.id == GroupPaper.paper_id)
        .options(joinedload(GroupPaper.added_by))
        .where(GroupPaper.group_id == group_id, Paper.hidden.is_(False))
        .order_by(GroupPaper.added_at.desc(), GroupPaper.paper_id.desc())
    ).all()


def count_group_papers(session: Session, group_id: int) -> int:
    return session.scalar(select(func.count()).where(GroupPaper.group_id == group_id)) or 0


# --- the group's threads ---------------------------------------------------------------------------------


def add_group_comment(
    session: Session, *, group_id: int, paper_id: int, user_id: int, body: str, parent_id: int | None
) -> GroupComment:
    comment = GroupComment(group_id=group_id, paper_id=paper_id, user_id=user_id, body=body, parent_id=parent_id)
    session.add(comment)
    session.flush()
    comment.user = session.get_one(User, user_id)
    return comment


def group_comment(session: Session, comment_id: int) -> GroupComment | None:
    return session.get(GroupComment, comment_id)


def delete_group_comment(session: Session, comment: GroupComment) -> None:
    comment.deleted = True
    session.flush()


def group_comments(session: Session, group_id: int) -> list[GroupComment]:
    """The group's comments not deleted, with their authors, in time order (every thread of the group)."""
    return list(
        session.scalars(
            select(GroupComment)
            .options(joinedload(GroupComment.user))
            .where(GroupComment.group_id == group_id, GroupComment.deleted.is_(False))
            .order_by(GroupComment.created_at, GroupComment.id)
        )
    )


# --- what members did: the week, and the group's feed ----------------------------------------------------


def shared_activity(
    session: Session, group_id: int, since: datetime | None
) -> Sequence[Row[str, int, int | None, datetime]]:
    """(kind, paper id, user id, when) of the upvotes and saves of the members who share them, and of the papers
    added to the group, from `since` on (all when None), newest first."""
    sharing = select(GroupMember.user_id).where(GroupMember.group_id == group_id, GroupMember.shares.is_(True))
    parts: list[Select[Any, Any, Any, Any]] = []
    for kind, model, at in (("upvoted", Vote, Vote.created_at), ("saved", Save, Save.created_at)):
        stmt: Select[Any, Any, Any, Any] = select(
            literal_column(f"'{kind}'").label("kind"), model.paper_id, model.user_id, at.label("at")
        ).where(model.user_id.in_(sharing))
        parts.append(stmt.where(at >= since) if since is not None else stmt)
    added: Select[Any, Any, Any, Any] = select(
        literal_column("'added'").label("kind"),
        GroupPaper.paper_id,
        GroupPaper.added_by_id,
        GroupPaper.added_at.label("at"),
    ).where(GroupPaper.group_id == group_id)
    parts.append(added.where(GroupPaper.added_at >= since) if since is not None else added)
    rows = union_all(*parts).subquery()
    return session.execute(select(rows).order_by(rows.c.at.desc(), rows.c.paper_id.desc())).all()


def set_member(session: Session, group_id: int, user_id: int, **values: object) -> None:
    session.execute(
        update(GroupMember).where(GroupMember.group_id == group_id, GroupMember.user_id == user_id).values(**values)
    )

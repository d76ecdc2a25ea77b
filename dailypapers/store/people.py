"""The people's tables: accounts, login sessions, API tokens, the addresses people sign in from, and the rate
events that limits count. Every SQL statement about them is here; community/ and web/ decide who may do what
and call these to read and write. Secrets arrive hashed: the store never sees a cookie, a token or an address.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, func, insert, select
from sqlalchemy.orm import Session

from dailypapers.store.db import insert_or_else
from dailypapers.store.models import ApiToken, LoginAddress, LoginSession, RateEvent, User

# --- accounts --------------------------------------------------------------------------------------------


def user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def user_by_name(session: Session, username: str) -> User | None:
    """The account with exactly this name."""
    return session.scalar(select(User).where(User.username == username))


def user_by_name_any_case(session: Session, username: str) -> User | None:
    """The account with this name, whatever its letters' case (how people type it at login)."""
    return session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def users_by_ids(session: Session, user_ids: Collection[int]) -> dict[int, User]:
    """{id: account} of those ids that still have one."""
    if not user_ids:
        return {}
    return {user.id: user for user in session.scalars(select(User).where(User.id.in_(user_ids)))}


def name_is_taken(session: Session, username: str) -> bool:
    """True when an account has this name, in any case."""
    return session.scalar(select(User.id).where(func.lower(User.username) == username.lower())) is not None


def email_is_taken(session: Session, email: str) -> bool:
    """True when an account has this e-mail address, in any case."""
    return session.scalar(select(User.id).where(func.lower(User.email) == email.lower())) is not None


def add_user(
    session: Session,
    *,
    username: str,
    email: str | None,
    fullname: str | None,
    is_admin: bool,
    password_hash: str | None,
) -> User:
    user = User(username=username, email=email, fullname=fullname, is_admin=is_admin, password_hash=password_hash)
    session.add(user)
    session.flush()
    return user


def add_demo_user(session: Session, *, username: str, fullname: str) -> User:
    """A made-up account of the demo (its voters): no address, no password, marked as demo data."""
    user = User(username=username, fullname=fullname, is_demo=True)
    session.add(user)
    session.flush()
    return user


def members(session: Session) -> list[User]:
    """Every account but the demo voters, oldest first."""
    return list(session.scalars(select(User).where(User.is_demo.is_(False)).order_by(User.id)))


# --- login sessions: a browser's cookie, kept as the sha256 of its secret ----------------------------------


def add_session(session: Session, user_id: int, token_hash: str) -> None:
    session.add(LoginSession(token_hash=token_hash, user_id=user_id))
    session.flush()


# Every signed-in request asks: the session and its user in one statement, built once.
_SESSION_USER = (
    select(User, LoginSession.created_at)
    .join(LoginSession, LoginSession.user_id == User.id)
    .where(LoginSession.token_hash == bindparam("token_hash"))
)


def session_user_by_hash(session: Session, token_hash: str) -> tuple[User, datetime] | None:
    """The user of the session with this hash, and when the session started; None when there is none."""
    row = session.execute(_SESSION_USER, {"token_hash": token_hash}).first()
    return None if row is None else (row.User, row.created_at)


def end_session_by_hash(session: Session, token_hash: str) -> None:
    session.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash))


def end_sessions_of(session: Session, user_id: int, started_before: datetime | None = None) -> None:
    """End the user's sessions: all of them, or those started before `started_before`."""
    stmt = delete(LoginSession).where(LoginSession.user_id == user_id)
    if started_before is not None:
        stmt = stmt.where(LoginSession.created_at < started_before)
    session.execute(stmt)


# --- API tokens ------------------------------------------------------------------------------------------


def add_token(session: Session, user_id: int, name: str, token_hash: str) -> ApiToken:
    token = ApiToken(user_id=user_id, name=name, token_hash=token_hash)
    session.add(token)
    session.flush()
    return token


def token_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))


def token_by_id(session: Session, token_id: int) -> ApiToken | None:
    return session.get(ApiToken, token_id)


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    """The user's tokens, oldest first."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)))


def delete_token(session: Session, token: ApiToken) -> None:
    session.delete(token)


def delete_tokens_of(session: Session, user_id: int) -> None:
    session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))


# --- login addresses: a keyed hash of each, the most recent few per user -----------------------------------


def note_address(session: Session, user_id: int, address_hash: str, seen: datetime, keep: int) -> None:
    """The user signed in from this address at `seen`; only their `keep` most recent addresses stay."""
    session.execute(
        insert_or_else(session, LoginAddress)
        .values(user_id=user_id, address_hash=address_hash, last_seen=seen)
        .on_conflict_do_update(index_elements=["user_id", "address_hash"], set_={"last_seen": seen})
    )
    recent = (
        select(LoginAddress.address_hash)
        .where(LoginAddress.user_id == user_id)
        .order_by(LoginAddress.last_seen.desc())
        .limit(keep)
    )
    session.execute(
        delete(LoginAddress).where(LoginAddress.user_id == user_id, LoginAddress.address_hash.not_in(recent))
    )


def has_address(session: Session, user_id: int, address_hash: str) -> bool:
    return session.get(LoginAddress, (user_id, address_hash)) is not None


# --- rate events: one row per counted try, shared by every worker process ----------------------------------
# They take the caller's connection: the caller writes an event and counts in one transaction, and rolls the
# event back by raising when its limit refuses the try.


def add_rate_events(conn: Connection, keys: Sequence[str], at: float) -> list[int]:
    """One event at `at` under each key; their ids, in the keys' order."""
    return [conn.execute(insert(RateEvent).values(key=key, at=at).returning(RateEvent.id)).scalar_one() for key in keys]


def forget_rate_events(conn: Connection, keys: Sequence[str], before: float) -> None:
    """Delete these keys' events older than `before`."""
    conn.execute(delete(RateEvent).where(RateEvent.key.in_(keys), RateEvent.at < before))


def forget_all_rate_events(conn: Connection, before: float) -> None:
    """Delete every key's events older than `before`."""
    conn.execute(delete(RateEvent).where(RateEvent.at < before))


def delete_rate_events(conn: Connection, ids: Sequence[int] = (), keys: Sequence[str] = ()) -> None:
    """Delete the events with these ids, and every event of these keys."""
    if ids:
        conn.execute(delete(RateEvent).where(RateEvent.id.in_(ids)))
    if keys:
        conn.execute(delete(RateEvent).where(RateEvent.key.in_(keys)))


def note_rate_event(conn: Connection, key: str, at: float, since: float) -> tuple[int, float]:
    """Write an event of `key` at `at`; how many events the key has from `since` on, this one included, and
    when the oldest of them was."""
    add_rate_events(conn, [key], at)
    count, oldest = conn.execute(
        select(func.count(), func.min(RateEvent.at)).where(RateEvent.key == key, RateEvent.at >= since)
    ).one()
    return int(count), float(oldest)


def rate_events_per_key(
    conn: Connection, keys: Sequence[str], excluding: Sequence[int] = ()
) -> dict[str, tuple[int, float]]:
    """{key: (how many events, when the last was)} of the keys that have any, leaving out the events `excluding`."""
    rows = conn.execute(
        select(RateEvent.key, func.count(), func.max(RateEvent.at))
        .where(RateEvent.key.in_(keys), RateEvent.id.not_in(excluding))
        .group_by(RateEvent.key)
    )
    return {key: (int(count), float(last)) for key, count, last in rows}

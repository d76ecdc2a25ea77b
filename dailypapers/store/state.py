"""Small durable key/value state (harvest resumption tokens and the like)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from dailypapers.store.models import KeyValue, utcnow


def get_state(session: Session, key: str) -> dict[str, Any] | None:
    row = session.scalar(select(KeyValue).where(KeyValue.key == key))
    return row.value if row else None


def set_state(session: Session, key: str, value: dict[str, Any] | None) -> None:
    row = session.get(KeyValue, key)
    if value is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        session.add(KeyValue(key=key, value=value, updated_at=utcnow()))
    else:
        row.value = value
        row.updated_at = utcnow()


def states_with_prefix(session: Session, prefix: str) -> list[tuple[str, dict[str, Any]]]:
    """Every (key, value) whose key starts with `prefix` (a family of records, such as pending submissions)."""
    return [(row.key, row.value) for row in session.scalars(select(KeyValue).where(KeyValue.key.startswith(prefix)))]


def database_id(conn: Connection | Session) -> str | None:
    """The database's random id (migration 0006_database_id): what a replica outside it checks it came from."""
    value = conn.scalar(select(KeyValue.value).where(KeyValue.key == "database_id"))
    return value.get("id") if isinstance(value, dict) else None

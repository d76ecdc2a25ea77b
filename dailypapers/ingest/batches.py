"""The one way a batch of records enters the store: one transaction, so a batch is never half-written."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dailypapers.index.engines import keyword_index
from dailypapers.sources.records import PaperRecord
from dailypapers.store.papers import UpsertResult, upsert_papers
from dailypapers.store.state import set_state


def write_batch(engine: Engine, records: list[PaperRecord],
                state: tuple[str, dict | None] | None = None) -> UpsertResult:
    """Upsert the records and, optionally, the (key, value) state that points past them, together."""
    with Session(engine) as session, session.begin():
        result = upsert_papers(session.connection(), records)
        if state is not None:
            set_state(session, *state)
    keyword_index(engine).sync()  # searchable at once; a crash before this is caught up by the next sync
    return result

"""The one way a batch of records enters the store: one transaction, so a batch is never half-written."""

from __future__ import annotations

from dailypapers.faults import BATCH_UNCOMMITTED, fault_point
from dailypapers.index.engines import keyword_index
from dailypapers.sources.records import PaperRecord
from dailypapers.store.db import Engine, Session
from dailypapers.store.papers import UpsertResult, paper_row, upsert_rows
from dailypapers.store.state import set_state


def write_batch(
    engine: Engine, records: list[PaperRecord], state: tuple[str, dict | None] | None = None
) -> UpsertResult:
    """Upsert the records and, optionally, the (key, value) state that points past them, together."""
    return write_rows(engine, [paper_row(record) for record in records], state)


def write_rows(
    engine: Engine, rows: list[tuple], state: tuple[str, dict | None] | None = None, index: bool = True
) -> UpsertResult:
    """`write_batch` of records already made rows; `index=False` leaves the keyword sync to the caller."""
    with Session(engine) as session, session.begin():
        result = upsert_rows(session.connection(), rows)
        if state is not None:
            set_state(session, *state)
        fault_point(BATCH_UNCOMMITTED)
    if index:
        keyword_index(engine).sync()  # searchable at once; a crash before this is caught up by the next sync
    return result

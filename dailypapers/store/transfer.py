"""Copy a whole instance into another database (SQLite to PostgreSQL), then prove nothing was lost.

Every table of the models is copied (`tables()`, in foreign-key order), in batches, keeping the ids: a row already in
the target is updated in place (upsert on the primary key), so a rerun after an interruption or a change
adds no duplicates. Into PostgreSQL, each vector blob also fills its pgvector column (migration 0006).
PostgreSQL's id sequences are moved past the copied ids afterwards. Each table is then compared on both
sides by row count and a checksum of its normalised rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlalchemy import Connection, Engine, Integer, Table, func, inspect, literal, select, text
from sqlalchemy.dialects import postgresql, sqlite

from dailypapers.store.models import Base
from dailypapers.store.pgvector import EMBEDDINGS_PG

BATCH = 1000
Progress = Callable[[int, int], None]  # (rows copied so far, rows in the table)


@dataclass
class TableCheck:
    table: str
    source_rows: int
    target_rows: int
    source_checksum: str
    target_checksum: str

    @property
    def equal(self) -> bool:
        return self.source_rows == self.target_rows and self.source_checksum == self.target_checksum

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "equal": self.equal}


def tables() -> list[Table]:
    return list(Base.metadata.sorted_tables)  # parents before the rows that point at them


def row_counts(conn: Connection, names: Iterable[str] | None = None) -> dict[str, int]:
    """{table: rows} of every table of the schema (only these, if given), as `conn` sees them."""
    wanted = None if names is None else set(names)
    return {
        t.name: conn.scalar(select(func.count()).select_from(t)) or 0
        for t in tables()
        if wanted is None or t.name in wanted
    }


def holds_rows(engine: Engine, ignoring: Iterable[str] = ()) -> bool:
    """Whether any table of the schema but those `ignoring` has a row (OperationalError when the database cannot
    be opened)."""
    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        return any(
            conn.scalar(select(literal(1)).select_from(t).limit(1))
            for t in tables()
            if t.name in present and t.name not in set(ignoring)
        )


def copy_table(
    source: Engine, target: Engine, table: Table, progress: Progress | None = None, batch: int = BATCH
) -> None:
    """Upsert every row of `table` from `source` into `target` (migrated already), ids kept."""
    with_vectors = table.name == EMBEDDINGS_PG.name and target.dialect.name == "postgresql"
    upsert = _upsert(target, EMBEDDINGS_PG if with_vectors else table)
    with source.connect() as reading:
        total = reading.execute(select(func.count()).select_from(table)).scalar_one()
        done = 0
        rows = reading.execution_options(yield_per=batch).execute(select(table).order_by(*table.primary_key))
        for part in rows.partitions():
            with target.begin() as writing:  # one transaction a batch: an interrupted copy keeps what it did
                values = [row._asdict() for row in part]
                if with_vectors:  # PostgreSQL searches the pgvector copy of each blob (migration 0006)
                    values = [{**row, "embedding": row["vector"]} for row in values]
                writing.execute(upsert, values)
            done += len(part)
            if progress:
                progress(done, total)


def _upsert(target: Engine, table: Table) -> postgresql.Insert | sqlite.Insert:
    insert: postgresql.Insert | sqlite.Insert
    if target.dialect.name == "postgresql":
        insert = postgresql.insert(table)
    elif target.dialect.name == "sqlite":
        insert = sqlite.insert(table)
    else:
        raise ValueError(f"cannot copy into {target.dialect.name}: PostgreSQL or SQLite only")
    keys = [c.name for c in table.primary_key]
    others = {c.name: insert.excluded[c.name] for c in table.columns if c.name not in keys}
    return insert.on_conflict_do_update(index_elements=keys, set_=others)


def fix_sequences(engine: Engine) -> None:
    """Copied rows kept their ids: on PostgreSQL each id sequence must go on after the largest, not from 1
    (SQLite takes the next id from the rows themselves)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in tables():
            key = list(table.primary_key)
            if len(key) != 1 or not isinstance(key[0].type, Integer):
                continue
            sequence = conn.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": key[0].name})
            if sequence:
                conn.execute(
                    text(
                        f'SELECT setval(:s, coalesce(max("{key[0].name}"), 1), max("{key[0].name}") '
                        f'IS NOT NULL) FROM "{table.name}"'
                    ),
                    {"s": sequence},
                )


def compare(source: Engine, target: Engine) -> list[TableCheck]:
    checks = []
    for table in tables():
        source_rows, source_sum = checksum(source, table)
        target_rows, target_sum = checksum(target, table)
        checks.append(TableCheck(table.name, source_rows, target_rows, source_sum, target_sum))
    return checks


def checksum(engine: Engine, table: Table) -> tuple[int, str]:
    with engine.connect() as conn:
        return table_checksum(conn, table)


def table_checksum(conn: Connection, table: Table) -> tuple[int, str]:
    """(rows, sha256 over the sorted digests of the normalised rows), as `conn` sees them (a backup's snapshot).
    Sorted here, not by the database: SQLite and PostgreSQL collations order text keys differently."""
    rows = conn.execute(select(table).execution_options(yield_per=BATCH))
    digests = sorted(hashlib.sha256(_normalised(row)).digest() for row in rows)
    return len(digests), hashlib.sha256(b"".join(digests)).hexdigest()


def _normalised(row: Iterable[object]) -> bytes:
    return json.dumps([_value(v) for v in row], sort_keys=True, ensure_ascii=False).encode()


def _value(value: object) -> object:
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, datetime | date):
        return value.isoformat()  # datetimes come back aware, in UTC, from both backends
    if isinstance(value, float):
        return repr(value)
    return value

"""Reads and writes of the papers' computed keywords and summary (`ai_keywords`, `ai_summary`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Engine, Row, bindparam, func, select, update

from dailypapers.store.models import Paper

PAPERS = Paper.__table__


def iter_paper_texts(engine: Engine, batch_size: int) -> Iterator[Sequence[Row[int, str, str, str | None]]]:
    """Every paper's (id, title, abstract, ai_source_hash), a batch at a time, in id order."""
    after = 0
    while True:
        with engine.connect() as conn:
            rows = conn.execute(
                select(PAPERS.c.id, PAPERS.c.title, PAPERS.c.abstract, PAPERS.c.ai_source_hash)
                .where(PAPERS.c.id > after)
                .order_by(PAPERS.c.id)
                .limit(batch_size)
            ).all()
        if not rows:
            return
        yield rows
        after = rows[-1].id


def paper_total(engine: Engine) -> int:
    """How many papers `iter_paper_texts` goes through."""
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(PAPERS)).scalar() or 0


def save_keyphrases(engine: Engine, values: list[dict[str, Any]]) -> None:
    """Store {key (the paper id), keywords, summary, source_hash} for each paper, in one transaction."""
    if not values:
        return
    with engine.begin() as conn:
        conn.execute(
            update(PAPERS)
            .where(PAPERS.c.id == bindparam("key"))
            .values(
                ai_keywords=bindparam("keywords"),
                ai_summary=bindparam("summary"),
                ai_source_hash=bindparam("source_hash"),
            ),
            values,
        )

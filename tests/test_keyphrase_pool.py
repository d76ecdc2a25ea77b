"""Keywords and summaries on a pool of processes (index/token_pool.py): what one process stores, on every core."""

from __future__ import annotations

import multiprocessing

from sqlalchemy import select

from dailypapers.index.descriptions import describe_pending
from dailypapers.index.keyphrases import describe_with_tokens
from dailypapers.index.token_vectors import minilm_token_vectors
from dailypapers.ingest.demo import demo_records
from dailypapers.store.models import Paper
from dailypapers.store.papers import upsert_papers


def test_the_pooled_index_run_stores_what_one_process_computes(engine, session):
    records = demo_records()[:20]
    with engine.begin() as conn:
        upsert_papers(conn, records)
    tokens = minilm_token_vectors()
    bar: list[int] = []
    processes: list[int] = []

    def advance(papers: int) -> None:
        bar.append(papers)
        processes.append(len(multiprocessing.active_children()))

    assert describe_pending(engine, tokens, batch_size=6, advance=advance, workers=2) == 20
    assert bar == [6, 6, 6, 2]  # every batch, in order, as its results are written: the bar's ETA is the pool's
    assert max(processes) >= 1  # computed by worker processes, not by this one
    serial = describe_with_tokens([(r.title, r.abstract) for r in records], tokens)
    stored = {p.arxiv_id: (p.ai_keywords, p.ai_summary) for p in session.scalars(select(Paper))}
    assert stored == {r.arxiv_id: (d.keywords, d.summary) for r, d in zip(records, serial, strict=True)}
    assert describe_pending(engine, tokens, batch_size=6, workers=2) == 0  # nothing stale: nothing computed

"""What each background job does, whoever runs it: the queue's workers (queue.py) or the scheduler
(scheduler.py). Each job is the function its command calls, on the configured database, and returns the lines
that say what it did, for the log."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from dailypapers.community.submissions import fetch_stale_submissions
from dailypapers.config import Settings
from dailypapers.digest.run import send_due_digests
from dailypapers.digest.schedule import parse_periods
from dailypapers.digest.send import DeliveryReport
from dailypapers.index.build import build_index
from dailypapers.index.embedders import get_embedder, model_label
from dailypapers.index.stored_vectors import EmbedResult, embed_papers
from dailypapers.ingest.arxiv import ingest_category
from dailypapers.store.db import get_engine
from dailypapers.store.embeddings import pending_ids


def ingest(settings: Settings, categories: Sequence[str]) -> list[str]:
    """The web submissions arXiv left waiting (`ingest --pending`), then the new submissions of the categories
    since yesterday (`ingest --category`)."""
    waiting = fetch_stale_submissions()
    lines = [f"{arxiv_id}: {outcome}" for arxiv_id, outcome in waiting]
    lines.append(f"{len(waiting)} waiting submission{'' if len(waiting) == 1 else 's'} fetched")
    if categories:
        since = datetime.now(UTC).date() - timedelta(days=1)
        report = ingest_category(
            get_engine(settings), list(categories), since, settings=settings, thumbnails=settings.fetch_pdfs
        )
        lines.append(report.summary())
    return lines


def index(settings: Settings) -> list[str]:
    """Every index caught up, as `dailypapers index` does: keywords, vectors, keyphrases and summaries."""
    return build_index(settings=settings).lines()


def digests(settings: Settings, today: date | None = None) -> list[str]:
    """The digests due today (UTC), each exactly once, queued confirmations first, as `dailypapers digest send`
    does."""
    lines = []

    def outbox(queued: DeliveryReport) -> None:
        if queued.anything:
            lines.append(f"outbox: {queued.counts()}")

    periods = parse_periods(None, today or datetime.now(UTC).date())
    results = send_due_digests(periods, settings=settings, on_outbox=outbox)
    return lines + [result.summary() for result in results]


@dataclass
class Backlog:
    """The papers without a current vector of the configured model, as the embedding jobs share them out."""

    batches: list[list[int]]  # not taken by any job yet: a job each
    empty: bool  # none is left at all, taken or not: the embedding is done


def backlog(settings: Settings, taken: Collection[int], batches: int, size: int) -> Backlog:
    """Up to `batches` lists of at most `size` papers still to embed, leaving out those `taken` already by
    embedding jobs that wait or run."""
    wanted = max(0, batches) * size
    found = pending_ids(get_engine(settings), model_label(settings.embedding_model), max(1, wanted + len(taken)))
    free = [paper_id for paper_id in found if paper_id not in taken][:wanted]
    return Backlog([free[i : i + size] for i in range(0, len(free), size)], empty=not found)


def embed(settings: Settings, paper_ids: list[int]) -> EmbedResult:
    """Vectors of the configured model for those of these papers that still lack a current one."""
    embedder = get_embedder(settings.embedding_model, settings.data_dir)
    return embed_papers(get_engine(settings), embedder, paper_ids)

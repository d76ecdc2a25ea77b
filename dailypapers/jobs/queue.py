"""The procrastinate app: the tasks for the daily ingest, embedding new papers and digests, their schedules.

Every task is idempotent (ingest upserts, embedding is incremental, each digest is sent once), so a job
retried or run late is safe. Queueing locks keep one job of a kind waiting; digests also hold a lock so
that two never run at once, whichever workers pick them up.

Embedding is shared by the workers. The `embed` job (one at a time, by its lock) hands the papers without a
current vector out as `embed_batch` jobs of `embed_job_papers` ids each, leaving out the papers of batch jobs
that wait or run on a live worker, so no paper is in two of them; each worker takes one batch job at a time.
A finished batch queues `embed` again, which hands out more, and once no paper is left, finishes the index
(the model's vector index, keyphrases and summaries). A batch that fails, or whose worker dies, gives its
papers back: the next `embed` hands them out again (a failed one only at the next ingest or batch, so a paper
that always fails cannot keep the queue busy).
"""

from __future__ import annotations

import logging

from procrastinate import App, JobContext, PsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.tasks import Task
from procrastinate.types import JSONDict

from dailypapers.config import Settings
from dailypapers.errors import InvalidInput
from dailypapers.jobs import work
from dailypapers.jobs.schedule import Schedule
from dailypapers.store.db import backend_of, get_engine, libpq_url
from dailypapers.store.jobs import live_job_args

log = logging.getLogger(__name__)
INGEST, EMBED, EMBED_BATCH, DIGESTS = "ingest", "embed", "embed_batch", "digests"
BATCHES_AHEAD = 32  # embedding jobs handed out at a time: work for as many workers, a short list to leave out


def require_postgresql(settings: Settings) -> str:
    url = settings.db_url
    if backend_of(url) != "postgresql":
        raise InvalidInput(
            "the job queue needs PostgreSQL (DAILYPAPERS_DATABASE_URL=postgresql+psycopg://...); "
            "on SQLite, `dailypapers scheduler` runs the background work"
        )
    return url


def conninfo(url: str) -> str:
    """procrastinate connects through libpq: the SQLAlchemy URL without its driver name."""
    return libpq_url(url)


def job_app(settings: Settings, schedule: Schedule | None = None) -> App:
    """The queue and its tasks on the configured PostgreSQL; with a schedule, the periodic jobs too (the
    workers defer them when due, each tick once whatever the number of workers)."""
    app = App(connector=PsycopgConnector(conninfo=conninfo(require_postgresql(settings))))

    @app.task(name=EMBED, queue=EMBED, lock=EMBED, queueing_lock=EMBED)
    def embed(timestamp: int | None = None) -> None:
        taken = [args["paper_ids"] for args in live_job_args(get_engine(settings), EMBED_BATCH)]
        backlog = work.backlog(
            settings, {i for ids in taken for i in ids}, BATCHES_AHEAD - len(taken), settings.embed_job_papers
        )
        if backlog.batches:
            jobs: list[JSONDict] = [{"paper_ids": list(ids)} for ids in backlog.batches]
            embed_batch.batch_defer(*jobs)
            log.info("embedding: %d papers handed out in %d jobs", sum(map(len, backlog.batches)), len(backlog.batches))
        elif backlog.empty:
            log.info("index: %s", "; ".join(work.index(settings)))

    @app.task(name=EMBED_BATCH, queue=EMBED, pass_context=True)
    def embed_batch(context: JobContext, paper_ids: list[int]) -> None:
        done = work.embed(settings, paper_ids)
        log.info(
            "%s embedded %d of %d papers in %.1f s", context.worker_name, done.embedded, len(paper_ids), done.seconds
        )
        defer_once(embed)  # more to hand out, or the index to finish

    @app.task(name=INGEST, queue=INGEST, queueing_lock=INGEST)
    def ingest(timestamp: int | None = None, categories: list[str] | None = None) -> None:
        log.info("ingested: %s", "; ".join(work.ingest(settings, categories or [])))
        defer_once(embed)  # the new papers get their vectors next

    @app.task(name=DIGESTS, queue=DIGESTS, lock=DIGESTS, queueing_lock=DIGESTS)
    def digests(timestamp: int | None = None) -> None:
        log.info("digests: %s", "; ".join(work.digests(settings)))

    if schedule is not None:
        app.periodic(
            cron=schedule.ingest_cron, periodic_id=INGEST, task_kwargs={"categories": list(schedule.categories)}
        )(ingest)
        app.periodic(cron=schedule.digest_cron, periodic_id=DIGESTS)(digests)
    return app


def defer_once(task: Task, **kwargs) -> int | None:
    """Defer a job unless one of its kind is waiting already (its queueing lock); the new job's id or None."""
    try:
        return task.defer(**kwargs)
    except AlreadyEnqueued:
        return None

"""The procrastinate app: the tasks for the daily ingest, embedding new papers and digests, their schedules.

Every task is idempotent (ingest upserts, embedding is incremental, each digest is sent once), so a job
retried or run late is safe. Queueing locks keep one job of a kind waiting; digests also hold a lock so
that two never run at once, whichever workers pick them up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from procrastinate import App, PsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.tasks import Task
from sqlalchemy.engine import make_url

from dailypapers.config import Settings
from dailypapers.errors import InvalidInput
from dailypapers.jobs import work

log = logging.getLogger(__name__)
INGEST, EMBED, DIGESTS = "ingest", "embed", "digests"


@dataclass(frozen=True)
class Schedule:
    """When a worker defers the periodic jobs (cron strings, UTC), and the categories the ingest fetches."""

    categories: tuple[str, ...] = ()
    ingest_cron: str = "0 */6 * * *"
    digest_cron: str = "0 7 * * *"


def require_postgresql(settings: Settings) -> str:
    url = settings.db_url
    if make_url(url).get_backend_name() != "postgresql":
        raise InvalidInput("the job queue needs PostgreSQL (DAILYPAPERS_DATABASE_URL=postgresql+psycopg://...); "
                           "on SQLite, `dailypapers scheduler` runs the background work")
    return url


def conninfo(url: str) -> str:
    """procrastinate connects through libpq: the SQLAlchemy URL without its driver name."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def job_app(settings: Settings, schedule: Schedule | None = None) -> App:
    """The queue and its tasks on the configured PostgreSQL; with a schedule, the periodic jobs too (the
    workers defer them when due, each tick once whatever the number of workers)."""
    app = App(connector=PsycopgConnector(conninfo=conninfo(require_postgresql(settings))))

    @app.task(name=EMBED, queue=EMBED, queueing_lock=EMBED)
    def embed(timestamp: int | None = None) -> None:
        log.info("embedded new papers: %s", "; ".join(work.embed_new(settings).lines()))

    @app.task(name=INGEST, queue=INGEST, queueing_lock=INGEST)
    def ingest(categories: list[str] | None = None, timestamp: int | None = None) -> None:
        if categories:
            log.info("ingested: %s", work.ingest_new(categories, settings).summary())
        defer_once(embed)  # the new papers get their vectors next

    @app.task(name=DIGESTS, queue=DIGESTS, lock=DIGESTS, queueing_lock=DIGESTS)
    def digests(timestamp: int | None = None) -> None:
        for result in work.send_due_digests(settings):
            log.info("digests %s: %s sent, %s bounced", result.period, result.report.sent,
                     len(result.report.bounced))

    if schedule is not None:
        app.periodic(cron=schedule.ingest_cron, periodic_id=INGEST,
                     task_kwargs={"categories": list(schedule.categories)})(ingest)
        app.periodic(cron=schedule.digest_cron, periodic_id=DIGESTS)(digests)
    return app


def defer_once(task: Task, **kwargs) -> int | None:
    """Defer a job unless one of its kind is waiting already (its queueing lock); the new job's id or None."""
    try:
        return task.defer(**kwargs)
    except AlreadyEnqueued:
        return None

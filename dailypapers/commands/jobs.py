"""`dailypapers worker` and `dailypapers jobs`: the PostgreSQL job queue; `dailypapers scheduler`: the same work on
SQLite (see dailypapers/jobs/)."""

from __future__ import annotations

import logging

import typer

from dailypapers.backup.lock import in_use
from dailypapers.commands import app, err, json_option, out, print_json
from dailypapers.config import get_settings
from dailypapers.jobs.queue import job_app, require_postgresql
from dailypapers.jobs.schedule import DEFAULT, Schedule
from dailypapers.jobs.scheduler import Scheduler
from dailypapers.store.db import get_engine, migrate
from dailypapers.store.jobs import recent_jobs

CATEGORIES_HELP = (
    "Categories the ingest fetches from arXiv; repeat for several (or a space-separated list in the variable)."
)
DIGEST_AT_HELP = "When digests go out each day, HH:MM in UTC."


@app.command("worker")
def worker_command(
    category: list[str] | None = typer.Option(
        None, "--category", "-c", envvar="DAILYPAPERS_INGEST_CATEGORIES", help=CATEGORIES_HELP
    ),
    ingest_cron: str = typer.Option(
        DEFAULT.ingest_cron,
        envvar="DAILYPAPERS_INGEST_CRON",
        help="When the ingest (then the embedding of new papers) runs, cron in UTC.",
    ),
    digest_at: str = typer.Option(DEFAULT.digest_clock, envvar="DAILYPAPERS_DIGEST_AT", help=DIGEST_AT_HELP),
    once: bool = typer.Option(False, "--once", help="Run the jobs waiting now, then exit (no schedule)."),
) -> None:
    """Run jobs from the PostgreSQL queue (ingest, embedding, digests) and defer the periodic ones when due.
    Run one or several, on any hosts that reach the database; each job runs once."""
    schedule = Schedule.read(category, digest_at, ingest_cron=ingest_cron)
    settings = get_settings()
    require_postgresql(settings)
    get_engine(settings)  # the schema, the queue's tables included, is current
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with in_use(settings):  # a restore refuses while a worker runs on this data dir
        job_app(settings, None if once else schedule).run_worker(wait=not once)


@app.command("jobs")
def jobs_command(
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="How many of the newest jobs."),
    json_output: bool = json_option("Print as JSON."),
) -> None:
    """Recent jobs of the PostgreSQL queue, newest first, and their status."""
    settings = get_settings()
    require_postgresql(settings)
    jobs = recent_jobs(get_engine(settings), limit)
    if json_output:
        print_json([job.as_dict() for job in jobs])
        return
    for job in jobs:
        when = f"{job.updated_at:%Y-%m-%d %H:%M:%S}" if job.updated_at else "-"
        out.print(f"{job.id:>6}  {job.task:<8} {job.status:<10} attempts {job.attempts}  {when}")
    if not jobs:
        out.print("no jobs yet")


@app.command("scheduler")
def scheduler_command(
    category: list[str] | None = typer.Option(
        None, "--category", "-c", envvar="DAILYPAPERS_INGEST_CATEGORIES", help=CATEGORIES_HELP
    ),
    ingest_every: float = typer.Option(DEFAULT.ingest_every_hours, help="Hours between ingestion runs."),
    digest_at: str = typer.Option(DEFAULT.digest_clock, envvar="DAILYPAPERS_DIGEST_AT", help=DIGEST_AT_HELP),
    once: bool = typer.Option(False, "--once", help="Run every job once now, then exit (for cron)."),
) -> None:
    """On SQLite: ingestion, indexing and digests on a schedule, in the foreground (or once, with --once)."""
    schedule = Schedule.read(category, digest_at, ingest_every_hours=ingest_every)
    settings = get_settings()
    migrate(settings)  # like `ingest`, which it runs: a new data dir gets its database
    with in_use(settings):  # a restore waits until the scheduler stops
        code = Scheduler(settings, schedule).run(once=once, say=_say)
    if code:
        raise typer.Exit(code)


def _say(text: str) -> None:
    """A line on stderr, never wrapped (logs read whole lines)."""
    err.print(text, soft_wrap=True, markup=False)

"""`dailypapers worker` and `dailypapers jobs`: the PostgreSQL job queue (see dailypapers/jobs/)."""

from __future__ import annotations

import logging

import typer

from dailypapers.backup.lock import in_use
from dailypapers.commands import app, out, print_json
from dailypapers.config import get_settings
from dailypapers.ingest.arxiv import normalize_categories
from dailypapers.jobs.queue import Schedule, job_app, require_postgresql
from dailypapers.jobs.status import recent_jobs
from dailypapers.scheduler import parse_clock
from dailypapers.store.db import get_engine


@app.command("worker")
def worker_command(
    category: list[str] | None = typer.Option(None, "--category", "-c", envvar="DAILYPAPERS_INGEST_CATEGORIES",
                                              help="Categories the periodic ingest fetches from arXiv; repeat "
                                                   "for several (or a space-separated list in the variable)."),
    ingest_cron: str = typer.Option("0 */6 * * *", envvar="DAILYPAPERS_INGEST_CRON",
                                    help="When the ingest (then the embedding of new papers) runs, cron in UTC."),
    digest_at: str = typer.Option("07:00", envvar="DAILYPAPERS_DIGEST_AT",
                                  help="When digests go out each day, HH:MM in UTC."),
    once: bool = typer.Option(False, "--once", help="Run the jobs waiting now, then exit (no schedule)."),
) -> None:
    """Run jobs from the PostgreSQL queue (ingest, embedding, digests) and defer the periodic ones when due.
    Run one or several, on any hosts that reach the database; each job runs once."""
    settings = get_settings()
    require_postgresql(settings)
    get_engine(settings)  # the schema, the queue's tables included, is current
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    clock = parse_clock(digest_at)
    schedule = Schedule(categories=tuple(normalize_categories(category) if category else ()), ingest_cron=ingest_cron,
                        digest_cron=f"{clock.minute} {clock.hour} * * *")
    with in_use(settings):  # a restore refuses while a worker runs on this data dir
        job_app(settings, None if once else schedule).run_worker(wait=not once)


@app.command("jobs")
def jobs_command(
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="How many of the newest jobs."),
    json_output: bool = typer.Option(False, "--json", help="Print as JSON."),
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

"""The PostgreSQL job queue: a deferred job is run by a worker and listed by `jobs`; digests never overlap."""

from __future__ import annotations

import json
import threading
import time

import pytest

from dailypapers.config import Settings
from dailypapers.index.build import IndexReport
from dailypapers.ingest.report import IngestReport
from dailypapers.jobs import work
from dailypapers.jobs.queue import DIGESTS, INGEST, Schedule, defer_once, job_app
from dailypapers.jobs.status import recent_jobs
from dailypapers.store.db import get_engine


@pytest.mark.sqlite_only("on SQLite the commands say that the queue needs PostgreSQL")
@pytest.mark.parametrize("command", ["worker", "jobs"])
def test_on_sqlite_the_queue_commands_point_to_the_scheduler(cli, command):
    result = cli(command)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "needs PostgreSQL" in result.stderr and "dailypapers scheduler" in result.stderr


@pytest.mark.postgresql_only
def test_a_deferred_job_is_run_by_a_worker_and_listed(settings, cli):
    app = job_app(settings)
    with app.open():
        first = app.tasks[DIGESTS].defer()
        assert defer_once(app.tasks[DIGESTS]) is None  # one digest job waits at a time
    assert [(job.id, job.status) for job in recent_jobs(get_engine(settings))] == [(first, "todo")]
    result = cli("worker", "--once")
    assert result.returncode == 0, result.stderr
    assert [(job["task"], job["status"]) for job in json.loads(cli("jobs", "--json").stdout)] == [
        (DIGESTS, "succeeded")]
    listed = cli("jobs", "--limit", "1")
    assert listed.returncode == 0 and f"{first}  {DIGESTS}" in listed.stdout and "succeeded" in listed.stdout


@pytest.mark.postgresql_only
def test_an_ingest_is_followed_by_embedding_the_new_papers(settings, monkeypatch):
    done = []
    monkeypatch.setattr(work, "ingest_new", lambda categories, settings: done.append(("ingest", categories))
                        or IngestReport(source="category"))
    monkeypatch.setattr(work, "embed_new", lambda settings: done.append(("embed",)) or IndexReport(0, 0.0))
    app = job_app(settings)
    with app.open():
        app.tasks[INGEST].defer(categories=["cs.LG"])
    app.run_worker(wait=False, install_signal_handlers=False)
    assert done == [("ingest", ["cs.LG"]), ("embed",)]


@pytest.mark.postgresql_only
def test_two_digest_jobs_never_run_at_once(settings, monkeypatch):
    runs: list[tuple[float, float]] = []
    guard = threading.Lock()

    def slow_digests(settings, today=None):
        started = time.monotonic()
        time.sleep(0.5)
        with guard:
            runs.append((started, time.monotonic()))
        return []

    monkeypatch.setattr(work, "send_due_digests", slow_digests)
    app = job_app(settings)
    with app.open():
        app.tasks[DIGESTS].defer()
        # another queueing lock, so both wait in the queue at once; the run lock is the same
        app.tasks[DIGESTS].configure(queueing_lock="second").defer()
    for _ in range(3):  # a worker that finds the only waiting job locked has caught up, and stops
        app.run_worker(wait=False, concurrency=2, install_signal_handlers=False)
        if len(runs) == 2:
            break
    assert len(runs) == 2
    (first_start, first_end), (second_start, _) = sorted(runs)
    assert second_start >= first_end


def test_a_schedule_makes_the_ingest_and_the_digests_periodic():
    settings = Settings(database_url="postgresql+psycopg://dailypapers@db.example/dailypapers")
    schedule = Schedule(categories=("cs.LG", "cs.CL"), ingest_cron="15 */4 * * *", digest_cron="30 6 * * *")
    periodic = job_app(settings, schedule).periodic_registry.periodic_tasks
    assert {key: task.cron for key, task in periodic.items()} == {(INGEST, INGEST): "15 */4 * * *",
                                                                  (DIGESTS, DIGESTS): "30 6 * * *"}
    assert periodic[(INGEST, INGEST)].configure_kwargs["task_kwargs"]["categories"] == ["cs.LG", "cs.CL"]
    assert not job_app(settings).periodic_registry.periodic_tasks  # `worker --once`: no schedule

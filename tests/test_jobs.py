"""Background work: the PostgreSQL job queue runs each job once and shares embedding among its workers; the
SQLite scheduler runs the same jobs, in its own process, on the same schedule."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time

import pytest
from sqlalchemy import func, select, text

from dailypapers.config import Settings, get_settings, reset_settings
from dailypapers.errors import StoreError
from dailypapers.index import embedders
from dailypapers.index.embedders import paper_text
from dailypapers.index.vectors_pgvector import hnsw_index_name
from dailypapers.jobs import work
from dailypapers.jobs.queue import DIGESTS, EMBED, EMBED_BATCH, INGEST, defer_once, job_app
from dailypapers.jobs.schedule import Schedule
from dailypapers.jobs.scheduler import Scheduler
from dailypapers.sources.records import PaperRecord
from dailypapers.store.db import get_engine
from dailypapers.store.jobs import jobs_per_state, live_job_args, recent_jobs
from dailypapers.store.models import Embedding
from dailypapers.store.papers import upsert_papers
from tests.digest_helpers import ISSUE_DAY, PERIOD, add_subscriber, seed_feed

TOPICS = ["graph networks", "speech recognition", "protein folding", "weak lensing", "robot grasping"]


@pytest.mark.slow
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
        (DIGESTS, "succeeded")
    ]
    listed = cli("jobs", "--limit", "1")
    assert listed.returncode == 0 and f"{first}  {DIGESTS}" in listed.stdout and "succeeded" in listed.stdout


@pytest.mark.postgresql_only
def test_an_ingest_is_followed_by_embedding_the_new_papers(settings, monkeypatch):
    done = []
    monkeypatch.setattr(work, "ingest", lambda settings, categories: done.append(("ingest", categories)) or [])
    monkeypatch.setattr(work, "index", lambda settings: done.append(("index",)) or [])
    app = job_app(settings)
    with app.open():
        app.tasks[INGEST].defer(categories=["cs.LG"])
    app.run_worker(wait=False, install_signal_handlers=False)
    assert done == [("ingest", ["cs.LG"]), ("index",)]  # nothing to embed: the index is finished at once


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

    monkeypatch.setattr(work, "digests", slow_digests)
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
    schedule = Schedule.read(["cs.lg", "cs.CL"], "6:30", ingest_cron="15 */4 * * *")
    periodic = job_app(settings, schedule).periodic_registry.periodic_tasks
    assert {key: task.cron for key, task in periodic.items()} == {
        (INGEST, INGEST): "15 */4 * * *",
        (DIGESTS, DIGESTS): "30 6 * * *",
    }
    assert periodic[(INGEST, INGEST)].configure_kwargs["task_kwargs"]["categories"] == ["cs.LG", "cs.CL"]
    assert not job_app(settings).periodic_registry.periodic_tasks  # `worker --once`: no schedule


def test_the_scheduler_ingests_every_few_hours_and_sends_the_digests_at_their_time(monkeypatch):
    clock = [datetime(2026, 11, 24, 5, 0, tzinfo=UTC)]
    ran = []

    def job(name: str, fails: bool = False):
        def run(settings, *args):  # each job takes a minute
            ran.append((clock[0].strftime("%H:%M"), name, *args))
            clock[0] += timedelta(minutes=1)
            if fails:
                raise StoreError("the disk is full")  # a failing job is logged, the schedule goes on
            return [f"what {name} did"]

        return run

    def sleep(seconds):
        assert 0 < seconds <= 30
        clock[0] += timedelta(seconds=seconds)

    monkeypatch.setattr(work, "ingest", job("ingest"))
    monkeypatch.setattr(work, "index", job("index", fails=True))
    monkeypatch.setattr(work, "digests", job("digests"))
    scheduler = Scheduler(Settings(), Schedule.read(["cs.LG"], "07:00"), now=lambda: clock[0], sleep=sleep)
    said: list[str] = []
    scheduler.run(say=said.append, max_turns=5)
    assert ran == [
        ("05:00", "ingest", ("cs.LG",)),
        ("05:01", "index"),
        ("07:00", "digests", ISSUE_DAY),
        ("11:02", "ingest", ("cs.LG",)),
        ("11:03", "index"),
        ("17:04", "ingest", ("cs.LG",)),
        ("17:05", "index"),
        ("23:06", "ingest", ("cs.LG",)),
        ("23:07", "index"),
    ]
    assert "  what ingest did" in said and "  what digests did" in said
    assert "2026-11-24 05:02:00Z FAILED (the disk is full) in 60s: index" in said


def test_the_scheduler_sends_the_due_digests_in_its_own_process(session, sink):
    seed_feed(session)
    readers = ["ada@example.org", "alan@example.org", "grace@example.org"]
    for email in readers:
        add_subscriber(session, email, interests="graph networks")
    clock = datetime.combine(ISSUE_DAY, clock_time(7, 0), UTC)
    scheduler = Scheduler(get_settings(), Schedule(), now=lambda: clock)
    said: list[str] = []
    assert scheduler.digests(said.append)
    assert sink.handler.per_recipient() == dict.fromkeys(readers, 1)
    # What `digest send` would say, said by the scheduler itself: the digests went out in its process.
    assert f"  {PERIOD}: 3 subscribers, 0 sent before, 3 sent now" in said
    assert scheduler.digests(said.append)  # a second run sends nothing
    assert f"  {PERIOD}: 3 subscribers, 3 sent before, 0 sent now" in said
    assert sink.handler.per_recipient() == dict.fromkeys(readers, 1)


# Embedding shared by the queue's workers (PostgreSQL).


def add_papers(engine, count: int) -> dict[str, int]:
    """`count` papers, each with its own words; {the text embedded for it: its id}."""
    published = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    records = [
        PaperRecord(
            arxiv_id=f"2611.{n:05d}",
            version=1,
            title=f"Study {n} of {TOPICS[n % len(TOPICS)]}",
            abstract=f"We look at {TOPICS[n % len(TOPICS)]} from angle number {n}.",
            authors=["Ada Lovelace"],
            categories=["cs.LG"],
            primary_category="cs.LG",
            published_at=published,
            updated_at=published,
        )
        for n in range(1, count + 1)
    ]
    with engine.begin() as conn:
        upsert_papers(conn, records)
        ids = dict(conn.execute(text("SELECT arxiv_id, id FROM papers")).all())
    return {paper_text(r.title, r.abstract): ids[r.arxiv_id] for r in records}


@pytest.fixture
def static_settings(settings, monkeypatch) -> Settings:
    """The fast static model (shipped with dailypapers), and embedding jobs of 10 papers."""
    monkeypatch.setenv("DAILYPAPERS_EMBEDDING_MODEL", "minilm-static")
    monkeypatch.setenv("DAILYPAPERS_EMBED_JOB_PAPERS", "10")
    reset_settings()
    return get_settings()


class Embeddings:
    """Counts what the real embedder embeds, per text; `hold` of its first calls wait until all of them have
    begun (so that many workers are embedding at once)."""

    def __init__(self, settings: Settings, monkeypatch, hold: int = 0, fail_first: bool = False):
        self.embedder = embedders.get_embedder(settings.embedding_model, settings.data_dir)
        self.real = self.embedder.embed
        self.done: Counter[str] = Counter()
        self.calls = 0
        self.hold = threading.Barrier(hold, timeout=120) if hold else None
        self.fail_first = fail_first
        self.guard = threading.Lock()
        monkeypatch.setattr(self.embedder, "embed", self.embed)

    def embed(self, texts: list[str]):
        with self.guard:
            self.calls += 1
            call = self.calls
        if self.hold is not None and call <= self.hold.parties:
            self.hold.wait()
        if self.fail_first and call == 1:
            raise RuntimeError("out of memory")
        vectors = self.real(texts)
        with self.guard:
            self.done.update(texts)
        return vectors


class WorkerThread(threading.Thread):
    """A real procrastinate worker, with its own connections and event loop, until stopped."""

    def __init__(self, settings: Settings, name: str):
        super().__init__(name=f"worker {name}", daemon=True)
        self.app, self.worker_name = job_app(settings), name
        self.started = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._work())
        except BaseException as exc:  # stop() reports it
            self.error = exc
        finally:
            self.started.set()

    async def _work(self) -> None:
        self.loop = asyncio.get_running_loop()
        async with self.app.open_async():
            self.task = asyncio.create_task(
                self.app.run_worker_async(name=self.worker_name, install_signal_handlers=False)
            )
            self.started.set()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    def stop(self) -> None:
        self.started.wait(60)
        if self.error is None:
            self.loop.call_soon_threadsafe(self.task.cancel)  # procrastinate stops gracefully
        self.join(60)
        assert not self.is_alive() and self.error is None, self.error


def wait_until(condition, what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still waiting after {timeout} s for {what}"
        time.sleep(0.05)


def queue_is_idle(engine) -> bool:
    states = jobs_per_state(engine)
    return states["todo"] == 0 and states["doing"] == 0


def hnsw_index_exists(engine, settings: Settings) -> bool:
    name = hnsw_index_name(embedders.model_label(settings.embedding_model), embedders.STATIC_PCA_DIMS)
    with engine.connect() as conn:
        return bool(conn.execute(text("SELECT to_regclass(:name) IS NOT NULL"), {"name": name}).scalar())


def embedded_per_worker(caplog) -> Counter[str]:
    found: Counter[str] = Counter()
    for record in caplog.records:
        match = re.fullmatch(r"(\S+) embedded (\d+) of \d+ papers in .*", record.getMessage())
        if match:
            found[match[1]] += int(match[2])
    return found


@pytest.mark.postgresql_only
@pytest.mark.timeout(900)  # the first test of a process distils the static model (a minute or more)
def test_two_workers_share_one_backlog_and_embed_each_paper_once(static_settings, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="dailypapers.jobs.queue")
    engine = get_engine(static_settings)
    papers = add_papers(engine, 200)
    # Each worker's first batch waits until the other's has begun: both are embedding at once.
    embeddings = Embeddings(static_settings, monkeypatch, hold=2)
    app = job_app(static_settings)
    with app.open():
        app.tasks[EMBED].defer()  # as an ingest does
    workers = [WorkerThread(static_settings, name) for name in ("one", "two")]
    for worker in workers:
        worker.start()
    try:
        wait_until(lambda: queue_is_idle(engine), "the workers to run every job")
    finally:
        for worker in workers:
            worker.stop()
    assert embeddings.done == dict.fromkeys(papers, 1)  # every paper, each once
    per_worker = embedded_per_worker(caplog)
    assert set(per_worker) == {"one", "two"} and sum(per_worker.values()) == 200
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Embedding)) == 200
    states = jobs_per_state(engine)
    assert states["failed"] == 0 and states["succeeded"] >= 20 + 2  # 20 batches, `embed` before and after
    assert hnsw_index_exists(engine, static_settings)  # the last `embed` finished the index


@pytest.mark.postgresql_only
@pytest.mark.timeout(900)
def test_a_failed_embedding_job_gives_its_papers_back(static_settings, monkeypatch):
    engine = get_engine(static_settings)
    papers = add_papers(engine, 30)
    embeddings = Embeddings(static_settings, monkeypatch, fail_first=True)
    app = job_app(static_settings)
    with app.open():
        app.tasks[EMBED].defer()
    app.run_worker(wait=False, install_signal_handlers=False)
    assert embeddings.done == dict.fromkeys(papers, 1)  # the failed batch's papers were handed out again
    batches = [job for job in recent_jobs(engine, 50) if job.task == EMBED_BATCH]
    failed = [job.args["paper_ids"] for job in batches if job.status == "failed"]
    redone = [job.args["paper_ids"] for job in batches if job.status == "succeeded"]
    assert len(failed) == 1 and failed[0] in redone and len(redone) == 3
    assert hnsw_index_exists(engine, static_settings)


@pytest.mark.postgresql_only
def test_the_papers_of_a_worker_that_died_in_a_job_are_handed_out_again(settings):
    engine = get_engine(settings)
    ids = sorted(add_papers(engine, 3).values())
    app = job_app(settings)

    async def take_a_batch_and_die() -> int:  # a worker takes the job, then is killed before it ends
        async with app.open_async():
            await app.tasks[EMBED_BATCH].defer_async(paper_ids=ids)
            worker = await app.job_manager.register_worker()
            assert (await app.job_manager.fetch_job(queues=None, worker_id=worker)) is not None
            return worker

    worker = asyncio.run(take_a_batch_and_die())
    taken = {i for args in live_job_args(engine, EMBED_BATCH) for i in args["paper_ids"]}
    assert taken == set(ids)  # its heartbeat is fresh: the papers are its own
    assert work.backlog(settings, taken, batches=4, size=10) == work.Backlog([], empty=False)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 minute' WHERE id = :id"),
            {"id": worker},
        )
    assert live_job_args(engine, EMBED_BATCH) == []  # its heartbeat stopped: the job holds nothing now
    assert work.backlog(settings, set(), batches=4, size=10) == work.Backlog([ids], empty=False)

"""`/metrics`, read as Prometheus reads it (prometheus-client's own parser): off without a token, refused
without the right one, requests per route template (never per path), search latency per mode, what the store
says at scrape time, and the counts of several `serve` workers added up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from dailypapers.config import reset_settings
from dailypapers.index.engines import keyword_index
from dailypapers.jobs.queue import DIGESTS, job_app
from dailypapers.store.models import DigestDelivery, OutboxMail
from dailypapers.web.app import create_app
from dailypapers.web.middleware.request_log import RouteTemplates
from tests.digest_helpers import add_subscriber
from tests.web_helpers import Clock, add_papers, client, free_port, record, touch_a_paper

TOKEN = "scrape-me-4b1d9e"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def metrics_on(settings, monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_METRICS_TOKEN", TOKEN)
    reset_settings()


def scrape(c) -> dict[tuple, float]:
    """Every sample of a scrape: (sample name, sorted labels) -> value."""
    response = c.get("/metrics", headers={**BEARER, "Connection": "close"})
    assert response.status_code == 200, response.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def requests(samples: dict, method: str, route: str, status: str) -> float:
    return value(samples, "dailypapers_http_requests_total", method=method, route=route, status=status)


def test_off_without_a_token_and_only_for_the_right_one(settings, monkeypatch):
    c = client()
    assert c.get("/metrics").status_code == 404
    assert c.get("/metrics", headers=BEARER).status_code == 404
    monkeypatch.setenv("DAILYPAPERS_METRICS_TOKEN", "")  # empty is unset, not "any empty bearer"
    reset_settings()
    assert c.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404

    monkeypatch.setenv("DAILYPAPERS_METRICS_TOKEN", TOKEN)
    reset_settings()
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": f"Bearer {TOKEN}x"},
    ):
        refused = c.get("/metrics", headers=headers)
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer", headers
        assert TOKEN not in refused.text
    answer = c.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert answer.headers["cache-control"] == "no-store"
    assert "/metrics" not in c.get("/openapi.json").json()["paths"]


def test_every_scrape_is_fresh(metrics_on):
    c = client(clock=Clock())  # the cache's clock stands still: an entry would never expire
    first = requests(scrape(c), "GET", "/metrics", "2xx")
    assert requests(scrape(c), "GET", "/metrics", "2xx") == first + 1  # the first scrape, counted


def test_requests_are_counted_per_route_template_never_per_path(metrics_on, session):
    add_papers(session, [record("2501.00001"), record("2501.00002")])
    app = create_app()
    c = client(clock=Clock())
    before = scrape(c)
    for path in (
        "/papers/2501.00001",
        "/papers/2501.00002",
        "/papers/2501.99999",
        "/api/papers/2501.00001",
        "/no/such/page/918273",
        "/papers",
        "/papers",
    ):  # the second /papers: a micro-cache hit
        c.get(path)
    c.head("/papers/2501.00001")
    c.post("/healthz")  # 405: the route's template still
    after = scrape(c)

    def grew(method, route, status):
        return requests(after, method, route, status) - requests(before, method, route, status)

    assert grew("GET", "/papers/{arxiv_id:path}", "2xx") == 2
    assert grew("GET", "/papers/{arxiv_id:path}", "4xx") == 1
    assert grew("HEAD", "/papers/{arxiv_id:path}", "2xx") == 1
    assert grew("GET", "/api/papers/{arxiv_id:path}", "2xx") == 1
    assert grew("GET", "unmatched", "4xx") == 1
    assert grew("GET", "/papers", "2xx") == 2
    assert grew("POST", "/healthz", "4xx") == 1
    templates = {template for _, template, _ in RouteTemplates(app).routes} | {"unmatched"}
    for (name, labels), count in after.items():
        if name.startswith("dailypapers_http_"):
            route = dict(labels)["route"]
            assert route in templates and "2501." not in route and "918273" not in route, route
        if name == "dailypapers_http_request_duration_seconds_count":  # one latency per request counted
            assert count == after[("dailypapers_http_requests_total", labels)]


def test_search_latency_per_mode(metrics_on, session):
    add_papers(session, [record("2501.00001", "Graph networks for molecules")])
    c = client()
    before = scrape(c)
    for mode in ("keyword", "semantic", "hybrid"):  # no vectors yet: semantic and hybrid fall back, still timed
        assert c.get("/api/papers/search", params={"q": "graph", "mode": mode}).status_code == 200
    c.get("/search", params={"q": "graph", "mode": "keyword"})
    after = scrape(c)
    grown = {
        mode: value(after, "dailypapers_search_duration_seconds_count", mode=mode)
        - value(before, "dailypapers_search_duration_seconds_count", mode=mode)
        for mode in ("keyword", "semantic", "hybrid")
    }
    assert grown == {"keyword": 2, "semantic": 1, "hybrid": 1}
    assert value(after, "dailypapers_search_duration_seconds_bucket", mode="keyword", le="+Inf") == value(
        after, "dailypapers_search_duration_seconds_count", mode="keyword"
    )


def test_the_store_gauges_say_what_the_store_holds(metrics_on, settings, session, engine, backend):
    c = client()
    add_papers(session, [record("2501.00001"), record("2501.00002")])  # not embedded yet
    reader = add_subscriber(session, "reader@example.org")
    session.add_all(
        [
            DigestDelivery(subscriber_id=reader.id, period="daily:2026-11-23", status="sent"),
            DigestDelivery(subscriber_id=reader.id, period="daily:2026-11-24", status="unknown"),
            DigestDelivery(subscriber_id=reader.id, period="daily:2026-11-25", status="failed"),
            OutboxMail(
                kind="confirm", recipient="reader@example.org", message_id="<m@x>", message=b"", status="sending"
            ),
        ]
    )
    session.commit()
    samples = scrape(c)
    assert value(samples, "dailypapers_embedding_backlog", model="all-MiniLM-L6-v2") == 2
    assert {
        state: value(samples, "dailypapers_digest_mails", state=state)
        for state in ("sent", "failed", "in_doubt", "pending")
    } == {"sent": 1, "failed": 1, "in_doubt": 1, "pending": 0}
    assert value(samples, "dailypapers_outbox_mails", state="in_doubt") == 1
    assert value(samples, "dailypapers_keyword_index_lag") == 0

    writer = keyword_index(engine).index.writer()  # another process holds the index's writer: it cannot catch up
    try:
        touch_a_paper(engine)
        assert value(scrape(c), "dailypapers_keyword_index_lag") == 1
    finally:
        del writer
    assert value(scrape(c), "dailypapers_keyword_index_lag") == 0

    if backend == "postgresql":
        with job_app(settings).open() as app:
            app.tasks[DIGESTS].defer()
        samples = scrape(c)
        assert value(samples, "dailypapers_jobs", state="todo") == 1
        assert ("dailypapers_jobs", (("state", "failed"),)) in samples  # every state, 0 when empty
    else:
        assert not [key for key in samples if key[0] == "dailypapers_jobs"]


@pytest.mark.postgresql_only
def test_a_part_the_store_cannot_give_is_left_out(metrics_on, engine, caplog):
    c = client()
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE procrastinate_jobs CASCADE"))
    samples = scrape(c)
    assert not [key for key in samples if key[0] == "dailypapers_jobs"]
    assert ("dailypapers_keyword_index_lag", ()) in samples  # the rest is still there
    [warning] = [r for r in caplog.records if r.name == "dailypapers.web.routes.metrics"]
    assert "cannot read the job queue" in warning.getMessage()


@contextmanager
def serving(settings, workers: int):
    """`dailypapers serve --workers N` in a subprocess, with the metrics token; yields its URL once it answers."""
    port = free_port()
    env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(settings.data_dir), "DAILYPAPERS_METRICS_TOKEN": TOKEN}
    log = (settings.data_dir.parent / "serve.log").open("w")  # a file: a full pipe would stall the server
    server = subprocess.Popen(
        [sys.executable, "-m", "dailypapers.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # up to a minute on a busy machine: each worker imports the whole site
            try:
                httpx.get(f"{url}/healthz", timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None, log.name
                time.sleep(0.1)
        yield url
    finally:
        server.send_signal(signal.SIGINT)  # uvicorn's supervisor stops its workers
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def worker_pids(folder) -> set[str]:
    """The workers that have counted something: each writes its own counter_<pid>.db."""
    return {path.stem.removeprefix("counter_") for path in folder.glob("counter_*.db")}


@pytest.mark.slow
@pytest.mark.sqlite_only("the workers' counts are files in the data dir, whatever the store")
def test_several_workers_are_counted_together(settings):
    folder = settings.data_dir / "metrics"
    folder.mkdir()
    (folder / "counter_1.db").write_bytes(b"left by an earlier run")  # `serve` empties the folder
    with serving(settings, workers=2) as url:
        asked, deadline = 0, time.monotonic() + 120  # the second worker may still be starting
        while len(worker_pids(folder)) < 2 and time.monotonic() < deadline:
            # each request on a new connection, which either worker may accept
            assert httpx.get(f"{url}/healthz", headers={"Connection": "close"}).status_code == 200
            asked += 1
            time.sleep(0.02)
        assert len(worker_pids(folder)) == 2 and "1" not in worker_pids(folder)
        with httpx.Client(base_url=url) as web:
            for _ in range(6):  # whichever worker answers, it reports both workers' requests (+1: the start poll)
                assert requests(scrape(web), "GET", "/healthz", "2xx") == asked + 1

"""`/metrics` for Prometheus: requests and their latency per route template, search latency per mode
(search/__init__.py), and what the store says at scrape time: the embedding backlog, the job queue per state
(PostgreSQL), digests and one-off emails per state, and the keyword index's lag.

Off unless `metrics_token` is set (404), and then only for `Authorization: Bearer <token>` (401 otherwise).
With several workers (`serve --workers N`) each one writes its counts to files in PROMETHEUS_MULTIPROC_DIR,
and whichever worker answers a scrape adds them all up (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import hmac
import logging
import os
import shutil
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from dailypapers.config import get_settings
from dailypapers.digest.status import mail_states
from dailypapers.index.embedders import model_label
from dailypapers.index.engines import keyword_index
from dailypapers.store.db import Session, open_engine
from dailypapers.store.embeddings import count_pending
from dailypapers.store.jobs import jobs_per_state
from dailypapers.web.responses import json_error

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


class StoreGauges(Collector):
    """What the store says now, read at each scrape: a handful of counting queries. A part that cannot be
    read is left out of this scrape and logged in one line; the others are still reported."""

    def collect(self):
        engine = open_engine()
        settings = get_settings()
        parts = [
            ("embedding backlog", self._backlog, engine, settings.embedding_model),
            ("mail states", self._mail, engine),
            ("keyword index lag", self._keyword_lag, engine),
        ]
        if engine.dialect.name == "postgresql":
            parts.append(("job queue", self._jobs, engine))
        for name, part, *args in parts:
            try:
                families = list(part(*args))
            except Exception as exc:
                log.warning(
                    "metrics: cannot read the %s: %s: %.200s",
                    name,
                    type(exc).__name__,
                    (str(exc).splitlines() or [""])[0],
                )
                continue
            yield from families

    @staticmethod
    def _backlog(engine, model: str):
        label = model_label(model)
        family = GaugeMetricFamily(
            "dailypapers_embedding_backlog",
            "Papers without a current vector for the configured model",
            labels=["model"],
        )
        family.add_metric([label], count_pending(engine, label))
        yield family

    @staticmethod
    def _mail(engine):
        with Session(engine) as session:
            states = mail_states(session)
        for kind, what in (("digest", "Digests recorded"), ("outbox", "One-off emails (confirmations, notices)")):
            family = GaugeMetricFamily(
                f"dailypapers_{kind}_mails",
                f"{what} per state (in_doubt: the server may have it; never resent automatically)",
                labels=["state"],
            )
            for state, n in sorted(states[kind].items()):
                family.add_metric([state], n)
            yield family

    @staticmethod
    def _keyword_lag(engine):
        yield GaugeMetricFamily(
            "dailypapers_keyword_index_lag",
            "Paper changes the keyword index has not applied",
            value=keyword_index(engine).lag(),
        )

    @staticmethod
    def _jobs(engine):
        family = GaugeMetricFamily("dailypapers_jobs", "Jobs in the queue per state", labels=["state"])
        for state, n in sorted(jobs_per_state(engine).items()):
            family.add_metric([state], n)
        yield family


class Scrape(Collector):
    """What one scrape reports: this process's metrics (or every worker's), then the store's."""

    def collect(self):
        if os.environ.get(MULTIPROCESS_ENV):
            yield from MultiProcessCollector(None).collect()
        else:
            yield from REGISTRY.collect()
        yield from StoreGauges().collect()


def prepare_multiprocess_dir(data_dir: Path) -> Path:
    """An empty folder for the workers' counts (what an earlier run left would be added in), named in the
    environment the workers inherit. `serve` calls it before starting them."""
    folder = (Path(data_dir) / "metrics").resolve()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[MULTIPROCESS_ENV] = str(folder)
    return folder


def _authorized(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


@router.get("/metrics")
def metrics(request: Request):
    token = get_settings().metrics_token
    if token is None:
        raise HTTPException(404)
    if not _authorized(request, token.get_secret_value()):
        return json_error(
            401, "send the metrics token as 'Authorization: Bearer <token>'", {"WWW-Authenticate": "Bearer"}
        )
    return Response(
        generate_latest(Scrape()), media_type=CONTENT_TYPE_PLAIN_0_0_4, headers={"Cache-Control": "no-store"}
    )

"""Shared setup for the digest tests: a feed with known papers, subscribers, and an SMTP server to mail to.

Dates are fixed so the tests mean the same on any day: the daily digest issued on Tuesday 2026-11-24
covers Monday 2026-11-23, where the demo feed puts 8 papers; `NEW_PAPERS` were published on arXiv that
Monday without reaching the feed, so only the personalised section can pick them.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime

from dailypapers.config import get_settings, reset_settings
from dailypapers.digest.subscribe import admin_subscribe, validate_preferences
from dailypapers.ingest.demo import load_demo
from dailypapers.sources.records import PaperRecord
from dailypapers.store.papers import upsert_papers

ISSUE_DAY = date(2026, 11, 24)
FEED_DAY = date(2026, 11, 23)
PERIOD = "daily:2026-11-24"
CONFIRMED_AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
PUBLISHED = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)

NEW_PAPERS = [
    (
        "2611.00001",
        "Graph neural networks for molecular property prediction",
        "We train message passing graph neural networks on molecules and predict their properties.",
        ["cs.LG"],
    ),
    (
        "2611.00002",
        "Protein folding with geometric graph networks",
        "A geometric graph network predicts protein structure from sequence.",
        ["q-bio.BM", "cs.LG"],
    ),
    (
        "2611.00003",
        "Streaming speech recognition on small devices",
        "A streaming speech recognition model that runs on phones with low latency.",
        ["eess.AS", "cs.CL"],
    ),
    (
        "2611.00004",
        "Galaxy cluster masses from weak lensing",
        "We measure galaxy cluster masses with weak gravitational lensing surveys.",
        ["astro-ph.CO"],
    ),
    (
        "2611.00005",
        "Speech synthesis with flow matching",
        "Flow matching gives fast, natural speech synthesis.",
        ["eess.AS"],
    ),
]


def new_records() -> list[PaperRecord]:
    return [
        PaperRecord(
            arxiv_id=i,
            version=1,
            title=t,
            abstract=a,
            authors=["Ada Lovelace", "Alan Turing"],
            categories=c,
            primary_category=c[0],
            published_at=PUBLISHED,
            updated_at=PUBLISHED,
        )
        for i, t, a, c in NEW_PAPERS
    ]


def seed_feed(session) -> None:
    """The demo feed around FEED_DAY plus the new papers; committed."""
    load_demo(session, today=FEED_DAY)
    upsert_papers(session.connection(), new_records())
    session.commit()


def add_subscriber(
    session, email: str, interests: str = "", categories: str = "", frequency: str = "daily", confirmed: bool = True
):
    subscriber, _ = admin_subscribe(
        session, email, validate_preferences(frequency, interests, categories), confirmed, now=CONFIRMED_AT
    )
    session.commit()
    return subscriber


def use_smtp(monkeypatch, port: int, **extra: str):
    """Point the settings (and any CLI subprocess, through the environment) at an SMTP server."""
    env = {
        "DAILYPAPERS_SMTP_HOST": "127.0.0.1",
        "DAILYPAPERS_SMTP_PORT": str(port),
        "DAILYPAPERS_SMTP_BACKOFF": "0.01",
        "DAILYPAPERS_SMTP_RETRIES": "3",
        "DAILYPAPERS_SMTP_TIMEOUT": "10",
        "DAILYPAPERS_DIGEST_SEARCH_MODE": "keyword",
        "DAILYPAPERS_BASE_URL": "http://testserver",
        "DAILYPAPERS_MAIL_FROM": "dailypapers <digest@papers.test>",
        **extra,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    return get_settings()


def subprocess_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("DAILYPAPERS_")}


def links_in(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)

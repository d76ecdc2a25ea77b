"""trendingScore: the SQL expression equals the documented formula (on each backend, as every store test)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from dailypapers.ranking.feed import TRENDING
from dailypapers.ranking.trending import trending_score_value
from dailypapers.store.feed import trending_score
from dailypapers.store.models import DailyEntry, Paper
from tests.web_helpers import add_papers, client, csrf, record, signup

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
CASES = [
    ("2501.00001", 10, 0.0),
    ("2501.00002", 3, 5.5),
    ("2501.00003", 40, 72.0),
    ("2501.00004", 0, 1.0),
    ("2501.00005", 7, -0.5),
]  # submitted "after" now (a skewed clock): counts as age 0


def seed(session):
    for arxiv_id, votes, hours in CASES:
        add_papers(
            session, [record(arxiv_id, f"Paper {arxiv_id}")], on=NOW.date(), submitted_at=NOW - timedelta(hours=hours)
        )
        session.execute(update(Paper).where(Paper.arxiv_id == arxiv_id).values(upvotes=votes))
    session.commit()


def scores(session) -> dict[str, float]:
    rows = session.execute(
        select(Paper.arxiv_id, trending_score(NOW, TRENDING)).join(DailyEntry, DailyEntry.paper_id == Paper.id)
    )
    return {arxiv_id: score for arxiv_id, score in rows}


def test_sql_matches_the_formula(session):
    seed(session)
    got = scores(session)
    for arxiv_id, votes, hours in CASES:
        assert got[arxiv_id] == pytest.approx(trending_score_value(votes, hours), rel=1e-6), arxiv_id
    assert got["2501.00001"] == pytest.approx(10 / 2**1.5)


def test_site_api_and_votes(session):
    """The pages, the HF-shaped API, votes and comments, end to end through the app."""
    add_papers(session, [record("2501.00001", "Stored paper"), record("2501.00002", "Another one")])
    c = client()
    assert "Stored paper" in c.get("/papers").text
    assert "Stored paper" in c.get("/papers/trending").text
    daily = c.get("/api/daily_papers", params={"sort": "trending"}).json()
    assert {d["paper"]["id"] for d in daily} == {"2501.00001", "2501.00002"}
    assert c.get("/api/papers/2501.00001").json()["title"] == "Stored paper"
    signup(c)
    token = csrf(c, "/papers")
    for _ in range(2):
        voted = c.post(
            "/papers/2501.00001/upvote", data={"vote": "1", "csrf_token": token}, headers={"Accept": "application/json"}
        )
        assert voted.json()["upvotes"] == 1
    comment = c.post(
        "/api/papers/2501.00001/comment", json={"comment": "on *the store*"}, headers={"X-CSRF-Token": token}
    )
    assert comment.status_code == 201 and "<em>the store</em>" in comment.json()["html"]

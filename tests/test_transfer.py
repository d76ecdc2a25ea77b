"""`dailypapers migrate --to`: a SQLite instance moved to PostgreSQL with nothing lost, and safe to rerun."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from dailypapers.config import reset_settings
from dailypapers.digest.schedule import parse_periods
from dailypapers.ingest.demo import load_demo
from dailypapers.store.db import dispose_engines
from dailypapers.store.models import (
    Comment,
    DigestDelivery,
    Embedding,
    KeyValue,
    OutboxMail,
    Paper,
    RateEvent,
    Subscriber,
    User,
)
from dailypapers.store.transfer import compare, tables
from tests.digest_helpers import add_subscriber
from tests.web_helpers import client

pytestmark = pytest.mark.sqlite_only("the source of the move is a SQLite instance")
WHEN = datetime(2026, 11, 24, 7, 0, 0, 123456, tzinfo=UTC)


def seed(session: Session) -> None:
    """Some of every kind of row: demo papers, users and votes, then comments, subscribers, deliveries,
    queued mail, vectors and state."""
    load_demo(session)
    papers = session.scalars(select(Paper).order_by(Paper.id).limit(3)).all()
    user = session.scalars(select(User).order_by(User.id)).first()
    first = Comment(paper_id=papers[0].id, user_id=user.id, body="Nice *results* — ünïcode too", created_at=WHEN)
    session.add(first)
    session.flush()
    session.add(Comment(paper_id=papers[0].id, user_id=user.id, parent_id=first.id, body="a reply"))
    subscriber = add_subscriber(session, "ada@example.org", interests="graph networks", categories="cs.LG")
    period = parse_periods("daily:2026-11-24", WHEN.date())[0]
    session.add(
        DigestDelivery(
            subscriber_id=subscriber.id,
            period=period.key,
            status="sent",
            message_id="<m@x>",
            num_papers=3,
            sent_at=WHEN,
        )
    )
    session.add(
        OutboxMail(
            subscriber_id=subscriber.id,
            kind="confirm",
            recipient=subscriber.email,
            message_id="<c@x>",
            message=b"Subject: hi\r\n\r\nbody\r\n",
            status="pending",
        )
    )
    for n, paper in enumerate(papers):
        vector = np.arange(384, dtype="<f4") / (n + 1)
        session.add(
            Embedding(paper_id=paper.id, model="minilm", content_hash=paper.content_hash, vector=vector.tobytes())
        )
    session.add(KeyValue(key="harvest:cs", value={"token": "abc", "n": 3}))
    session.add(RateEvent(key="login:1.2.3.4", at=1764000000.25))
    session.commit()


def moved(cli, target: str):
    result = cli("migrate", "--to", target, "--json")
    assert result.returncode == 0, result.stderr
    return {check["table"]: check for check in json.loads(result.stdout)}


def test_a_sqlite_instance_moves_to_postgresql_with_nothing_lost(session, cli, empty_postgres, monkeypatch):
    seed(session)
    checks = moved(cli, empty_postgres)
    assert set(checks) == {t.name for t in tables()}
    assert all(c["equal"] for c in checks.values())
    counts = {name: c["target_rows"] for name, c in checks.items()}
    assert counts["papers"] == 64 and counts["votes"] > 0 and counts["comments"] == 2
    assert counts["subscribers"] == counts["digest_deliveries"] == 1 and counts["embeddings"] == 3
    assert moved(cli, empty_postgres) == checks  # a rerun copies over the same rows: nothing changes

    on_sqlite = pages(session)
    monkeypatch.setenv("DAILYPAPERS_DATABASE_URL", empty_postgres)
    reset_settings()
    dispose_engines()
    assert pages(session) == on_sqlite

    target = create_engine(empty_postgres)
    with Session(target) as pg:
        vector = pg.scalar(select(Embedding.vector).order_by(Embedding.paper_id).limit(1))
        assert np.frombuffer(vector, dtype="<f4")[5] == 5.0
        # the pgvector copy that PostgreSQL searches (migration 0006) holds the same floats as every blob
        for blob, floats in pg.execute(text("SELECT vector, embedding::real[] FROM embeddings")):
            assert np.array_equal(np.frombuffer(blob, dtype="<f4"), np.array(floats, dtype=np.float32))
        assert pg.scalar(select(Comment.created_at).where(Comment.parent_id.is_(None))) == WHEN
        # the sequences go on after the copied ids: a new row does not collide with a copied one
        pg.add(
            Comment(
                paper_id=pg.scalar(select(func.min(Paper.id))),
                user_id=pg.scalar(select(func.min(User.id))),
                body="new on PostgreSQL",
            )
        )
        pg.commit()
    target.dispose()


def pages(session: Session) -> dict[str, tuple[int, dict]]:
    """What the site serves for each paper: the page's status and the paper in the API (but its trending
    score, which moves with the clock)."""
    site = client()
    ids = session.scalars(select(Paper.arxiv_id).order_by(Paper.arxiv_id).limit(8)).all()
    served = {}
    for arxiv_id in ids:
        paper = site.get(f"/api/papers/{arxiv_id}").json()
        paper.pop("trendingScore")
        served[arxiv_id] = (site.get(f"/papers/{arxiv_id}").status_code, paper)
    return served


def test_a_changed_target_is_found_and_a_rerun_sets_it_right(session, cli, empty_postgres):
    seed(session)
    moved(cli, empty_postgres)
    target = create_engine(empty_postgres)
    with target.begin() as conn:
        conn.execute(Subscriber.__table__.update().values(interests="changed on the target"))
    different = [c.table for c in compare(session.get_bind(), target) if not c.equal]
    target.dispose()
    assert different == ["subscribers"]
    result = cli("migrate", "--to", empty_postgres)
    assert result.returncode == 0, result.stderr
    assert "DIFFERENT" not in result.stdout and "subscribers" in result.stdout


def test_migrate_refuses_its_own_database(cli, settings):
    result = cli("migrate", "--to", settings.db_url)
    assert result.returncode == 1 and "already uses" in result.stderr

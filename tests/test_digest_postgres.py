"""Digests with the store on a real PostgreSQL server: the same exactly-once records as on SQLite."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dailypapers.digest.run import send_period
from dailypapers.digest.schedule import parse_periods
from dailypapers.store.models import DigestDelivery, Subscriber
from tests.digest_helpers import ISSUE_DAY, PERIOD, add_subscriber, seed_feed, use_smtp
from tests.smtp_sink import SmtpSink
from tests.test_digest_send import LosesConnectionAfterData, Refuses
from tests.test_store_postgres import pg_engine, pg_url  # noqa: F401  (fixtures)

pytestmark = pytest.mark.postgres
PEOPLE = ["ada@example.org", "alan@example.org", "grace@example.org", "edsger@example.org"]


def test_exactly_once_bounces_and_doubt_on_postgres(pg_engine, monkeypatch):  # noqa: F811
    with Session(pg_engine, expire_on_commit=False) as session:
        seed_feed(session)
        for n, email in enumerate(PEOPLE):
            add_subscriber(session, email, interests="graph networks" if n % 2 else "", categories="cs.LG")
    period = parse_periods(PERIOD, ISSUE_DAY)[0]
    with SmtpSink(Refuses("grace@example.org")) as sink:
        use_smtp(monkeypatch, sink.port)
        result = send_period(period)
        assert result.report.sent == 3 and result.report.bounced == ["grace@example.org"]
        assert send_period(period).report.sent == 0
        assert set(sink.handler.per_recipient().values()) == {1}
    with Session(pg_engine) as session:
        statuses = dict(session.execute(select(Subscriber.email, DigestDelivery.status).join(
            DigestDelivery, DigestDelivery.subscriber_id == Subscriber.id)).all())
        assert statuses == {"ada@example.org": "sent", "alan@example.org": "sent", "grace@example.org": "bounced",
                            "edsger@example.org": "sent"}
        assert session.scalar(select(Subscriber.bounced_at).where(Subscriber.email == "grace@example.org"))
    other = parse_periods("daily:2026-11-23", ISSUE_DAY)[0]
    with SmtpSink(LosesConnectionAfterData()) as sink:
        use_smtp(monkeypatch, sink.port)
        first = send_period(other)
        assert first.report.sent == 2 and len(first.report.unknown) == 1
        assert send_period(other).report.sent == 0
        assert set(sink.handler.per_recipient().values()) == {1}

"""Delivering digests through a real SMTP server (aiosmtpd on 127.0.0.1): exactly once, whatever fails."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from dailypapers.digest.run import send_lock, send_period
from dailypapers.digest.schedule import parse_periods
from dailypapers.digest.smtp import DeliveryError, SmtpClient
from dailypapers.store.models import DigestDelivery, Subscriber
from tests.digest_helpers import ISSUE_DAY, PERIOD, add_subscriber, seed_feed, use_smtp
from tests.smtp_sink import Inbox, SmtpSink, free_port

PEOPLE = ["ada@example.org", "alan@example.org", "grace@example.org", "edsger@example.org"]


def period(key: str = PERIOD):
    return parse_periods(key, ISSUE_DAY)[0]


@pytest.fixture
def feed(session):
    seed_feed(session)
    for email in PEOPLE:
        add_subscriber(session, email, interests="graph networks")
    return session


def rows(session) -> dict[str, DigestDelivery]:
    session.expire_all()
    found = session.execute(
        select(Subscriber.email, DigestDelivery).join(DigestDelivery, DigestDelivery.subscriber_id == Subscriber.id)
    ).all()
    return {email: row for email, row in found}


def start(monkeypatch, handler=None, port: int = 0) -> SmtpSink:
    sink = SmtpSink(handler, port).start()
    use_smtp(monkeypatch, sink.port)
    return sink


def test_every_subscriber_gets_one_digest_over_one_connection_and_a_rerun_sends_nothing(feed, monkeypatch):
    sink = start(monkeypatch)
    try:
        result = send_period(period())
        assert result.report.sent == 4 and result.due == 4
        assert sink.connections == 1  # the connection is reused
        again = send_period(period())
        assert again.report.sent == 0 and again.already == 4
        assert sorted(sink.handler.per_recipient().items()) == sorted((p, 1) for p in PEOPLE)
        recorded = rows(feed)
        for email in PEOPLE:
            row = recorded[email]
            assert (row.status, row.attempts, row.period) == ("sent", 1, PERIOD)
            assert row.sent_at is not None and row.num_papers >= 8
            assert sink.handler.to(email)[0].message["Message-ID"] == row.message_id
        assert sink.received[0].mail_from == "digest@papers.test"
    finally:
        sink.stop()


def test_smtp_down_stops_the_run_records_nothing_and_a_rerun_sends_everything(feed, monkeypatch):
    port = free_port()
    use_smtp(monkeypatch, port)
    with pytest.raises(DeliveryError, match=rf"cannot reach the SMTP server at 127.0.0.1:{port} after 3 attempts"):
        send_period(period())
    assert rows(feed) == {}
    with SmtpSink(port=port) as sink:
        assert send_period(period()).report.sent == 4
        assert set(sink.handler.per_recipient().values()) == {1}


def test_retries_back_off_exponentially(settings, monkeypatch):
    settings = use_smtp(monkeypatch, free_port(), DAILYPAPERS_SMTP_RETRIES="4", DAILYPAPERS_SMTP_BACKOFF="1.5")
    waits = []
    client = SmtpClient(settings, sleep=waits.append)
    with pytest.raises(DeliveryError, match="after 4 attempts.*Connection refused"):
        client.send("ada@example.org", b"Subject: x\r\n\r\nbody\r\n")
    assert waits == [1.5, 3.0, 6.0]  # between the 4 attempts, doubling
    assert client.attempts == 4


class DeferOnce(Inbox):
    """451 at the end of data the first time each recipient is tried, then OK."""

    def __init__(self):
        super().__init__()
        self.tries: dict[str, int] = {}

    async def handle_DATA(self, server, session, envelope):
        rcpt = envelope.rcpt_tos[0]
        self.tries[rcpt] = self.tries.get(rcpt, 0) + 1
        if self.tries[rcpt] == 1:
            return "451 4.3.0 Temporary local problem, try again"
        return self.accept(envelope)


def test_451_then_ok_is_retried_with_backoff_and_delivered_once(feed, monkeypatch):
    sink = start(monkeypatch, DeferOnce())
    try:
        result = send_period(period())
        assert result.report.sent == 4 and result.report.attempts == 8
        assert set(sink.handler.per_recipient().values()) == {1}
        assert all(row.status == "sent" and row.attempts == 2 for row in rows(feed).values())
        assert sink.connections == 1  # a 4xx reply keeps the connection (RSET, then again)
    finally:
        sink.stop()


class Greylist(Inbox):
    """451 to the first RCPT of each recipient (greylisting), and the connection dropped now and then."""

    def __init__(self):
        super().__init__()
        self.seen: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address not in self.seen:
            self.seen.add(address)
            if len(self.seen) == 2:
                server.transport.close()  # an abrupt disconnect before the message: retry on a new connection
                return "421 4.4.2 closing"
            return "451 4.7.1 Greylisted, please try again"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_greylisting_and_dropped_connections_are_retried(feed, monkeypatch):
    sink = start(monkeypatch, Greylist())
    try:
        assert send_period(period()).report.sent == 4
        assert set(sink.handler.per_recipient().values()) == {1}
        assert sink.connections == 2
    finally:
        sink.stop()


class Refuses(Inbox):
    def __init__(self, bad: str, reply: str = "550 5.1.1 <{}>: Recipient address rejected: User unknown"):
        super().__init__()
        self.bad, self.reply = bad, reply
        self.rcpt_attempts: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_attempts.append(address)
        if address == self.bad:
            return self.reply.format(address)
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_permanent_refusal_marks_the_address_bounced_and_it_gets_nothing_more(feed, monkeypatch):
    sink = start(monkeypatch, Refuses("alan@example.org"))
    try:
        result = send_period(period())
        assert result.report.sent == 3 and result.report.bounced == ["alan@example.org"]
        assert sink.handler.rcpt_attempts.count("alan@example.org") == 1  # a 5xx is not retried
        alan = feed.scalar(select(Subscriber).where(Subscriber.email == "alan@example.org"))
        feed.refresh(alan)
        assert alan.bounced_at is not None and "User unknown" in alan.bounce_reason
        assert rows(feed)["alan@example.org"].status == "bounced"
        nxt = send_period(period("daily:2026-11-23"))  # another digest: alan is skipped
        assert nxt.subscribers == 3 and nxt.report.sent == 3
        assert sink.handler.rcpt_attempts.count("alan@example.org") == 1
        assert "alan@example.org" not in sink.handler.per_recipient()
    finally:
        sink.stop()


def test_a_server_that_will_not_relay_stops_the_run_without_bouncing_anyone(feed, monkeypatch):
    sink = start(monkeypatch, Refuses("ada@example.org", "554 5.7.1 <{}>: Relay access denied"))
    try:
        with pytest.raises(DeliveryError, match="does not relay"):
            send_period(period())
        assert feed.scalar(select(Subscriber.id).where(Subscriber.bounced_at.is_not(None))) is None
    finally:
        sink.stop()


class SyntaxError500(Inbox):
    async def handle_DATA(self, server, session, envelope):
        if "ada@example.org" in envelope.rcpt_tos:
            return "500 5.5.2 Line too long"
        return self.accept(envelope)


def test_a_protocol_error_fails_the_message_but_does_not_bounce_the_address(feed, monkeypatch):
    sink = start(monkeypatch, SyntaxError500())
    try:
        result = send_period(period())
        assert result.report.sent == 3 and result.report.failed == ["ada@example.org"] and not result.report.bounced
        assert rows(feed)["ada@example.org"].status == "failed"
        assert feed.scalar(select(Subscriber.bounced_at).where(Subscriber.email == "ada@example.org")) is None
    finally:
        sink.stop()


class RefusesSender(Inbox):
    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        return "553 5.7.1 Sender address rejected: not owned by user"


def test_a_refused_sender_stops_the_run_with_a_hint(feed, monkeypatch):
    sink = start(monkeypatch, RefusesSender())
    try:
        with pytest.raises(DeliveryError, match="refused the sender 'digest@papers.test'.*DAILYPAPERS_MAIL_FROM"):
            send_period(period())
        assert rows(feed) == {}
    finally:
        sink.stop()


class AlwaysDefers(Inbox):
    async def handle_DATA(self, server, session, envelope):
        return "452 4.3.1 Insufficient system storage"


def test_a_server_that_keeps_deferring_stops_the_run_and_the_rerun_sends_the_rest(feed, monkeypatch):
    sink = start(monkeypatch, AlwaysDefers())
    try:
        with pytest.raises(DeliveryError, match="deferred 3 messages in a row"):
            send_period(period())
    finally:
        sink.stop()
    recorded = rows(feed)
    assert len(recorded) == 3 and {r.status for r in recorded.values()} == {"failed"}
    assert all("452" in r.error for r in recorded.values())
    sink = start(monkeypatch)
    try:
        assert send_period(period()).report.sent == 4  # failed ones are retried, the fourth sent too
        assert set(sink.handler.per_recipient().values()) == {1}
        assert {r.status for r in rows(feed).values()} == {"sent"}
    finally:
        sink.stop()


class LosesConnectionAfterData(Inbox):
    """Takes the second message, then the connection dies before the 250 reaches the client."""

    async def handle_DATA(self, server, session, envelope):
        reply = self.accept(envelope)
        if len(self.received) == 2:
            server.transport.abort()
            await asyncio.sleep(0)
        return reply


def test_a_connection_lost_after_the_end_of_data_is_in_doubt_and_never_sent_twice(feed, monkeypatch):
    sink = start(monkeypatch, LosesConnectionAfterData())
    try:
        result = send_period(period())
        assert result.report.sent == 3 and result.report.unknown == [PEOPLE[1]]
        again = send_period(period())
        assert again.report.sent == 0 and again.in_doubt == 1
        assert sorted(sink.handler.per_recipient().values()) == [1, 1, 1, 1]  # the server did get it: once
        assert rows(feed)[PEOPLE[1]].status == "unknown"
        # The operator may resend it after checking the server's log; it keeps its Message-ID.
        forced = send_period(period(), resend_in_doubt=True)
        assert forced.report.sent == 1
        first, second = sink.handler.to(PEOPLE[1])
        assert first.message["Message-ID"] == second.message["Message-ID"]
        assert rows(feed)[PEOPLE[1]].status == "sent" and rows(feed)[PEOPLE[1]].attempts == 2
    finally:
        sink.stop()


def test_unconfirmed_unsubscribed_and_late_subscribers_get_nothing(feed, monkeypatch):
    add_subscriber(feed, "pending@example.org", confirmed=False)
    gone = add_subscriber(feed, "gone@example.org")
    gone.unsubscribed_at = datetime(2026, 11, 21, tzinfo=UTC)
    late = add_subscriber(feed, "late@example.org")
    late.confirmed_at = datetime(2026, 11, 24, 8, tzinfo=UTC)  # after Monday's issue day: Tuesday's on
    add_subscriber(feed, "weekly@example.org", frequency="weekly")
    feed.commit()
    sink = start(monkeypatch)
    try:
        assert send_period(period("daily:2026-11-23")).report.sent == 4
        assert set(sink.handler.per_recipient()) == set(PEOPLE)
        assert send_period(period()).report.sent == 5
        assert sink.handler.per_recipient()["late@example.org"] == 1
        assert "pending@example.org" not in sink.handler.per_recipient()
    finally:
        sink.stop()


def test_an_empty_period_sends_nothing_and_records_nothing(feed, monkeypatch):
    sink = start(monkeypatch)
    try:
        result = send_period(period("daily:2026-12-15"))
        assert result.empty_period and result.report.sent == 0
        assert sink.received == [] and rows(feed) == {}
    finally:
        sink.stop()


def test_dry_run_composes_but_sends_and_records_nothing(feed, monkeypatch):
    sink = start(monkeypatch)
    try:
        result = send_period(period(), dry_run=True)
        assert result.composed == 4 and result.report.sent == 0
        assert sink.received == [] and rows(feed) == {}
    finally:
        sink.stop()


def test_two_runs_at_once_are_refused(settings):
    with send_lock(settings):
        with pytest.raises(DeliveryError, match="another `dailypapers digest send` is running"):
            with send_lock(settings):
                pass
    with send_lock(settings):  # released when the first run ends
        pass

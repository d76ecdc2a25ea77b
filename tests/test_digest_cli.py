"""The digest commands as a user runs them, in subprocesses: sending, killing a run with SIGKILL and rerunning
it (every subscriber ends with exactly one digest, counted at the SMTP server), subscribe, status, preview."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys

import pytest
from sqlalchemy import select, update

from dailypapers.faults import FAULT_ENV, SENDING_RECORDED
from dailypapers.store.models import DigestDelivery, Subscriber
from tests.digest_helpers import CONFIRMED_AT, PERIOD, add_subscriber, seed_feed, subprocess_env
from tests.smtp_sink import Inbox, free_port

pytestmark = pytest.mark.slow  # every test runs the command in subprocesses

MANY = 40


@pytest.fixture
def crowd(session, sink):
    seed_feed(session)
    for n in range(MANY):
        add_subscriber(session, f"reader{n:02d}@example.org", interests=["graph networks", "speech", ""][n % 3])
    return session


def start_send(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dailypapers.cli", "digest", "send", "--period", PERIOD, *args],
        env={**os.environ, **subprocess_env()},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def statuses(session) -> dict[str, str]:
    session.expire_all()
    rows = session.execute(
        select(Subscriber.email, DigestDelivery.status).join(
            DigestDelivery, DigestDelivery.subscriber_id == Subscriber.id
        )
    )
    return dict(rows.all())


class KillAt(Inbox):
    """SIGKILLs the sending process at a chosen moment of the Nth message's SMTP transaction."""

    def __init__(self, nth: int, stage: str):
        super().__init__()
        self.nth, self.stage = nth, stage
        self.proc: subprocess.Popen | None = None
        self.rcpts = 0

    async def _kill(self):
        while self.proc is None:
            await asyncio.sleep(0.01)
        os.kill(self.proc.pid, signal.SIGKILL)
        while self.proc.poll() is None:
            await asyncio.sleep(0.01)
        self.proc = "killed"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpts += 1
        if self.stage == "rcpt" and self.rcpts == self.nth and self.proc != "killed":
            await self._kill()  # the message body never reaches us
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = self.accept(envelope)  # like a real MTA: queued before the 250 goes out
        if self.stage == "data" and len(self.received) == self.nth and self.proc != "killed":
            await self._kill()  # the client dies between the end of data and our 250
        return reply


def _run_killed_then_rerun(sink, handler: KillAt):
    sink.handler = handler
    proc = start_send()
    handler.proc = proc
    proc.wait(60)
    assert proc.returncode == -signal.SIGKILL
    rerun = start_send()
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    return err


def test_killed_before_the_end_of_data_the_rerun_sends_that_digest_and_no_one_gets_two(crowd, sink, monkeypatch):
    handler = KillAt(nth=7, stage="rcpt")
    err = _run_killed_then_rerun(sink, handler)
    counts = handler.per_recipient()
    assert sorted(counts) == sorted(f"reader{n:02d}@example.org" for n in range(MANY))
    assert set(counts.values()) == {1}
    assert set(statuses(crowd).values()) == {"sent"}
    assert "in doubt" not in err


def test_killed_between_end_of_data_and_the_reply_the_digest_is_not_sent_twice(crowd, sink):
    handler = KillAt(nth=5, stage="data")
    err = _run_killed_then_rerun(sink, handler)
    counts = handler.per_recipient()
    assert len(counts) == MANY and set(counts.values()) == {1}  # the server had it: nobody gets two
    found = statuses(crowd)
    assert sorted(found.values()).count("unknown") == 1  # the one the server took as the client died
    assert "1 in doubt after an interrupted run" in err


def test_killed_between_recording_sending_and_the_final_dot_that_digest_is_in_doubt_and_nobody_gets_two(
    crowd, sink, cli, cli_process
):
    """The one window where a digest can go missing: its row says `sending` and the "." that makes the server
    accept the message is not yet written. The server throws the message away; the rerun does not send it (for
    all it knows the "." went out) and reports it in doubt; everyone else gets exactly one."""
    fault = {FAULT_ENV: f"{SENDING_RECORDED}:9"}
    killed = cli_process("digest", "send", "--period", PERIOD, env={**subprocess_env(), **fault})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert len(sink.received) == 8
    rerun = cli("digest", "send", "--period", PERIOD, env=subprocess_env())
    assert rerun.returncode == 0, rerun.stderr
    assert "1 in doubt after an interrupted run" in rerun.stderr
    counts = sink.handler.per_recipient()
    assert len(counts) == MANY - 1 and set(counts.values()) == {1}
    found = statuses(crowd)
    missing = {f"reader{n:02d}@example.org" for n in range(MANY)} - set(counts)
    assert [found[email] for email in missing] == ["unknown"]


def test_send_reports_in_one_line_and_a_rerun_sends_nothing(crowd, sink, cli):
    first = cli("digest", "send", "--period", PERIOD, env=subprocess_env())
    assert first.returncode == 0, first.stderr
    assert f"{PERIOD}: {MANY} subscribers, 0 sent before, {MANY} sent now" in first.stderr
    second = cli("digest", "send", "--period", PERIOD, "--json", env=subprocess_env())
    report = json.loads(second.stdout)
    assert report[0]["sent"] == 0 and report[0]["already_sent"] == MANY
    assert len(sink.received) == MANY
    status = json.loads(cli("digest", "status", "--json", env=subprocess_env()).stdout)
    assert status["periods"][PERIOD] == {"sent": MANY}


def test_dry_run_and_preview_send_nothing(crowd, sink, cli):
    dry = cli("digest", "send", "--period", PERIOD, "--dry-run", "--json", env=subprocess_env())
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)[0]["composed"] == MANY
    preview = cli("digest", "preview", "reader01@example.org", "--period", PERIOD, env=subprocess_env())
    assert preview.returncode == 0, preview.stderr
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in preview.stdout
    html = cli("digest", "preview", "reader01@example.org", "--period", PERIOD, "--html", env=subprocess_env())
    assert html.stdout.lstrip().startswith("<!doctype html>")
    assert sink.received == [] and statuses(crowd) == {}


def test_smtp_down_is_one_line_and_exit_1(crowd, cli):
    result = cli(
        "digest", "send", "--period", PERIOD, env={**subprocess_env(), "DAILYPAPERS_SMTP_PORT": str(free_port())}
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error: daily:2026-11-24: cannot reach the SMTP server at 127.0.0.1:")
    assert "0 digests sent before stopping; rerun to send the rest" in lines[-1]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["digest", "send", "--period", "monthly"], "error: unknown period 'monthly'"),
        (["digest", "send", "--period", "daily:2026-11-28"], "is a Saturday"),
        (["subscribe", "not-an-address", "--confirmed"], "error: not an email address"),
        (["subscribe", "a@example.org", "--frequency", "hourly", "--confirmed"], "error: unknown frequency 'hourly'"),
        (["subscribe", "a@example.org", "--category", "Deep Learning", "--confirmed"], "error: not an arXiv category"),
        (["subscribe", "a@example.org", "-c", "cs.ZZ", "--confirmed"], "error: not an arXiv category: 'cs.ZZ'"),
        (["unsubscribe", "nobody@example.org"], "error: no subscriber"),
        (["scheduler", "--digest-at", "25:00"], "error: not a time of day"),
        (["scheduler", "--once", "--category", "Deep Learning"], "error: not an arXiv category"),
        (["worker", "--once", "--ingest-cron", "every hour"], "error: not a cron schedule: 'every hour'"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(settings, cli, args, message, session):
    result = cli(*args)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(message) or message in result.stderr
    assert "Traceback" not in result.stderr
    assert session.scalar(select(Subscriber.id)) is None


def test_admin_subscribe_confirmed_gets_digests_and_unconfirmed_gets_a_confirmation(crowd, sink, cli):
    added = cli(
        "subscribe",
        "New.Reader@Example.org",
        "--interests",
        "speech recognition; graph networks",
        "--frequency",
        "daily",
        "--category",
        "eess.as",
        "--category",
        "cs.lg",
        "--confirmed",
        env=subprocess_env(),
    )
    assert added.returncode == 0, added.stderr
    assert "new.reader@example.org: confirmed, daily digest" in added.stderr
    reader = crowd.scalar(select(Subscriber).where(Subscriber.email == "new.reader@example.org"))
    assert (reader.interests, reader.categories) == ("speech recognition\ngraph networks", "eess.AS cs.LG")
    assert reader.confirmed_at is not None
    crowd.execute(update(Subscriber).where(Subscriber.id == reader.id).values(confirmed_at=CONFIRMED_AT))
    crowd.commit()
    pending = cli("subscribe", "pending@example.org", "--frequency", "weekly", env=subprocess_env())
    assert pending.returncode == 0, pending.stderr
    assert "confirmation email sent" in pending.stderr
    confirmation = sink.handler.to("pending@example.org")
    assert (
        len(confirmation) == 1
        and "/subscriptions/confirm/" in confirmation[0].message.get_body(("plain",)).get_content()
    )
    assert cli("digest", "send", "--period", PERIOD, env=subprocess_env()).returncode == 0
    assert len(sink.handler.to("new.reader@example.org")) == 1
    assert len(sink.handler.to("pending@example.org")) == 1  # still only the confirmation
    gone = cli("unsubscribe", "new.reader@example.org", env=subprocess_env())
    assert "unsubscribed" in gone.stderr
    crowd.expire_all()
    assert crowd.get(Subscriber, reader.id).unsubscribed_at is not None

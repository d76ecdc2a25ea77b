"""Sending the due digests: for each period, find the subscribers due a digest, compose it, deliver it
(and `digest preview`: compose one, send nothing). `send_due_digests` is the one way the digests go out:
`dailypapers digest send`, the queue's digest job and the scheduler all call it.

Who is due: confirmed, not unsubscribed, not bounced, of the period's frequency, confirmed before the
end of the period's issue day (a new subscriber does not get last week's digest days late), and with
no delivery row for the period other than a retryable `failed` one. Messages are composed lazily,
one at a time, as the SMTP connection takes them.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Generator, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from typing import Protocol

from dailypapers.config import Settings, get_settings
from dailypapers.digest.compose import compose
from dailypapers.digest.content import AccountSections, PeriodPapers, load_period, personaliser_for
from dailypapers.digest.group_digest import send_group_digests
from dailypapers.digest.identity import MailSite, mail_site
from dailypapers.digest.outbox import drain
from dailypapers.digest.records import IN_DOUBT, RETRYABLE, DeliveryState, Outgoing
from dailypapers.digest.schedule import DigestPeriod, parse_periods
from dailypapers.digest.send import DeliveryReport, deliver
from dailypapers.digest.smtp import DeliveryError
from dailypapers.digest.subscribe import category_list, interest_lines
from dailypapers.errors import NotFound
from dailypapers.ranking.interests import Personaliser
from dailypapers.store import mail
from dailypapers.store.db import Session, get_engine
from dailypapers.store.models import Subscriber


@dataclass
class PeriodResult:
    period: str
    subscribers: int = 0  # confirmed subscribers of this frequency, due or not
    due: int = 0  # without a digest for this period yet
    empty: int = 0  # would hold no paper: nothing sent
    already: int = 0  # sent before
    in_doubt: int = 0  # a killed run may have sent it: not sent again
    composed: int = 0
    searches: int = 0  # distinct interests searched
    search_errors: dict[str, str] = field(default_factory=dict)  # interest -> why it could not be searched
    empty_period: bool = False
    report: DeliveryReport = field(default_factory=DeliveryReport)

    def as_dict(self) -> dict:
        r = self.report
        return dict(
            period=self.period,
            subscribers=self.subscribers,
            due=self.due,
            composed=self.composed,
            sent=r.sent,
            empty=self.empty,
            already_sent=self.already,
            in_doubt=self.in_doubt + len(r.unknown),
            bounced=len(r.bounced),
            failed=len(r.failed),
            attempts=r.attempts,
            searches=self.searches,
            search_errors=len(self.search_errors),
            empty_period=self.empty_period,
        )

    def summary(self, dry_run: bool = False) -> str:
        """One line on what the period's run did, for people and logs."""
        if self.empty_period:
            return f"{self.period}: no papers in this period; nothing sent"
        r = self.report
        parts = [
            f"{self.subscribers} subscribers",
            f"{self.already} sent before",
            f"{self.composed} would be sent" if dry_run else f"{r.sent} sent now",
        ]
        if self.empty:
            parts.append(f"{self.empty} empty (skipped)")
        if r.bounced:
            parts.append(f"{len(r.bounced)} bounced (no more mail to them)")
        if r.failed:
            parts.append(f"{len(r.failed)} deferred by the server (retried on the next run)")
        if self.search_errors:
            interest, why = next(iter(self.search_errors.items()))
            parts.append(
                f"{len(self.search_errors)} interests could not be searched (e.g. {interest!r}: {why}); "
                "those subscribers got the trending papers"
            )
        in_doubt = self.in_doubt + len(r.unknown)
        if in_doubt:
            parts.append(f"{in_doubt} in doubt after an interrupted run (not resent; see `digest status`)")
        return f"{self.period}: " + ", ".join(parts)


class Progress(Protocol):
    """A progress bar as the work drives it (the CLI's; the total is known only once a period has looked)."""

    def set_total(self, total: int | None) -> None: ...

    def advance(self, n: int = 1) -> None: ...


@contextmanager
def send_lock(settings: Settings) -> Iterator[None]:
    """One `digest send` at a time per data dir: a second run would race the first for the same rows.

    An OS file lock, so a killed run never leaves it held."""
    path = settings.ensure_data_dir() / "digest-send.lock"
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            raise DeliveryError(
                f"another `dailypapers digest send` is running (pid {holder}); wait for it to finish"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def issue_deadline(period: DigestPeriod) -> datetime:
    return datetime.combine(period.issue_day + timedelta(days=1), time.min, tzinfo=UTC)


def subscribers_of(session: Session, period: DigestPeriod) -> list[Subscriber]:
    return mail.active_subscribers(session, period.frequency, issue_deadline(period))


def recorded(session: Session, period: DigestPeriod) -> dict[int, DeliveryState]:
    return mail.delivery_states(session, period.key)


def _mark_in_doubt(session: Session, period: DigestPeriod) -> None:
    """Rows a killed run left `sending` become `unknown`: the server may have the message."""
    mail.mark_in_doubt(
        session,
        period.key,
        "sending",
        "unknown",
        "the run was interrupted after the message body was sent; the server may have accepted it, "
        "so it is not sent again",
    )


def digest_of(
    subscriber: Subscriber,
    period: DigestPeriod,
    papers: PeriodPapers,
    personaliser: Personaliser,
    site: MailSite,
    now: datetime | None = None,
    accounts: AccountSections | None = None,
) -> tuple[EmailMessage | None, int]:
    """The subscriber's digest (None when it would be empty) and how many papers it holds."""
    personal = personaliser.picks(interest_lines(subscriber.interests), category_list(subscriber.categories))
    shown = {p.paper_id for p in papers.trending} | {p.paper_id for p in personal}
    sections = accounts.sections(subscriber.user_id, shown) if accounts is not None else []
    return (
        compose(subscriber, period, papers.trending, personal, site=site, now=now, sections=sections),
        len(shown) + sum(len(s.papers) for s in sections),
    )


def due_digests(
    session: Session,
    period: DigestPeriod,
    papers: PeriodPapers,
    result: PeriodResult,
    settings: Settings,
    now: datetime,
    resend_in_doubt: bool = False,
) -> Generator[Outgoing]:
    """Compose each due subscriber's digest, one at a time."""
    personaliser = personaliser_for(session, papers, settings)
    accounts = AccountSections(session, papers, settings)
    site = mail_site(settings)
    subscribers = subscribers_of(session, period)
    statuses = recorded(session, period)
    result.subscribers = len(subscribers)
    due = []
    for subscriber in subscribers:
        status = statuses.get(subscriber.id)
        if status is None or status in RETRYABLE or (resend_in_doubt and status in IN_DOUBT):
            due.append(subscriber)
        elif status in IN_DOUBT:
            result.in_doubt += 1
        else:
            result.already += 1
    result.due = len(due)
    try:
        personaliser.prefetch(interest_lines(s.interests) for s in due)
        for subscriber in due:
            message, count = digest_of(subscriber, period, papers, personaliser, site, now, accounts)
            result.searches = personaliser.searches
            if message is None:
                result.empty += 1
                continue
            result.composed += 1
            yield Outgoing.of(message, subscriber_id=subscriber.id, period=period.key, num_papers=count)
    finally:
        personaliser.close()
        result.search_errors = dict(personaliser.failed) | accounts.failed


def send_period(
    period: DigestPeriod,
    *,
    dry_run: bool = False,
    settings: Settings | None = None,
    now: datetime | None = None,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[Outgoing, str], None] | None = None,
    resend_in_doubt: bool = False,
) -> PeriodResult:
    """Send the period's due digests. `resend_in_doubt` also sends those a killed run left in doubt (the
    operator checked the server's log: it never got them); they keep their Message-ID."""
    settings = settings or get_settings()
    now = now or datetime.now(UTC)
    result = PeriodResult(period.key)
    engine = get_engine(settings)
    with Session(engine, expire_on_commit=False) as session:
        papers = load_period(session, period, settings)
        if papers.is_empty:
            result.empty_period = True  # nothing recorded: a later run sends once the period has papers
            return result
        if not dry_run:
            _mark_in_doubt(session, period)
        messages = due_digests(session, period, papers, result, settings, now, resend_in_doubt)
        try:
            first = next(messages, None)
            if on_start:
                on_start(result.due)
            if first is None:
                return result
            stream = _chain(first, messages)
            if dry_run:
                for item in stream:
                    if on_done:
                        on_done(item, "composed")
                return result
            result.report = deliver(
                stream, engine=engine, settings=settings, on_done=on_done, resend_in_doubt=resend_in_doubt
            )
        finally:
            messages.close()  # stops the background searches too, if delivery stopped early
    return result


def send_due_digests(
    periods: list[DigestPeriod] | None = None,
    *,
    settings: Settings | None = None,
    dry_run: bool = False,
    resend_in_doubt: bool = False,
    progress: Callable[[str], AbstractContextManager[Progress]] | None = None,
    on_outbox: Callable[[DeliveryReport], None] | None = None,
    on_result: Callable[[PeriodResult], None] | None = None,
) -> list[PeriodResult]:
    """Send the digests of these periods (default: every digest due today), each exactly once, one run at a
    time per data dir; the confirmations still queued go out first (`on_outbox` hears how that went). Each
    period's result goes to `on_result` as soon as it is done. `progress(label)` draws a bar per period."""
    settings = settings or get_settings()
    if periods is None:
        periods = parse_periods(None, datetime.now(UTC).date())
    results = []
    with send_lock(settings):
        if not dry_run:
            queued = drain(settings)
            if on_outbox:
                on_outbox(queued)
        for period in periods:
            label = f"{'composing' if dry_run else 'sending'} {period.key}"
            with progress(label) if progress else nullcontext(None) as bar:
                try:
                    result = send_period(
                        period,
                        dry_run=dry_run,
                        settings=settings,
                        resend_in_doubt=resend_in_doubt,
                        on_start=bar.set_total if bar else None,
                        on_done=(lambda item, outcome: bar.advance()) if bar else None,
                    )
                except DeliveryError as exc:
                    sent = exc.report.sent if exc.report else 0
                    raise DeliveryError(
                        f"{period.key}: {exc} ({sent} digests sent before stopping; rerun to send the rest)", exc.report
                    ) from None
            results.append(result)
            if on_result:
                on_result(result)
            if period.frequency == "weekly":  # the reading groups' email goes out with the weekly digest
                groups_result = send_group_digests(
                    period, PeriodResult(f"groups:{period.key}"), settings=settings, dry_run=dry_run
                )
                if groups_result.subscribers:  # a site without groups reports nothing of them
                    results.append(groups_result)
                    if on_result:
                        on_result(groups_result)
    return results


def _chain(first: Outgoing, rest: Iterator[Outgoing]) -> Iterator[Outgoing]:
    yield first
    yield from rest


def preview(
    session: Session, subscriber: Subscriber, period: DigestPeriod, settings: Settings | None = None
) -> EmailMessage:
    """The digest `subscriber` would get for `period`, composed as `digest send` would; nothing sent or recorded."""
    settings = settings or get_settings()
    papers = load_period(session, period, settings)
    personaliser = personaliser_for(session, papers, settings)
    try:
        message, _ = digest_of(
            subscriber,
            period,
            papers,
            personaliser,
            mail_site(settings),
            None,
            AccountSections(session, papers, settings),
        )
    finally:
        personaliser.close()
    if message is None:
        raise NotFound(f"{period.key}: no papers for {subscriber.email} in this period; nothing would be sent")
    return message

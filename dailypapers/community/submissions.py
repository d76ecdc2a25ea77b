"""Submitting a paper to the daily feed: from the store, or fetched from arXiv through the sources.

A paper enters the feed once, and only within `feed_window_days` of its first arXiv version. These
functions open their own sessions: fetching from arXiv must happen with no transaction open.

A person waiting on a page waits at most `arxiv_submit_wait` seconds for arXiv: a fetch still running then
goes on in the background, with the client's usual retries, and the submission is recorded as pending
(durable state under `submission:<id>`) until it lands on the feed or fails; the submit page lists both.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as WaitedTooLong
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from threading import Lock

from dailypapers.community.papers import load_paper
from dailypapers.config import get_settings
from dailypapers.errors import DailyPapersError, InvalidInput, NotFound
from dailypapers.ingest.arxiv import ingest_ids
from dailypapers.ingest.thumbnails import backfill_thumbnails
from dailypapers.periods import Period
from dailypapers.sources.ids import parse_arxiv_id
from dailypapers.store import people
from dailypapers.store.db import get_engine, session_scope
from dailypapers.store.models import DailyEntry, Paper, User
from dailypapers.store.papers import add_daily_entry
from dailypapers.store.reads import has_paper
from dailypapers.store.state import get_state, set_state, states_with_prefix

log = logging.getLogger(__name__)
PENDING_PREFIX = "submission:"
STALE_AFTER = timedelta(minutes=15)  # longer than a background fetch runs with all its retries
# Fetches that outlive the page that started them; two workers keep one slow arXiv from queueing the rest.
_fetches = ThreadPoolExecutor(max_workers=2, thread_name_prefix="arxiv-submission")
_in_flight: dict[str, Future] = {}
_drawing: dict[str, Future] = {}  # first-page thumbnails of submitted papers, drawn after the answer
_in_flight_lock = Lock()


@dataclass(frozen=True)
class PendingSubmission:
    """A submission waiting for arXiv (status "pending"), or one whose fetch failed ("failed", with why)."""

    arxiv_id: str
    submitted_at: datetime
    status: str = "pending"
    reason: str = ""


def takes_submissions(period: Period, today: date) -> bool:
    """Whether the feed of `period` can still gain a submission: a paper goes on the feed of the day it is
    submitted (UTC), so only a period that contains today can."""
    return period.contains(today)


def _stored(arxiv_id: str) -> bool:
    with session_scope() as session:
        return has_paper(session, arxiv_id)


def ensure_paper(arxiv_id: str) -> bool:
    """Make sure the paper is in the store, fetching it from arXiv when missing. True if it was fetched.

    The fetch runs outside any open transaction: the network wait must never hold the database.
    """
    if _stored(arxiv_id):
        return False
    ingest_ids(get_engine(), [arxiv_id])
    if not _stored(arxiv_id):
        raise NotFound(f"arXiv has no paper {arxiv_id}")
    return True


def submit_paper(user: User, text: str, now: datetime | None = None) -> tuple[Paper, DailyEntry]:
    """Put the paper named by `text` (an id or URL) on today's feed; InvalidInput says why not."""
    now = now or datetime.now(UTC)
    arxiv_id = parse_arxiv_id(text).id
    window = get_settings().feed_window_days
    ensure_paper(arxiv_id)
    with session_scope() as session:
        paper = load_paper(session, arxiv_id, include_hidden=True)
        if paper.hidden:
            raise InvalidInput(f"{arxiv_id} was hidden by an administrator and cannot be submitted")
        if paper.daily_entry is not None:
            raise InvalidInput(
                f"{arxiv_id} is already on the daily feed of "
                f"{paper.daily_entry.date.isoformat()}; a paper enters the feed once"
            )
        if paper.published_at is None:
            raise InvalidInput(
                f"arXiv gives no date for the first version of {arxiv_id}, so it cannot be "
                "checked against the submission window"
            )
        age_days = (now - paper.published_at).total_seconds() / 86400
        if age_days > window:
            raise InvalidInput(
                f"{arxiv_id} first appeared on arXiv on {paper.published_at.date().isoformat()}, "
                f"{int(age_days)} days ago; only papers from the last {window} days can be submitted"
            )
        # another request submitting it a moment ago makes this an InvalidInput too (the store says so)
        entry = add_daily_entry(session, paper, now.date(), submitted_by_id=user.id, submitted_at=now)
        session.expunge_all()
        return paper, entry


def submit_within(
    user: User, text: str, wait: float | None = None, now: datetime | None = None
) -> tuple[Paper, DailyEntry] | PendingSubmission:
    """`submit_paper` for a person waiting on a page: the submission, or, when arXiv has not answered within
    `wait` seconds (`arxiv_submit_wait`), the pending record of a fetch that goes on in the background."""
    now = now or datetime.now(UTC)
    arxiv_id = parse_arxiv_id(text).id
    if _stored(arxiv_id):
        try:
            done = submit_paper(user, arxiv_id, now)
        finally:  # the page shows this answer: an earlier failure of the same paper is no longer news
            _clear_failed(user.id, arxiv_id)
        _draw_first_page_later(arxiv_id)
        return done
    pending = PendingSubmission(arxiv_id, now)
    with _in_flight_lock:
        if arxiv_id in _in_flight:
            raise InvalidInput(
                f"{arxiv_id} is being fetched from arXiv for another submission; "
                "it will be on the feed as soon as arXiv answers"
            )
        _record(pending, user.id)  # before the fetch starts, so that the fetch alone settles it
        _in_flight[arxiv_id] = fetch = _fetches.submit(_fetch_and_submit, user, pending)
    try:
        return fetch.result(timeout=get_settings().arxiv_submit_wait if wait is None else wait)
    except WaitedTooLong:
        return pending
    except DailyPapersError:
        _record(None, user.id, arxiv_id)  # the page shows why: nothing left pending
        raise


def _fetch_and_submit(user: User, pending: PendingSubmission) -> tuple[Paper, DailyEntry]:
    """The fetch behind `submit_within`; it clears the pending record, or marks it failed with the reason."""
    try:
        done = submit_paper(user, pending.arxiv_id, pending.submitted_at)
    except Exception as exc:
        reason = str(exc) if isinstance(exc, DailyPapersError) else "an unexpected error (see the server log)"
        if not isinstance(exc, DailyPapersError):
            log.exception("submitting %s failed", pending.arxiv_id)
        _record(replace(pending, status="failed", reason=reason), user.id)
        raise
    else:
        _record(None, user.id, pending.arxiv_id)
        _draw_first_page_later(pending.arxiv_id)
        return done
    finally:
        with _in_flight_lock:
            _in_flight.pop(pending.arxiv_id, None)


def _draw_first_page_later(arxiv_id: str) -> None:
    """A submitted paper's first-page thumbnail (when PDFs may be fetched), drawn in the background: a PDF can
    take longer than a member should wait. It never fails the submission."""
    settings = get_settings()
    if settings.fetch_pdfs:
        with _in_flight_lock:
            _drawing[arxiv_id] = drawing = _fetches.submit(backfill_thumbnails, get_engine(), settings, [arxiv_id])
        drawing.add_done_callback(lambda done: _forget_drawing(arxiv_id, done))  # a long-lived server keeps none


def _forget_drawing(arxiv_id: str, done: Future) -> None:
    with _in_flight_lock:
        if _drawing.get(arxiv_id) is done:
            del _drawing[arxiv_id]


def _record(pending: PendingSubmission | None, user_id: int, arxiv_id: str = "") -> None:
    """Write (or, with None, clear) the durable record of a submission waiting for arXiv."""
    value = (
        None
        if pending is None
        else {
            "user": user_id,
            "at": pending.submitted_at.isoformat(),
            "status": pending.status,
            "reason": pending.reason,
        }
    )
    key = arxiv_id if pending is None else pending.arxiv_id
    with session_scope() as session:
        set_state(session, PENDING_PREFIX + key, value)


def _clear_failed(user_id: int, arxiv_id: str) -> None:
    with session_scope() as session:
        value = get_state(session, PENDING_PREFIX + arxiv_id)
        if value and value.get("user") == user_id and value.get("status") == "failed":
            set_state(session, PENDING_PREFIX + arxiv_id, None)


def _waiting(session) -> list[tuple[PendingSubmission, int]]:
    """Every recorded submission waiting for arXiv or failed, with the id of the member who made it."""
    return [
        (
            PendingSubmission(
                key.removeprefix(PENDING_PREFIX),
                datetime.fromisoformat(value["at"]),
                value["status"],
                value.get("reason", ""),
            ),
            value["user"],
        )
        for key, value in states_with_prefix(session, PENDING_PREFIX)
    ]


def pending_submissions(user: User) -> list[PendingSubmission]:
    """The member's submissions still waiting for arXiv, or whose fetch failed, newest first."""
    with session_scope() as session:
        found = [pending for pending, user_id in _waiting(session) if user_id == user.id]
    return sorted(found, key=lambda p: p.submitted_at, reverse=True)


def fetch_stale_submissions(now: datetime | None = None) -> list[tuple[str, str]]:
    """Fetch again each submission left pending longer than a background fetch can run (the web process that
    started it stopped): `dailypapers ingest --pending`, run by the scheduler. (id, what happened) pairs."""
    now = now or datetime.now(UTC)
    with session_scope() as session:
        stale = [
            (pending, user_id)
            for pending, user_id in _waiting(session)
            if pending.status == "pending" and now - pending.submitted_at > STALE_AFTER
        ]
        users = people.users_by_ids(session, {user_id for _, user_id in stale})
        session.expunge_all()
    outcomes = []
    for pending, user_id in stale:
        user = users.get(user_id)
        if user is None:  # the account is gone: nobody is waiting
            _record(None, user_id, pending.arxiv_id)
            outcomes.append((pending.arxiv_id, "dropped: the member's account is gone"))
            continue
        try:
            _, entry = _fetch_and_submit(user, pending)
        except DailyPapersError as exc:
            outcomes.append((pending.arxiv_id, f"not added: {exc}"))
        else:
            outcomes.append((pending.arxiv_id, f"on the feed of {entry.date.isoformat()} for {user.username}"))
    return outcomes


def wait_for_background_fetch(arxiv_id: str, timeout: float) -> None:
    """Block until the background fetch of `arxiv_id`, and the drawing of its first page, if they run, have
    ended (tests; a clean shutdown)."""
    with _in_flight_lock:
        fetch = _in_flight.get(arxiv_id)
    if fetch is not None:
        fetch.exception(timeout=timeout)
    with _in_flight_lock:
        drawing = _drawing.pop(arxiv_id, None)
    if drawing is not None:
        drawing.exception(timeout=timeout)

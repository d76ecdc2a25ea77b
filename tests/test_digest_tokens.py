"""Digest periods (which days a digest covers) and signed links (forged, expired, retired, wrong purpose)."""

from __future__ import annotations

import string
from datetime import date, timedelta

import itsdangerous.timed
import pytest
from itsdangerous import URLSafeTimedSerializer

from dailypapers.digest.schedule import current_periods, daily_period, parse_periods, weekly_period
from dailypapers.digest.subscribe import Preferences, start_subscription
from dailypapers.digest.tokens import BadToken, make_token, read_token, subscriber_for_token
from dailypapers.errors import InvalidInput
from dailypapers.store.models import Subscriber
from tests.web_helpers import next_id_is

SECRET = "the site's signing key"


def test_daily_digests_cover_every_day_once_and_monday_covers_the_weekend():
    tuesday = daily_period(date(2026, 11, 24))
    assert (tuesday.key, tuesday.first_day, tuesday.last_day) == (
        "daily:2026-11-24",
        date(2026, 11, 23),
        date(2026, 11, 23),
    )
    monday = daily_period(date(2026, 11, 23))
    assert (monday.first_day, monday.last_day) == (date(2026, 11, 20), date(2026, 11, 22))
    covered = []
    day = date(2026, 11, 2)
    while day < date(2026, 11, 30):
        if day.weekday() < 5:
            p = daily_period(day)
            covered += [p.first_day + timedelta(days=i) for i in range((p.last_day - p.first_day).days + 1)]
        day += timedelta(days=1)
    assert covered == sorted(set(covered))  # no day twice
    assert covered == [date(2026, 10, 30) + timedelta(days=i) for i in range(len(covered))]  # no day missed


def test_weekly_digest_covers_the_iso_week_and_goes_out_the_monday_after():
    week = weekly_period(date(2026, 11, 19))
    assert (week.key, week.first_day, week.last_day, week.issue_day) == (
        "weekly:2026-W47",
        date(2026, 11, 16),
        date(2026, 11, 22),
        date(2026, 11, 23),
    )
    assert parse_periods("weekly:2026-W47", date(2026, 11, 26)) == [week]


def test_periods_due_today_and_bad_period_names():
    assert [p.key for p in current_periods(date(2026, 11, 24))] == ["daily:2026-11-24", "weekly:2026-W47"]
    assert [p.key for p in current_periods(date(2026, 11, 28))] == ["weekly:2026-W47"]  # Saturday: no daily
    for bad in ("monthly", "daily:2026-13-01", "weekly:2026-W60", "daily:2026-11-28"):
        with pytest.raises(InvalidInput):
            parse_periods(bad, date(2026, 11, 24))
    with pytest.raises(InvalidInput, match="weekdays only"):
        parse_periods("daily", date(2026, 11, 29))


def _subscriber(session, version: int = 1) -> Subscriber:
    subscriber = Subscriber(email="ada@example.org", token_version=version)
    session.add(subscriber)
    session.commit()
    return subscriber


def test_a_token_reads_back_only_for_its_purpose(session):
    subscriber = _subscriber(session)
    token = make_token(subscriber, "manage", SECRET)
    assert read_token(token, "manage", SECRET) == (subscriber.id, 1)
    assert subscriber_for_token(session, token, "manage", SECRET).id == subscriber.id
    with pytest.raises(BadToken, match="not valid"):
        read_token(token, "unsubscribe", SECRET)  # a manage link cannot unsubscribe or confirm
    with pytest.raises(BadToken):
        read_token(token, "confirm", SECRET)


def test_forged_and_damaged_tokens_are_refused(session, settings, monkeypatch):
    subscriber = _subscriber(session)
    token = make_token(subscriber, "unsubscribe", SECRET)
    payload, stamp, signature = token.split(".")
    other = "WzIsMV0"  # [2,1]: someone else's id with the original signature
    for forged in (
        f"{other}.{stamp}.{signature}",
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        "",
        "nonsense",
        f"{payload}.{stamp}",
    ):
        with pytest.raises(BadToken) as info:
            read_token(forged, "unsubscribe", SECRET)
        assert not info.value.expired
    # A token signed with another site's key is as good as forged.
    foreign = URLSafeTimedSerializer("another key", salt="dailypapers.digest.unsubscribe").dumps([subscriber.id, 1])
    with pytest.raises(BadToken):
        read_token(foreign, "unsubscribe", SECRET)


def test_only_the_exact_token_is_accepted_not_its_base64_twins(session):
    """The last character of a signature carries two unused bits: three other letters decode alike."""
    subscriber = _subscriber(session)
    token = make_token(subscriber, "manage", SECRET)
    alphabet = string.ascii_letters + string.digits + "-_"
    twins = [token[:-1] + c for c in alphabet if c != token[-1]]
    for twin in twins + [token + "=", token[:5] + "!" + token[5:], token.replace(".", ".*", 1)]:
        with pytest.raises(BadToken, match="not valid"):
            read_token(twin, "manage", SECRET)
    assert read_token(token, "manage", SECRET) == (subscriber.id, 1)


def test_expired_tokens_are_refused_and_say_so(session, monkeypatch):
    subscriber = _subscriber(session)
    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() - 8 * 86400)
    token = make_token(subscriber, "confirm", SECRET)  # made 8 days ago; confirmation links last 7
    monkeypatch.undo()
    with pytest.raises(BadToken, match="expired") as info:
        read_token(token, "confirm", SECRET)
    assert info.value.expired


def test_bumping_the_token_version_retires_old_links(session):
    subscriber = _subscriber(session)
    token = make_token(subscriber, "manage", SECRET)
    subscriber.token_version += 1
    session.commit()
    with pytest.raises(BadToken, match="no longer valid"):
        subscriber_for_token(session, token, "manage", SECRET)
    assert subscriber_for_token(session, make_token(subscriber, "manage", SECRET), "manage", SECRET).id == subscriber.id


def test_a_subscriber_given_a_deleted_ones_id_opens_none_of_its_links(session):
    """A link names the subscriber it was mailed to, not only an id: the version starts at a random number."""
    gone, _ = start_subscription(session, "ada@example.org", Preferences())
    links = {purpose: make_token(gone, purpose, SECRET) for purpose in ("confirm", "manage", "unsubscribe")}
    gone_id = gone.id
    session.delete(gone)  # an operator erasing the address, say
    session.commit()
    next_id_is(session.connection(), "subscribers", gone_id)
    newcomer, _ = start_subscription(session, "grace@example.org", Preferences())
    session.commit()
    assert newcomer.id == gone_id
    for purpose, token in links.items():
        with pytest.raises(BadToken, match="no longer valid"):
            subscriber_for_token(session, token, purpose, SECRET)
    assert subscriber_for_token(session, make_token(newcomer, "manage", SECRET), "manage", SECRET) is newcomer

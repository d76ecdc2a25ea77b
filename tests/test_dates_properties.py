"""Property tests of the date parsers (days, weeks, months; arXiv's version dates) and of author keys:
whatever the text, they answer a date or InvalidInput, and every period they accept, with its last day and
its neighbours, stays inside the calendar."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dailypapers.dates import MAX_YEAR, MIN_YEAR, parse_day, parse_month, parse_week
from dailypapers.errors import InvalidInput
from dailypapers.names import author_key
from dailypapers.periods import month_period, parse_period, week_period
from dailypapers.sources.snapshot import parse_date

days = st.dates(min_value=date(MIN_YEAR, 1, 1), max_value=date(MAX_YEAR, 12, 31))
# Text that looks like a date more often than chance would: digits (of any script), dashes and a W.
datelike = st.text(alphabet=st.sampled_from("0123456789-W ²٣９\n"), max_size=12) | st.text(max_size=12)


@given(days)
def test_a_day_round_trips(day):
    assert parse_day(day.isoformat()) == day


@given(days)
def test_a_week_is_its_monday(day):
    year, week, _ = day.isocalendar()
    if not MIN_YEAR <= year <= MAX_YEAR:
        return
    monday = parse_week(f"{year:04d}-W{week:02d}")
    assert monday.weekday() == 0
    assert monday <= day < monday + timedelta(days=7)


@given(days)
def test_a_month_is_its_first_day(day):
    assert parse_month(f"{day.year:04d}-{day.month:02d}") == day.replace(day=1)


@given(datelike, st.sampled_from(["date", "week", "month"]))
def test_any_text_is_a_period_inside_the_calendar_or_bad_input(text, kind):
    try:
        period = parse_period(kind, text)
    except InvalidInput as exc:
        assert repr(text.strip()) in str(exc)
        return
    assert period.start <= period.end
    # What the pages and search compute from it never leaves the calendar.
    assert period.end + timedelta(days=1) > period.end
    week_period(period.start)
    month_period(period.start.year, period.start.month)
    period.shifted(1)
    period.shifted(-1)


@given(
    st.integers(min_value=MAX_YEAR + 1, max_value=9999) | st.integers(min_value=0, max_value=MIN_YEAR - 1),
    st.integers(min_value=1, max_value=12),
)
def test_years_outside_the_range_are_bad_input(year, month):
    for parse, text in (
        (parse_day, f"{year:04d}-{month:02d}-01"),
        (parse_week, f"{year:04d}-W{month:02d}"),
        (parse_month, f"{year:04d}-{month:02d}"),
    ):
        with pytest.raises(InvalidInput):
            parse(text)


@pytest.mark.parametrize("text", ["٢٠٢٥-٠١-٠١", "２０２５-01-01", "2025-01-01\n1", "2025-02-30", "2025-W54"])
def test_no_other_digits_or_impossible_dates(text):
    with pytest.raises(InvalidInput):
        parse_day(text) if "W" not in text else parse_week(text)


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 12, 31)))
def test_arxiv_version_dates_read_as_the_email_parser_reads_them(moment):
    written = format_datetime(moment.replace(microsecond=0, tzinfo=UTC), usegmt=True)  # 'Sat, 31 Mar 2007 ... GMT'
    assert parse_date(written, "created") == parsedate_to_datetime(written) == moment.replace(microsecond=0, tzinfo=UTC)


@given(st.text(alphabet=st.sampled_from("0123456789 :,GMTJanFebSat+-"), max_size=32))
def test_any_version_date_text_is_a_date_or_invalid_input(value):
    try:
        parsed = parse_date(value, "created")
    except InvalidInput:
        return
    assert parsed is None or parsed.tzinfo is not None


@given(st.text(max_size=30))
def test_an_author_key_does_not_depend_on_the_ascii_shortcut(name):
    # the unicode path for every name must agree with the ASCII shortcut where both apply
    slow = " ".join(
        re.sub(
            r"[\W_]+",
            " ",
            "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold(),
        ).split()
    )
    assert author_key(name) == slow

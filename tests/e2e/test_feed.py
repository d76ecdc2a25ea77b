"""Browsing the daily feed and moving between days, weeks and months."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from dailypapers.ingest.demo import PAPERS_PER_DAY, demo_records

pytestmark = pytest.mark.browser


def demo_titles_of_day(days_ago: int) -> set[str]:
    """The demo puts its papers on the feed PAPERS_PER_DAY a day, newest day first."""
    records = demo_records()[days_ago * PAPERS_PER_DAY : (days_ago + 1) * PAPERS_PER_DAY]
    return {r.title for r in records}


def card_titles(page) -> set[str]:
    return {t.strip() for t in page.locator("#feed .card-title").all_inner_texts()}


def test_feed_moves_between_days(page, demo_day):
    today = demo_day
    yesterday = today - timedelta(days=1)

    page.goto("/")
    expect(page).to_have_url("/papers")  # the home page is the latest day of the feed
    expect(page.locator("main h1")).to_contain_text(f"{today:%B} {today.day}, {today.year}")
    shown_today = card_titles(page)
    assert demo_titles_of_day(0) <= shown_today

    page.locator("#prev-period").click()
    expect(page).to_have_url(f"/papers/date/{yesterday.isoformat()}")
    expect(page.locator("main h1")).to_contain_text(f"{yesterday:%A}, {yesterday:%B} {yesterday.day}")
    assert card_titles(page) == demo_titles_of_day(1)

    page.locator("#next-period").click()
    expect(page).to_have_url(f"/papers/date/{today.isoformat()}")
    assert card_titles(page) == shown_today


def test_first_day_has_no_previous_and_week_collects_days(page, demo_day):
    first = demo_day - timedelta(days=7)  # the demo fills 8 days
    page.goto(f"/papers/date/{first.isoformat()}")
    assert card_titles(page) == demo_titles_of_day(7)
    expect(page.locator("#prev-period")).to_have_count(0)
    expect(page.locator(".period-nav .disabled", has_text="Previous")).to_be_visible()

    page.locator("#tab-weekly").click()
    year, week, _ = first.isocalendar()
    expect(page).to_have_url(f"/papers/week/{year}-W{week:02d}")
    expect(page.locator("main h1")).to_contain_text(f"Week {week} of {year}")
    assert demo_titles_of_day(7) <= card_titles(page)


def test_sort_by_newest_and_open_a_paper(page):
    page.goto("/papers")
    page.locator("#sort-newest").click()
    expect(page).to_have_url("/papers?sort=newest")
    expect(page.locator("#sort-newest")).to_have_attribute("aria-current", "true")
    first_card = page.locator("#feed .card-title a").first
    title = first_card.inner_text().strip()
    first_card.click()
    expect(page.locator("#paper-title")).to_have_text(title)
    expect(page.locator("#paper-abstract")).not_to_be_empty()


def test_category_filter_follows_the_day_navigation(page):
    def demo_titles_in(days_ago: int, category: str) -> set[str]:
        records = demo_records()[days_ago * PAPERS_PER_DAY : (days_ago + 1) * PAPERS_PER_DAY]
        return {r.title for r in records if category in r.categories}

    page.goto("/papers")
    page.get_by_label("Category").fill("cs.CL")
    page.locator("#category-apply").click()
    expect(page).to_have_url(re.compile(r"/papers\?(.*&)?category=cs\.CL"))
    expected = demo_titles_in(0, "cs.CL")
    assert expected, "the demo's newest day has cs.CL papers"
    assert card_titles(page) == expected

    page.locator("#prev-period").click()  # the filter stays on
    expect(page).to_have_url(re.compile(r"/papers/date/\d{4}-\d{2}-\d{2}\?category=cs\.CL$"))
    expected = demo_titles_in(1, "cs.CL")
    if expected:
        assert card_titles(page) == expected
    else:
        expect(page.locator("#feed-empty")).to_contain_text("No papers in cs.CL")

    page.locator("#category-clear").click()
    expect(page.get_by_label("Category")).to_have_value("")
    assert card_titles(page) == demo_titles_of_day(1)


def test_period_tabs_and_the_date_picker(page, demo_day):
    today = demo_day
    first = today - timedelta(days=7)  # the demo's first day
    page.goto(f"/papers/date/{today.isoformat()}")
    page.locator("#tab-weekly").click()
    year, week, _ = today.isocalendar()
    expect(page).to_have_url(f"/papers/week/{year}-W{week:02d}")
    expect(page.locator("#tab-weekly")).to_have_attribute("aria-current", "true")
    page.locator("#tab-monthly").click()
    thursday = today - timedelta(days=today.weekday()) + timedelta(days=3)  # a week's month is its Thursday's
    expect(page).to_have_url(f"/papers/month/{thursday.year}-{thursday.month:02d}")

    page.locator("#tab-daily").click()
    page.get_by_label("Day", exact=True).fill(first.isoformat())
    page.locator("#period-go").click()
    expect(page).to_have_url(f"/papers/date/{first.isoformat()}")
    assert card_titles(page) == demo_titles_of_day(7)


def test_feed_navigation_looks_right(new_context, base_url, demo_day):
    from tests.e2e.harness import WIDTHS, looks_right

    page = new_context(viewport={"width": 1366, "height": 900}).new_page()
    year, week, _ = demo_day.isocalendar()
    for path, name in (("/papers", "feed-day"), (f"/papers/week/{year}-W{week:02d}", "feed-week")):
        page.goto(path)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            expect(page.locator(".period-tabs a")).to_have_count(3)
            expect(page.locator("#period-pick")).to_be_visible()
        looks_right(page, name, axe=False)  # test_pages.py runs axe on the feeds

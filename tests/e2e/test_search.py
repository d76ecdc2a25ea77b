"""Searching from the navigation bar and the search page, and opening a result."""

from __future__ import annotations

import feedparser
import pytest
from playwright.sync_api import expect

from tests.e2e.harness import looks_right

pytestmark = pytest.mark.browser

BROADWAY = "BroadWay: Boost Your Text-to-Video Generation Model in a Training-free Way"  # a demo paper


def test_search_from_the_nav_bar_and_open_a_result(page):
    page.goto("/papers")
    page.get_by_role("searchbox", name="Search papers").fill("BroadWay temporal attention")
    page.get_by_role("searchbox", name="Search papers").press("Enter")
    expect(page).to_have_url("/search?q=BroadWay+temporal+attention")
    expect(page.locator("main h1")).to_have_text("Search papers")
    results = page.locator("#results .result")
    expect(results.first).to_be_visible()
    first = results.first.locator(".card-title a")
    expect(first).to_have_text(BROADWAY)
    expect(results.first.locator(".snippet mark").first).to_be_visible()  # the matched words are marked

    first.click()
    expect(page).to_have_url("/papers/2410.06241")
    expect(page.locator("#paper-title")).to_have_text(BROADWAY)
    expect(page.locator("#paper-authors")).to_contain_text("Jiazi Bu")


def test_search_page_filters_and_empty_results(page):
    page.goto("/search")
    page.get_by_label("Words, phrases").fill("zyxwvut qqqxj")
    page.get_by_label("Mode").select_option("keyword")
    page.locator("#search-submit").click()
    expect(page.locator("#no-results")).to_have_text(
        "Nothing matched “zyxwvut qqqxj”. Try other words, or fewer of them."
    )
    expect(page.get_by_label("Mode")).to_have_value("keyword")


def test_an_arxiv_id_in_the_nav_box_opens_its_paper(page):
    page.goto("/papers")
    page.get_by_role("searchbox", name="Search papers").fill("https://arxiv.org/pdf/2410.06241v1")
    page.get_by_role("searchbox", name="Search papers").press("Enter")
    expect(page).to_have_url("/papers/2410.06241")
    expect(page.locator("#paper-title")).to_have_text(BROADWAY)


def test_nonsense_matches_nothing(page):
    page.goto("/search?q=zzzqqqxyz")
    expect(page.locator("#no-results")).to_have_text("Nothing matched “zzzqqqxyz”. Try other words, or fewer of them.")
    expect(page.locator("#results")).to_have_count(0)


def test_a_search_feed_keeps_the_mode_and_filters(page):
    page.goto("/search?q=video&mode=keyword&category=cs.CV")
    expect(page.locator("#result-count")).to_contain_text("match “video” in cs.CV")
    href = page.locator("#search-atom").get_attribute("href")
    assert href == "/search/feed.xml?q=video&mode=keyword&category=cs.CV"
    feed = feedparser.parse(page.request.get(href).body())
    assert feed.entries and not feed.bozo
    assert all(any(t.term.startswith("cs.CV") for t in entry.tags) for entry in feed.entries)


SHOTS = {
    "results": "/search?q=video&mode=keyword",
    "missing-id": "/search?q=2501.99999",
    "filtered-out": "/search?q=video&mode=keyword&category=q-bio",
    "past-end": "/search?q=video&p=9",
    "nothing": "/search?q=zzzqqqxyz",
}


def test_search_states_look_right_and_pass_axe(new_context):
    page = new_context(viewport={"width": 1366, "height": 900}).new_page()
    for name, path in SHOTS.items():
        page.goto(path)
        looks_right(page, f"search-{name}")

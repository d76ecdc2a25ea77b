"""Searching from the navigation bar and the search page, and opening a result."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

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
    expect(page.locator("#no-results")).to_have_text("No papers match “zyxwvut qqqxj”.")
    expect(page.get_by_label("Mode")).to_have_value("keyword")

"""A member turns a collection into a feed: the collection page leads to it, the owner turns it on and puts it in
their digest, the papers like the collection show with their "because" line, the signed Atom link works without
a cookie; the page at 1366 and 390 px, light and dark, is axe-clean and fits its width."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.harness import assert_accessible, horizontal_overflow, screenshot, sign_up, unique_name

pytestmark = pytest.mark.browser

# Demo papers about language models improving their own reasoning.
REASONING = ("2310.00533", "2404.12253", "2409.12917")


def _look(page, name: str) -> None:
    """The page at 1366 and 390 px, light and dark: it fits its width, axe finds nothing, a screenshot each."""
    for width, scheme in [(1366, "light"), (1366, "dark"), (390, "light"), (390, "dark")]:
        page.set_viewport_size({"width": width, "height": 900})
        page.emulate_media(color_scheme=scheme)
        assert horizontal_overflow(page) <= 0, (width, scheme)
        assert_accessible(page)
        screenshot(page, f"{name}-{width}-{scheme}")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.emulate_media(color_scheme="light")


def test_a_collection_becomes_a_feed_of_papers_like_it(page, browser, base_url):
    sign_up(page, unique_name("curator"))
    page.goto("/library")
    page.get_by_label("New collection").fill("Self-improving reasoning")
    page.locator("#collection-create").click()
    expect(page.locator("#collection-name")).to_have_text("Self-improving reasoning")
    collection_url = page.url
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    for arxiv_id in REASONING:  # as the cards' Collect menu posts it
        added = page.request.post(
            f"{collection_url}/papers", form={"paper": arxiv_id, "on": "1", "csrf_token": token}, max_redirects=0
        )
        assert added.status == 303
    page.reload()
    expect(page.locator("#collection-feed-link")).to_have_text("Turn it into a feed of papers like it")
    _look(page, "collection-owner")

    page.locator("#collection-feed-link").click()
    expect(page.locator("#collection-feed-off")).to_be_visible()
    page.locator("#feed-on").click()
    expect(page.locator("#feed-links")).to_be_visible()
    page.locator("#feed-in-digest").check()
    page.locator("#feed-save").click()
    expect(page.locator("#feed-in-digest")).to_be_checked()

    cards = page.locator("#collection-feed .card")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 10
    why = cards.first.locator(".why")
    expect(why).to_contain_text("in this collection")
    assert why.locator("a.because").get_attribute("href") in {f"/papers/{a}" for a in REASONING}
    shown = page.locator("#collection-feed .card-title").all_inner_texts()
    assert len(shown) == len(set(shown))

    _look(page, "collection-feed")

    reader = browser.new_context(base_url=base_url)  # a feed reader: no cookie
    atom = reader.request.get(page.locator("#feed-atom").get_attribute("href"))
    assert atom.ok and "Self-improving reasoning" in atom.text() and shown[0].split("\n")[0][:30] in atom.text()
    unsigned = reader.request.get(f"{collection_url}/feed.xml")
    assert unsigned.status == 404
    assert reader.request.get(f"{collection_url}/feed").status == 404  # private: the page is its owner's
    reader.close()

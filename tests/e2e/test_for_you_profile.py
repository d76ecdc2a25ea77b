"""A member reads what their For-you model learned (the topics and papers that weigh, drawn as bars), takes a
paper out of the profile, pauses learning and sets the community and diversity controls; the page is
screenshot at 1366 and 390 px, light and dark, and axe finds nothing wrong."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.harness import assert_accessible, horizontal_overflow, screenshot, sign_up, unique_name

pytestmark = pytest.mark.browser

SELF_IMPROVEMENT = ("2310.00533", "2404.12253", "2409.12917")  # demo papers about models improving their reasoning


def test_read_and_steer_the_for_you_profile(page):
    sign_up(page, unique_name("steerer"))
    page.goto("/for-you")
    page.locator("#seed-references").fill("\n".join(SELF_IMPROVEMENT))
    page.locator("#seed-submit").click()
    page.goto("/for-you")
    first = page.locator("#for-you .card").first
    title = first.locator(".card-title").inner_text().strip()
    first.get_by_role("button", name=f"Not interested: {title}").click()
    expect(page.locator("#for-you")).not_to_contain_text(title)

    page.locator("#profile-link a").click()
    expect(page.locator("main h1")).to_have_text("Your For-you profile")
    expect(page.locator("#pulls li .weight-bar.up").first).to_be_visible()
    expect(page.locator("#pushes li .weight-bar.down").first).to_be_visible()
    expect(page.locator("#signals li")).to_have_count(4)
    expect(page.locator("#signals")).to_contain_text("not interested")
    for width, scheme in [(1366, "light"), (1366, "dark"), (390, "light"), (390, "dark")]:
        page.set_viewport_size({"width": width, "height": 900})
        page.emulate_media(color_scheme=scheme)
        assert horizontal_overflow(page) == 0, (width, scheme)
        assert_accessible(page)
        screenshot(page, f"for-you-profile-{width}-{scheme}")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.emulate_media(color_scheme="light")

    paper = page.locator(f'[id="signal-{SELF_IMPROVEMENT[0]}"]')
    paper.get_by_role("button", name="Take out of the profile").click()
    expect(paper).to_contain_text("taken out")
    expect(paper.get_by_role("button", name="Use again")).to_be_visible()

    page.locator("#pause-learning").click()
    expect(page.locator("#paused-note")).to_be_visible()
    expect(page.locator("#pause-learning")).to_have_text("Resume learning")
    page.locator("#community").fill("0.5")
    page.locator("#diversity").fill("0.25")
    page.locator("#controls-submit").click()
    expect(page.locator("#community")).to_have_value("0.5")
    expect(page.locator("#diversity")).to_have_value("0.25")
    assert_accessible(page)
    screenshot(page, "for-you-profile-steered")
    page.goto("/for-you")
    expect(page.locator("#for-you .card").first).to_be_visible()

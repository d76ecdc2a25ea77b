"""How the pages hold together in a browser: the header on one line, cards at desktop and phone width in both
colour schemes, the library's pages, comment actions on one row, a vote without JavaScript, and the trends chart
in dark mode."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.harness import assert_accessible, horizontal_overflow, looks_right, screenshot

pytestmark = pytest.mark.browser

PAPER = "2410.06241"  # a demo paper
DESKTOP, PHONE = 1366, 390


def _signed_in(new_context, account, width: int, scheme: str = "light", **options):
    context = new_context(
        viewport={"width": width, "height": 900}, color_scheme=scheme, storage_state=account["state"], **options
    )
    return context.new_page()


def _tops(locator) -> set[int]:
    return {round(box["y"]) for box in (item.bounding_box() for item in locator.all()) if box}


def test_the_header_is_one_line_at_desktop_width_signed_in(new_context, account):
    page = _signed_in(new_context, account, DESKTOP)
    page.goto("/papers")
    nav = page.locator("nav.nav")
    brand, logout = nav.locator(".brand").bounding_box(), page.locator("#nav-logout").bounding_box()
    assert nav.bounding_box()["height"] < 3 * brand["height"], "the header wraps onto a second line"
    assert abs((logout["y"] + logout["height"] / 2) - (brand["y"] + brand["height"] / 2)) < 6
    fits = page.evaluate("""() => {
        const box = document.getElementById('nav-q'), style = getComputedStyle(box);
        const ctx = document.createElement('canvas').getContext('2d'); ctx.font = style.font;
        const room = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        return room >= ctx.measureText(box.placeholder).width; }""")
    assert fits, "the nav search box is too narrow for its placeholder"


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_cards_hold_up_at_desktop_and_phone_width(new_context, account, width):
    page = _signed_in(new_context, account, width)
    page.goto("/papers")
    card = page.locator("#feed .card").first
    for part in (".card-title", ".authors", ".teaser", ".card-chips", ".comments-link", ".library-buttons"):
        expect(card.locator(part)).to_be_visible()
    looks_right(page, "cards", widths=[width])
    # the vote you gave is unmistakable: the button fills with the accent colour, in either scheme
    button = page.locator("#feed .card").nth(1).locator(".upvote-button")
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        plain = button.evaluate("b => getComputedStyle(b).backgroundColor")
        button.click()
        expect(button).to_have_attribute("aria-pressed", "true")
        filled = button.evaluate("b => getComputedStyle(b).backgroundColor")
        accent = page.evaluate("getComputedStyle(document.querySelector('a')).color")
        assert filled != plain and filled == accent, scheme
        assert_accessible(page)
        button.click()
        expect(button).to_have_attribute("aria-pressed", "false")


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_a_library_of_more_than_a_page_has_a_pager(new_context, librarian, width):
    page = _signed_in(new_context, librarian, width)
    page.goto("/library")
    expect(page.locator("#library .card")).to_have_count(50)
    expect(page.locator("#library-size")).to_have_text("60 papers saved")
    expect(page.locator("#page-number")).to_have_text("Page 1 of 2")
    page.get_by_role("link", name="Next page →").click()
    expect(page).to_have_url("/library?p=2")
    expect(page.locator("#library .card")).to_have_count(10)
    expect(page.get_by_role("link", name="← Previous page")).to_be_visible()
    looks_right(page, "library-pages", widths=[width])


def test_comment_actions_sit_on_one_row(new_context, account):
    page = _signed_in(new_context, account, PHONE)
    page.goto(f"/papers/{PAPER}")
    page.get_by_label("Add a comment").fill("Actions on one row, please.")
    page.locator("#comment-submit").click()
    comment = page.locator("#comments .comment", has_text="Actions on one row").last
    actions = comment.locator(".comment-actions").locator("summary, button.link")
    expect(actions).to_have_count(3)  # reply, edit, delete
    assert len(_tops(actions)) == 1, "reply, edit and delete sit on more than one row"
    comment.locator("summary", has_text="Reply").click()
    expect(comment.locator(".reply-form textarea")).to_be_visible()
    screenshot(page, f"comment-actions-{PHONE}")


def test_a_vote_without_javascript_returns_to_the_card(new_context, account):
    page = _signed_in(new_context, account, DESKTOP, java_script_enabled=False)
    page.goto("/papers")
    card = page.locator("#feed .card").last
    card_id = card.get_attribute("id")
    card.locator(".upvote-button").click()
    page.wait_for_load_state("load")
    assert page.url.endswith(f"/papers#{card_id}")
    button = page.locator(f'[id="{card_id}"] .upvote-button')  # an arXiv id holds a dot
    expect(button).to_have_attribute("aria-pressed", "true")
    button.click()  # and take it back
    expect(button).to_have_attribute("aria-pressed", "false")


def test_collect_into_a_new_collection_from_a_card(new_context, account):
    page = _signed_in(new_context, account, PHONE)
    page.goto("/papers")
    card = page.locator("#feed .card").first
    card.locator(".collect summary").click()
    card.get_by_label("Create a collection with this paper").fill("Phone reading")
    card.get_by_role("button", name="Create and add").click()
    card = page.locator("#feed .card").first
    card.locator(".collect summary").click()
    expect(card.get_by_role("button", name="✓ Phone reading")).to_have_attribute("aria-pressed", "true")
    screenshot(page, f"collect-new-{PHONE}")


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_the_trends_chart_follows_dark_mode(new_context, account, width):
    page = _signed_in(new_context, account, width, "dark")
    page.goto("/trends?q=language+models&q=diffusion&q=%22reinforcement+learning%22")
    chart = page.locator("#trends-chart svg")
    expect(chart).to_have_attribute("role", "img")
    body = page.evaluate("getComputedStyle(document.body).color")
    label = chart.locator("text").first
    assert label.evaluate("t => getComputedStyle(t).fill") == body  # light ink on the dark page
    assert horizontal_overflow(page) <= 0
    screenshot(page, f"trends-dark-{width}")

"""A new user's first ten minutes, as the README walks them: `dailypapers demo` on a port of its own, sign up,
save three papers, read For you, search by arXiv id and by nonsense, share a public collection, follow a
search feed with filters, look at topic trends in dark mode, and read the cards on a desktop and a phone.

Every page is checked with axe-core, and screenshots go to test-artifacts/screenshots/first-*.png.
"""

from __future__ import annotations

import shutil

import feedparser
import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.harness import LiveSite, PageProblems, assert_accessible, horizontal_overflow, screenshot, sign_up

pytestmark = pytest.mark.browser

PAPER = "2410.06241"  # a demo paper: BroadWay, text-to-video
SAVED = ["2410.06241", "2505.13508", "2506.13705"]


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory, mailbox, chromium_path, demo_sqlite):
    """`dailypapers demo --port N`, not 8000, with no base URL configured: links must follow the port."""
    root = tmp_path_factory.mktemp("first-ten-minutes")
    shutil.copytree(demo_sqlite, root / "data")
    live = LiveSite(root / "data", mailbox, root / "demo.log", command="demo", configured_base_url=False)
    assert live.port != 8000
    live.start()
    yield live
    live.stop()


@pytest.fixture
def visit(browser, demo_site):
    """Opens pages of the demo site in fresh contexts, each watched for errors and checked with axe."""
    contexts, watched = [], []

    def open_page(width: int = 1366, scheme: str = "light", storage_state=None):
        context = browser.new_context(
            base_url=demo_site.url,
            viewport={"width": width, "height": 900},
            color_scheme=scheme,
            storage_state=storage_state,
        )
        contexts.append(context)
        page = context.new_page()
        watched.append(PageProblems(page))
        return page

    yield open_page
    for problems in watched:
        problems.check()
    for context in contexts:
        context.close()


def test_the_first_ten_minutes(visit, demo_site):
    site = demo_site.url
    page = visit()

    # 1. The demo answers on its own port, and links to itself there.
    page.goto("/papers")
    expect(page.locator(".card").first).to_be_visible()
    assert_accessible(page)
    page.goto(f"/papers/{PAPER}")
    assert page.locator('meta[property="og:url"]').get_attribute("content") == f"{site}/papers/{PAPER}"
    atom = httpx.get(site + "/papers/feed.xml", timeout=30).text
    assert f"{site}/papers/" in atom and ":8000" not in atom

    # 2. Sign up, save three papers, and For you has picks at once, with reasons in topic words.
    sign_up(page, "first-reader")
    for arxiv_id in SAVED:
        page.goto(f"/papers/{arxiv_id}")
        buttons = page.locator(f'.library-buttons[data-paper="{arxiv_id}"] .save-button')
        buttons.first.click()
        expect(buttons.first).to_have_attribute("aria-pressed", "true")
    page.locator("#nav-for-you").click()
    picks = page.locator("#for-you .card")
    expect(picks.first).to_be_visible()
    assert picks.count() >= 10
    expect(page.locator("#for-you-new")).to_contain_text("arrived on this site")
    assert_accessible(page)
    state = page.context.storage_state()

    # 3. Search by arXiv id opens the paper; nonsense finds nothing and says so.
    page.locator("#nav-q").fill(f"https://arxiv.org/abs/{PAPER}v2")
    page.locator("#nav-q").press("Enter")
    page.wait_for_url(f"**/papers/{PAPER}")
    expect(page.locator("main h1")).to_contain_text("BroadWay")
    page.goto("/search?q=zzzqqqxyz")
    expect(page.locator("#no-results")).to_contain_text("Nothing matched")
    expect(page.locator(".card")).to_have_count(0)
    assert_accessible(page)

    # 4. A public collection's share link is on this port, and a stranger can open it.
    page.goto("/library")
    page.get_by_label("New collection").fill("Video generation")
    page.locator("#collection-public").check()
    page.locator("#collection-create").click()
    share = page.locator("#share-link").get_attribute("href")
    assert share.startswith(site + "/collections/"), share
    stranger = visit()
    stranger.goto(share)
    expect(stranger.locator("main h1, #collection-name").first).to_contain_text("Video generation")

    # 5. A search with a mode and a category keeps both in its feed, and the feed honours them.
    page.goto("/search?q=video&mode=keyword&category=cs.CV")
    expect(page.locator("#result-count")).to_be_visible()
    href = page.locator("#search-atom").get_attribute("href")
    assert "mode=keyword" in href and "category=cs.CV" in href, href
    feed = feedparser.parse(httpx.get(site + href, timeout=30).text)
    assert feed.entries
    for entry in feed.entries:
        assert entry.link.startswith(site + "/papers/")
        assert "cs.CV" in {tag.term for tag in entry.get("tags", [])}, entry.link
    assert_accessible(page)

    # 6. Topic trends in dark mode: the chart is labelled and drawn in the page's light-on-dark colours.
    dark = visit(scheme="dark")
    dark.goto("/trends?q=diffusion&q=reinforcement")
    chart = dark.locator('svg[role="img"]').first
    expect(chart).to_be_visible()
    assert chart.get_attribute("aria-label")
    text_colour = dark.evaluate("() => getComputedStyle(document.querySelector('svg[role=img]')).color")
    assert _luminance(text_colour) > 0.5, text_colour
    assert_accessible(dark)
    screenshot(dark, "first-trends-1366-dark")

    # 7. The cards at desktop and phone width, light and dark, signed in: nothing spills sideways.
    for width in (1366, 390):
        for scheme in ("light", "dark"):
            reader = visit(width, scheme, storage_state=state)
            reader.goto("/papers")
            card = reader.locator(".card").first
            expect(card.locator(".teaser")).to_be_visible()
            expect(card.locator(".card-chips .chip").first).to_be_visible()
            assert horizontal_overflow(reader) == 0
            assert_accessible(reader)
            screenshot(reader, f"first-feed-{width}-{scheme}")
            reader.goto(f"/papers/{PAPER}")
            assert horizontal_overflow(reader) == 0
            screenshot(reader, f"first-paper-{width}-{scheme}")
            reader.goto("/for-you")
            expect(reader.locator("#for-you .card").first).to_be_visible()
            assert horizontal_overflow(reader) == 0
            screenshot(reader, f"first-for-you-{width}-{scheme}")


def _luminance(css_colour: str) -> float:
    """0 (black) to 1 (white) for an `rgb(r, g, b)` colour, close enough to tell light text from dark."""
    r, g, b = (int(part) for part in css_colour[css_colour.index("(") + 1 :].rstrip(")").split(",")[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255

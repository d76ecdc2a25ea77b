"""The map of papers in the browser: the demo's papers drawn as points from the page's JSON, a hover names a
paper, a click opens it, the buttons zoom; the reader's library marked; axe-clean at 1366 and 390 px, light and
dark."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.harness import looks_right

pytestmark = pytest.mark.browser
ALL_DEMO = "/map?from=2020-01-01&to=2025-12-31"  # every demo paper with a first-version date


def test_the_map_draws_points_names_one_on_hover_and_opens_it_on_click(signed_in_page, site, account):
    page = signed_in_page
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(ALL_DEMO)
    points = page.locator("#map-svg circle")
    expect(points.first).to_be_attached()
    count = points.count()
    assert count >= 40, count  # the demo's dated papers, each embedded
    expect(page.locator("#map-clusters tbody tr").first).to_be_visible()

    # A hover shows the paper's title beside the pointer.
    first = points.first
    index = int(first.get_attribute("data-i"))
    data = page.evaluate("() => JSON.parse(document.getElementById('map-data').textContent)")
    paper = data["points"][index]
    first.hover(force=True)
    expect(page.locator("#map-tip")).to_be_visible()
    expect(page.locator("#map-tip")).to_have_text(paper["title"])

    # The buttons zoom: the view box narrows.
    before = page.locator("#map-svg").get_attribute("viewBox")
    page.locator("#map-zoom-in").click()
    assert page.locator("#map-svg").get_attribute("viewBox") != before
    page.locator("#map-reset").click()
    assert page.locator("#map-svg").get_attribute("viewBox") == before

    # A paper in the reader's library is marked.
    site.cli("library", "add", account["username"], paper["id"])
    page.reload()
    expect(page.locator(f'#map-svg circle.library[data-i="{index}"]')).to_be_attached()

    # A click opens the paper.
    page.locator(f'#map-svg circle[data-i="{index}"]').click(force=True)
    expect(page).to_have_url(re.compile(re.escape(f"/papers/{paper['id']}") + "$"))


@pytest.mark.parametrize("width", [1366, 390])
def test_the_map_is_accessible_and_fits_at_every_width(new_context, width):
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    page.goto(ALL_DEMO)
    expect(page.locator("#map-svg circle").first).to_be_attached()
    looks_right(page, "map", widths=[width])

"""Topic trends in the browser: from a paper's keywords to the chart, drawn on the server (no script), with
lines that show up in a screenshot."""

from __future__ import annotations

import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.harness import SCREENSHOTS, horizontal_overflow, screenshot

pytestmark = pytest.mark.browser
TIME_R1 = "2505.13508"  # a demo paper with keywords, first published in May 2025
BLUE, ORANGE = (37, 99, 235), (180, 83, 9)  # the page's first two chart colours in light mode (--chart-1, --chart-2)


def _pixels_near(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 40) -> int:
    return sum(
        count
        for count, pixel in image.getcolors(image.width * image.height)
        if all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))
    )


def test_a_paper_links_its_topics_over_time_and_the_chart_is_drawn(page):
    page.goto(f"/papers/{TIME_R1}")
    page.locator("#paper-trends").click()
    expect(page).to_have_url(re.compile(r"/trends\?q=%22.+"))
    expect(page.locator("#trends-chart svg")).to_be_visible()

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/trends?q=language+models&q=reinforcement+learning&from=2024-01&to=2025-12")
    chart = page.locator("#trends-chart svg")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box["width"] > 400 and box["height"] > 150, box
    expect(page.locator("#trends-table tbody tr")).to_have_count(24)
    expect(page.locator("#trends-table tbody tr").first.locator("th")).to_have_text("2024-01")
    assert horizontal_overflow(page) == 0
    screenshot(page, "trends")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "trends-chart.png"
    chart.screenshot(path=str(shot))
    image = Image.open(shot).convert("RGB")
    assert image.width > 400 and image.height > 150
    assert len(image.getcolors(image.width * image.height)) > 20  # lines, text and their anti-aliasing: not blank
    assert _pixels_near(image, BLUE) > 200 and _pixels_near(image, ORANGE) > 200  # both lines were drawn

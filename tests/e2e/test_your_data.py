"""Your data from the settings page: one member downloads everything they have, another account imports the
file and reads the report, in Chromium at a desktop and a phone width, light and dark, axe clean."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.e2e.harness import looks_right, sign_up, unique_name

pytestmark = pytest.mark.browser

PAPER, TITLE = "2402.00823", "SLIM: Skill Learning with Multiple Critics"  # a demo paper


@pytest.mark.parametrize("width", [1366, 390])
def test_download_your_data_and_import_it_into_another_account(new_context, width, tmp_path):
    def browser():
        return new_context(viewport={"width": width, "height": 900}).new_page()

    page = browser()
    sign_up(page, unique_name("leaver"))
    page.goto(f"/papers/{PAPER}")
    page.get_by_role("button", name=f"Save: {TITLE}").first.click()
    expect(page.get_by_role("button", name=f"Saved: {TITLE}").first).to_be_visible()
    page.goto("/settings")
    expect(page.locator("#data-heading")).to_have_text("Your data")
    with page.expect_download() as download:
        page.locator("#export-data").click()
    exported = json.loads(download.value.path().read_text())
    assert [s["arxiv_id"] for s in exported["library"]] == [PAPER]
    exported["library"].append(
        {"arxiv_id": "2509.99999", "version": 2, "title": "A paper from elsewhere", "at": "2025-01-01T00:00:00Z"}
    )
    file = tmp_path / "my-data.json"
    file.write_text(json.dumps(exported))

    newcomer = browser()
    sign_up(newcomer, unique_name("arriver"))
    newcomer.goto("/settings")
    newcomer.get_by_label("Import a file exported from a dailypapers site").set_input_files(str(file))
    newcomer.locator("#import-submit").click()
    report = newcomer.locator("#import-report")
    expect(report).to_contain_text("1 saved")
    expect(newcomer.locator("#import-unmatched")).to_have_text("2509.99999v2 “A paper from elsewhere”")
    looks_right(newcomer, "settings-your-data", widths=[width])

    newcomer.goto("/library")
    expect(newcomer.locator("#library")).to_contain_text(TITLE)

"""In Chromium, the site's Content-Security-Policy is in force: an inline script injected into a page does not
run, and nobody can frame the site. (That the site's own pages break no rule of it is checked by every page
test: a violation is a console error.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import Error as PlaywrightError

pytestmark = pytest.mark.browser


def test_an_injected_inline_script_does_not_run(new_context):
    page = new_context().new_page()
    violations = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    response = page.goto("/papers")
    assert response.headers["x-frame-options"] == "DENY"
    try:
        page.add_script_tag(content="window.__injected = true")
    except PlaywrightError:
        pass  # Playwright reports the refused script, too
    assert page.evaluate("window.__injected === undefined"), "an inline script ran despite the policy"
    assert violations, "Chromium reported no policy violation"


def test_the_site_cannot_be_framed(new_context, base_url):
    page = new_context().new_page()
    page.set_content(f'<iframe id="framed" src="{base_url}/papers"></iframe>')
    frame = page.frame_locator("#framed")
    page.wait_for_load_state("load")
    assert frame.locator("main h1").count() == 0, "the site rendered inside another page's frame"

"""Every main page loads cleanly at phone and desktop width, with no horizontal scroll on a phone, and
passes axe-core's accessibility rules in the light and the dark colour scheme.

A page passes when it answers 2xx, shows one main heading, logs no console error and gets no 5xx for any
of its resources; so a template error (a 500) on any of these pages fails here. Each page is saved as a
full-page screenshot under test-artifacts/screenshots/<page>-<width>.png.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.e2e.harness import PageProblems, accessibility_violations, assert_page_ok, horizontal_overflow, screenshot

pytestmark = pytest.mark.browser

PHONE, DESKTOP = 375, 1280
# (name, path, signed in: as `account`, or as the named fixture's user)
PAGE_LIST = [
    ("feed", "/papers", False),
    ("feed-day", "/papers/date/{yesterday}", False),
    ("feed-week", "/papers/week/{week}", False),
    ("feed-month", "/papers/month/{month}", False),
    ("trending", "/papers/trending", False),
    ("paper", "/papers/2410.06241", False),
    ("paper-signed-in", "/papers/2410.06241", True),
    ("search", "/search?q=video+generation", False),
    ("trends", "/trends?q=language+models&q=diffusion&q=%22reinforcement+learning%22", False),
    ("about", "/about", False),
    ("login", "/login", False),
    ("signup", "/signup", False),
    ("subscribe", "/subscribe", False),
    ("submit", "/submit", True),
    ("settings", "/settings", True),
    ("user", "/users/{username}", True),
    ("for-you", "/for-you", True),
    ("library", "/library", True),
    ("library-pages", "/library?p=2", "librarian"),  # a library of more than a page: the pager
    ("search-empty", "/search", False),
    ("api-docs", "/docs", False),
]
PAGES = [pytest.param(*page, id=page[0]) for page in PAGE_LIST]
# Pages known to scroll sideways on a phone, and why: they xfail on that check alone (every other check still
# applies), and fail once fixed, so the entry is removed.
SIDEWAYS_ON_PHONE: dict[str, str] = {}


def _user(request, account: dict, signed_in: bool | str) -> dict | None:
    if isinstance(signed_in, str):
        return request.getfixturevalue(signed_in)
    return account if signed_in else None


def _path(template: str, username: str, day: date) -> str:
    """The page's path, its dates those of the demo's newest day."""
    year, week, _ = day.isocalendar()
    yesterday = (day - timedelta(days=1)).isoformat()
    return template.format(week=f"{year}-W{week:02d}", month=f"{day:%Y-%m}", yesterday=yesterday, username=username)


@pytest.mark.parametrize("name, path, signed_in", PAGES)
def test_main_page(request, new_context, account, demo_day, name, path, signed_in):
    """Loaded once at a phone's width, then looked at as a desktop, and by axe-core over the whole page in both
    colour schemes: contrast, names, landmarks, heading order. One load serves all four looks (the CSS follows
    the viewport and the scheme as they change); a load per look cost the suite a minute."""
    user = _user(request, account, signed_in)
    context = new_context(viewport={"width": PHONE, "height": 800}, storage_state=user["state"] if user else None)
    page = context.new_page()
    problems = PageProblems(page)
    response = page.goto(_path(path, account["username"], demo_day))
    page.wait_for_load_state("load")
    assert_page_ok(page, response, problems)
    if user:
        assert page.locator("#nav-user").inner_text() == user["username"]
    screenshot(page, f"{name}-{PHONE}")
    overflow = horizontal_overflow(page)
    page.set_viewport_size({"width": DESKTOP, "height": 800})
    screenshot(page, f"{name}-{DESKTOP}")
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") is (scheme == "dark")
        violations = accessibility_violations(page)
        assert not violations, f"{page.url} in the {scheme} scheme breaks axe's rules:\n" + "\n".join(violations)
    problems.check()
    if name in SIDEWAYS_ON_PHONE:
        assert overflow > 0, f"{name} no longer scrolls sideways: remove it from SIDEWAYS_ON_PHONE"
        pytest.xfail(SIDEWAYS_ON_PHONE[name])
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {PHONE}px wide"


def test_not_found_page(new_context):
    page = new_context(viewport={"width": PHONE, "height": 800}).new_page()
    problems = PageProblems(page)
    problems.allow_status(404)
    response = page.goto("/papers/2101.99999")
    assert response.status == 404
    assert page.locator("main h1").inner_text() == "Not found"
    assert "2101.99999" in page.locator("#error-message").inner_text()
    problems.check()
    screenshot(page, f"not-found-{PHONE}")
    assert horizontal_overflow(page) <= 0

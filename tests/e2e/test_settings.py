"""The settings page: personal API tokens that work against the API until revoked, and a password
change that ends the account's other sessions."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.harness import PASSWORD, PageProblems, sign_up, unique_name

pytestmark = pytest.mark.browser

PAPER, TITLE = "2402.00823", "SLIM: Skill Learning with Multiple Critics"  # a demo paper


def test_api_token_works_until_revoked(page, site):
    sign_up(page, unique_name("scripter"))
    page.locator("#nav-user").click()
    page.locator("#settings-link").click()
    expect(page.locator("main h1")).to_have_text("Settings")
    page.get_by_label("Token name").fill("laptop script")
    page.locator("#token-create").click()
    token = page.locator("#new-token").inner_text().strip()
    assert token.startswith("dp_")

    upvote = httpx.post(f"{site.url}/api/papers/{PAPER}/upvote", headers={"Authorization": f"Bearer {token}"})
    assert upvote.status_code == 200, upvote.text
    assert upvote.json()["upvoted"] is True
    page.goto(f"/papers/{PAPER}")  # the vote made through the API is the signed-in user's
    expect(page.get_by_role("button", name=f"Upvote {TITLE}", pressed=True)).to_have_attribute("aria-pressed", "true")

    page.goto("/settings")
    page.get_by_role("button", name="Revoke token laptop script").click()
    expect(page.get_by_role("button", name="Revoke token laptop script")).to_have_count(0)
    refused = httpx.delete(f"{site.url}/api/papers/{PAPER}/upvote", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    assert "error" in refused.json()


def test_password_change_ends_other_sessions(page, page_problems, new_context):
    username = unique_name("mover")
    sign_up(page, username)
    other = new_context(storage_state=page.context.storage_state()).new_page()  # the same account elsewhere
    other_problems = PageProblems(other)
    other.goto("/settings")
    expect(other.locator("#nav-user")).to_have_text(username)

    page.goto("/settings")
    page_problems.allow_status(400)
    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password").fill("a brand new passphrase")
    page.locator("#password-submit").click()
    expect(page.locator("#password-error")).to_have_text("the current password is wrong")

    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill("a brand new passphrase")
    page.locator("#password-submit").click()
    expect(page.locator("main")).to_contain_text("Password changed.")
    expect(page.locator("#nav-user")).to_have_text(username)  # this browser stays signed in

    other.goto("/settings")  # the other one is signed out
    expect(other.locator("main h1")).to_have_text("Log in")
    expect(other.locator("#nav-login")).to_be_visible()
    other_problems.check()

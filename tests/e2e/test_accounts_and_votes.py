"""Sign up, log out, log in, and upvote: the count changes in place and is still there after a reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.harness import PASSWORD, sign_up, unique_name

pytestmark = pytest.mark.browser


def test_sign_up_log_in_and_upvote(page):
    username = unique_name("voter")
    sign_up(page, username)
    expect(page.locator("main h1")).to_contain_text("Daily papers")

    page.locator("#nav-logout").click()
    expect(page.locator("#nav-login")).to_be_visible()
    expect(page.locator("#nav-user")).to_have_count(0)

    page.locator("#nav-login").click()
    expect(page.locator("main h1")).to_have_text("Log in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("#login-submit").click()
    expect(page.locator("#nav-user")).to_have_text(username)

    card = page.locator("#feed .card").nth(2)
    title = card.locator(".card-title").inner_text().strip()
    button = card.get_by_role("button", name=f"Upvote {title}", pressed=False)
    before = int(button.locator("[data-count]").inner_text())
    page.evaluate("window.__notReloaded = true")

    button.click()
    voted = card.get_by_role("button", name=f"Upvote {title}", pressed=True)
    expect(voted.locator("[data-count]")).to_have_text(str(before + 1))
    expect(voted).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.__notReloaded === true"), "the page reloaded to show the vote"

    page.reload()
    card = page.locator("#feed .card", has=page.get_by_role("link", name=title, exact=True))
    voted = card.get_by_role("button", name=f"Upvote {title}", pressed=True)
    expect(voted.locator("[data-count]")).to_have_text(str(before + 1))
    expect(voted).to_have_class(re.compile(r"\bvoted\b"))

    page.locator("#nav-user").click()
    expect(page.locator("#upvoted")).to_contain_text(title)

    page.go_back()
    card.get_by_role("button", name=f"Upvote {title}", pressed=True).click()  # and take it back
    unvoted = card.get_by_role("button", name=f"Upvote {title}", pressed=False)
    expect(unvoted.locator("[data-count]")).to_have_text(str(before))
    expect(unvoted).to_have_attribute("aria-label", re.compile(rf"^{before} upvotes?, "))  # the name says the count


def test_wrong_password_is_refused(page, page_problems, account):
    page_problems.allow_status(400)
    page.goto("/login")
    page.get_by_label("Username").fill(account["username"])
    page.get_by_label("Password").fill("not the password")
    page.locator("#login-submit").click()
    expect(page.locator("#form-error")).to_have_text("wrong username or password")
    expect(page.locator("#nav-login")).to_be_visible()


def test_signed_out_upvote_asks_to_log_in(page):
    page.goto("/papers")
    card = page.locator("#feed .card").first
    title = card.locator(".card-title").inner_text().strip()
    arxiv_id = card.locator(".upvote").get_attribute("data-paper")
    card.get_by_role("link", name=f"Log in to upvote {title}").click()
    expect(page.locator("main h1")).to_have_text("Log in")
    expect(page.locator("input[name=next]")).to_have_value(f"/papers/{arxiv_id}")

"""Submitting a paper to today's feed, and the answers to submissions the feed refuses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_submit_a_paper(signed_in_page, account, fresh_paper):
    page = signed_in_page
    today = datetime.now(UTC).date()
    page.goto("/papers")
    page.locator("#nav-submit").click()
    expect(page.locator("main h1")).to_have_text("Submit a paper")
    page.get_by_label("arXiv id or URL").fill(f"https://arxiv.org/abs/{fresh_paper.arxiv_id}v1")
    page.locator("#submit-paper").click()

    expect(page).to_have_url(f"/papers/{fresh_paper.arxiv_id}")
    expect(page.locator("#paper-title")).to_have_text(fresh_paper.title)
    on_feed = page.locator(".facts div", has_text="On the feed")
    expect(on_feed).to_contain_text(f"{today:%b} {today.day}, {today.year}")
    expect(on_feed).to_contain_text(f"submitted by {account['username']}")

    on_feed.get_by_role("link", name=f"{today:%b} {today.day}, {today.year}").click()
    card = page.locator("#feed .card", has=page.get_by_role("link", name=fresh_paper.title))
    expect(card).to_have_count(1)
    expect(card.locator(".meta")).to_contain_text(f"submitted by {account['username']}")

    page.goto("/submit")  # a paper enters the feed once
    page.problems.allow_status(400)
    page.get_by_label("arXiv id or URL").fill(fresh_paper.arxiv_id)
    page.locator("#submit-paper").click()
    expect(page.locator("#form-error")).to_contain_text(f"{fresh_paper.arxiv_id} is already on the daily feed")
    expect(page.get_by_label("arXiv id or URL")).to_have_value(fresh_paper.arxiv_id)


def test_submit_refuses_what_is_not_an_arxiv_id(signed_in_page):
    page = signed_in_page
    page.problems.allow_status(400)
    page.goto("/submit")
    page.get_by_label("arXiv id or URL").fill("not a paper")
    page.locator("#submit-paper").click()
    expect(page.locator("#form-error")).to_contain_text("not a paper")
    expect(page.locator("main h1")).to_have_text("Submit a paper")


def test_submit_asks_signed_out_visitors_to_log_in(page):
    page.goto("/submit")
    expect(page).to_have_url("/login?next=/submit")
    expect(page.locator("main h1")).to_have_text("Log in")

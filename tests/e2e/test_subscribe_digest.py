"""Subscribing to the digest: the confirmation email, its link, a digest, and one-click unsubscribe."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from dailypapers.ingest.demo import PAPERS_PER_DAY, demo_records
from tests.e2e.harness import PageProblems, horizontal_overflow, screenshot, unique_name

pytestmark = pytest.mark.browser
PHONE = 375


def issue_day():
    """The next daily digest that covers a demo feed day and may go to someone who confirms today:
    today on weekdays (it covers the day before), else the coming Monday (it covers the weekend)."""
    today = datetime.now(UTC).date()
    return today if today.weekday() < 5 else today + timedelta(days=7 - today.weekday())


def demo_ids_of(days, demo_day) -> set[str]:
    records = demo_records()
    ids = set()
    for day in days:
        ago = (demo_day - day).days
        if 0 <= ago < len(records) // PAPERS_PER_DAY:
            ids |= {r.arxiv_id for r in records[ago * PAPERS_PER_DAY : (ago + 1) * PAPERS_PER_DAY]}
    return ids


def show_email(new_context, mail, name: str) -> None:
    """The email's HTML part as a phone's mail app would show it: saved as a screenshot, no sideways scroll."""
    page = new_context(viewport={"width": PHONE, "height": 800}).new_page()
    problems = PageProblems(page)
    page.set_content(mail.html())
    problems.check()
    screenshot(page, f"{name}-{PHONE}")
    overflow = horizontal_overflow(page)
    assert overflow <= 0, f"the {name} scrolls sideways by {overflow}px at {PHONE}px wide"


def phone_check(page, name: str) -> None:
    """The page as it is now, on a phone: saved as a screenshot, no sideways scroll; then back to desktop."""
    size = page.viewport_size
    page.set_viewport_size({"width": PHONE, "height": 800})
    screenshot(page, f"{name}-{PHONE}")
    overflow = horizontal_overflow(page)
    page.set_viewport_size(size)
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {PHONE}px wide"


def test_subscribe_confirm_receive_and_unsubscribe(page, new_context, site, mailbox, demo_day):
    address = f"{unique_name('reader')}@example.org"
    page.goto("/papers")
    page.locator("#nav-subscribe").click()
    expect(page.locator("main h1")).to_have_text("Get trending papers in your inbox")
    page.get_by_label("Email address").fill(address)
    page.get_by_label("Daily, on weekdays").check()
    page.get_by_label("Your interests").fill("video generation")
    page.locator("#subscribe-submit").click()
    expect(page.locator("main h1")).to_have_text("Check your inbox")
    phone_check(page, "subscribe-sent")
    expect(page.locator("#notice-message")).to_contain_text("a confirmation email is on its way")

    confirmation = mailbox.wait_for(address, "Confirm your")
    [confirm_url] = confirmation.links("/subscriptions/confirm/")
    show_email(new_context, confirmation, "confirmation-email")
    assert confirm_url.startswith(site.url)
    page.goto(confirm_url)
    expect(page.locator("main h1")).to_have_text("Confirm your subscription")
    page.locator("#confirm-button").click()
    expect(page.locator("main h1")).to_have_text("You are subscribed")
    expect(page.locator("#notice-message")).to_have_text(f"{address} will get the daily digest each weekday.")

    issue = issue_day()
    site.cli("digest", "send", "--period", f"daily:{issue.isoformat()}")
    digest = mailbox.wait_for(address, "daily · ")
    assert f"{issue:%b} {issue.day}, {issue.year}" in digest.subject
    days_covered = [issue - timedelta(days=n) for n in range(1, 4 if issue.weekday() == 0 else 2)]
    linked = set(re.findall(re.escape(site.url) + r"/papers/(\d{4}\.\d{4,5})", digest.text()))
    assert linked & demo_ids_of(days_covered, demo_day), f"the digest links none of the papers of {days_covered}"
    assert digest.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    show_email(new_context, digest, "digest-email")

    paper_id = sorted(linked & demo_ids_of(days_covered, demo_day))[0]  # a paper link in the digest opens its page
    page.goto(f"{site.url}/papers/{paper_id}")
    expect(page.locator("#paper")).to_have_attribute("data-arxiv-id", paper_id)

    [unsubscribe_url] = digest.links("/subscriptions/unsubscribe/")
    assert f"<{unsubscribe_url}>" == digest.message["List-Unsubscribe"]
    page.goto(unsubscribe_url)
    expect(page.locator("main h1")).to_have_text("Unsubscribe")
    page.locator("#unsubscribe-button").click()
    expect(page.locator("main h1")).to_have_text("You are unsubscribed")
    phone_check(page, "unsubscribed")
    expect(page.locator("#notice-message")).to_contain_text(f"{address} gets no more digests")

    page.locator("#manage-link").click()
    expect(page.locator("main h1")).to_have_text("Your digest")
    expect(page.locator("#subscription-state")).to_contain_text("unsubscribed; no digests are sent")

    page.locator("#resubscribe-button").click()  # changed their mind: back from the same page
    expect(page.locator("#subscription-state")).to_have_text(f"{address}: subscribed.")
    page.get_by_label("Weekly, on Mondays").check()
    page.locator("#save-button").click()
    expect(page.locator("#saved")).to_have_text("Your preferences are saved.")
    phone_check(page, "subscription-manage")
    expect(page.get_by_label("Weekly, on Mondays")).to_be_checked()
    expect(page.get_by_label("Your interests")).to_have_value("video generation")


def test_subscribe_form_refuses_a_bad_address(page, page_problems, mailbox):
    page_problems.allow_status(400)
    page.goto("/subscribe")
    page.get_by_label("Email address").fill("someone@localhost")  # passes the browser's check, not ours
    page.locator("#subscribe-submit").click()
    expect(page.locator("#form-error")).to_contain_text("not an email address we can send to")
    expect(page.get_by_label("Email address")).to_have_value("someone@localhost")
    assert mailbox.to("someone@localhost") == []

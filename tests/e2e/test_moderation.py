"""Moderation: an administrator (made with `dailypapers users create --admin`) hides a comment and a paper
from readers, and brings the paper back from the moderation page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dailypapers.ingest.demo import demo_records
from tests.e2e.harness import PASSWORD, PageProblems, log_in, screenshot, sign_up, unique_name

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def admin(site) -> str:
    username = unique_name("moderator")
    site.cli("users", "create", username, "--admin", "--password-stdin", input=PASSWORD + "\n")
    return username


def test_admin_hides_a_comment_and_a_paper(page, new_context, admin):
    paper = demo_records()[40]  # on the feed five days ago; no other test uses it
    reader = new_context().new_page()
    reader_problems = PageProblems(reader)
    reader_problems.allow_status(404)
    sign_up(reader, unique_name("troll"))
    reader.goto(f"/papers/{paper.arxiv_id}")
    reader.get_by_label("Add a comment").fill("Buy cheap watches at example.com!")
    reader.locator("#comment-submit").click()
    spam = reader.locator("#comments .comment", has_text="cheap watches")
    expect(spam).to_have_count(1)
    comment_id = spam.get_attribute("data-comment-id")

    log_in(page, admin)
    page.locator("#nav-admin").click()
    expect(page.locator("main h1")).to_have_text("Moderation")
    page.get_by_role("button", name=f"Hide comment {comment_id}").click()
    expect(page.locator(f"#comment-{comment_id}")).to_contain_text("hidden")

    reader.reload()  # readers no longer see it
    expect(reader.locator("#comments .comment", has_text="cheap watches")).to_have_count(0)

    page.goto(f"/papers/{paper.arxiv_id}")
    page.locator("#hide-paper").click()
    expect(page.locator("main .flash")).to_contain_text("hidden from everyone but administrators")
    reader.goto("/papers/trending")  # gone from the lists readers see, and from its own address
    expect(reader.get_by_role("link", name=paper.title, exact=True)).to_have_count(0)
    assert reader.goto(f"/papers/{paper.arxiv_id}").status == 404

    page.locator("#nav-admin").click()
    expect(page.locator("#hidden-papers")).to_contain_text(paper.title)
    screenshot(page, "admin-1280")
    page.get_by_role("button", name=f"Unhide {paper.title}").click()
    expect(page.locator("#hidden-papers")).to_have_count(0)
    reader.goto("/papers/trending")
    expect(reader.get_by_role("link", name=paper.title, exact=True)).to_have_count(1)
    reader_problems.check()


def test_moderation_page_is_for_administrators_only(signed_in_page):
    signed_in_page.problems.allow_status(403)
    response = signed_in_page.goto("/admin")
    assert response.status == 403
    expect(signed_in_page.locator("main h1")).to_have_text("Not allowed")
    expect(signed_in_page.locator("#nav-admin")).to_have_count(0)

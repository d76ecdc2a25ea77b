"""A reading group in Chromium: one member creates it, adds papers with notes and starts a thread; a second
joins through the invite link and shares their upvotes; the page shows the collection, the week and the group's
feed, passes axe in light and dark at 1366 and 390 px, and a stranger's browser is told it does not exist."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.harness import ROOT, assert_accessible, horizontal_overflow, screenshot, sign_up, unique_name

pytestmark = pytest.mark.browser

PAPERS = {
    "2310.00533": "Read before Thursday: the self-refinement loop is what we want to try on our own models.",
    "2404.12253": "Section 4 answers Maria's question from last week.",
    "2409.12917": "",
}


def test_a_group_page_shared_and_private(page, new_context, base_url):
    owner = unique_name("owner")
    sign_up(page, owner)
    page.locator("#nav-groups").click()
    expect(page.locator("#no-groups")).to_be_visible()
    slug = unique_name("thursday")
    page.get_by_label("Name").fill("Thursday reading group")
    page.get_by_label("Address: /groups/…").fill(slug)
    page.locator("#create-group-submit").click()
    expect(page.locator("#group-name")).to_have_text("Thursday reading group")

    for arxiv_id, note in PAPERS.items():
        page.get_by_label("Add a paper (arXiv id or link)").fill(arxiv_id)
        page.get_by_label("Note for the group").fill(note)
        page.locator("#add-paper-submit").click()
    expect(page.locator("#group-papers .card")).to_have_count(3)
    expect(page.locator("#group-papers .note").first).to_be_visible()
    thread = page.locator("#group-papers .group-thread").first
    thread.locator("summary").click()
    thread.get_by_label("Comment for the group").fill("Let's start with **section 3**.")
    thread.get_by_role("button", name="Post to the group").click()
    expect(page.locator("#group-papers .comment-body strong")).to_have_text("section 3")

    page.locator("#make-invite").click()
    invite = page.locator("#live-invites .invite-link").first.get_attribute("href")
    assert invite and "/invites/" in invite

    # a second member joins by the link and shares their upvotes with the group
    member = new_context().new_page()
    sign_up(member, unique_name("member"))
    member.goto(invite)
    member.locator("#join-group").click()
    expect(member.locator("#group-name")).to_have_text("Thursday reading group")
    member.locator("#share-signals").check()
    member.locator("#save-group-settings").click()
    member.goto("/papers/2402.15567")
    member.locator(".upvote-button").first.click()
    expect(member.locator(".upvote-button").first).to_have_attribute("aria-pressed", "true")

    page.goto(f"/groups/{slug}")
    expect(page.locator("#group-week")).to_contain_text("upvoted")
    expect(page.locator("#group-picks .card").first).to_be_visible()
    expect(page.locator("#group-picks .why").first).to_contain_text("Because the group reads")
    for width, scheme in [(1366, "light"), (1366, "dark"), (390, "light"), (390, "dark")]:
        page.set_viewport_size({"width": width, "height": 900})
        page.emulate_media(color_scheme=scheme)
        assert_accessible(page)
        assert horizontal_overflow(page) <= 0, (width, scheme)
        shot = screenshot(page, f"group-{width}-{scheme}")
    page.set_viewport_size({"width": 1366, "height": 1300})
    page.emulate_media(color_scheme="light")
    page.screenshot(path=str(ROOT / "docs" / "screenshots" / "group.png"))  # the README's picture
    page.set_viewport_size({"width": 1366, "height": 900})
    assert shot.exists()

    # a stranger's browser: the group does not exist
    stranger = new_context().new_page()
    sign_up(stranger, unique_name("stranger"))
    response = stranger.goto(f"/groups/{slug}")
    assert response is not None and response.status == 404
    assert "Thursday" not in stranger.content()

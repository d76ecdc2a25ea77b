"""Paper pages in the browser: a reader claims an author, an administrator approves, the verified author
edits the paper's links, and the page shows the link, the claimed badge, the keywords and the summary."""

from __future__ import annotations

import itertools
import re

import pytest
from playwright.sync_api import expect

from dailypapers.ingest.demo import demo_records
from tests.e2e.harness import (
    PASSWORD,
    PageProblems,
    assert_accessible,
    horizontal_overflow,
    log_in,
    screenshot,
    sign_up,
    unique_name,
)

pytestmark = pytest.mark.browser
REPO = "https://github.com/example/claimed-author-code"


def test_claim_an_author_get_approved_and_edit_the_links(page, new_context, site, tmp_path):
    paper = demo_records()[50]  # no other browser test uses it
    admin_name, author_name = unique_name("approver"), unique_name("author")
    site.cli("users", "create", admin_name, "--admin", "--password-stdin", input=PASSWORD + "\n")

    author = new_context().new_page()
    author_problems = PageProblems(author)
    sign_up(author, author_name)
    author.goto(f"/papers/{paper.arxiv_id}")
    expect(author.locator("#links")).to_have_count(0)  # nobody but its submitter, an author or an admin edits links
    author.get_by_label("Are you an author? This is me:").select_option(label=paper.authors[0])
    author.locator("#claim-submit").click()
    expect(author.locator("#claim-status")).to_contain_text("waiting for an administrator")

    log_in(page, admin_name)
    page.goto("/admin/claims")
    claim = page.locator("#claims li", has_text=author_name)
    expect(claim).to_have_count(1)
    claim.get_by_role("button", name="Approve").click()
    expect(page.locator("#claims li", has_text=author_name)).to_have_count(0)

    author.reload()
    expect(author.locator("#claim-status")).to_contain_text("verified")
    expect(author.locator("#paper-authors .claimed")).to_have_text(f"@{author_name}")
    if author.locator("#links").get_attribute("open") is None:  # open already when arXiv's text suggests links
        author.locator("#links summary").click()
    author.get_by_label("Code repository").fill(REPO)
    author.locator("#links-save").click()
    expect(author.locator("#link-code")).to_have_attribute("href", REPO)

    # What `dailypapers index` computed for the demo: keyword chips that search, and the labelled summary.
    expect(author.locator("#summary-heading")).to_contain_text("Extractive summary (the abstract's own sentence")
    assert author.locator("#paper-summary").inner_text().strip()
    chips = author.locator("#paper-keywords a.chip")
    assert 3 <= chips.count() <= 8

    shot = tmp_path / "claimed-author-links.png"
    author.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000

    chips.first.click()  # a keyword search for the quoted phrase, which finds the paper
    expect(author).to_have_url(re.compile(r"/search\?q=%22.+%22&mode=keyword"))
    expect(author.locator("#results")).to_contain_text(paper.title)
    author_problems.check()


def test_competing_claims_wait_side_by_side(new_context, site):
    """Two readers claim the same author: both wait, and the administrators' queue says that they compete.
    The queue and the claimant's paper page read well on a desktop and a phone, light and dark."""
    paper = demo_records()[51]  # no other browser test uses it
    admin_name = unique_name("decider-with-a-long-name")
    site.cli("users", "create", admin_name, "--admin", "--password-stdin", input=PASSWORD + "\n")
    states = {}
    for who in (admin_name, unique_name("author"), unique_name("rival")):
        context = new_context()
        page = context.new_page()
        if who == admin_name:
            log_in(page, who)
        else:
            sign_up(page, who)
            page.goto(f"/papers/{paper.arxiv_id}")
            page.get_by_label("Are you an author? This is me:").select_option(label=paper.authors[0])
            page.locator("#claim-submit").click()
            expect(page.locator("#claim-status")).to_contain_text("waiting for an administrator")
        states[who] = context.storage_state()
    rival = list(states)[-1]
    for width, scheme in itertools.product((1366, 390), ("light", "dark")):
        look = {"viewport": {"width": width, "height": 900}, "color_scheme": scheme}
        admin = new_context(storage_state=states[admin_name], **look).new_page()
        admin.goto("/admin/claims")
        competing = admin.locator("#claims li", has_text=paper.title).locator(".competing")
        expect(competing).to_have_count(2)
        expect(competing.first).to_have_text("one of 2 claims of this author: approving it turns the others down")
        claimant = new_context(storage_state=states[rival], **look).new_page()
        claimant.goto(f"/papers/{paper.arxiv_id}")
        expect(claimant.locator("#claim-status")).to_contain_text("waiting for an administrator")
        for page, name in ((admin, "admin-claims-competing"), (claimant, "paper-claim-waiting")):
            screenshot(page, f"{name}-{width}-{scheme}")
            assert_accessible(page)
            assert horizontal_overflow(page) <= 0  # an administrator's header (one more link) fits a phone too

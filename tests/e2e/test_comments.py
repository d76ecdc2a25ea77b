"""Commenting on a paper: the comment appears in place, Markdown is rendered, HTML is shown as text."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.harness import sign_up, unique_name

pytestmark = pytest.mark.browser

PAPER = "2410.06241"  # demo papers
OTHER_PAPER = "2402.15567"
HOSTILE = (
    'Worth reading, *really*. <img src=x onerror="window.__injected=1">'
    '<script>window.__injected=2</script><b id="injected">bold?</b>'
)
LITERAL = '<img src=x onerror="window.__injected=1"><script>window.__injected=2</script><b id="injected">bold?</b>'


def assert_comment_is_inert(page, comment) -> None:
    body = comment.locator(".comment-body")
    expect(body).to_contain_text(LITERAL)  # the markup is shown, character for character
    expect(body.locator("em")).to_have_text("really")  # while Markdown still works
    for selector in ("img", "script", "b", "#injected"):
        expect(page.locator(f"#comments {selector}")).to_have_count(0)
    assert page.evaluate("window.__injected === undefined"), "a script from the comment ran"


def test_comment_with_html_is_shown_escaped(signed_in_page, account):
    page = signed_in_page
    page.goto(f"/papers/{PAPER}")
    count = int(page.locator("#comment-count").inner_text())
    page.get_by_label("Add a comment").fill(HOSTILE)
    page.evaluate("window.__notReloaded = true")
    page.locator("#comment-submit").click()

    comment = page.locator("#comments .comment").last
    expect(comment.locator(".comment-meta")).to_contain_text(account["username"])
    expect(page.locator("#comment-count")).to_have_text(str(count + 1))
    expect(page.get_by_label("Add a comment")).to_have_value("")
    assert_comment_is_inert(page, comment)
    assert page.evaluate("window.__notReloaded === true"), "the page reloaded to show the comment"

    page.reload()  # the server's own rendering of the same comment
    comment = page.locator("#comments .comment", has_text=account["username"]).last
    expect(page.locator("#comment-count")).to_have_text(str(count + 1))
    assert_comment_is_inert(page, comment)


def test_edit_and_delete_a_comment_in_place(signed_in_page):
    page = signed_in_page
    page.goto(f"/papers/{OTHER_PAPER}")
    count = int(page.locator("#comment-count").inner_text())
    page.get_by_label("Add a comment").fill("First thoughts: the ablation in section 4 is thin.")
    page.locator("#comment-submit").click()
    comment = page.locator("#comments .comment", has_text="First thoughts")
    expect(comment).to_have_count(1)
    page.evaluate("window.__notReloaded = true")

    comment.locator("summary", has_text="Edit").click()
    comment.get_by_label("Edit your comment").fill("Second thoughts: section 4 is **fine**.")
    comment.get_by_role("button", name="Save").click()
    expect(comment.locator(".comment-body strong")).to_have_text("fine")
    expect(comment.locator(".comment-body")).to_contain_text("Second thoughts: section 4 is fine.")

    page.once("dialog", lambda dialog: dialog.accept())  # "Delete this comment?"
    comment.get_by_role("button", name="Delete comment").click()
    expect(comment).to_have_count(0)
    expect(page.locator("#comment-count")).to_have_text(str(count))
    assert page.evaluate("window.__notReloaded === true"), "the page reloaded to edit or delete"

    page.reload()
    expect(page.locator("#comments .comment", has_text="thoughts")).to_have_count(0)
    expect(page.locator("#comment-count")).to_have_text(str(count))


def test_signed_out_readers_log_in_and_come_back_to_the_discussion(page, account):
    page.goto(f"/papers/{PAPER}")
    expect(page.locator("#comment-form")).to_have_count(0)
    page.locator("#discussion").get_by_role("link", name="Log in").click()
    expect(page.locator("main h1")).to_have_text("Log in")
    page.get_by_label("Username").fill(account["username"])
    page.get_by_label("Password").fill(account["password"])
    page.locator("#login-submit").click()
    expect(page).to_have_url(f"/papers/{PAPER}#discussion")
    expect(page.get_by_label("Add a comment")).to_be_visible()


def test_reply_to_another_readers_comment(signed_in_page, page, account):
    paper = "2309.17382"  # a demo paper no other test comments on
    signed_in_page.goto(f"/papers/{paper}")
    signed_in_page.get_by_label("Add a comment").fill("Does the regret bound hold for continuous actions?")
    signed_in_page.locator("#comment-submit").click()
    expect(signed_in_page.locator("#comments .comment", has_text="regret bound")).to_have_count(1)

    sign_up(page, unique_name("replier"))
    page.goto(f"/papers/{paper}")
    count = int(page.locator("#comment-count").inner_text())
    question = page.locator("#comments .comment", has_text="regret bound")
    question.locator("summary", has_text="Reply").click()
    question.get_by_label(f"Reply to {account['username']}").fill("Only for finite ones, see *Appendix B*.")
    question.get_by_role("button", name="Post reply").click()

    answer = question.locator("xpath=following-sibling::li[1]")  # threaded right under the question
    expect(answer).to_contain_text("Only for finite ones, see Appendix B.")
    expect(answer).to_have_attribute("data-depth", "1")
    expect(page.locator("#comment-count")).to_have_text(str(count + 1))

    page.reload()
    answer = page.locator("#comments .comment", has_text="regret bound").locator("xpath=following-sibling::li[1]")
    expect(answer).to_have_attribute("data-depth", "1")
    expect(answer.locator(".comment-body em")).to_have_text("Appendix B")

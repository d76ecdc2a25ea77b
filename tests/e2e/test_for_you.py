"""A new reader seeds a feed from a BibTeX file, reads For you with its reasons, dismisses a paper, collects
one, and exports the collection as BibTeX that a reference manager imports."""

from __future__ import annotations

import bibtexparser
import pytest
from playwright.sync_api import expect

from tests.e2e.harness import screenshot, sign_up, unique_name

pytestmark = pytest.mark.browser

# Demo papers about language models improving their own reasoning, as a reference manager exports them.
BIBTEX = """
@article{selfrefine, title = {One}, author = {A. Author}, eprint = {2310.00533}, archivePrefix = {arXiv}}
@misc{survey, title = {Two}, url = {https://arxiv.org/abs/2404.12253v1}}
@article{reflect, title = {Three}, doi = {10.48550/arXiv.2409.12917}}
@book{offline, title = {A Printed Book Without an arXiv Id}, author = {Some One}}
"""


def test_seed_for_you_dismiss_and_export(page, tmp_path):
    sign_up(page, unique_name("seeder"))
    page.locator("#nav-for-you").click()
    expect(page.locator("main h1")).to_have_text("For you")
    expect(page.locator("#for-you-empty")).to_be_visible()

    bib = tmp_path / "library.bib"
    bib.write_text(BIBTEX)
    page.locator("#seed-file").set_input_files(str(bib))
    page.locator("#seed-submit").click()
    expect(page.locator("#seed-added-count")).to_have_text("3 papers added to your library.")
    expect(page.locator("#seed-unmatched")).to_contain_text("A Printed Book Without an arXiv Id")

    page.locator("#to-for-you").click()
    # The default window (a week): the demo papers arrived on this site today, whatever their arXiv dates.
    expect(page.locator("#window-week")).to_have_attribute("aria-current", "true")
    expect(page.locator("#for-you-new")).to_contain_text("arrived on this site")
    cards = page.locator("#for-you .card")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 10
    why = cards.first.locator(".why")
    expect(why).to_contain_text("Because you liked")
    assert why.locator("a.because").get_attribute("href") in {
        "/papers/2310.00533",
        "/papers/2404.12253",
        "/papers/2409.12917",
    }
    terms = [t.strip() for t in ", ".join(page.locator("#for-you .terms").all_inner_texts()).split(",") if t.strip()]
    assert terms and not {"work", "propose", "paper", "process", "recent", "incorrect"} & set(terms), terms
    screenshot(page, "for-you")
    for width, scheme in [(1366, "light"), (1366, "dark"), (390, "light"), (390, "dark")]:
        page.set_viewport_size({"width": width, "height": 900})
        page.emulate_media(color_scheme=scheme)
        screenshot(page, f"for-you-{width}-{scheme}")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.emulate_media(color_scheme="light")

    first_title = cards.first.locator(".card-title").inner_text().strip()
    cards.first.get_by_role("button", name=f"Not interested: {first_title}").click()
    expect(page.locator("#for-you .card-title").first).not_to_have_text(first_title)
    expect(page.locator("#for-you")).not_to_contain_text(first_title)

    page.locator("#nav-library").click()
    expect(page.locator("#library .card")).to_have_count(3)
    page.get_by_label("New collection").fill("Self-improvement")
    page.locator("#collection-public").check()
    page.locator("#collection-create").click()
    expect(page.locator("#collection-name")).to_have_text("Self-improvement")
    collection_url = page.url

    page.goto("/for-you")
    pick = page.locator("#for-you .card").first
    pick_title = pick.locator(".card-title").inner_text().strip()
    pick.locator("details.collect summary").click()
    pick.get_by_role("button", name="Self-improvement").click()
    page.goto(collection_url)
    expect(page.locator("#collection .card-title")).to_have_text([pick_title])

    with page.expect_download() as download:
        page.locator(".export-bib").click()
    text = open(download.value.path(), encoding="utf-8").read()
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks and len(library.entries) == 1
    fields = {f.key: f.value for f in library.entries[0].fields}
    assert fields["archivePrefix"] == "arXiv" and fields["eprint"] and fields["author"]
    screenshot(page, "collection")

    # Save a search from the search page, with a filter, and open its page.
    page.goto("/search?q=reasoning&mode=keyword&from=2000-01-01")
    page.locator("#save-search-name").fill("Reasoning alerts")
    page.locator("#save-search-email").check()
    page.locator("#save-search-submit").click()
    expect(page.locator("#saved-search-title")).to_have_text("Reasoning alerts")
    expect(page.locator("#results .result").first).to_be_visible()
    feed = page.request.get(page.locator("#saved-search-atom").get_attribute("href"))
    assert feed.ok and "Reasoning alerts" in feed.text()
    page.goto("/saved-searches")
    expect(page.locator("#saved-searches .saved-search-name")).to_have_text(["Reasoning alerts"])
    screenshot(page, "saved-searches")


def _new_collection(page, name: str) -> None:
    page.goto("/library")
    page.get_by_label("New collection").fill(name)
    page.locator("#collection-create").click()
    expect(page.locator("#collection-name")).to_have_text(name)


def test_deleting_a_collection_asks_first_with_and_without_javascript(page, new_context, base_url):
    sign_up(page, unique_name("tidy"))
    _new_collection(page, "Old list")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("#delete-collection").click()
    expect(page.locator("#collection-name")).to_have_text("Old list")  # cancelled: nothing happened
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#delete-collection").click()
    expect(page).to_have_url("/library")
    expect(page.locator("#collections")).to_have_count(0)

    plain = new_context(java_script_enabled=False, storage_state=page.context.storage_state()).new_page()
    _new_collection(plain, "Another list")
    plain.locator("#delete-collection").click()
    expect(plain.locator("#confirm-title")).to_have_text("Delete the collection “Another list”?")
    screenshot(plain, "collection-delete-confirm")
    plain.locator("#confirm-yes").click()
    expect(plain).to_have_url("/library")
    expect(plain.locator("#collections")).to_have_count(0)

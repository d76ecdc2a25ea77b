"""Updates of saved papers in the browser: a reader saves a paper, `dailypapers import` brings the snapshot
record arXiv gives after a v2 (a new abstract, a journal reference), and the library and the paper page flag
it; the paper page shows the versions with the abstract's word diff, and "Mark seen" takes the flag away.
Desktop and phone, light and dark, axe clean."""

from __future__ import annotations

import itertools
import json

import pytest
from playwright.sync_api import expect

from tests.e2e.harness import assert_accessible, horizontal_overflow, screenshot, sign_up, unique_name
from tests.test_snapshot import NATIVE

pytestmark = pytest.mark.browser
JOURNAL = "Graphs and Combinatorics 25 (2009) 219-238"


def test_a_saved_paper_updated_on_arxiv_is_flagged_with_its_versions(new_context, site, tmp_path):
    arxiv_id = NATIVE["id"]  # the real snapshot record of 0704.0002; no other browser test uses it
    v1 = tmp_path / "v1.jsonl"
    v1.write_text(json.dumps(NATIVE) + "\n")
    site.cli("import", str(v1))
    context = new_context()
    reader = context.new_page()
    sign_up(reader, unique_name("versions"))
    reader.goto(f"/papers/{arxiv_id}")
    reader.locator("#paper .save-button").click()
    expect(reader.locator("#paper .save-button")).to_have_text("★ Saved")

    v3 = {
        **NATIVE,
        "abstract": NATIVE["abstract"] + " with a new proof that the game runs in quadratic time",
        "journal-ref": JOURNAL,
        "versions": [*NATIVE["versions"], {"version": "v3", "created": "Mon, 5 Jan 2009 10:00:00 GMT"}],
        "update_date": "2009-01-05",
    }
    v3_path = tmp_path / "v3.jsonl"
    v3_path.write_text(json.dumps(v3) + "\n")
    site.cli("import", str(v3_path))
    flag = f"v3 since you saved v2: abstract changed, now published in {JOURNAL}"
    state = context.storage_state()
    for width, scheme in itertools.product((1366, 390), ("light", "dark")):
        page = new_context(
            storage_state=state, viewport={"width": width, "height": 900}, color_scheme=scheme
        ).new_page()
        page.goto("/library")
        expect(page.locator(".update-note")).to_contain_text(flag)
        screenshot(page, f"library-updated-paper-{width}-{scheme}")
        assert_accessible(page)
        page.goto(f"/papers/{arxiv_id}")
        expect(page.locator("#paper .update-note")).to_contain_text(flag)
        expect(page.locator("#versions li")).to_have_count(2)
        expect(page.locator("#v3 .diff ins")).to_have_text("with a new proof that the game runs in quadratic time")
        page.locator("#versions").scroll_into_view_if_needed()
        screenshot(page, f"paper-versions-{width}-{scheme}")
        assert_accessible(page)
        assert horizontal_overflow(page) <= 0

    reader.goto("/library")
    reader.get_by_role("button", name=f"Mark seen: v3 of {NATIVE['title']}").click()
    expect(reader.locator(".update-note")).to_have_count(0)
    reader.goto(f"/papers/{arxiv_id}")
    expect(reader.locator(".update-note")).to_have_count(0)
    expect(reader.locator("#versions li")).to_have_count(2)  # the history stays

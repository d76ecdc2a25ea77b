"""Updates of saved papers on the web: a paper a member saved (or collected) gets a v2 from arXiv, and the flag
shows on /library, the collection, the paper page (with the version history and the abstract's word diff) and
in the library API, until the member marks it seen. The versions are real recorded arXiv entries, changed as
arXiv changes them."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest

from dailypapers.cli import main as dailypapers
from dailypapers.community import library
from dailypapers.community.users import create_user
from dailypapers.digest.run import send_period
from dailypapers.digest.schedule import parse_periods
from dailypapers.mcp_server.server import get_paper as mcp_get_paper
from dailypapers.sources.arxiv_api import parse_feed
from dailypapers.store.db import session_scope
from dailypapers.store.papers import add_daily_entry, upsert_papers
from dailypapers.store.reads import get_paper
from tests.arxiv_server import atom_feed, recorded_entries
from tests.digest_helpers import ISSUE_DAY, PERIOD, add_subscriber
from tests.test_paper_versions import JOURNAL, NS, PERELMAN, WITHDRAWN, arxiv_v2, arxiv_v3_withdrawn
from tests.web_helpers import client, csrf, signup

FLAG = f"v2 since you saved v1: abstract changed, now published in {JOURNAL}"
DOI = "10.2140/gt.2003.7.1"
PUBLISHED = f"since you saved v1: now published in {JOURNAL}, DOI {DOI}"


def arxiv_published(entry: bytes) -> bytes:
    """The recorded entry as arXiv serves it once the paper is published: a journal reference and a DOI on the
    same version, its id and dates as they were."""
    return entry.replace(
        b"<arxiv:comment",
        f"<arxiv:journal_ref {NS}>{JOURNAL}</arxiv:journal_ref>"
        f"<arxiv:doi {NS}>{DOI}</arxiv:doi><arxiv:comment".encode(),
    )


def arxiv_withdrawn_in_place(entry: bytes) -> bytes:
    return entry.replace(b">39 pages</arxiv:comment>", f">{WITHDRAWN}</arxiv:comment>".encode())


def publish(*entries: bytes, now: datetime | None = None) -> None:
    """What an ingest of these arXiv entries stores (at `now`)."""
    page = parse_feed(atom_feed(list(entries), len(entries), 0, 10))
    assert not page.errors
    with session_scope() as session:
        upsert_papers(session.connection(), page.records, now)


@pytest.fixture
def keeper(settings):
    """A member who saved Perelman's v1 and collected it."""
    v1 = recorded_entries()[PERELMAN]
    publish(v1)
    c = client()
    signup(c, "grisha")
    token = csrf(c, "/library")
    assert c.post(f"/papers/{PERELMAN}/save", data={"on": "1", "csrf_token": token}).status_code == 303
    made = c.post("/collections", data={"name": "Geometry", "csrf_token": token})
    collection = made.headers["location"]
    c.post(f"{collection}/papers", data={"paper": PERELMAN, "on": "1", "csrf_token": token})
    assert "update-note" not in c.get("/library").text  # nothing changed yet
    return c, collection, v1


@pytest.fixture
def member(keeper):
    """The member, after arXiv published a v2."""
    publish(arxiv_v2(keeper[2]))
    return keeper


def flag_text(html: str) -> str | None:
    match = re.search(r'<div class="update-note"[^>]*>\s*<p><span class="update-label">Updated</span> ([^<]*)\.', html)
    return match[1] if match else None


def test_a_saved_paper_changed_since_is_flagged_until_marked_seen_and_shows_its_versions(member):
    c, collection, v1 = member
    for path in ("/library", collection, f"/papers/{PERELMAN}"):
        assert flag_text(c.get(path).text) == FLAG, path
    api = c.get("/api/library").json()["saved"][0]["update"]
    assert (api["seenVersion"], api["version"], api["summary"]) == (1, 2, FLAG)
    assert [u["id"] for u in c.get("/api/library/updates").json()] == [PERELMAN]
    assert c.get(f"/api/papers/{PERELMAN}").json()["update"]["version"] == 2
    # Someone else sees no flag of hers, on the paper page or in the API.
    other = client()
    signup(other, "visitor")
    assert flag_text(other.get(f"/papers/{PERELMAN}").text) is None
    assert other.get(f"/api/papers/{PERELMAN}").json()["update"] is None

    # The paper page shows the versions, the newest with its abstract's word diff; the API lists them too.
    html = c.get(f"/papers/{PERELMAN}").text
    assert 'id="versions-heading">Versions</h2>' in html
    assert "<ins>new</ins>" in html and f"now published in {JOURNAL}" in html
    versions = c.get(f"/api/papers/{PERELMAN}/versions").json()
    assert [(v["version"], v["journalRef"], v["changes"]) for v in versions] == [
        (2, JOURNAL, ["abstract changed", f"now published in {JOURNAL}"]),
        (1, None, []),
    ]
    assert [v["changes"] for v in mcp_get_paper(PERELMAN)["versions"]] == [versions[0]["changes"], []]

    # Marking seen takes CSRF, and then the flag goes everywhere.
    assert c.post(f"/papers/{PERELMAN}/update-seen").status_code == 403
    assert flag_text(c.get("/library").text) == FLAG
    seen = c.post(f"/papers/{PERELMAN}/update-seen", data={"csrf_token": csrf(c, "/library")})
    assert seen.status_code == 303
    for path in ("/library", collection, f"/papers/{PERELMAN}"):
        assert flag_text(c.get(path).text) is None, path
    assert c.get("/api/library/updates").json() == []

    # A withdrawn v3 flags it again, from the version she saw.
    publish(arxiv_v3_withdrawn(arxiv_v2(v1)))
    assert flag_text(c.get("/library").text) == "v3 since you saved v2: withdrawn"
    marked = c.post(f"/api/papers/{PERELMAN}/update-seen", headers={"X-CSRF-Token": csrf(c, "/library")})
    assert marked.json() == {"id": PERELMAN, "update": None}
    assert c.get("/api/library/updates").json() == []


def test_a_paper_kept_only_in_a_collection_is_flagged_on_its_page_too(keeper):
    c, collection, v1 = keeper
    assert c.post(f"/papers/{PERELMAN}/save", data={"on": "0", "csrf_token": csrf(c, "/library")}).status_code == 303
    publish(arxiv_published(v1))
    assert flag_text(c.get(f"/papers/{PERELMAN}").text) == PUBLISHED  # the page asks for a collected paper too


def test_a_journal_reference_doi_or_withdrawal_on_the_same_version_flags_it_too(keeper):
    c, collection, v1 = keeper
    publish(v1)  # the same answer again is no news
    assert flag_text(c.get("/library").text) is None
    publish(arxiv_published(v1))
    for path in ("/library", collection, f"/papers/{PERELMAN}"):
        assert flag_text(c.get(path).text) == PUBLISHED, path
    api = c.get(f"/api/papers/{PERELMAN}").json()["update"]
    assert (api["seenVersion"], api["version"], api["summary"]) == (1, 1, PUBLISHED)
    assert [u["id"] for u in c.get("/api/library/updates").json()] == [PERELMAN]

    c.post(f"/papers/{PERELMAN}/update-seen", data={"csrf_token": csrf(c, "/library")})
    assert flag_text(c.get("/library").text) is None and c.get("/api/library/updates").json() == []
    publish(arxiv_withdrawn_in_place(arxiv_published(v1)))
    assert flag_text(c.get(collection).text) == "since you saved v1: withdrawn"


def test_the_diff_escapes_what_the_abstract_says(settings):
    v1 = recorded_entries()[PERELMAN]
    publish(v1)
    publish(arxiv_v2(v1).replace(b"Several new", b"Several &lt;script&gt;alert(1)&lt;/script&gt; new"))
    html = client().get(f"/papers/{PERELMAN}").text
    assert "<ins>&lt;script&gt;alert(1)&lt;/script&gt; new</ins>" in html and "<script>alert(1)" not in html


def updated_section(sink, period) -> str | None:
    """The "Updated papers you saved" section of ada's digest of the period, sent now."""
    before = len(sink.handler.to("ada@example.org"))
    send_period(period)
    [message] = sink.handler.to("ada@example.org")[before:]
    text = message.message.get_body(("plain",)).get_content()
    section = text.replace("\r\n", "\n").partition("UPDATED PAPERS YOU SAVED")[2]
    return " ".join(section.split()) or None


@pytest.mark.parametrize(("change", "flag"), [(arxiv_v2, FLAG), (arxiv_published, PUBLISHED)], ids=["v2", "published"])
def test_the_digest_tells_each_new_version_of_a_saved_paper_once(session, sink, change, flag):
    """A v2 (or a journal reference and DOI on v1) seen during Monday's digest period is in that digest; the
    next day's digest (another paper on the feed) has no word of it."""
    monday, tuesday = parse_periods("daily:2026-11-23", date(2026, 11, 23))[0], parse_periods(PERIOD, ISSUE_DAY)[0]
    entries = recorded_entries()
    v1 = entries[PERELMAN]
    publish(v1, entries["1710.08557"], now=datetime(2026, 11, 1, tzinfo=UTC))
    for arxiv_id, day in ((PERELMAN, monday.last_day), ("1710.08557", tuesday.last_day)):
        add_daily_entry(session, get_paper(session, arxiv_id), day)
    ada = create_user(session, "ada", None, email="ada@example.org")
    library.save(session, ada, PERELMAN)
    add_subscriber(session, "ada@example.org").user_id = ada.id
    session.commit()

    publish(change(v1), now=monday.starts_at.replace(hour=15))
    told = updated_section(sink, monday)
    assert told and "The entropy formula for the Ricci flow" in told and flag in told
    assert updated_section(sink, tuesday) is None  # a feed that day, but the v2 was told already


def test_the_cli_lists_a_members_updated_papers_one_a_line(member, capsys):
    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = dailypapers(["library", "updates", *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    assert run("grisha") == (0, f"{PERELMAN}  {FLAG}\n", "")
    code, printed, _ = run("grisha", "--json")
    assert (code, json.loads(printed)) == (0, [{"id": PERELMAN, "seenVersion": 1, "version": 2, "summary": FLAG}])
    assert run("nobody") == (1, "", "error: no user 'nobody'\n")
    code, printed, said = run()
    assert (code, printed, said.count("\n")) == (2, "", 1) and "Missing argument" in said


def test_an_update_seen_while_the_feed_was_empty_is_told_in_the_next_digest_once(session, sink):
    """Monday's period had no papers, so no digest went out: the v2 seen then is in Tuesday's digest, and not in
    Wednesday's."""
    entries = recorded_entries()
    monday, tuesday = parse_periods("daily:2026-11-23", date(2026, 11, 23))[0], parse_periods(PERIOD, ISSUE_DAY)[0]
    wednesday = parse_periods("daily:2026-11-25", date(2026, 11, 25))[0]
    publish(entries[PERELMAN], entries["1710.08557"], entries["1501.04914"], now=datetime(2026, 11, 1, tzinfo=UTC))
    for arxiv_id, day in (("1710.08557", tuesday.last_day), ("1501.04914", wednesday.last_day)):
        add_daily_entry(session, get_paper(session, arxiv_id), day)
    ada = create_user(session, "ada", None, email="ada@example.org")
    library.save(session, ada, PERELMAN)
    add_subscriber(session, "ada@example.org").user_id = ada.id
    session.commit()
    publish(arxiv_v2(entries[PERELMAN]), now=monday.starts_at.replace(hour=15))

    assert send_period(monday).empty_period and not sink.handler.to("ada@example.org")
    told = [updated_section(sink, period) for period in (tuesday, wednesday)]
    assert told[0] and FLAG in told[0] and told[1] is None

"""Paper pages: confirmed and suggested links, author pages, author claims and their moderation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from dailypapers.community.claims import RECLAIM_COOLDOWN
from dailypapers.names import author_key
from dailypapers.search import SearchQuery, search
from dailypapers.sources.links import suggested_links
from dailypapers.store.models import AuthorClaim, DailyEntry, Paper, User
from dailypapers.validators import forge_url
from tests.web_helpers import add_papers, client, csrf, make_admin, record, signup, token_for

REPO = "https://github.com/example/repo"


@pytest.fixture
def papers(session):
    add_papers(
        session,
        [
            record(
                "2501.00001",
                "Sparse attention",
                authors=("Ada Lovelace", "José Müller"),
                comments="Code: https://github.com/example/sparse. Project page: https://sparse.example.org/.",
            ),
            record("2501.00002", "Tokenizers", authors=("ada  LOVELACE", "J. Muller"), days_old=3),
            record("2501.00003", "Other Ada", authors=("Ada Byron",)),
        ],
    )
    return session


def _bearer(username: str):
    c = client()
    token = token_for(c, username)
    api = client()
    api.headers["Authorization"] = f"Bearer {token}"
    return api, c


def _submit_as(session, username: str, arxiv_id: str) -> None:
    user = session.scalar(select(User).where(User.username == username))
    paper_id = session.scalar(select(Paper.id).where(Paper.arxiv_id == arxiv_id))
    session.execute(
        DailyEntry.__table__.update().where(DailyEntry.paper_id == paper_id).values(submitted_by_id=user.id)
    )
    session.commit()


@pytest.mark.parametrize(
    "url,ok",
    [
        ("https://github.com/owner/repo", True),
        ("https://github.com/owner", False),
        ("http://github.com/o/r", False),
        ("https://gitlab.com/group/sub/repo", True),
        ("https://codeberg.org/x/y", True),
        ("javascript:alert(1)", False),
        ("https://example.org/", False),
        ("data:text/html,x", False),
        ("", False),
    ],
)
def test_forge_urls(url, ok):
    assert (forge_url(url) is not None) is ok


def test_links_in_arxiv_text_are_suggestions():
    assert suggested_links("Code: https://github.com/a/b. Project page: https://a.example/x.", None) == (
        "https://github.com/a/b",
        "https://a.example/x",
    )
    assert suggested_links(None, "See https://a.github.io/p and javascript:alert(1)") == (None, "https://a.github.io/p")
    assert suggested_links("Accepted at https://neurips.cc", "") == (None, None)  # no cue: not a project page


def test_author_keys_are_conservative():
    assert author_key("José  MÜLLER") == author_key("jose muller")
    assert author_key("J.R.R. Tolkien") == author_key("j. r. r. tolkien")
    assert author_key("J. Smith") not in (author_key("John Smith"), author_key("Jane Smith"))
    assert author_key("John Smith") != author_key("Jane Smith")


def test_suggested_links_wait_for_confirmation_and_has_code_uses_confirmed(settings, papers):
    paper = papers.scalar(select(Paper).where(Paper.arxiv_id == "2501.00001"))
    assert (paper.suggested_code_url, paper.suggested_project_page) == (
        "https://github.com/example/sparse",
        "https://sparse.example.org/",
    )
    assert paper.code_url is None and client().get("/api/papers/2501.00001").json()["githubRepo"] is None
    query = SearchQuery(text="sparse attention", mode="keyword", has_code=True).validate()
    assert search(papers, query) == []
    api, _ = _bearer("alice")
    make_admin("alice")
    assert api.post("/api/papers/2501.00001/links", json={"githubRepo": REPO}).status_code == 200
    papers.expire_all()
    assert [h.paper_id for h in search(papers, query)] == [paper.id]


def test_who_may_edit_links(settings, papers):
    api, _ = _bearer("bob")
    assert api.post("/api/papers/2501.00001/links", json={"githubRepo": REPO}).status_code == 403
    _submit_as(papers, "bob", "2501.00001")
    response = api.post("/api/papers/2501.00001/links", json={"githubRepo": REPO, "projectPage": "https://p.example"})
    assert response.status_code == 200, response.text
    assert (response.json()["githubRepo"], response.json()["projectPage"]) == (REPO, "https://p.example")
    cleared = api.post("/api/papers/2501.00001/links", json={"projectPage": None}).json()
    assert (cleared["githubRepo"], cleared["projectPage"]) == (REPO, None)  # null clears, a missing key keeps
    for bad in (
        {"githubRepo": "javascript:alert(1)"},
        {"projectPage": "data:text/html,x"},
        {"githubRepo": "https://github.com/only-owner"},
        {"projectPage": "ftp://x.example/"},
    ):
        response = api.post("/api/papers/2501.00001/links", json=bad)
        assert response.status_code == 400 and "error" in response.json(), bad
    assert client().post("/api/papers/2501.00001/links", json={"githubRepo": REPO}).status_code == 401


def test_links_form_on_the_paper_page(settings, papers):
    c = client()
    signup(c, "carol")
    make_admin("carol")
    page = c.get("/papers/2501.00001").text
    assert 'id="links-form"' in page and 'value="https://github.com/example/sparse"' in page  # the suggestion
    saved = c.post(
        "/papers/2501.00001/links",
        data={"githubRepo": REPO, "projectPage": "", "csrf_token": csrf(c, "/papers/2501.00001")},
    )
    assert saved.status_code == 303
    page = c.get("/papers/2501.00001").text
    assert f'href="{REPO}" rel="nofollow noopener" id="link-code"' in page and 'id="link-project"' not in page
    assert 'id="links-form"' not in client().get("/papers/2501.00001").text


def test_author_page_lists_papers_newest_first_with_coauthors(settings, papers):
    page = client().get("/authors/Ada%20Lovelace")
    assert page.status_code == 200
    html = page.text
    assert html.index("Sparse attention") < html.index("Tokenizers") and "Other Ada" not in html.split("Co-authors")[0]
    assert '<a href="/authors/Jos%C3%A9%20M%C3%BCller">José Müller</a>' in html and "J. Muller" in html
    assert client().get("/authors/Nobody%20Here").status_code == 404
    assert '<a href="/authors/Ada%20Lovelace">Ada Lovelace</a>' in client().get("/papers").text


def test_claim_approve_show_and_unclaim(settings, papers):
    c = client()
    signup(c, "ada")
    token = csrf(c, "/papers/2501.00001")
    claimed = c.post("/papers/2501.00001/claim", data={"author": "0", "claim": "1", "csrf_token": token})
    assert claimed.status_code == 303
    assert "waiting for an administrator" in c.get("/papers/2501.00001").text
    other = client()
    signup(other, "mallory")
    assert other.get("/admin/claims").status_code == 403
    admin = client()
    signup(admin, "root")
    make_admin("root")
    queue = admin.get("/admin/claims").text
    assert "ada</a>" in queue and "Sparse attention" in queue
    claim_id = int(queue.split('id="claim-')[1].split('"')[0])
    decided = admin.post(f"/admin/claims/{claim_id}", data={"decision": "approve", "csrf_token": csrf(admin, "/admin")})
    assert decided.status_code == 303
    info = client().get("/api/papers/2501.00001").json()
    assert info["authors"][0]["user"]["user"] == "ada" and info["authors"][0]["status"] == "claimed_verified"
    assert "user" not in info["authors"][1]
    assert 'href="/users/ada"' in client().get("/papers/2501.00001").text
    assert 'href="/users/ada"' in client().get("/authors/ada%20lovelace").text
    taken = other.post("/papers/2501.00001/claim", data={"author": "0", "csrf_token": csrf(other, "/papers")})
    assert taken.status_code == 400 and "claimed and verified already" in taken.text
    # An approved author may edit the paper's links.
    assert c.post("/papers/2501.00001/links", data={"githubRepo": REPO, "csrf_token": token}).status_code == 303
    unclaimed = c.post("/papers/2501.00001/claim", data={"author": "0", "claim": "0", "csrf_token": token})
    assert unclaimed.status_code == 303
    assert "user" not in client().get("/api/papers/2501.00001").json()["authors"][0]


def test_a_rejected_claim_frees_the_author(settings, papers):
    c = client()
    signup(c, "ada")
    c.post("/papers/2501.00002/claim", data={"author": "1", "csrf_token": csrf(c, "/papers")})
    admin = client()
    signup(admin, "root")
    make_admin("root")
    claim_id = int(admin.get("/admin/claims").text.split('id="claim-')[1].split('"')[0])
    admin.post(f"/admin/claims/{claim_id}", data={"decision": "reject", "csrf_token": csrf(admin, "/admin")})
    assert "user" not in client().get("/api/papers/2501.00002").json()["authors"][1]
    other = client()
    signup(other, "jmuller")
    claimed = other.post("/papers/2501.00002/claim", data={"author": "1", "csrf_token": csrf(other, "/papers")})
    assert claimed.status_code == 303


def _queue(admin) -> dict[str, int]:
    """The waiting claims on the administrators' page: {username: claim id}."""
    html = admin.get("/admin/claims").text
    return {user: int(claim) for claim, user in re.findall(r'id="claim-(\d+)"><a href="/users/(\w+)"', html)}


def _claim(c, arxiv_id: str, author: int, wanted: str = "1"):
    return c.post(
        f"/papers/{arxiv_id}/claim", data={"author": str(author), "claim": wanted, "csrf_token": csrf(c, "/papers")}
    )


def _decide(admin, username: str, decision: str) -> None:
    claim_id = _queue(admin)[username]
    answer = admin.post(f"/admin/claims/{claim_id}", data={"decision": decision, "csrf_token": csrf(admin, "/admin")})
    assert answer.status_code == 303


@pytest.fixture
def people(settings, papers):
    """Signed-in browsers: ada (the real author), mallory (a squatter), root (an administrator)."""
    browsers = {name: client() for name in ("ada", "mallory", "root")}
    for name, c in browsers.items():
        signup(c, name)
    make_admin("root")
    return browsers


def test_a_waiting_claim_does_not_block_the_real_author(people):
    ada, mallory, admin = people["ada"], people["mallory"], people["root"]
    assert _claim(mallory, "2501.00001", 0).status_code == 303  # first, and false
    assert '<option value="0">Ada Lovelace</option>' in ada.get("/papers/2501.00001").text
    assert _claim(ada, "2501.00001", 0).status_code == 303
    assert "You are Ada Lovelace on this paper" in ada.get("/papers/2501.00001").text
    queue = admin.get("/admin/claims").text
    assert queue.count("one of 2 claims of this author") == 2
    _decide(admin, "ada", "approve")
    assert _queue(admin) == {}  # approving ada's claim turned mallory's down
    assert client().get("/api/papers/2501.00001").json()["authors"][0]["user"]["user"] == "ada"
    assert "You are" not in mallory.get("/papers/2501.00001").text
    assert "is claimed and verified already" in _claim(mallory, "2501.00001", 0).text


def test_a_rejected_claimant_waits_before_claiming_again(people, session):
    mallory, admin = people["mallory"], people["root"]
    assert _claim(mallory, "2501.00002", 1).status_code == 303
    _decide(admin, "mallory", "reject")
    again = _claim(mallory, "2501.00002", 1)
    assert again.status_code == 400 and "turned down your claim of J. Muller on this paper" in again.text
    assert _claim(mallory, "2501.00002", 1, wanted="0").status_code == 404  # a rejection cannot be withdrawn
    assert _claim(mallory, "2501.00002", 1).status_code == 400
    assert _queue(admin) == {}
    # A month on, the claim may come back once, for the administrator to decide again.
    session.execute(update(AuthorClaim).values(decided_at=datetime.now(UTC) - RECLAIM_COOLDOWN - timedelta(hours=1)))
    session.commit()
    assert _claim(mallory, "2501.00002", 1).status_code == 303
    assert list(_queue(admin)) == ["mallory"]

"""What a page costs: the feed and a paper page read the database in a few statements, for a visitor and for a
signed-in member alike (members never hit the micro-cache, so every one of their pages is rendered)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from dailypapers.config import reset_settings
from dailypapers.store.db import get_engine
from tests.web_helpers import add_papers, client, csrf, record, signup


@contextmanager
def counted():
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(get_engine(), "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(get_engine(), "before_cursor_execute", listener)


def statements_for(c, path: str) -> int:
    for _ in range(2):  # the first reads warm what a process reads once (the keyword index's database id)
        assert c.get(path).status_code == 200
    with counted() as statements:
        assert c.get(path).status_code == 200
    return len(statements)


@pytest.fixture
def site(session, monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_PAGE_CACHE_SECONDS", "0")  # every visitor's page rendered, as a member's is
    reset_settings()
    add_papers(session, [record(f"2501.{i:05d}", f"Attention paper {i}") for i in range(500, 510)])
    member = client()
    signup(member, "carol")
    token = csrf(member, "/papers")
    for arxiv_id in ("2501.00500", "2501.00501"):
        assert member.post(f"/papers/{arxiv_id}/upvote", data={"vote": "1", "csrf_token": token}).status_code == 303
    assert member.post("/papers/2501.00502/save", data={"on": "1", "csrf_token": token}).status_code == 303
    return member


def test_the_feed_reads_the_latest_day_and_its_cards_in_two_statements(site):
    assert statements_for(client(), "/papers") == 2  # the days around the latest one, then its papers
    # a member's adds the session and, in one statement, their votes, saves and collections
    assert statements_for(site, "/papers") == 4


def test_a_paper_page_reads_few_statements(site):
    # the paper with its feed entry, its claims (a paper with no comments shown has none to read, a v1 paper no
    # older versions); then the related papers: with no vectors yet, the title (its words are searched), the
    # store's change number (the keyword index follows it) and the papers
    visitor = statements_for(client(), "/papers/2501.00503")
    assert visitor == 5
    # the session and the member's marks; a paper they keep adds whether it changed on arXiv since they saved it
    assert statements_for(site, "/papers/2501.00503") == visitor + 2
    assert statements_for(site, "/papers/2501.00502") == statements_for(client(), "/papers/2501.00502") + 3


def test_a_paper_page_reads_its_comments_only_when_it_shows_some(site):
    without = statements_for(client(), "/papers/2501.00504")
    token = csrf(site, "/papers/2501.00504")
    said = site.post("/papers/2501.00504/comments", data={"body": "Section 3 is the heart of it.", "csrf_token": token})
    assert said.status_code == 303
    assert statements_for(client(), "/papers/2501.00504") == without + 1
    assert "Section 3 is the heart of it." in client().get("/papers/2501.00504").text


def test_a_paper_page_with_vectors_reads_its_related_papers_once(demo, settings, monkeypatch):
    """With vectors, the related papers' links come from the rows that the nearest neighbours' visibility check
    read: the paper, its claims and that one statement. On PostgreSQL the search runs inside the
    database (the paper's vector, the search's settings, the search), and the rows follow it."""
    monkeypatch.setenv("DAILYPAPERS_PAGE_CACHE_SECONDS", "0")
    reset_settings()
    visitor = client()
    arxiv_id = visitor.get("/api/daily_papers?limit=1").json()[0]["paper"]["id"]
    expected = 3 if settings.db_url.startswith("sqlite") else 6
    assert statements_for(visitor, f"/papers/{arxiv_id}") == expected
    related = visitor.get(f"/papers/{arxiv_id}").text.split('<ul id="related">')[1].split("</ul>")[0]
    assert related.count("<li>") == 6 and related.count(" ▲</span>") == 6  # each with its title and upvotes

"""Paper cards on every list page: what each shows, how a vote looks, the avatars they draw, and that a page
of cards costs the same few queries however many cards it holds."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, update

from dailypapers.store.db import get_engine
from dailypapers.store.models import Paper
from dailypapers.web import templating
from dailypapers.web.routes.avatars import avatar_colour
from dailypapers.web.templating import TEASER_CHARS, code_host
from tests.web_helpers import add_papers, client, csrf, record, signup

SUMMARY = "We propose a sparse attention scheme that reads whole books in one pass."
AUTHORS = [f"Author Number{i}" for i in range(8)]


def _card(html: str, arxiv_id: str) -> str:
    """The card's markup, from its <li> to the next card or the end of the list."""
    start = html.index(f'id="paper-{arxiv_id}"')
    end = html.find('<li class="card', start)
    return html[start : end if end > 0 else html.index("</ol>", start)]


@pytest.fixture
def alice(session):
    add_papers(
        session,
        [
            record(
                "2501.00301",
                "Sparse attention for whole books",
                authors=AUTHORS,
                abstract="Long documents are hard. " + SUMMARY,
                code_url="https://github.com/example/books",
            )
        ],
        feed=False,
    )
    session.execute(
        update(Paper)
        .where(Paper.arxiv_id == "2501.00301")
        .values(
            ai_summary=SUMMARY,
            num_comments=3,
            ai_keywords=["sparse attention", "long documents", "book reading", "single pass", "memory", "efficiency"],
        )
    )
    session.commit()
    c = client()
    signup(c, "alice")
    assert c.post("/submit", data={"paper": "2501.00301", "csrf_token": csrf(c, "/submit")}).status_code == 303
    return c


def test_a_card_shows_teaser_keywords_submitter_comments_and_code(alice):
    card = _card(alice.get("/papers").text, "2501.00301")
    assert '<h2 class="card-title">' in card  # the feed's list sits right under its h1
    assert f'<p class="teaser">{SUMMARY}</p>' in card
    chips = re.findall(r'<a class="chip" href="(/search\?q=[^"]+)">([^<]+)</a>', card)
    shown = ["sparse attention", "long documents", "book reading", "single pass"]
    assert chips == [(f"/search?q={k.replace(' ', '%20')}", k) for k in shown]
    assert card.count("/authors/") == 3 and ">+5<" in card and "more authors" in card
    assert '<img class="avatar" src="/avatars/alice.svg"' in card and "submitted by </span>alice" in card
    assert re.search(
        r'class="comments-link" href="/papers/2501.00301#discussion">.*?#comment.*?3'
        r'<span class="visually-hidden"> comments</span>',
        card,
        re.S,
    )
    assert re.search(
        r'class="code-link" href="https://github.com/example/books".*?#github.*?Code'
        r'<span class="visually-hidden"> on GitHub</span>',
        card,
        re.S,
    )


def test_the_teaser_is_a_clipped_abstract_when_there_is_no_summary(session):
    abstract = "Words that go on. " * 40
    add_papers(session, [record("2501.00302", "No summary yet", abstract=abstract)])
    card = _card(client().get("/papers").text, "2501.00302")
    teaser = re.search(r'<p class="teaser">([^<]*)</p>', card)[1]
    assert teaser.endswith("on…") and len(teaser) <= TEASER_CHARS + 1 and abstract.startswith(teaser[:-1])


def test_a_vote_fills_the_button_and_its_name_says_the_count(alice):
    before = _card(alice.get("/papers").text, "2501.00301")
    assert 'aria-pressed="false"' in before and 'aria-label="0 upvotes, Upvote Sparse attention' in before
    alice.post("/papers/2501.00301/upvote", data={"vote": "1", "csrf_token": csrf(alice, "/papers")})
    after = _card(alice.get("/papers").text, "2501.00301")
    assert 'class="upvote-button voted" aria-pressed="true"' in after
    assert 'aria-label="1 upvote, Upvote Sparse attention for whole books"' in after


def test_a_thumbnail_shows_when_the_paper_has_one(alice, monkeypatch):
    filters = templating.templates.env.filters
    monkeypatch.setitem(filters, "thumbnail_url", lambda paper: f"/thumbs/{paper.arxiv_id}.webp")
    card = _card(alice.get("/papers").text, "2501.00301")
    assert '<img src="/thumbs/2501.00301.webp" alt=""' in card
    monkeypatch.undo()
    assert "<img src=" not in _card(alice.get("/papers").text, "2501.00301")


def test_a_page_of_cards_costs_the_same_queries_however_many_cards(session):
    add_papers(session, [record(f"2501.{i:05d}", f"Paper {i}") for i in range(400, 403)])
    c = client()
    signup(c, "bob")

    def queries_for_feed() -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(get_engine(), "before_cursor_execute", listener)
        try:
            assert c.get("/papers").status_code == 200
        finally:
            event.remove(get_engine(), "before_cursor_execute", listener)
        return len(statements)

    few = queries_for_feed()
    add_papers(session, [record(f"2501.{i:05d}", f"Paper {i}") for i in range(403, 415)])
    assert queries_for_feed() == few


def test_avatars_are_drawn_here_and_cached(session):
    c = client()
    first = c.get("/avatars/alice.svg")
    assert first.status_code == 200 and first.headers["content-type"].startswith("image/svg+xml")
    assert "immutable" in first.headers["cache-control"] and "max-age=" in first.headers["cache-control"]
    assert first.text == c.get("/avatars/alice.svg").text and ">A</text>" in first.text
    assert avatar_colour("alice") in first.text and avatar_colour("alice") != avatar_colour("bob")
    for bad in ("a", "<script>", "al%20ice", "-alice"):
        assert c.get(f"/avatars/{bad}.svg").status_code == 404


@pytest.mark.parametrize(
    "url, host",
    [
        ("https://github.com/a/b", "GitHub"),
        ("https://www.github.com/a/b", "GitHub"),
        ("https://gitlab.com/a/b", "GitLab"),
        ("https://huggingface.co/a/b", "Hugging Face"),
        ("https://example.org/code", ""),
        ("https://github.com.evil.test/a", ""),
    ],
)
def test_code_links_name_their_host(url, host):
    assert code_host(url) == host


def test_one_search_landmark_a_page(session):
    c = client()
    for path in ("/papers", "/search?q=attention", "/search", "/about"):
        assert c.get(path).text.count('role="search"') == 1, path


def test_search_results_are_cards_with_the_readers_vote(alice):
    alice.post("/papers/2501.00301/upvote", data={"vote": "1", "csrf_token": csrf(alice, "/papers")})
    html = alice.get("/search", params={"q": "sparse attention", "mode": "keyword"}).text
    card = _card(html, "2501.00301")
    # the titles sit one level under the page's h2 count of results
    assert '<li class="card result"' in html and '<h3 class="card-title">' in card
    assert 'class="upvote-button voted" aria-pressed="true"' in card and "<mark>" in card
    assert '<p class="teaser">' not in card  # the matching passage stands in for it


def test_a_card_shows_its_paper_as_it_is_now(alice, session):
    """A card's title, authors, line and keywords are rendered once per content and kept: what changes in the
    paper shows on the next page, for every reader."""
    before = _card(alice.get("/papers").text, "2501.00301")
    assert ">sparse attention</a>" in before and "Sparse attention for whole books</a>" in before
    session.execute(
        update(Paper)
        .where(Paper.arxiv_id == "2501.00301")
        .values(
            title="Dense attention for short books",
            ai_summary="A new summary.",
            authors=["Solo Author"],
            ai_keywords=["dense attention"],
        )
    )
    session.commit()
    for reader in (alice, client()):
        card = _card(reader.get("/papers").text, "2501.00301")
        assert "Dense attention for short books</a>" in card and "Sparse attention" not in card
        assert '<p class="teaser">A new summary.</p>' in card and ">Solo Author</a>" in card
        assert re.findall(r'<a class="chip" href="[^"]+">([^<]+)</a>', card) == ["dense attention"]

"""The digest of a subscription linked to an account: "New for your saved search X" and "For you" (the
per-user model, with the card's "why" line), delivered through a real SMTP server; subscribers without a
linked account (even one with the same email), or an account without signals, get neither."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from dailypapers.community import library, saved_searches
from dailypapers.community.collection_feeds import set_collection_feed
from dailypapers.community.users import create_user
from dailypapers.config import get_settings
from dailypapers.digest.run import send_period
from dailypapers.digest.schedule import parse_periods
from dailypapers.index.embedders import model_label
from dailypapers.search import SearchQuery
from dailypapers.store.db import get_engine
from dailypapers.store.embeddings import save_vectors
from dailypapers.store.models import Paper, User
from tests.digest_helpers import ISSUE_DAY, PERIOD, add_subscriber, seed_feed

LIKED = "2611.00004"  # galaxy clusters: the account's one saved paper
CLOSE = "2611.00001"  # given the same direction as LIKED: For you's pick


@pytest.fixture
def accounts(session):
    """The demo feed, vectors for every paper, an account with a library and saved searches, two subscribers."""
    seed_feed(session)
    papers = list(session.scalars(select(Paper).order_by(Paper.id)))
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(len(papers), 8))
    for row, paper in enumerate(papers):
        if paper.arxiv_id in (LIKED, CLOSE):
            vectors[row] = np.eye(8)[0] + 0.01 * row
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    save_vectors(
        get_engine(), model_label(get_settings().embedding_model), [(p.id, p.content_hash) for p in papers], vectors
    )
    ada = create_user(session, "ada", None, email="ada@example.org")
    grace = create_user(session, "grace", None, email="grace@example.org")  # an account with no signals at all
    # An account that merely claims alan's address (account emails are not verified): never linked.
    mallory = create_user(session, "mallory", None, email="alan@example.org")
    library.save(session, mallory, LIKED)
    saved_searches.create_saved_search(session, mallory, "Spam", SearchQuery(text="speech", mode="keyword"), email=True)
    library.save(session, ada, LIKED)
    saved_searches.create_saved_search(
        session, ada, "Speech <now>", SearchQuery(text="streaming speech", mode="keyword"), email=True
    )
    saved_searches.create_saved_search(session, ada, "Lensing", SearchQuery(text="lensing", mode="keyword"))
    session.commit()
    for email, user in (("ada@example.org", ada), ("alan@example.org", None), ("grace@example.org", grace)):
        add_subscriber(session, email).user_id = user.id if user else None
    session.commit()
    return session


def _parts(sink, address: str) -> tuple[str, str]:
    message = sink.handler.to(address)[0].message
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    return text, message.get_body(("html",)).get_content()


def test_an_account_gets_its_saved_searches_and_for_you_others_do_not(accounts, sink):
    result = send_period(parse_periods(PERIOD, ISSUE_DAY)[0])
    assert result.report.sent == 3 and not result.search_errors
    text, html = _parts(sink, "ada@example.org")
    assert "NEW FOR YOUR SAVED SEARCH “SPEECH <NOW>”" in text
    assert "New for your saved search “Speech &lt;now&gt;”" in html  # the name is escaped in HTML
    saved_part = text.split("NEW FOR YOUR SAVED SEARCH")[1].split("FOR YOU")[0]
    assert "Streaming speech recognition on small devices" in saved_part
    assert "“LENSING”" not in text  # not marked for email
    for_you = text.split("\nFOR YOU\n")[1]
    assert "Graph neural networks for molecular property prediction" in for_you.split("\n\n")[0]
    assert "Because you liked “Galaxy cluster masses from weak lensing”" in " ".join(for_you.split())
    assert "Why you got this:</b> Because you liked" in html
    assert "Streaming speech recognition" not in for_you  # each paper once per digest
    for other in ("alan@example.org", "grace@example.org"):
        text, _ = _parts(sink, other)
        assert "SAVED SEARCH" not in text and "FOR YOU" not in text


def test_a_collection_feed_in_the_digest_is_its_own_section_before_for_you(accounts, sink):
    ada = accounts.scalar(select(User).where(User.username == "ada"))
    galaxies = library.create_collection(accounts, ada, "Galaxies <3>")
    library.set_in_collection(accounts, ada, galaxies.id, LIKED)
    quiet = library.create_collection(accounts, ada, "Not mailed")
    library.set_in_collection(accounts, ada, quiet.id, LIKED)
    set_collection_feed(accounts, ada, galaxies.id, enabled=True, in_digest=True)
    set_collection_feed(accounts, ada, quiet.id, enabled=True, in_digest=False)
    accounts.commit()
    send_period(parse_periods(PERIOD, ISSUE_DAY)[0])
    text, html = _parts(sink, "ada@example.org")
    assert "New for “Galaxies &lt;3&gt;”" in html and "“NOT MAILED”" not in text
    section = text.split("NEW FOR “GALAXIES <3>”")[1].split("\nFOR YOU\n")[0]
    assert "Graph neural networks for molecular property prediction" in section.strip().split("\n\n")[0]
    assert "Like “Galaxy cluster masses from weak lensing” in “Galaxies <3>”" in " ".join(section.split())
    assert text.count("Graph neural networks for molecular property prediction") == 1  # once per digest

"""The real `huggingface_hub` client, unchanged, against a dailypapers server on 127.0.0.1."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
import huggingface_hub.constants
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError
from sqlalchemy import select, update

from dailypapers.community.claims import claim_author, decide_claim
from dailypapers.community.tokens import create_api_token
from dailypapers.index.descriptions import describe_pending
from dailypapers.index.embedders import get_embedder
from dailypapers.store.models import DailyEntry, Paper, User
from tests.web_helpers import add_papers, client, live_server, record, signup, token_for

FIXTURES = Path(__file__).parent / "fixtures" / "hf-papers"


@pytest.fixture
def hub(settings, session, monkeypatch):
    """Three days of feed, a submitter, and an HfApi pointed at a live server."""
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)  # only 127.0.0.1 is contacted
    now = datetime.now(UTC)
    signup(client(), "alice")
    add_papers(
        session,
        [
            record(
                "2501.00001",
                "Sparse attention for long documents",
                days_old=2,
                code_url="https://github.com/example/sparse",
                project_page="https://example.org/s",
            ),
            record("2501.00002", "Tokenizers revisited", days_old=1),
        ],
        submitted_at=now - timedelta(hours=2),
    )
    add_papers(
        session,
        [record("2501.00003", "Older diffusion paper", days_old=9)],
        on=(now - timedelta(days=8)).date(),
        submitted_at=now - timedelta(days=8),
    )
    alice = session.scalar(select(User).where(User.username == "alice"))
    session.execute(
        update(DailyEntry)
        .where(DailyEntry.paper_id == select(Paper.id).where(Paper.arxiv_id == "2501.00002").scalar_subquery())
        .values(submitted_by_id=alice.id)
    )
    session.execute(update(Paper).where(Paper.arxiv_id == "2501.00002").values(upvotes=5))
    session.execute(update(Paper).where(Paper.arxiv_id == "2501.00003").values(upvotes=50))
    session.commit()
    with live_server() as base:
        yield HfApi(endpoint=base), base


def test_list_daily_papers_latest(hub):
    api, _ = hub
    papers = list(api.list_daily_papers(token=False))
    assert [p.id for p in papers][:2] == ["2501.00002", "2501.00001"]  # newest on the feed first
    first = papers[0]
    assert first.title == "Tokenizers revisited"
    assert [a.name for a in first.authors] == ["Ada Lovelace", "Alan Turing"]
    assert first.summary == "We study things."
    assert first.upvotes == 5 and first.comments == 0
    assert isinstance(first.published_at, datetime) and first.published_at.tzinfo is not None
    assert isinstance(first.submitted_at, datetime) and first.submitted_at > first.published_at
    assert first.submitted_by.username == "alice"
    assert first.trendingScore > 0  # our own field, kept by the client
    sparse = papers[1]
    assert sparse.github_repo == "https://github.com/example/sparse" and sparse.project_page == "https://example.org/s"


def test_list_daily_papers_by_period_submitter_sort_and_pages(hub):
    api, _ = hub
    today = datetime.now(UTC).date()
    day = list(api.list_daily_papers(date=today.isoformat(), token=False))
    assert [p.id for p in day] == ["2501.00002", "2501.00001"]  # a day: most upvoted first
    old_day = (today - timedelta(days=8)).isoformat()
    assert [p.id for p in api.list_daily_papers(date=old_day, token=False)] == ["2501.00003"]
    year, week, _ = today.isocalendar()
    assert {p.id for p in api.list_daily_papers(week=f"{year}-W{week:02d}", token=False)} >= {"2501.00002"}
    month = list(api.list_daily_papers(month=f"{today.year}-{today.month:02d}", token=False))
    assert "2501.00002" in {p.id for p in month}
    assert [p.id for p in api.list_daily_papers(submitter="alice", token=False)] == ["2501.00002"]
    trending = [p.id for p in api.list_daily_papers(sort="trending", token=False)]
    # 5 votes at 2 h: 5/4^1.5 = 0.63; 50 votes at 8 days: 50/194^1.5 = 0.019; no votes: 0.
    assert trending == ["2501.00002", "2501.00003", "2501.00001"]
    pages = [[p.id for p in api.list_daily_papers(p=n, limit=1, token=False)] for n in range(4)]
    assert pages == [["2501.00002"], ["2501.00001"], ["2501.00003"], []]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"date": "2025-02-30"},
        {"week": "2025-W99"},
        {"month": "2025-13"},
        {"limit": 101},
        {"limit": 0},
        {"sort": "random"},
        {"p": -1},
        {"date": "2025-01-01", "month": "2025-01"},
    ],
)
def test_bad_daily_parameters_are_4xx(hub, kwargs):
    api, _ = hub
    with pytest.raises(HfHubHTTPError) as info:
        list(api.list_daily_papers(token=False, **kwargs))
    assert info.value.response.status_code == 400
    assert "error" in info.value.response.json()


def test_list_papers_searches(hub):
    api, _ = hub
    found = list(api.list_papers(query="tokenizers", token=False))
    assert found and found[0].id == "2501.00002" and found[0].title == "Tokenizers revisited"
    assert len(list(api.list_papers(query="attention", limit=1, token=False))) == 1
    assert [p.id for p in api.list_papers(token=False)][:1] == ["2501.00002"]  # no query: newest on the feed
    with pytest.raises(HfHubHTTPError) as info:
        list(api.list_papers(query="q" * 251, token=False))
    assert info.value.response.status_code == 400 and "250" in info.value.response.json()["error"]


def test_paper_info_and_read_paper(hub):
    api, _ = hub
    info = api.paper_info("2501.00001")
    assert info.id == "2501.00001" and info.title == "Sparse attention for long documents"
    assert info.upvotes == 0 and info.discussion_id and info.github_repo == "https://github.com/example/sparse"
    assert info.submitted_at is not None and info.published_at < info.submitted_at
    text = api.read_paper("2501.00001")
    assert text.startswith("# Sparse attention for long documents") and "We study things." in text
    for call in (api.paper_info, api.read_paper):
        with pytest.raises(HfHubHTTPError) as info:
            call("2501.99999")
        assert info.value.response.status_code == 404


def test_paper_info_reads_keywords_and_summary(hub, engine):
    api, _ = hub
    assert api.paper_info("2501.00003").ai_keywords is None  # until `dailypapers index` computes them
    assert describe_pending(engine, get_embedder("minilm")) == 3
    info = api.paper_info("2501.00001")
    assert info.ai_summary == "We study things."  # the abstract's one sentence
    assert 3 <= len(info.ai_keywords) <= 8 and all(isinstance(k, str) for k in info.ai_keywords)
    assert {"Sparse attention", "long documents"} & set(info.ai_keywords), info.ai_keywords
    daily = {p.id: p for p in api.list_daily_papers(token=False)}
    assert daily["2501.00001"].ai_keywords == info.ai_keywords and daily["2501.00001"].ai_summary == info.ai_summary
    [found] = [p for p in api.list_papers(query="tokenizers", token=False) if p.id == "2501.00002"]
    assert found.ai_summary == "We study things." and found.ai_keywords
    text = api.read_paper("2501.00001")  # the Markdown page names both, the summary labelled extractive
    assert f"Keywords: {', '.join(info.ai_keywords)}" in text
    assert "## Summary (extractive: sentences of the abstract)\n\nWe study things." in text
    page = client(hub[1]).get("/papers/2501.00001").text  # its topics over time: up to three keywords
    link = re.search(r'id="paper-trends" href="([^"]+)"', page)[1].replace("&amp;", "&")
    assert link == "/trends?" + urlencode([("q", f'"{k}"') for k in info.ai_keywords[:3]], quote_via=quote)


def _shape(value):
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "string" if isinstance(value, str) else "null"


# The fields huggingface_hub's PaperInfo reads from a daily entry (top level and `paper`).
PARSED_TOP = ["publishedAt", "title", "numComments", "submittedBy", "summary"]
PARSED_PAPER = ["id", "authors", "publishedAt", "summary", "upvotes", "discussionId", "title"]


@pytest.mark.parametrize("recorded", ["daily_papers-date-2026-07-15.json", "daily_papers-date-2024-09-03.json"])
def test_daily_entries_have_the_recorded_shape(hub, recorded):
    _, base = hub
    real = json.loads((FIXTURES / recorded).read_text())
    ours = httpx.get(f"{base}/api/daily_papers", params={"submitter": "alice"}).json()
    assert ours
    for theirs, mine in zip(real, ours * len(real), strict=False):
        for key in PARSED_TOP:
            if key in theirs:
                assert _shape(mine[key]) == _shape(theirs[key]), key
        for key in PARSED_PAPER:
            if key in theirs["paper"]:
                assert _shape(mine["paper"][key]) == _shape(theirs["paper"][key]), f"paper.{key}"
        assert set(theirs["paper"]["authors"][0]) >= {"name"} and set(mine["paper"]["authors"][0]) >= {"_id", "name"}
        if "submittedOnDailyBy" in theirs["paper"]:
            assert set(mine["paper"]["submittedOnDailyBy"]) >= {"_id", "fullname", "name", "user", "type"}
        assert mine["publishedAt"].endswith("Z") and theirs["publishedAt"].endswith("Z")


def test_confirmed_links_and_a_claimed_author(hub, session):
    api, base = hub
    alice = session.scalar(select(User).where(User.username == "alice"))
    session.execute(update(User).where(User.id == alice.id).values(is_admin=True))
    session.commit()
    claim = claim_author(session, alice, "2501.00002", 1)
    decide_claim(session, session.get(User, alice.id), claim.id, approve=True)
    session.commit()
    token = token_for(client(base), "bob")
    edited = httpx.post(
        f"{base}/api/papers/2501.00002/links",
        headers={"Authorization": f"Bearer {token}"},
        json={"githubRepo": "https://github.com/example/tok", "projectPage": "https://tok.example"},
    )
    assert edited.status_code == 403  # bob neither submitted it nor wrote it
    alice_token = create_api_token(session, session.get(User, alice.id))
    session.commit()
    edited = httpx.post(
        f"{base}/api/papers/2501.00002/links",
        headers={"Authorization": f"Bearer {alice_token}"},
        json={"githubRepo": "https://github.com/example/tok", "projectPage": "https://tok.example"},
    )
    assert edited.status_code == 200, edited.text
    info = api.paper_info("2501.00002")
    assert info.github_repo == "https://github.com/example/tok" and info.project_page == "https://tok.example"
    turing = info.authors[1]
    assert turing.name == "Alan Turing" and turing.user.username == "alice" and turing.status == "claimed_verified"
    assert info.authors[0].user is None
    # The list endpoints carry the same claims: a daily entry and a search result.
    daily = next(p for p in api.list_daily_papers(token=False) if p.id == "2501.00002")
    assert daily.authors[1].user.username == "alice" and daily.authors[1].status == "claimed_verified"
    assert daily.authors[0].user is None
    found = next(p for p in api.list_papers(query="tokenizers", token=False) if p.id == "2501.00002")
    assert found.authors[1].user.username == "alice" and found.authors[1].status == "claimed_verified"

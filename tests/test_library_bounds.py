"""A library of thousands of papers: a page at a time on the site, by cursor in the API, streamed as exports,
and a bound on how many papers a library (or a collection) may hold; on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import bibtexparser
import httpx
import pytest
from sqlalchemy import insert, select

from dailypapers.community.users import get_user
from dailypapers.config import reset_settings
from dailypapers.store.db import session_scope
from dailypapers.store.models import Collection, CollectionItem, Paper, Save
from dailypapers.store.papers import upsert_papers
from tests.web_helpers import client, csrf, live_server, record, signup

LARGE = 2_500
START = datetime(2026, 1, 5, tzinfo=UTC)


def _arxiv_id(i: int) -> str:
    return f"2502.{i:05d}"


@pytest.fixture
def hoarder(settings):
    """A signed-in member whose library holds LARGE papers, stored directly (not through HTTP), two saved in
    each second: ties in the save time that paging must still keep apart."""
    c = client()
    signup(c, "hoarder")
    with session_scope() as session:
        upsert_papers(
            session.connection(),
            [record(_arxiv_id(i), f"Paper number {i}", abstract=f"Findings {i}.") for i in range(LARGE)],
        )
        user = get_user(session, "hoarder")
        ids = {p.arxiv_id: p.id for p in session.scalars(select(Paper))}
        session.execute(
            insert(Save),
            [
                {"user_id": user.id, "paper_id": ids[_arxiv_id(i)], "created_at": START + timedelta(seconds=i // 2)}
                for i in range(LARGE)
            ],
        )
    return c


def _newest_first(count: int) -> list[str]:
    """The order of papers 0 to count - 1 of a library or collection: newest first, and within a second the
    larger paper id first."""
    return [_arxiv_id(i) for i in reversed(range(count))]


def _card_ids(html: str) -> list[str]:
    return re.findall(r'<li class="card[^"]*" id="paper-([0-9.]+)"', html)


def test_a_large_library_is_shown_a_page_at_a_time(hoarder):
    first = hoarder.get("/library")
    assert first.status_code == 200 and len(first.content) < 400_000  # 50 cards, not 2,500
    assert _card_ids(first.text) == _newest_first(LARGE)[:50]
    assert 'id="page-number">Page 1 of 50<' in first.text and 'href="/library?p=2" rel="next"' in first.text
    assert "2,500 papers saved" in first.text
    second = hoarder.get("/library?p=2").text
    assert _card_ids(second) == _newest_first(LARGE)[50:100] and 'href="/library?p=1" rel="prev"' in second
    last = hoarder.get("/library?p=50").text
    assert _card_ids(last) == _newest_first(LARGE)[-50:] and 'rel="next"' not in last
    past = hoarder.get("/library?p=51")
    assert past.status_code == 200 and 'id="past-end"' in past.text and 'href="/library?p=50"' in past.text
    assert hoarder.get("/library?p=10001").status_code == 400


def test_the_library_api_pages_by_cursor_within_a_bounded_limit(hoarder):
    listed, url, pages = [], "/api/library?limit=100", 0
    while url:
        answer = hoarder.get(url)
        assert answer.status_code == 200
        saved = answer.json()["saved"]
        assert len(saved) <= 100
        listed += [p["id"] for p in saved]
        link = answer.headers.get("link")
        url = re.fullmatch(r'<([^>]+)>; rel="next"', link)[1] if link else None
        pages += 1
    assert listed == _newest_first(LARGE) and pages == 25  # every paper once, in order; no empty last page
    assert len(hoarder.get("/api/library").json()["saved"]) == 50  # the default
    for bad in ("limit=101", "limit=0", "cursor=x", "cursor=1-", "cursor=999999999999999999-1", "cursor=1-99999999999"):
        refused = hoarder.get(f"/api/library?{bad}")
        assert refused.status_code == 400 and refused.json()["error"], bad

    # a collection of 120 of them: pages on the site, and the same cursor in the API
    with session_scope() as session:
        user = get_user(session, "hoarder")
        collection = Collection(user_id=user.id, name="Many", public=True, created_at=START)
        session.add(collection)
        session.flush()
        ids = {p.arxiv_id: p.id for p in session.scalars(select(Paper))}
        session.execute(
            insert(CollectionItem),
            [
                {
                    "collection_id": collection.id,
                    "paper_id": ids[_arxiv_id(i)],
                    "created_at": START + timedelta(seconds=i),
                }
                for i in range(120)
            ],
        )
        collection_id = collection.id
    anonymous = client()
    page = anonymous.get(f"/collections/{collection_id}?p=3").text
    assert _card_ids(page) == _newest_first(120)[100:] and "120 papers" in page and "Page 3 of 3" in page
    answer = anonymous.get(f"/api/collections/{collection_id}?limit=100")
    assert [p["id"] for p in answer.json()["papers"]] == _newest_first(120)[:100]
    following = anonymous.get(re.fullmatch(r'<([^>]+)>; rel="next"', answer.headers["link"])[1])
    assert [p["id"] for p in following.json()["papers"]] == _newest_first(120)[100:]
    assert "link" not in following.headers


@pytest.mark.parametrize("fmt", ["bib", "json"])
def test_a_library_export_streams_every_paper(hoarder, fmt):
    session_cookie = {"Cookie": f"dp_session={hoarder.cookies['dp_session']}"}
    with live_server() as base, httpx.Client(base_url=base, headers=session_cookie) as http:
        with http.stream("GET", f"/library/export.{fmt}") as answer:
            assert answer.status_code == 200 and "content-length" not in answer.headers
            assert answer.headers["transfer-encoding"] == "chunked"
            chunks = list(answer.iter_raw())
    text = b"".join(chunks).decode()
    assert len(chunks) > 1
    if fmt == "bib":
        parsed = bibtexparser.parse_string(text)
        assert not parsed.failed_blocks
        keys = [entry.key for entry in parsed.entries]
    else:
        keys = ["arXiv_" + item["id"].replace(".", "_") for item in json.loads(text)]
    assert keys == ["arXiv_" + arxiv_id.replace(".", "_") for arxiv_id in _newest_first(LARGE)]


@pytest.fixture
def small_bound(settings, monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_LIBRARY_MAX_PAPERS", "3")
    reset_settings()


@pytest.mark.slow
def test_a_full_library_refuses_the_next_save_and_a_seed_past_it(small_bound, cli, tmp_path):
    with session_scope() as session:
        upsert_papers(session.connection(), [record(_arxiv_id(i)) for i in range(6)])
    c = client()
    signup(c, "alice")
    headers = {"X-CSRF-Token": csrf(c, "/papers")}
    seeded = c.post("/api/library/seed", json={"references": f"{_arxiv_id(0)} {_arxiv_id(1)}"}, headers=headers)
    assert seeded.status_code == 200 and seeded.json()["added"] == [_arxiv_id(0), _arxiv_id(1)]
    assert c.post(f"/api/papers/{_arxiv_id(2)}/save", headers=headers).json()["saved"] is True  # the third

    refused = c.post(f"/api/papers/{_arxiv_id(3)}/save", headers=headers)
    assert refused.status_code == 400
    assert refused.json()["error"] == "your library already holds 3 papers; it may hold at most 3: remove some first"
    assert c.post(f"/api/papers/{_arxiv_id(2)}/save", headers=headers).status_code == 200  # already in: no change
    form = c.post(f"/papers/{_arxiv_id(3)}/save", data={"on": "1", "csrf_token": headers["X-CSRF-Token"]})
    assert form.status_code == 400 and "at most 3" in form.text

    assert c.delete(f"/api/papers/{_arxiv_id(2)}/save", headers=headers).json()["saved"] is False
    too_many = c.post("/api/library/seed", json={"references": f"{_arxiv_id(3)} {_arxiv_id(4)}"}, headers=headers)
    assert too_many.status_code == 400
    assert too_many.json()["error"] == (
        "your library already holds 2 papers and this adds 2 more; it may hold at most 3: remove some first"
    )
    assert [p["id"] for p in c.get("/api/library").json()["saved"]] == [_arxiv_id(1), _arxiv_id(0)]  # none added

    bib = tmp_path / "refs.bib"
    bib.write_text("".join(f"@misc{{p{i}, title = {{P{i}}}, eprint = {{{_arxiv_id(i)}}}}}\n" for i in (3, 4)))
    done = cli("library", "seed", "alice", str(bib))
    assert done.returncode == 1 and done.stderr.strip().splitlines() == [
        "error: your library already holds 2 papers and this adds 2 more; it may hold at most 3: remove some first"
    ]
    added = cli("library", "add", "alice", _arxiv_id(3), _arxiv_id(4))  # one command, all or nothing
    assert added.returncode == 1 and "at most 3" in added.stderr
    assert len(c.get("/api/library").json()["saved"]) == 2

    collection = c.post("/api/collections", json={"name": "Three"}, headers=headers).json()["id"]
    for i in range(3):
        assert c.post(f"/api/collections/{collection}/papers/{_arxiv_id(i)}", headers=headers).status_code == 200
    full = c.post(f"/api/collections/{collection}/papers/{_arxiv_id(3)}", headers=headers)
    assert full.status_code == 400 and full.json()["error"].startswith("the collection “Three” already holds 3")


def test_exports_are_limited_to_a_few_a_minute_per_reader_and_per_address(settings):
    """An export is seconds of a worker for a full library: a reader gets a few a minute, then a 429."""
    with session_scope() as session:
        upsert_papers(session.connection(), [record(_arxiv_id(0))])
    alice = client()
    signup(alice, "alice")
    headers = {"X-CSRF-Token": csrf(alice, "/papers")}
    shared = alice.post("/api/collections", json={"name": "Shared", "public": True}, headers=headers).json()["id"]
    alice.post(f"/api/collections/{shared}/papers/{_arxiv_id(0)}", headers=headers)
    for fmt in ("bib", "ris", "json", "bib", "ris", "json"):
        assert alice.get(f"/library/export.{fmt}").status_code == 200
    refused = alice.get("/library/export.bib")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert alice.get(f"/collections/{shared}/export.bib").status_code == 429  # the same reader
    assert alice.get("/library/export.docx").status_code == 404  # no format: nothing to count

    anonymous = client()
    for n in range(6):  # each address its own (a query apart: the micro-cache would answer a repeat)
        assert anonymous.get(f"/collections/{shared}/export.bib?n={n}").status_code == 200
    assert anonymous.get(f"/collections/{shared}/export.bib?n=6").status_code == 429

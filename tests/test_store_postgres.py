"""The store on a real PostgreSQL server: what is particular to it (tsvector search, the values it refuses),
and the paths most worth seeing twice (the real sample, the CLI). The `engine` fixture is PostgreSQL here."""

import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dailypapers.config import reset_settings
from dailypapers.ingest.snapshot import export_file, import_file
from dailypapers.store.models import Paper
from tests.conftest import SAMPLE_20K, counts
from tests.test_hostile_corpus import FEEDS, HOSTILE, assert_no_live_script, assert_well_formed_feed
from tests.web_helpers import client

pytestmark = pytest.mark.postgresql_only


def test_real_sample_and_export_round_trip(engine, tmp_path, cli):
    report = import_file(engine, SAMPLE_20K, tmp_path / "r")
    assert report.result.inserted == 19995 and report.rejected == 0
    out = tmp_path / "export.jsonl"
    assert export_file(engine, out) == 19995
    again = import_file(engine, out, tmp_path / "r")
    assert (again.result.inserted, again.result.updated, again.result.unchanged) == (0, 0, 19995)
    with engine.connect() as conn:
        paper = conn.execute(select(Paper).where(Paper.arxiv_id == "0704.0002")).one()
    assert paper.authors == ["Ileana Streinu", "Louis Theran"]
    assert paper.published_at.isoformat() == "2007-03-31T02:26:18+00:00"


def test_cli_against_postgres(demo, engine, cli):
    """On a copy of the demo that `dailypapers demo` loaded and indexed on PostgreSQL (the demo fixture)."""
    assert counts(cli("stats", "--json")) == {"papers": 64, "daily_entries": 64}
    hybrid = cli("search", "making videos from text without any extra training", "--json")
    assert hybrid.returncode == 0, hybrid.stderr
    assert "2410.06241" in [h["id"] for h in json.loads(hybrid.stdout)[:3]]
    assert cli("demo", "--no-serve", "--no-index").returncode == 0
    assert counts(cli("stats", "--json")) == {"papers": 64, "daily_entries": 64}


def test_search_on_postgres(engine, cli, monkeypatch):
    """Keyword search through the tsvector index (migration 0002): ranking, phrases, prefixes, filters, snippets."""
    from dailypapers.search import SearchQuery, related, search

    monkeypatch.setenv("DAILYPAPERS_KEYWORD_ENGINE", "postgres")  # the opt-in engine; the default is tantivy
    reset_settings()
    assert cli("demo", "--no-serve", "--no-index").returncode == 0
    with Session(engine) as session:
        hits = search(session, SearchQuery("text-to-video generation training-free", mode="keyword", limit=5))
        assert hits[0].arxiv_id == "2410.06241"  # BroadWay: the words are in its title
        assert "<mark>" in (hits[0].snippet or "")
        phrase = search(session, SearchQuery('"temporal attention maps"', mode="keyword"))
        assert [h.arxiv_id for h in phrase] == ["2410.06241"]
        prefix = search(session, SearchQuery("reinforc*", mode="keyword", limit=50))
        assert len(prefix) >= 5 and all("reinforc" in (h.title + (h.snippet or "")).lower() for h in prefix)
        by_author = search(session, SearchQuery("video", mode="keyword", author="Jiazi Bu"))
        assert [h.arxiv_id for h in by_author] == ["2410.06241"]
        paper_id = hits[0].paper_id
        assert all(h.paper_id != paper_id for h in related(session, paper_id, 5))
    result = cli("search", "temporal reasoning in LLMs", "--mode", "keyword", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["id"] == "2505.13508"  # Time-R1
    # The index follows writes in the same statement: a new title is found at once.
    with engine.begin() as conn:
        conn.execute(text("UPDATE papers SET title = 'Walrus choreography' WHERE arxiv_id = '2505.13508'"))
    with Session(engine) as session:
        assert [h.arxiv_id for h in search(session, SearchQuery("walrus", mode="keyword"))] == ["2505.13508"]


def test_the_hostile_corpus_imports_and_renders_on_postgresql(engine, tmp_path):
    """PostgreSQL refuses NUL characters, lone surrogates and over-long values with an error for the whole
    batch: the records must be cleaned or rejected one by one before they get there."""
    report = import_file(engine, HOSTILE, tmp_path / "rejects.jsonl")
    assert (report.result.inserted, report.rejected) == (13, 9)
    site = client()
    with Session(engine) as session:
        ids = session.scalars(select(Paper.arxiv_id)).all()
    for arxiv_id in ids:
        page = site.get(f"/papers/{arxiv_id}")
        assert page.status_code == 200, arxiv_id
        assert_no_live_script(page.text)
    for path in FEEDS:
        assert_well_formed_feed(site.get(path).content)

"""The store on a real PostgreSQL server: the same migrations, upserts, import and demo as on SQLite."""

import json

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from dailypapers.index.descriptions import describe_pending
from dailypapers.index.embedders import get_embedder
from dailypapers.ingest.snapshot import export_file, import_file
from dailypapers.store.models import Paper
from tests.conftest import SAMPLE_20K
from tests.postgres import postgres_server
from tests.test_hostile_corpus import FEEDS, HOSTILE, assert_no_live_script, assert_well_formed_feed
from tests.test_import import snapshot_line, write_lines
from tests.web_helpers import client

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_url():
    with postgres_server() as url:
        yield url


@pytest.fixture
def pg_engine(pg_url, settings, monkeypatch):
    """A fresh schema per test: drop everything, then migrate through the normal path."""
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    admin.dispose()
    from dailypapers.config import reset_settings
    from dailypapers.store.db import dispose_engines, migrate

    monkeypatch.setenv("DAILYPAPERS_DATABASE_URL", pg_url)
    reset_settings()
    dispose_engines()
    engine = migrate()  # the tests' explicit set-up
    assert engine.dialect.name == "postgresql"
    yield engine
    dispose_engines()


def test_upserts_are_idempotent_and_versioned(pg_engine, tmp_path):
    src = write_lines(tmp_path / "a.jsonl", [snapshot_line("2401.00001", doi="10.1/x"), snapshot_line("2401.00002")])
    assert import_file(pg_engine, src, tmp_path / "r").result.inserted == 2
    assert import_file(pg_engine, src, tmp_path / "r").result.unchanged == 2
    newer = write_lines(tmp_path / "b.jsonl", [snapshot_line("2401.00001", version=3, title="New")])
    assert import_file(pg_engine, newer, tmp_path / "r").result.updated == 1
    with pg_engine.connect() as conn:
        rows = conn.execute(select(Paper.arxiv_id, Paper.version, Paper.title, Paper.doi).order_by(Paper.arxiv_id))
        assert [tuple(r) for r in rows] == [("2401.00001", 3, "New", "10.1/x"), ("2401.00002", 1, "A title", None)]


def test_real_sample_and_export_round_trip(pg_engine, tmp_path, cli):
    report = import_file(pg_engine, SAMPLE_20K, tmp_path / "r")
    assert report.result.inserted == 19995 and report.rejected == 0
    out = tmp_path / "export.jsonl"
    assert export_file(pg_engine, out) == 19995
    again = import_file(pg_engine, out, tmp_path / "r")
    assert (again.result.inserted, again.result.updated, again.result.unchanged) == (0, 0, 19995)
    with pg_engine.connect() as conn:
        paper = conn.execute(select(Paper).where(Paper.arxiv_id == "0704.0002")).one()
    assert paper.authors == ["Ileana Streinu", "Louis Theran"]
    assert paper.published_at.isoformat() == "2007-03-31T02:26:18+00:00"


def test_cli_against_postgres(pg_engine, pg_url, cli):
    env = {"DAILYPAPERS_DATABASE_URL": pg_url}
    assert cli("demo", "--no-serve", env=env).returncode == 0
    assert json.loads(cli("stats", "--json", env=env).stdout) == {"papers": 64, "daily_entries": 64}
    hybrid = cli("search", "making videos from text without any extra training", "--json", env=env)
    assert hybrid.returncode == 0, hybrid.stderr
    assert "2410.06241" in [h["id"] for h in json.loads(hybrid.stdout)[:3]]
    assert cli("demo", "--no-serve", env=env).returncode == 0
    assert json.loads(cli("stats", "--json", env=env).stdout) == {"papers": 64, "daily_entries": 64}


def test_search_on_postgres(pg_engine, pg_url, cli):
    """Keyword search through the tsvector index (migration 0002): ranking, phrases, prefixes, filters, snippets."""
    from dailypapers.search import SearchQuery, related, search

    env = {"DAILYPAPERS_DATABASE_URL": pg_url}
    assert cli("demo", "--no-serve", "--no-index", env=env).returncode == 0
    with Session(pg_engine) as session:
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
    result = cli("search", "temporal reasoning in LLMs", "--mode", "keyword", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["id"] == "2505.13508"  # Time-R1
    # The index follows writes in the same statement: a new title is found at once.
    with pg_engine.begin() as conn:
        conn.execute(text("UPDATE papers SET title = 'Walrus choreography' WHERE arxiv_id = '2505.13508'"))
    with Session(pg_engine) as session:
        assert [h.arxiv_id for h in search(session, SearchQuery("walrus", mode="keyword"))] == ["2505.13508"]


def test_the_hostile_corpus_imports_and_renders_on_postgresql(pg_engine, tmp_path):
    """PostgreSQL refuses NUL characters, lone surrogates and over-long values with an error for the whole
    batch: the records must be cleaned or rejected one by one before they get there."""
    report = import_file(pg_engine, HOSTILE, tmp_path / "rejects.jsonl")
    assert (report.result.inserted, report.rejected) == (13, 9)
    site = client()
    with Session(pg_engine) as session:
        ids = session.scalars(select(Paper.arxiv_id)).all()
    for arxiv_id in ids:
        page = site.get(f"/papers/{arxiv_id}")
        assert page.status_code == 200, arxiv_id
        assert_no_live_script(page.text)
    for path in FEEDS:
        assert_well_formed_feed(site.get(path).content)


def test_keywords_and_summary_on_postgres(pg_engine, tmp_path):
    import_file(pg_engine, write_lines(tmp_path / "a.jsonl", [snapshot_line("2401.00001")]), tmp_path / "r")
    assert describe_pending(pg_engine, get_embedder("minilm")) == 1
    assert describe_pending(pg_engine, get_embedder("minilm")) == 0
    with pg_engine.connect() as conn:
        keywords, summary = conn.execute(select(Paper.ai_keywords, Paper.ai_summary)).one()
    assert isinstance(keywords, list) and keywords and all(isinstance(k, str) for k in keywords) and summary

"""Ingest through the arXiv API into the store (idempotent, version bumps, rejects) and the CLI's one-line errors."""

from __future__ import annotations

import json
import socket
import sqlite3
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dailypapers.errors import InvalidInput
from dailypapers.ingest.arxiv import ingest_category, ingest_ids
from dailypapers.store.models import Paper
from tests.arxiv_server import serving_settings

FIVE = ["1710.08557", "astro-ph/9812133", "math/0211159", "math/9501234", "1403.5117"]


@pytest.fixture
def server(settings, monkeypatch):
    with serving_settings(monkeypatch, DAILYPAPERS_ARXIV_RETRIES=1, DAILYPAPERS_ARXIV_BATCH_SIZE=2) as (fake, _):
        yield fake


def papers(engine) -> dict[str, Paper]:
    with Session(engine) as session:
        return {p.arxiv_id: p for p in session.scalars(select(Paper))}


def test_ingest_ids_is_idempotent(server, engine):
    # Pasted forms (URL, arXiv: prefix, a version, a duplicate) all land on the canonical id.
    pasted = [
        "https://arxiv.org/abs/1710.08557v1",
        "astro-ph/9812133",
        "arXiv:math/0211159",
        "math/9501234",
        "1403.5117",
        "1403.5117v1",
    ]
    first = ingest_ids(engine, pasted)
    assert (first.requested, first.pages, first.result.inserted, first.not_found) == (5, 3, 5, [])
    stored = papers(engine)
    assert sorted(stored) == sorted(FIVE)
    assert stored["1403.5117"].version == 2 and stored["1403.5117"].authors[0] == "Emile Bévillon"
    assert stored["math/0211159"].categories == "math.DG"
    before = {i: (p.modified_at, p.content_hash) for i, p in stored.items()}

    second = ingest_ids(engine, FIVE)
    assert (second.result.inserted, second.result.updated, second.result.unchanged) == (0, 0, 5)
    assert {i: (p.modified_at, p.content_hash) for i, p in papers(engine).items()} == before


def test_newer_version_updates_the_record(server, engine):
    ingest_ids(engine, ["1710.08557"])
    old = server.entries["1710.08557"]
    server.entries["1710.08557"] = (
        old.replace(b"abs/1710.08557v1", b"abs/1710.08557v2")
        .replace(b"<updated>2017-10-24T00:21:32Z</updated>", b"<updated>2018-02-01T10:00:00Z</updated>")
        .replace(b"<title>On Neuromechanical", b"<title>Revisited: On Neuromechanical")
    )
    report = ingest_ids(engine, ["1710.08557"])
    assert (report.result.updated, report.result.inserted) == (1, 0)
    [paper] = papers(engine).values()
    assert paper.version == 2 and paper.title.startswith("Revisited: On Neuromechanical")
    assert paper.updated_at == datetime(2018, 2, 1, 10, tzinfo=UTC)
    assert paper.published_at == datetime(2017, 10, 24, 0, 21, 32, tzinfo=UTC)
    # The old version arriving again (a stale mirror) never downgrades the record.
    server.entries["1710.08557"] = old
    assert ingest_ids(engine, ["1710.08557"]).result.unchanged == 1
    assert papers(engine)["1710.08557"].version == 2


def test_bad_ids_are_named_before_any_request(server, engine):
    with pytest.raises(InvalidInput, match=r"^2 are not arXiv ids or URLs: 'not-an-id', '2513\.00001'$"):
        ingest_ids(engine, ["1710.08557", "not-an-id", "2513.00001"])
    assert server.requests == [] and papers(engine) == {}


def test_unknown_ids_are_reported_not_found(server, engine):
    report = ingest_ids(engine, ["1710.08557", "2501.00001"])
    assert report.not_found == ["2501.00001"] and list(papers(engine)) == ["1710.08557"]
    # The API has also answered unknown ids with an empty <entry> (no id, no title): still "not found".
    server.entries["2501.00002"] = b"  <entry>\n  </entry>\n"
    report = ingest_ids(engine, ["2501.00002", "math/9501234"])
    assert (report.not_found, report.rejected, report.result.inserted) == (["2501.00002"], 0, 1)


def test_malformed_entry_is_rejected_whole_and_logged(server, engine):
    server.entries["math/9501234"] = server.entries["math/9501234"].replace(
        b"<published>1995-01-23T00:00:00Z</published>", b"<published>the day after</published>"
    )
    report = ingest_ids(engine, ["math/9501234", "math/0211159"])
    assert report.rejected == 1 and report.not_found == [] and list(papers(engine)) == ["math/0211159"]
    [line] = [json.loads(x) for x in report.rejects_path.read_text().splitlines()]
    assert line["id"] == "math/9501234" and line["reason"] == "published: not a date: 'the day after'"
    assert report.rejects_path.parent == report.rejects_path.parent.parent / "rejects"


def test_ingest_category_since_a_date(server, engine):
    report = ingest_category(engine, ["cs.LG"], date(2010, 1, 1))
    assert sorted(papers(engine)) == ["1010.5544", "1403.5117", "1501.04914", "1710.08557"]
    assert report.pages == 3 and report.result.inserted == 4  # pages of 2: the third reaches 2007
    assert ingest_category(engine, ["cs.LG"], date(2010, 1, 1)).result.unchanged == 4
    with pytest.raises(InvalidInput, match="not an arXiv category: 'machine learning'"):
        ingest_category(engine, ["machine learning"], date(2010, 1, 1))


# --- the command line ------------------------------------------------------------------------------------


def one_line_error(result) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_cli_ingest_not_an_id(cli, server):
    line = one_line_error(cli("ingest", "not-an-id", env=server.env()))
    assert line == "error: not an arXiv id or URL: 'not-an-id'"
    assert server.requests == []


@pytest.mark.slow
@pytest.mark.sqlite_only("reads the SQLite file directly")
def test_cli_ingest_ids_json_then_stats(cli, server, settings):
    result = cli("ingest", "1710.08557", "arXiv:math/0211159", "--json", env=server.env())
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["inserted"], report["requested"], report["not_found"]) == (2, 2, [])
    db = sqlite3.connect(settings.data_dir / "dailypapers.db")
    assert sorted(i for (i,) in db.execute("SELECT arxiv_id FROM papers")) == ["1710.08557", "math/0211159"]
    db.close()
    missing = cli("ingest", "2501.00001", env=server.env())
    assert missing.returncode == 1 and "not found on arXiv: 2501.00001" in missing.stderr


@pytest.mark.slow
def test_cli_bad_arguments_are_one_line(cli, server):
    assert "not a date (YYYY-MM-DD): 'yesterday'" in one_line_error(
        cli("ingest", "--category", "cs.LG", "--since", "yesterday", env=server.env())
    )
    assert "unknown metadata format 'marc'" in one_line_error(cli("harvest", "--set", "cs", "--format", "marc"))
    assert "--from: not a date" in one_line_error(cli("harvest", "--set", "cs", "--from", "2025-13-01"))
    assert "not both" in one_line_error(cli("ingest", "1710.08557", "--category", "cs.LG"))
    assert server.requests == []


@pytest.mark.slow
def test_cli_unreachable_server_is_one_line(cli, settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {"DAILYPAPERS_ARXIV_OAI_URL": f"http://127.0.0.1:{port}/oai", "DAILYPAPERS_ARXIV_RETRIES": "1"}
    result = cli("harvest", "--set", "cs", "--from", "2025-01-01", env=env)
    notice, error = result.stderr.strip().splitlines()  # each retry says what it waits for, then one error
    assert notice.startswith(f"arXiv at 127.0.0.1:{port}: cannot connect") and notice.endswith("attempt 2 of 2")
    assert "retrying in " in notice
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert error.startswith(f"error: 127.0.0.1:{port}: cannot connect") and "gave up after 2 attempts" in error


@pytest.mark.slow
@pytest.mark.sqlite_only("reads the SQLite file directly")
def test_cli_harvest_reports(cli, server, settings):
    result = cli("harvest", "--set", "physics", "--from", "2014-10-01", "--format", "arxivraw", env=server.env())
    assert result.returncode == 0, result.stderr
    assert "12 papers from 3 pages" in result.stderr and "12 new" in result.stderr
    db = sqlite3.connect(settings.data_dir / "dailypapers.db")
    assert db.execute("SELECT count(*) FROM papers").fetchone()[0] == 12
    db.close()
    for name in ("ingest", "harvest"):
        assert cli(name, "--help").returncode == 0

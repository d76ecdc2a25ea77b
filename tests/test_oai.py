"""OAI-PMH: the parser on every recorded page, and harvests (resumption tokens, resume after a failure or a
kill, expired tokens, malformed records) against the local server."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dailypapers.errors import InvalidInput, SourceError
from dailypapers.ingest.harvest import harvest, harvest_key
from dailypapers.sources.oai import OAIError, normalize_format, parse_list_records
from dailypapers.store.models import Paper
from dailypapers.store.state import get_state, set_state
from tests.arxiv_server import ARXIV_CHAIN_IDS, OAI, RAW_CHAIN_IDS, Reply, serving_settings


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def page(name: str):
    return parse_list_records((OAI / name).read_bytes())


@pytest.fixture
def server(settings, monkeypatch):
    with serving_settings(monkeypatch, DAILYPAPERS_ARXIV_RETRIES=1) as (fake, _):
        yield fake


def stored(engine) -> dict[str, Paper]:
    with Session(engine) as session:
        return {p.arxiv_id: p for p in session.scalars(select(Paper))}


# --- the parser, on each recorded page ----------------------------------------------------------------


def test_arxivraw_first_page():
    parsed = page("ListRecords-arXivRaw-page1.xml")
    assert (parsed.token, parsed.complete_list_size, parsed.cursor) == ("726959|1001", 58011, 0)
    assert [r.arxiv_id for r in parsed.records] == RAW_CHAIN_IDS[:6]
    assert parsed.errors == [] and parsed.deleted == []
    records = {r.arxiv_id: r for r in parsed.records}
    first = records["0704.0471"]
    assert first.authors == ["D.V. Shetty", "S.J. Yennello", "G.A. Souliotis"]  # "A, B, and C"
    assert first.title == (
        "Density dependence of the symmetry energy and the nuclear equation of state: "
        "A Dynamical and Statistical model perspective"
    )
    assert first.categories == ["nucl-ex", "nucl-th"] and first.primary_category == "nucl-ex"
    assert first.doi == "10.1103/PhysRevC.76.024606 10.1103/PhysRevC.76.039902"
    assert first.submitter == "Dinesh Shetty" and first.comments == "16 pages, 14 figures"
    assert first.published_at == first.updated_at == utc(2007, 4, 3, 22, 4, 11)
    revised = records["0704.0716"]  # four versions: v1's date is publication, v4's the last update
    assert revised.version == 4
    assert revised.published_at == utc(2007, 4, 5, 12, 45, 3)
    assert revised.updated_at == utc(2008, 11, 14, 9, 7, 25)
    assert revised.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert revised.journal_ref.startswith("Polygons, polyominoes and polycubes, 247-299")


def test_arxivraw_page_with_affiliations_in_author_list():
    parsed = page("ListRecords-arXivRaw-page2-trimmed.xml")
    assert (parsed.token, parsed.complete_list_size, parsed.cursor) == ("496549|47001", 907096, 46000)
    records = {r.arxiv_id: r for r in parsed.records}
    assert list(records) == RAW_CHAIN_IDS[6:11]
    brane = records["0801.3674"]
    # "Robert H. Brandenberger (McGill), Keshav Dasgupta (McGill) and Anne-Christine Davis (DAMTP, Cambridge)"
    assert brane.authors == ["Robert H. Brandenberger", "Keshav Dasgupta", "Anne-Christine Davis"]
    assert brane.categories == ["hep-th", "astro-ph", "gr-qc", "hep-ph"] and brane.version == 4
    assert brane.journal_ref == "Phys.Rev.D78:083502,2008"


def test_getrecord_page():
    [record] = page("GetRecord-arXivRaw-1302.2146.xml").records
    assert record.arxiv_id == "1302.2146" and record.version == 2
    assert record.title == "The Same-Sign Dilepton Signature of RPV/MFV SUSY"
    assert record.authors == ["Joshua Berger", "Maxim Perelstein", "Michael Saelim", "Philip Tanedo"]
    assert record.primary_category == "hep-ph" and record.comments == "18 pages, 6 figures; v2: References added"
    assert record.updated_at == utc(2013, 4, 2, 1, 50, 8)


def test_arxiv_format_pages():
    parsed = page("ListRecords-arXiv-page1-trimmed.xml")
    assert (parsed.token, parsed.complete_list_size, parsed.cursor) == ("436115|406001", 846926, 405000)
    records = {r.arxiv_id: r for r in parsed.records}
    assert list(records) == ARXIV_CHAIN_IDS[:5]
    assert records["1302.0649"].authors == ["Feng Lu", "Wei-Hua Wang", "Xinjian Xie", "Fu-Chun Zhang"]
    assert records["1302.0649"].license == "http://creativecommons.org/licenses/by/3.0/"
    assert records["1302.0749"].authors == ["Namyoon Lee", "Robert W. Heath Jr"]
    assert records["1302.0749"].categories == ["cs.IT", "math.IT"]
    # The arXiv format has dates, not versions: an <updated> paper is at least at v2.
    updated = records["1302.0654"]
    assert (updated.version, updated.published_at, updated.updated_at) == (2, utc(2013, 2, 4), utc(2013, 3, 6))
    assert records["1302.0650"].version == 1 and records["1302.0650"].doi == "10.1140/epjd/e2004-00034-2"
    final = page("built--ListRecords-arXiv-page2-final.xml")
    assert final.token is None and [r.arxiv_id for r in final.records] == ARXIV_CHAIN_IDS[5:]


def test_final_page_has_no_token():
    final = page("built--ListRecords-arXivRaw-page3-final.xml")
    assert final.token is None and final.complete_list_size == 58011
    assert [r.arxiv_id for r in final.records] == ["1302.2146"]


def test_malformed_records_are_reported_one_by_one():
    parsed = page("built--ListRecords-arXivRaw-malformed-records.xml")
    assert [r.arxiv_id for r in parsed.records] == ["0704.0716"]
    reasons = {e.arxiv_id: e.reason for e in parsed.errors}
    assert reasons == {
        "0704.0874": "0704.0874: missing title",
        "0704.1109": "not an arXiv id or URL: 'not-an-id'",
        "0704.1114": "version date: not a date: 'sometime in April'",
    }
    assert parsed.deleted == ["0704.9999"]


@pytest.mark.parametrize("code", ["badArgument", "badResumptionToken", "idDoesNotExist"])
def test_oai_errors_name_their_code(code):
    with pytest.raises(OAIError, match=f"OAI-PMH error {code}: ") as caught:
        page(f"error-{code}.xml")
    assert caught.value.code == code


def test_no_records_match_is_an_empty_list():
    parsed = page("error-noRecordsMatch.xml")
    assert parsed.records == [] and parsed.token is None


def test_not_oai_is_a_source_error():
    with pytest.raises(SourceError, match="not an OAI-PMH response"):
        parse_list_records(b"<html><body>Service Unavailable</body></html>")


def test_format_names():
    assert normalize_format("arxivraw") == "arXivRaw" and normalize_format("ARXIV") == "arXiv"
    with pytest.raises(InvalidInput, match="unknown metadata format 'oai_dc'"):
        normalize_format("oai_dc")


# --- harvests against the local server ----------------------------------------------------------------


def test_harvest_follows_resumption_tokens(server, engine):
    report = harvest(engine, "physics", date(2014, 10, 1), "arXivRaw")
    assert sorted(stored(engine)) == sorted(RAW_CHAIN_IDS)
    assert (report.pages, report.records, report.result.inserted, report.rejected) == (3, 12, 12, 0)
    first, second, third = (r.params for r in server.requests)
    assert first == {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "set": "physics", "from": "2014-10-01"}
    assert second == {"verb": "ListRecords", "resumptionToken": "726959|1001"}
    assert third == {"verb": "ListRecords", "resumptionToken": "496549|47001"}
    with Session(engine) as session:  # a finished harvest clears its token
        assert get_state(session, harvest_key("physics", date(2014, 10, 1), None, "arXivRaw")) is None
    paper = stored(engine)["0704.0716"]
    assert paper.version == 4 and paper.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"

    again = harvest(engine, "physics", date(2014, 10, 1), "arXivRaw")
    assert (again.result.inserted, again.result.updated, again.result.unchanged) == (0, 0, 12)
    assert len(stored(engine)) == 12


def test_harvest_arxiv_format(server, engine):
    report = harvest(engine, "math", None, "arXiv")
    assert report.pages == 2 and sorted(stored(engine)) == sorted(ARXIV_CHAIN_IDS)
    assert server.requests[0].params == {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "math"}


def test_harvest_that_fails_after_page_one_resumes_from_the_stored_token(server, engine):
    key = harvest_key("physics", date(2014, 10, 1), None, "arXivRaw")
    server.page_failures["726959|1001"] = Reply(500, b"<html><body>Internal Server Error</body></html>")
    with pytest.raises(SourceError, match="HTTP 500"):
        harvest(engine, "physics", date(2014, 10, 1), "arXivRaw")
    assert sorted(stored(engine)) == RAW_CHAIN_IDS[:6]  # page one is committed, nothing of page two
    with Session(engine) as session:
        state = get_state(session, key)
    assert state["token"] == "726959|1001" and state["pages"] == 1 and state["records"] == 6

    server.page_failures.clear()
    server.requests.clear()
    report = harvest(engine, "physics", date(2014, 10, 1), "arXivRaw")
    assert report.resumed_from == "726959|1001" and not report.restarted
    assert server.requests[0].params == {"verb": "ListRecords", "resumptionToken": "726959|1001"}
    assert len(server.requests) == 2
    assert sorted(stored(engine)) == sorted(RAW_CHAIN_IDS)
    assert (report.pages, report.records, report.result.inserted) == (3, 12, 6)
    with Session(engine) as session:
        assert get_state(session, key) is None


def test_expired_token_restarts_the_harvest(server, engine):
    key = harvest_key("physics", None, None, "arXivRaw")
    with Session(engine) as session, session.begin():
        set_state(session, key, {"token": "3", "pages": 7, "records": 7000})
    report = harvest(engine, "physics", None, "arXivRaw")
    assert report.resumed_from == "3" and report.restarted
    assert [r.params.get("resumptionToken") for r in server.requests] == ["3", None, "726959|1001", "496549|47001"]
    assert sorted(stored(engine)) == sorted(RAW_CHAIN_IDS) and report.pages == 3


def test_harvest_skips_malformed_records_and_writes_rejects(server, engine):
    server.oai_first["arXivRaw"] = "built--ListRecords-arXivRaw-malformed-records.xml"
    report = harvest(engine, "physics", None, "arXivRaw")
    assert list(stored(engine)) == ["0704.0716"]  # no half-written paper from the broken records
    assert (report.records, report.rejected, report.deleted) == (1, 3, 1)
    lines = [json.loads(line) for line in report.rejects_path.read_text().splitlines()]
    assert [(line["id"], line["reason"]) for line in lines] == [
        ("0704.0874", "0704.0874: missing title"),
        ("0704.1109", "not an arXiv id or URL: 'not-an-id'"),
        ("0704.1114", "version date: not a date: 'sometime in April'"),
    ]
    assert all("<" in line["record"] for line in lines)


def test_harvest_waits_out_a_503_and_treats_no_records_match_as_empty(server, engine):
    server.script.append(Reply(503, b"Retry later", {"Retry-After": "0"}))
    report = harvest(engine, "moo", None, "arXivRaw")
    assert report.records == 0 and report.pages == 1 and len(server.requests) == 2


def test_harvest_rejects_bad_arguments_before_any_request(server, engine):
    with pytest.raises(InvalidInput, match="unknown metadata format"):
        harvest(engine, "cs", None, "marc21")
    with pytest.raises(InvalidInput, match="before --from"):
        harvest(engine, "cs", date(2025, 2, 1), "arXivRaw", until=date(2025, 1, 1))
    assert server.requests == []


@pytest.mark.slow
@pytest.mark.sqlite_only("reads the SQLite file directly")
def test_killed_harvest_command_resumes_where_it_stopped(server, settings):
    """The real command, killed (SIGKILL) while it waits for page two, then run again."""
    hold = threading.Event()
    server.page_failures["726959|1001"] = Reply(
        200, (OAI / "ListRecords-arXivRaw-page2-trimmed.xml").read_bytes(), hold=hold
    )
    env = {**os.environ, **server.env(), "DAILYPAPERS_DATA_DIR": str(settings.data_dir), "DAILYPAPERS_ARXIV_DELAY": "0"}
    args = [sys.executable, "-m", "dailypapers.cli", "harvest", "--set", "physics", "--from", "2014-10-01", "--json"]
    process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not any(r.params.get("resumptionToken") == "726959|1001" for r in server.requests):
            assert time.monotonic() < deadline and process.poll() is None, "the harvest never asked for page two"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=10)
    hold.set()
    del server.page_failures["726959|1001"]

    db = sqlite3.connect(settings.data_dir / "dailypapers.db")
    assert sorted(i for (i,) in db.execute("SELECT arxiv_id FROM papers")) == RAW_CHAIN_IDS[:6]
    db.close()

    server.requests.clear()
    rerun = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert report["resumed_from"] == "726959|1001" and report["inserted"] == 6 and report["records"] == 12
    assert server.requests[0].params == {"verb": "ListRecords", "resumptionToken": "726959|1001"}
    db = sqlite3.connect(settings.data_dir / "dailypapers.db")
    assert sorted(i for (i,) in db.execute("SELECT arxiv_id FROM papers")) == sorted(RAW_CHAIN_IDS)
    assert db.execute("SELECT count(*) FROM papers").fetchone()[0] == 12
    assert db.execute("SELECT count(*) FROM state WHERE key LIKE 'harvest:%'").fetchone()[0] == 0
    db.close()

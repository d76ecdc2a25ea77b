"""First-page thumbnails: made while ingesting (from PDFs the local arXiv server draws), recorded in the store,
served with long cache headers, shown on the paper page; a PDF that fails never fails the ingest."""

from __future__ import annotations

import json
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from dailypapers.community.submissions import wait_for_background_fetch
from dailypapers.config import reset_settings
from dailypapers.ingest.arxiv import ingest_category, ingest_ids
from dailypapers.ingest.thumbnails import HEIGHT, WIDTH, thumbnail_name, thumbnails_dir
from dailypapers.store.models import Paper
from dailypapers.web.routes.thumbnails import IMMUTABLE
from dailypapers.web.templating import thumbnail_url
from tests.arxiv_server import Reply, serving_settings
from tests.web_helpers import client, csrf, signup

IDS = ["1710.08557", "math/0211159"]


@pytest.fixture
def server(settings, monkeypatch):
    with serving_settings(monkeypatch, DAILYPAPERS_ARXIV_RETRIES=0, DAILYPAPERS_ARXIV_BATCH_SIZE=2) as (fake, _):
        yield fake


@pytest.fixture
def folder(settings):
    return thumbnails_dir(settings.data_dir)


def versions(engine) -> dict[str, tuple[int, int | None]]:
    with Session(engine) as session:
        return {p.arxiv_id: (p.version, p.thumbnail_version) for p in session.scalars(select(Paper))}


def bump_version(server, arxiv_id: str, old: int, new: int) -> None:
    entry = server.entries[arxiv_id]
    server.entries[arxiv_id] = entry.replace(f"abs/{arxiv_id}v{old}".encode(), f"abs/{arxiv_id}v{new}".encode())


def test_ingest_makes_a_small_webp_of_each_first_page(server, engine, folder):
    report = ingest_ids(engine, IDS, thumbnails=True)
    assert (report.thumbnails, report.thumbnail_failures) == (2, 0)
    assert sorted(server.pdf_requests()) == ["/pdf/1710.08557v1", "/pdf/math/0211159v1"]
    assert versions(engine) == {"1710.08557": (1, 1), "math/0211159": (1, 1)}
    assert sorted(p.name for p in folder.iterdir()) == ["1710.08557v1.webp", "math_0211159v1.webp"]
    for path in folder.iterdir():
        image = Image.open(path)
        assert (image.format, image.size) == ("WEBP", (WIDTH, HEIGHT))
        assert path.stat().st_size < 10_000
        # a drawn page, not a blank one: the title and the chart leave dark pixels
        assert image.convert("L").getextrema()[0] < 100
    assert report.as_dict()["thumbnails"] == 2 and "2 thumbnails" in report.summary()

    # A rerun fetches no PDF: every paper already has a thumbnail of its version.
    again = ingest_ids(engine, IDS, thumbnails=True)
    assert again.thumbnails == 0 and len(server.pdf_requests()) == 2


def test_thumbnails_are_off_unless_asked(server, engine, folder):
    report = ingest_category(engine, ["cs.LG"], date(2010, 1, 1))
    assert report.result.inserted == 4 and server.pdf_requests() == [] and not folder.exists()
    assert report.thumbnails is None and "thumbnails" not in report.as_dict()
    assert "thumbnail" not in report.summary()
    made = ingest_category(engine, ["cs.LG"], date(2010, 1, 1), thumbnails=True)
    assert made.thumbnails == 4 and len(list(folder.iterdir())) == 4


def test_a_failed_pdf_never_fails_the_ingest(server, engine, folder):
    server.pdf_replies["1710.08557"] = Reply(404, b"<html>no such paper</html>", {"Content-Type": "text/html"})
    server.pdf_replies["math/0211159"] = Reply(200, b"<html>PDF being generated</html>")  # not a PDF
    server.pdf_replies["math/9501234"] = Reply(200, b"%PDF-1.4 then nothing a renderer can read")
    report = ingest_ids(engine, [*IDS, "math/9501234", "1403.5117"], thumbnails=True)
    assert report.result.inserted == 4
    assert (report.thumbnails, report.thumbnail_failures) == (1, 3)
    assert "3 PDFs could not be fetched or rendered" in report.summary()
    assert [p.name for p in folder.iterdir()] == ["1403.5117v2.webp"]
    assert {i: t for i, (_, t) in versions(engine).items()} == {
        "1710.08557": None,
        "math/0211159": None,
        "math/9501234": None,
        "1403.5117": 2,
    }
    # the next run tries the failed ones again
    server.pdf_replies.clear()
    assert ingest_ids(engine, IDS, thumbnails=True).thumbnails == 2


def test_a_pdf_host_that_stays_down_is_not_asked_for_every_paper(server, engine, folder):
    server.pdf_replies["1710.08557"] = Reply(503, b"down", {"Retry-After": "0"})
    report = ingest_ids(engine, [*IDS, "1403.5117"], thumbnails=True)
    assert report.result.inserted == 3 and (report.thumbnails, report.thumbnail_failures) == (0, 3)
    assert server.pdf_requests() == ["/pdf/1710.08557v1"]


def test_a_new_version_gets_a_new_thumbnail_and_address(server, engine, folder):
    ingest_ids(engine, ["1710.08557"], thumbnails=True)
    with Session(engine) as session:
        first = thumbnail_url(session.scalar(select(Paper)))
    bump_version(server, "1710.08557", 1, 2)
    report = ingest_ids(engine, ["1710.08557"], thumbnails=True)
    assert report.result.updated == 1 and report.thumbnails == 1
    assert server.pdf_requests()[-1] == "/pdf/1710.08557v2"
    assert [p.name for p in folder.iterdir()] == ["1710.08557v2.webp"]  # the old one is gone
    with Session(engine) as session:
        second = thumbnail_url(session.scalar(select(Paper)))
    assert (first, second) == ("/thumbnails/1710.08557v1.webp", "/thumbnails/1710.08557v2.webp")


def test_the_address_comes_from_the_row_not_the_disk():
    assert thumbnail_url(Paper(arxiv_id="hep-th/9901001", version=3, thumbnail_version=None)) is None
    assert (
        thumbnail_url(Paper(arxiv_id="hep-th/9901001", version=3, thumbnail_version=2))
        == "/thumbnails/hep-th_9901001v2.webp"
    )
    assert thumbnail_url({"arxiv_id": "2401.00001"}) is None  # a card of something else: no thumbnail
    assert thumbnail_name("2401.00001", 4) == "2401.00001v4.webp"


def test_served_for_good_and_missing_ones_are_404(server, engine, folder):
    ingest_ids(engine, IDS, thumbnails=True)
    with client() as c:
        for name in ("1710.08557v1.webp", "math_0211159v1.webp"):
            response = c.get(f"/thumbnails/{name}")
            assert response.status_code == 200
            assert response.headers["content-type"] == "image/webp"
            assert response.headers["cache-control"] == IMMUTABLE
            assert response.content == (folder / name).read_bytes()
        missing = c.get("/thumbnails/1710.08557v9.webp", headers={"Accept": "application/json"})
        assert missing.status_code == 404 and missing.json()["error"] == "no thumbnail 1710.08557v9.webp"
        page = c.get("/thumbnails/1710.08557v9.webp", headers={"Accept": "text/html"})
        assert page.status_code == 404 and "text/html" in page.headers["content-type"]
        for sneaky in ("..%2Fdailypapers.db", "%2E%2E", "1710.08557v1.webp%00", "secret_key"):
            assert c.get(f"/thumbnails/{sneaky}").status_code == 404


def test_the_paper_page_shows_the_first_page_when_there_is_one(server, engine):
    ingest_ids(engine, IDS)
    ingest_ids(engine, ["1710.08557"], thumbnails=True)
    with client() as c:
        with_one = c.get("/papers/1710.08557").text
        without = c.get("/papers/math/0211159").text
    assert (
        '<img src="/thumbnails/1710.08557v1.webp" width="120" height="160" loading="lazy" alt="First page of the PDF">'
    ) in with_one
    assert "/thumbnails/" not in without and 'id="paper-title"' in without


def test_a_paper_submitted_on_the_site_gets_its_first_page_after_the_answer(server, engine, monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_FEED_WINDOW_DAYS", "100000")  # the recorded paper is from 2017
    reset_settings()
    member = client()
    signup(member, "alice")
    answer = member.post("/submit", data={"paper": "arXiv:1710.08557", "csrf_token": csrf(member, "/submit")})
    assert answer.status_code == 303
    wait_for_background_fetch("1710.08557", timeout=30)  # the first page is drawn after the answer
    assert versions(engine)["1710.08557"] == (1, 1)
    assert server.pdf_requests() == ["/pdf/1710.08557v1"]
    assert "/thumbnails/1710.08557v1.webp" in member.get("/papers/1710.08557").text


def test_the_background_daily_ingest_follows_the_setting(monkeypatch):
    from dailypapers.config import Settings
    from dailypapers.jobs import work

    class Report:
        def summary(self) -> str:
            return "0 new papers"

    asked = []

    def ingest_category(*args, **kwargs):
        asked.append(kwargs["thumbnails"])
        return Report()

    monkeypatch.setattr(work, "get_engine", lambda settings: None)
    monkeypatch.setattr(work, "fetch_stale_submissions", lambda: [])
    monkeypatch.setattr(work, "ingest_category", ingest_category)
    work.ingest(Settings(), ["cs.LG"])
    monkeypatch.setenv("DAILYPAPERS_FETCH_PDFS", "false")
    work.ingest(Settings(), ["cs.LG"])
    assert asked == [True, False]


# --- the command line ------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.sqlite_only("the command line's flags and defaults; the store is tested on both backends above")
def test_cli_ingest_on_by_default_import_and_harvest_only_when_asked(cli, server, settings, folder, tmp_path):
    env = server.env()
    off = cli("ingest", "1710.08557", "--json", env={**env, "DAILYPAPERS_FETCH_PDFS": "0"})
    assert off.returncode == 0, off.stderr
    assert "thumbnails" not in json.loads(off.stdout) and server.pdf_requests() == []
    assert cli("ingest", "math/0211159", "--no-thumbnails", env=env).returncode == 0
    assert server.pdf_requests() == []
    on = cli("ingest", "1403.5117", "--json", env=env)
    assert json.loads(on.stdout)["thumbnails"] == 1 and server.pdf_requests() == ["/pdf/1403.5117v2"]

    harvest = cli("harvest", "--set", "physics", "--from", "2014-10-01", env=env)
    assert harvest.returncode == 0, harvest.stderr
    assert len(server.pdf_requests()) == 1 and "thumbnail" not in harvest.stderr

    export = tmp_path / "papers.jsonl"
    assert cli("export", str(export)).returncode == 0
    plain = cli("import", str(export), env=env)
    assert plain.returncode == 0 and len(server.pdf_requests()) == 1

    # The backfill: only these two, then all the rest; the harvested papers have no PDF here and fail softly.
    some = cli("thumbnails", "1710.08557", "math/0211159", "--json", env=env)
    assert json.loads(some.stdout) == {"thumbnails": 2, "failed": 0}
    rest = cli("import", str(export), "--thumbnails", env=env)
    assert rest.returncode == 0, rest.stderr
    assert "0 thumbnails made, 12 failed" in rest.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["1403.5117v2.webp", "1710.08557v1.webp", "math_0211159v1.webp"]
    assert cli("thumbnails", "not-an-id").returncode != 0

"""The arXiv API source: the Atom parser on every recorded feed, and the polite client against a local server."""

from __future__ import annotations

import socket
import time
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import pytest

from dailypapers import USER_AGENT
from dailypapers.config import get_settings, reset_settings
from dailypapers.errors import SourceError
from dailypapers.ingest.clients import arxiv_api, polite_client
from dailypapers.sources import http
from dailypapers.sources.arxiv_api import ArxivAPI, parse_feed
from dailypapers.sources.http import UpstreamHTTPError, retry_after_seconds
from dailypapers.sources.oai import parse_list_records
from tests.arxiv_server import API, Reply, atom_feed, recorded_entries, serving_settings


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def server(settings, monkeypatch):
    with serving_settings(monkeypatch, DAILYPAPERS_ARXIV_RETRIES=2) as (fake, _):
        yield fake


def api() -> ArxivAPI:
    return arxiv_api(get_settings())


# --- the parser, on each recorded feed -------------------------------------------------------------------


def test_id_list_new_style_paper():
    page = parse_feed((API / "id_list-1710.08557.xml").read_bytes())
    assert (page.total_results, page.start_index, page.items_per_page) == (1, 0, 10)
    [paper] = page.records
    assert (paper.arxiv_id, paper.version) == ("1710.08557", 1)
    # Hard line wraps in the title are joined.
    assert paper.title == "On Neuromechanical Approaches for the Study of Biological Grasp and Manipulation"
    assert paper.abstract.startswith("Biological and robotic grasp and manipulation are undeniably similar")
    assert paper.authors == ["Francisco J Valero-Cuevas", "Marco Santello"]
    assert paper.categories == ["cs.RO"] and paper.primary_category == "cs.RO"
    assert paper.published_at == paper.updated_at == utc(2017, 10, 24, 0, 21, 32)
    assert paper.doi == "10.1186/s12984-017-0305-3"
    assert paper.journal_ref == "Journal of NeuroEngineering and Rehabilitation, 2017"
    assert paper.comments is None


def test_id_list_old_style_paper_with_many_authors():
    [paper] = parse_feed((API / "id_list-astro-ph_9812133.xml").read_bytes()).records
    assert paper.arxiv_id == "astro-ph/9812133"
    assert paper.title == "Measurements of Omega and Lambda from 42 High-Redshift Supernovae"
    assert len(paper.authors) == 32
    assert paper.authors[:2] == ["S. Perlmutter", "G. Aldering"] and paper.authors[-1] == "W. J. Couch"
    assert paper.categories == ["astro-ph", "hep-ex", "hep-ph"] and paper.primary_category == "astro-ph"
    assert paper.doi == "10.1086/307221" and paper.journal_ref == "Astrophys.J.517:565-586,1999"
    assert paper.comments.startswith("21 pages and 10 figures.")


def test_id_list_drops_msc_classes_listed_as_categories():
    [paper] = parse_feed((API / "id_list-math_0211159.xml").read_bytes()).records
    assert paper.arxiv_id == "math/0211159" and paper.authors == ["Grisha Perelman"]
    assert paper.title == "The entropy formula for the Ricci flow and its geometric applications"
    assert paper.categories == ["math.DG"]  # the feed also lists the MSC class "53C"
    assert paper.comments == "39 pages"
    assert paper.published_at == utc(2002, 11, 11, 16, 11, 49)


def test_id_list_journal_ref_only():
    [paper] = parse_feed((API / "id_list-math_9501234.xml").read_bytes()).records
    assert (paper.arxiv_id, paper.authors) == ("math/9501234", ["Donald E. Knuth"])
    assert paper.title == "Aztec diamonds, checkerboard graphs, and spanning trees"
    assert paper.journal_ref == "J. Algebraic Combin. 6 (1997), no. 3, 253--257"
    assert paper.doi is None and paper.categories == ["math.CO"]


def test_search_listing_page():
    page = parse_feed((API / "search-all-electron.xml").read_bytes())
    assert (page.total_results, page.start_index, page.items_per_page) == (110995, 0, 10)
    assert [r.arxiv_id for r in page.records][:3] == ["cond-mat/0102536", "astro-ph/0608371", "1501.04914"]
    assert len(page.records) == 10 and page.errors == []
    by_id = {r.arxiv_id: r for r in page.records}
    revised = by_id["1403.5117"]  # the entry id ends in v2: published is v1's date, updated v2's
    assert revised.version == 2
    assert revised.published_at == utc(2014, 3, 20, 12, 47, 57)
    assert revised.updated_at == utc(2014, 4, 3, 18, 29, 50)
    assert revised.categories == ["cond-mat.mtrl-sci", "cond-mat.str-el"]
    assert revised.authors[0] == "Emile Bévillon"
    first = by_id["cond-mat/0102536"]
    assert first.authors == ["David Prendergast", "M. Nolan", "Claudia Filippi", "Stephen Fahy", "J. C. Greer"]
    assert first.comments == ("11 pages, 6 figures, 3 tables, LaTeX209, submitted to The Journal of Chemical Physics")


def test_error_feed_is_a_source_error():
    with pytest.raises(SourceError, match="arXiv API error: incorrect id format for INVALIDID"):
        parse_feed((API / "error-incorrect-id-format-http400.xml").read_bytes())


def test_html_or_garbage_is_a_source_error():
    with pytest.raises(SourceError, match="not XML"):
        parse_feed(b"<html><body>Bad Gateway")
    with pytest.raises(SourceError, match="not an Atom feed"):
        parse_feed(b"<html><body>Bad Gateway</body></html>")


def test_malformed_entry_is_reported_and_the_rest_parsed():
    entries = recorded_entries()
    broken = entries["math/9501234"].replace(
        b"<title>Aztec diamonds, checkerboard graphs, and spanning trees</title>", b"<title></title>"
    )
    page = parse_feed(atom_feed([entries["1710.08557"], broken], 2, 0, 10))
    assert [r.arxiv_id for r in page.records] == ["1710.08557"]
    [error] = page.errors
    assert error.arxiv_id == "math/9501234" and "missing title" in error.reason and "Knuth" in error.xml


# --- the client, against the local server ------------------------------------------------------------


def test_fetch_ids_in_batches(server):
    ids = ["1710.08557", "astro-ph/9812133", "math/0211159", "math/9501234", "1403.5117"]
    batches = list(api().fetch_ids(ids, batch_size=2))
    assert [b.ids for b in batches] == [ids[:2], ids[2:4], ids[4:]]
    assert [r.arxiv_id for b in batches for r in b.page.records] == ids
    sent = [r.params for r in server.requests]
    assert [p["id_list"] for p in sent] == ["1710.08557,astro-ph/9812133", "math/0211159,math/9501234", "1403.5117"]
    assert [p["max_results"] for p in sent] == ["2", "2", "1"]
    assert all(r.user_agent == USER_AGENT and "dailypapers" in r.user_agent for r in server.requests)


def test_list_category_pages_until_older_than_since(server):
    pages = list(api().list_category(["cs.LG", "math.CO"], date(2007, 1, 1), page_size=2))
    got = [r.arxiv_id for p in pages for r in p.records]
    # The recorded entries submitted in 2007 or later, newest first; the walk stops on the page that
    # reaches 2006 and never asks for the rest of the listing.
    assert got == ["1710.08557", "1501.04914", "1403.5117", "1010.5544", "0707.4225"]
    params = [r.params for r in server.requests]
    assert [p["start"] for p in params] == ["0", "2", "4"]
    assert params[0]["search_query"] == "cat:cs.LG OR cat:math.CO"
    assert (params[0]["sortBy"], params[0]["sortOrder"]) == ("submittedDate", "descending")


def test_list_category_retries_an_empty_page_then_gives_up(server):
    empty = Reply(200, atom_feed([], 14, 2, 2))
    server.script.extend([Reply(200, atom_feed(server.listing()[:2], 14, 0, 2)), empty, empty, empty])
    with pytest.raises(SourceError, match="empty page at 2 of 14"):
        list(api().list_category(["cs.LG"], date(1990, 1, 1), page_size=2))


def test_503_with_retry_after_is_honoured(server):
    server.script.append(Reply(503, b"Service Unavailable", {"Retry-After": "1"}))
    [batch] = api().fetch_ids(["1710.08557"])
    assert [r.arxiv_id for r in batch.page.records] == ["1710.08557"]
    first, second = server.requests
    assert second.at - first.at >= 0.95


def test_429_then_success_backs_off(server):
    server.script.append(Reply(429, b"Too Many Requests"))
    [batch] = api().fetch_ids(["math/0211159"])
    assert len(batch.page.records) == 1 and len(server.requests) == 2
    assert server.requests[1].at - server.requests[0].at >= 0.07  # backoff from 0.1 s, jitter 0.75-1.25


def test_timeout_is_retried(settings, monkeypatch):
    with serving_settings(monkeypatch, DAILYPAPERS_ARXIV_TIMEOUT=0.3, DAILYPAPERS_ARXIV_RETRIES=1) as (fake, _):
        fake.script.append(Reply(200, b"", delay=1.0))
        [batch] = api().fetch_ids(["1710.08557"])
        assert len(batch.page.records) == 1 and len(fake.requests) == 2


def test_error_page_explains_itself_without_retrying(server):
    error = (API / "error-incorrect-id-format-http400.xml").read_bytes()
    server.script.append(Reply(400, error, {"Content-Type": "application/atom+xml"}))
    with pytest.raises(SourceError, match="^arXiv API error: incorrect id format for INVALIDID$"):
        list(api().fetch_ids(["1710.08557"]))
    assert len(server.requests) == 1


def test_persistent_5xx_gives_up_with_one_line(server):
    page = Reply(500, b"<html><body><h1>Internal Server Error</h1></body></html>", {"Content-Type": "text/html"})
    server.script.extend([page, page, page])
    with pytest.raises(SourceError) as caught:
        list(api().fetch_ids(["1710.08557"]))
    message = str(caught.value)
    assert "HTTP 500" in message and "gave up after 3 attempts" in message and "\n" not in message
    assert len(server.requests) == 3


def test_other_4xx_is_not_retried(server):
    with polite_client(get_settings()) as client, pytest.raises(UpstreamHTTPError) as caught:
        client.get(server.base + "/nowhere")
    assert caught.value.status == 404 and len(server.requests) == 1


def test_retry_after_beyond_the_cap_gives_up_at_once(server):
    server.script.append(Reply(503, b"", {"Retry-After": "3600"}))
    with pytest.raises(SourceError, match="come back in 3600 s"):
        list(api().fetch_ids(["1710.08557"]))
    assert len(server.requests) == 1


class FakeTime:
    """A monotonic clock that moves only when the pacer sleeps: the pace is checked without waiting for it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_requests_keep_the_configured_delay(settings, monkeypatch):
    fake_time = FakeTime()
    starts: list[float] = []

    class RecordingPacer(http._Pacer):
        def wait(self, interval: float) -> None:
            super().wait(interval)
            starts.append(fake_time.now)

    pacer = RecordingPacer(fake_time.clock, fake_time.sleep)
    monkeypatch.setattr(http, "_pacer_for", lambda host: pacer)
    with serving_settings(monkeypatch, DAILYPAPERS_ARXIV_DELAY=0.2) as (fake, _):
        client = api()
        for _ in range(4):
            list(client.fetch_ids(["1710.08557"]))
        assert len(fake.requests) == 4
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert gaps == pytest.approx([0.2, 0.2, 0.2]) and fake_time.sleeps == pytest.approx([0.2, 0.2, 0.2])


def test_one_pacer_spaces_two_clients_of_the_same_host():
    fake_time = FakeTime()
    pacer = http._Pacer(fake_time.clock, fake_time.sleep)
    pacer.wait(3.0)  # the first request goes at once
    fake_time.now += 1.0  # a second client asks one second later
    pacer.wait(3.0)
    assert fake_time.sleeps == pytest.approx([2.0]) and http._pacer_for("a.example") is http._pacer_for("a.example")


def test_unreachable_server_is_a_source_error(settings, monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed when the block ends: nothing listens there
    monkeypatch.setenv("DAILYPAPERS_ARXIV_API_URL", f"http://127.0.0.1:{port}/api/query")
    monkeypatch.setenv("DAILYPAPERS_ARXIV_RETRIES", "1")
    reset_settings()
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"cannot connect .*gave up after 2 attempts"):
        list(api().fetch_ids(["1710.08557"]))
    assert time.monotonic() - started < 5


def test_retry_after_values():
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert retry_after_seconds(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None, now) is None


LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE feed [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<feed xmlns="http://www.w3.org/2005/Atom"><title>&lol2;</title></feed>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE feed [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<feed xmlns="http://www.w3.org/2005/Atom"><title>&secret;</title></feed>"""


@pytest.mark.parametrize("answer", [LAUGHS, EXTERNAL], ids=["entity-expansion", "external-entity"])
@pytest.mark.parametrize("parse", [parse_feed, parse_list_records], ids=["api", "oai-pmh"])
def test_an_answer_with_entities_is_refused_as_unsafe_xml(parse, answer):
    with pytest.raises(SourceError, match="refused as unsafe XML"):
        parse(answer)

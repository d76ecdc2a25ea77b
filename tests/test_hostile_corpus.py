"""Data from outside meant to break the site: control characters, unsafe links, markup, huge fields and bad
encodings. Imported with the real command, then shown on every page, feed and API answer that lists papers:
no server error, no live javascript:/data: link, markup stays text, and every feed is well-formed XML."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html.parser import HTMLParser

import defusedxml.ElementTree as SafeET
import feedparser
import pytest
from sqlalchemy import select, update

from dailypapers.sources.records import PaperRecord
from dailypapers.store.models import Paper
from dailypapers.store.papers import add_daily_entry, upsert_papers
from tests.conftest import FIXTURES
from tests.web_helpers import add_papers, client, record

HOSTILE = FIXTURES / "hostile.jsonl"
SAFE_ID = "2403.00019"  # the one paper whose links are fine
UNSAFE_SCHEMES = ("javascript:", "data:", "vbscript:", "file:")
FEEDS = (
    "/papers/feed.xml",
    "/papers/rss.xml",
    "/papers/trending/feed.xml",
    "/papers/trending/rss.xml",
    "/search/feed.xml?q=paper&mode=keyword",
    "/search/rss.xml?q=paper&mode=keyword",
    "/search/feed.xml?q=paper+control&mode=keyword&category=cs.LG",
)
# A query holding characters no XML document may carry is bad input: refused, not echoed into a feed.
REFUSED_FEEDS = ("/search/feed.xml?q=control%02%1f&mode=keyword", "/search/rss.xml?q=links%00&mode=keyword")


class _Tags(HTMLParser):
    """Every start tag of a page with its attributes, as a browser would see them."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


def assert_no_live_script(html: str) -> list[str]:
    """Fails on a link with a scheme that runs or loads something, on a script tag of ours we did not write, or
    on an event-handler attribute; returns the page's links."""
    parser = _Tags()
    parser.feed(html)
    links = []
    for tag, attrs in parser.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if tag == "script":
            assert attrs.get("src", "").startswith("/static/"), attrs
        for name in ("href", "src", "action", "formaction"):
            if name in attrs:
                link = "".join(attrs[name].split()).lower()
                assert not link.startswith(UNSAFE_SCHEMES), (tag, attrs)
                links.append(attrs[name])
    return links


def assert_well_formed_feed(body: bytes) -> feedparser.FeedParserDict:
    SafeET.fromstring(body)  # raises on malformed XML
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.bozo_exception
    return parsed


def _strings(value):
    """Every string inside a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@pytest.fixture
def imported(cli, session):
    """The hostile file imported with `dailypapers import`, every stored paper on today's feed."""
    done = cli("import", str(HOSTILE), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    papers = session.scalars(select(Paper).order_by(Paper.arxiv_id)).all()
    for paper in papers:
        add_daily_entry(session, paper, datetime.now(UTC).date())
    session.commit()
    return report, papers


def test_the_import_keeps_what_it_can_and_cleans_it(imported):
    report, papers = imported
    # Rejected: the doi and the category longer than their columns, numbers for categories, Latin-1 bytes,
    # the UTF-16 line, bytes that are no text, the cut-off line, the nested arrays and the huge number.
    assert (report["lines"], report["inserted"], report["rejected"]) == (22, 13, 9)
    for paper in papers:
        text = " ".join([paper.title, paper.abstract, paper.comments or "", *paper.authors, paper.categories])
        assert not any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF or c in "\ufffe\uffff" for c in text), paper.arxiv_id
        for url in (paper.code_url, paper.project_page):
            assert url is None or url.startswith(("http://", "https://")), (paper.arxiv_id, url)
    by_id = {p.arxiv_id: p for p in papers}
    assert by_id["2403.00001"].title == "Control characters in a title"
    assert by_id["2403.00001"].authors == ["Ada Lovelace"]
    assert by_id["2403.00009"].code_url is None  # a link longer than its column is dropped, the paper kept
    assert (by_id[SAFE_ID].code_url, by_id[SAFE_ID].project_page) == (
        "https://github.com/example/safe",
        "http://example.org/project",
    )


def test_every_page_renders_without_live_script(imported):
    _, papers = imported
    site = client()
    pages = [
        "/papers",
        "/papers?sort=newest",
        "/papers/trending",
        "/search?q=paper&mode=keyword",
        "/search?q=script&mode=keyword",
        "/search?q=%02%00&mode=keyword",
    ]
    pages += [f"/papers/{paper.arxiv_id}" for paper in papers]
    for path in pages:
        response = site.get(path)
        assert response.status_code in (200, 400), (path, response.status_code)
        links = assert_no_live_script(response.text)
        assert "<script>alert" not in response.text, path
        if path in ("/papers", f"/papers/{SAFE_ID}"):
            assert "https://github.com/example/safe" in links  # safe links stay live
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in site.get("/papers/2403.00006").text


def test_every_feed_is_well_formed_and_lists_the_papers(imported):
    _, papers = imported
    site = client()
    for path in FEEDS:
        response = site.get(path)
        assert response.status_code == 200, path
        parsed = assert_well_formed_feed(response.content)
        for entry in parsed.entries:
            assert not any(link.href.lower().startswith(UNSAFE_SCHEMES) for link in entry.get("links", []))
    daily = assert_well_formed_feed(site.get("/papers/feed.xml").content)
    assert len(daily.entries) == len(papers)
    for path in REFUSED_FEEDS:
        refused = site.get(path)
        assert refused.status_code == 400 and "q" in refused.text, path


def test_the_api_answers_json_without_unsafe_links(imported):
    _, papers = imported
    site = client()
    paths = ["/api/daily_papers", "/api/papers", "/api/papers/search?q=paper&mode=keyword"]
    paths += [f"/api/papers/{paper.arxiv_id}" for paper in papers]
    for path in paths:
        response = site.get(path)
        assert response.status_code == 200, (path, response.text[:200])
        for value in _strings(response.json()):
            assert not value.strip().lower().startswith(UNSAFE_SCHEMES), (path, value)


def test_the_store_takes_only_http_links_whatever_built_the_record(session):
    """A record that skipped validate() (a new source, a script) still cannot store a javascript: link."""
    published = datetime.now(UTC)
    records = [
        PaperRecord(
            arxiv_id=f"2403.0010{n}",
            version=1,
            title="Built by hand",
            abstract="",
            published_at=published,
            updated_at=published,
            code_url=url,
            project_page=url,
        )
        for n, url in enumerate(["javascript:alert(1)", "data:text/html,x", "https://github.com/a/b"])
    ]
    upsert_papers(session.connection(), records)
    stored = session.execute(select(Paper.code_url, Paper.project_page).order_by(Paper.arxiv_id)).all()
    assert [tuple(row) for row in stored] == [
        (None, None),
        (None, None),
        ("https://github.com/a/b", "https://github.com/a/b"),
    ]


def test_pages_check_links_again_when_rendering(session):
    """A row stored before links were checked is shown without its unsafe link."""
    add_papers(session, [record("2403.00201", "An old row", code_url="https://github.com/a/b")])
    session.execute(update(Paper).values(code_url="javascript:alert(1)", project_page=" data:text/html,x"))
    session.commit()
    site = client()
    for path in ("/papers", "/papers/2403.00201", "/papers/trending"):
        html = site.get(path).text
        assert "An old row" in html
        assert_no_live_script(html)
        assert "javascript:" not in html and "data:text" not in html


def test_feeds_drop_control_characters_a_stored_title_still_has(session):
    add_papers(session, [record("2403.00202", "Plain title")])
    session.execute(update(Paper).values(title="Bell\x07 and \x02STX", abstract="Form\x0cfeed"))
    session.commit()
    site = client()
    for path in FEEDS[:4]:
        parsed = assert_well_formed_feed(site.get(path).content)
        assert parsed.entries[0].title == "Bell and STX", path


def test_control_characters_are_dropped_at_ingest():
    paper = record(
        "2403.00203", "Tab\there, bell\x07 and \x02 STX", abstract="Form\x0cfeed \ud800", comments="\x00"
    ).validate()
    assert (paper.title, paper.abstract, paper.comments) == ("Tab here, bell and STX", "Form feed", None)

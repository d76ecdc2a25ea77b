"""Topic trends: the monthly counting on both stores, the /trends page and its SVG, and `dailypapers trends`."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from dailypapers.config import reset_settings
from dailypapers.errors import InvalidInput
from dailypapers.search.trends import MAX_EXPANSIONS, TrendQuery, topic_trends
from dailypapers.sources.records import PaperRecord
from dailypapers.store.models import Paper
from dailypapers.store.papers import set_hidden
from tests.web_helpers import add_papers, client

PAPERS = [  # (id, title, first version): two papers in January, none in February, three (and a hidden one) in March
    ("2501.00001", "Graph neural networks for molecules", datetime(2025, 1, 10, tzinfo=UTC)),
    ("2501.00002", "Diffusion models for images", datetime(2025, 1, 31, 23, 30, tzinfo=UTC)),
    ("2503.00003", "Graph transformers at scale", datetime(2025, 3, 1, tzinfo=UTC)),
    ("2503.00004", "Neural graph diffusion", datetime(2025, 3, 15, tzinfo=UTC)),
    ("2503.00005", "Speech recognition in noise", datetime(2025, 3, 31, 12, tzinfo=UTC)),
    ("2503.00006", "Graph neural networks, hidden", datetime(2025, 3, 20, tzinfo=UTC)),
]


def _record(arxiv_id: str, title: str, published: datetime) -> PaperRecord:
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=1,
        title=title,
        abstract=f"{title}.",
        authors=["Ada Lovelace"],
        categories=["cs.LG"],
        primary_category="cs.LG",
        published_at=published,
        updated_at=published,
    )


@pytest.fixture
def store(session):
    add_papers(session, [_record(*paper) for paper in PAPERS], feed=False)
    set_hidden(session, session.scalar(select(Paper).where(Paper.arxiv_id == "2503.00006")), True)
    session.commit()
    return session


def _trends(session, queries: list[str], first: date | None = None, last: date | None = None):
    return topic_trends(session, TrendQuery.parse(queries, first, last))


@pytest.fixture(params=["tantivy", "sql"])
def keyword_engine(request, monkeypatch, session):
    """Each keyword engine of the backend: tantivy, and the database's own (FTS5 on SQLite, tsvector on PostgreSQL)."""
    from dailypapers.index.engines import forget_indexes

    sql = "fts5" if session.get_bind().dialect.name == "sqlite" else "postgres"
    from dailypapers.config import get_settings

    monkeypatch.setattr(get_settings(), "keyword_engine", request.param if request.param == "tantivy" else sql)
    forget_indexes()
    return request.param


def test_counts_and_shares_per_month(store, keyword_engine):
    from dailypapers.index.engines import keyword_index

    assert (type(keyword_index(store.get_bind())).__name__ == "TantivyIndex") == (keyword_engine == "tantivy")
    trends = _trends(store, ["graph neural", '"graph neural"', "diffusion", "graph*"])
    assert trends.months == ["2025-01", "2025-02", "2025-03"]  # the store's span, the empty month too
    assert trends.totals == [2, 0, 3]  # the hidden paper counts nowhere
    counts = {s.query: s.counts for s in trends.series}
    assert counts == {
        "graph neural": [1, 0, 1],  # every word: "neural graph diffusion" too
        '"graph neural"': [1, 0, 0],  # the phrase
        "diffusion": [1, 0, 1],
        "graph*": [1, 0, 2],
    }
    assert trends.series[0].shares == [0.5, 0.0, 0.333333]
    assert trends.as_json()["series"][2] == {"query": "diffusion", "counts": [1, 0, 1], "shares": [0.5, 0.0, 0.333333]}

    bounded = _trends(store, ["graph"], date(2025, 2, 1), date(2025, 4, 1))
    assert bounded.months == ["2025-02", "2025-03", "2025-04"] and bounded.series[0].counts == [0, 2, 0]
    assert _trends(store, ["speech"], date(2025, 1, 1), date(2025, 1, 1)).series[0].counts == [0]
    assert not _trends(store, ["quantum"]).matched

    for queries, first, last in (
        (["a", "b", "c", "d", "e", "f"], None, None),
        (["!!!"], None, None),
        ([" "], None, None),
        (["graph"], date(2025, 3, 1), date(2025, 1, 1)),
        (["graph"], date(2000, 1, 1), date(2025, 1, 1)),
    ):
        with pytest.raises(InvalidInput):
            _trends(store, queries, first, last)


@pytest.fixture
def crowded(store):
    """One paper more, whose abstract holds MAX_EXPANSIONS + 1 words that start with "zeta": "zeta*" stands for
    too many words of the index."""
    words = " ".join(f"zeta{i:04d}x" for i in range(MAX_EXPANSIONS + 1))
    published = datetime(2025, 3, 2, tzinfo=UTC)
    add_papers(
        store,
        [
            PaperRecord(
                arxiv_id="2503.00007",
                version=1,
                title="Zeta functions",
                abstract=words,
                authors=["Ada Lovelace"],
                categories=["math.NT"],
                primary_category="math.NT",
                published_at=published,
                updated_at=published,
            )
        ],
        feed=False,
    )
    return store


def test_the_work_of_a_query_is_bounded_not_only_its_length(crowded, keyword_engine):
    """Five queries of 27 one-letter prefixes over 240 months took seconds: each part is a lookup over the
    window, and a prefix one per word it stands for. Each bound is named when it is passed."""
    for queries, first, last, message in (
        (["graph"] * 6, None, None, "at most 5 queries at once, not 6"),
        (
            ["graph neural networks large molecules speech recognition"],
            None,
            None,
            "has 7 words, phrases and prefixes; a query has at most 6",
        ),
        (["a* b* c*"], None, None, "a prefix needs at least 3 letters before the *, not “a*”"),
        (["graph"], date(2005, 1, 1), date(2025, 1, 1), "at most 240 months at once, not 241"),
        (
            ["graph zeta*"],
            None,
            None,
            f"“zeta*” (in “graph zeta*”) stands for more than {MAX_EXPANSIONS} words of the index; write more of "
            "the word",
        ),
    ):
        with pytest.raises(InvalidInput) as refused:
            _trends(crowded, queries, first, last)
        assert message in str(refused.value)
    # at the bounds: six parts, a prefix of three letters, 240 months, a prefix of fewer words
    trends = _trends(
        crowded,
        ["graph neural networks molecules transformers scale", "zeta0001*", "gra*"],
        date(2005, 4, 1),
        date(2025, 3, 1),
    )
    assert len(trends.months) == 240
    assert [s.counts[-1] for s in trends.series] == [0, 1, 2]  # March 2025


def test_over_a_bound_the_page_and_the_chart_answer_400_and_the_command_exits_2(crowded, cli):
    c = client()
    page = c.get("/trends", params={"q": ["graph", "a*"]})
    assert page.status_code == 400 and 'id="trends-error"' in page.text
    assert "a prefix needs at least 3 letters before the *, not “a*”" in page.text
    assert c.get("/trends.svg", params={"q": "graph zeta*"}).status_code == 400
    assert c.get("/trends.svg", params={"q": "zeta01*"}).status_code == 200
    for args, message in (
        (["a*"], "a prefix needs at least 3 letters before the *"),
        (["zeta*"], f"stands for more than {MAX_EXPANSIONS} words"),
    ):
        done = cli("trends", *args)
        errors = done.stderr.strip().splitlines()
        assert done.returncode == 2 and len(errors) == 1 and errors[0].startswith("error: ") and message in errors[0]


def test_an_empty_store_has_no_months(session):
    trends = _trends(session, ["graph"])
    assert trends.months == [] and trends.totals == [] and not trends.matched


def _table(html: str) -> list[list[str]]:
    body = html.split('id="trends-table"', 1)[1].split("</table>", 1)[0]
    return [re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_the_trends_page_draws_an_svg_above_the_numbers(store, monkeypatch):
    # Every request renders: the chart's second fetch below must be drawn again to show it is deterministic (a
    # cache hit proves nothing).
    monkeypatch.setenv("DAILYPAPERS_PAGE_CACHE_SECONDS", "0")
    reset_settings()
    c = client()
    page = c.get("/trends", params={"q": ["graph neural", "<script>alert(1)</script> $x_"]})
    assert page.status_code == 200
    html = page.text
    chart = html.split('id="trends-chart"', 1)[1].split("</figure>", 1)[0]
    assert "<svg" in chart and "<?xml" not in chart and "<style" not in chart and "<script" not in chart
    assert "&lt;script&gt;alert(1)&lt;/script&gt; $x_" in chart  # the legend, escaped, no math parsing
    assert "<script>alert" not in html
    rows = _table(html)
    assert rows[0][0] == "Month" and rows[0][-1] == "All papers"
    assert rows[1:] == [
        ["2025-01", "1", "50.0%", "0", "0.0%", "2"],
        ["2025-02", "0", "–", "0", "–", "0"],
        ["2025-03", "1", "33.3%", "0", "0.0%", "3"],
    ]  # no papers that month: no share

    svg = c.get("/trends.svg", params={"q": "graph neural"})
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert svg.text.startswith("<svg") and svg.content == c.get("/trends.svg?q=graph+neural").content  # deterministic

    bounded = c.get("/trends?q=graph&from=2025-03&to=2025-03")
    assert _table(bounded.text)[1:] == [["2025-03", "2", "66.7%", "3"]]
    nothing = c.get("/trends?q=quantum")
    assert nothing.status_code == 200 and 'id="trends-empty"' in nothing.text and "<svg" not in nothing.text
    assert c.get("/trends.svg?q=quantum").status_code == 404
    assert c.get("/trends").status_code == 200  # the form alone

    too_many = c.get("/trends", params={"q": ["a", "b", "c", "d", "e", "f"]})
    assert too_many.status_code == 400 and "at most 5 queries" in too_many.text and 'id="trends-error"' in too_many.text
    assert c.get("/trends?q=graph&from=2025-13").status_code == 400
    assert c.get("/trends.svg", params={"q": ["a"] * 6}).status_code == 400


def test_the_chart_leaves_gaps_follows_the_page_colours_and_says_what_it_shows(store):
    """A month without papers has no share (not 0 %); the SVG is drawn in the page's colours, so it follows
    dark mode, and a screen reader hears what it shows."""
    html = client().get("/trends", params={"q": ["graph neural", "diffusion"]}).text
    svg = html.split('id="trends-chart"', 1)[1].split("</svg>", 1)[0]
    assert re.search(
        r'<svg[^>]* role="img" aria-label="Line chart: the share of each month&#x27;s papers matching '
        r'“graph neural”, “diffusion”, 2025-01 to 2025-03[^"]*"><title>Line chart',
        svg,
    )
    assert "currentColor" in svg and "var(--chart-1, " in svg and "var(--chart-2, " in svg
    assert not re.search(r"#(000000|ffffff)", svg, re.I)  # no black ink, no white background
    first_line = re.search(r'<path d="([^"]*)"[^>]*clip-path[^>]*stroke: var\(--chart-1', svg)[1]
    assert first_line.count("M ") == 2 and "L " not in first_line  # January, a gap for February, March


def test_an_empty_store_says_so(session):
    page = client().get("/trends?q=graph")
    assert page.status_code == 200 and 'id="trends-empty"' in page.text and "no papers yet" in page.text


@pytest.mark.slow
@pytest.mark.sqlite_only("the command is a thin shell over the counting tested on both stores")
def test_the_trends_command(store, cli, tmp_path):
    done = cli("trends", "graph neural", "diffusion", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "months": ["2025-01", "2025-02", "2025-03"],
        "totals": [2, 0, 3],
        "series": [
            {"query": "graph neural", "counts": [1, 0, 1], "shares": [0.5, 0.0, 0.333333]},
            {"query": "diffusion", "counts": [1, 0, 1], "shares": [0.5, 0.0, 0.333333]},
        ],
    }

    chart = tmp_path / "trends.png"
    done = cli("trends", "graph", "--from", "2025-01", "--to", "2025-03", "--png", str(chart))
    assert done.returncode == 0, done.stderr
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["month", "graph", "share", "all", "papers"]
    assert lines[1].split() == ["2025-01", "1", "50.0%", "2"] and lines[3].split() == ["2025-03", "2", "66.7%", "3"]

    for args, message in (
        (["a", "b", "c", "d", "e", "f"], "at most 5 queries"),
        (["graph", "--from", "2025-1"], "--from: not a month"),
    ):
        done = cli("trends", *args)
        errors = done.stderr.strip().splitlines()
        assert done.returncode != 0 and len(errors) == 1 and errors[0].startswith("error: ") and message in errors[0]

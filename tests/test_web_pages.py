"""The reading pages on a real SQLite store: feed periods, trending, paper page, search, feeds, escaping."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import feedparser
import pytest
from sqlalchemy import update

from dailypapers.store.models import Paper
from tests.web_helpers import add_papers, client, csrf, record, signup


@pytest.fixture
def site(session):
    today = datetime.now(UTC).date()
    add_papers(
        session,
        [
            record("2501.00001", "Sparse attention for long documents", abstract="Attention is sparse."),
            record("2501.00002", "Tokenizers revisited", abstract="We revisit tokenizers."),
        ],
        on=today,
    )
    add_papers(
        session,
        [record("2501.00003", "Older diffusion paper", abstract="Diffusion models denoise.")],
        on=today - timedelta(days=3),
    )

    session.execute(update(Paper).where(Paper.arxiv_id == "2501.00002").values(upvotes=7))
    session.commit()
    return client()


def test_feed_shows_latest_day_sorted_by_upvotes(site):
    html = site.get("/papers").text
    assert html.index("Tokenizers revisited") < html.index("Sparse attention for long documents")
    assert "Older diffusion paper" not in html
    assert 'id="prev-period"' in html  # three days earlier has papers
    newest = site.get("/papers?sort=newest")
    assert newest.status_code == 200 and 'aria-current="true" id="sort-newest"' in newest.text


def test_feed_falls_back_to_latest_day_with_papers(session):
    add_papers(session, [record("2501.00009", "Only paper")], on=datetime.now(UTC).date() - timedelta(days=5))
    html = client().get("/papers").text
    assert "Only paper" in html


def test_day_week_month_pages_and_neighbours(site):
    today = datetime.now(UTC).date()
    earlier = today - timedelta(days=3)
    day = site.get(f"/papers/date/{earlier.isoformat()}")
    assert day.status_code == 200 and "Older diffusion paper" in day.text and "Tokenizers" not in day.text
    assert f'href="/papers/date/{today.isoformat()}" rel="next"' in day.text
    year, week, _ = today.isocalendar()
    assert site.get(f"/papers/week/{year}-W{week:02d}").status_code == 200
    month = site.get(f"/papers/month/{today.year}-{today.month:02d}")
    assert month.status_code == 200 and "Tokenizers revisited" in month.text
    empty = site.get("/papers/date/2001-01-01")
    assert empty.status_code == 200 and 'id="feed-empty"' in empty.text


@pytest.mark.parametrize(
    "path",
    [
        "/papers/date/2025-13-01",
        "/papers/date/2025-02-30",
        "/papers/date/yesterday",
        "/papers/week/2025-W60",
        "/papers/week/2025-9",
        "/papers/month/2025-00",
        "/papers/month/25-01",
        "/papers?sort=random",
        "/papers?date=2025/01/01",
        "/papers?p=-1",
    ],
)
def test_malformed_periods_and_options_are_400_pages(site, path):
    response = site.get(path)
    assert response.status_code == 400
    assert 'id="error-message"' in response.text and "Traceback" not in response.text


def test_trending_page_orders_by_score(session):
    now = datetime.now(UTC)
    add_papers(session, [record("2501.00011", "Fresh paper")], submitted_at=now - timedelta(hours=1))
    add_papers(
        session,
        [record("2501.00012", "Old popular paper")],
        on=(now - timedelta(days=3)).date(),
        submitted_at=now - timedelta(days=3),
    )

    # 10 votes at 72h: 10/74^1.5 = 0.016; 2 votes at 1h: 2/3^1.5 = 0.38 -> the fresh paper trends higher.
    session.execute(update(Paper).where(Paper.arxiv_id == "2501.00012").values(upvotes=10))
    session.execute(update(Paper).where(Paper.arxiv_id == "2501.00011").values(upvotes=2))
    session.commit()
    html = client().get("/papers/trending").text
    assert html.index("Fresh paper") < html.index("Old popular paper")


def test_paper_page_shows_everything(site):
    response = site.get("/papers/2501.00001")
    assert response.status_code == 200
    html = response.text
    for needle in (
        "Sparse attention for long documents",
        '<a href="/authors/Ada%20Lovelace">Ada Lovelace</a>',
        '<a href="/authors/Alan%20Turing">Alan Turing</a>',
        "Attention is sparse.",
        'href="https://arxiv.org/abs/2501.00001"',
        'href="https://arxiv.org/pdf/2501.00001"',
        'id="discussion"',
        'class="upvote-count" data-count>0<',
    ):
        assert needle in html


def test_unknown_and_malformed_paper_ids_are_404(site):
    assert site.get("/papers/2501.99999").status_code == 404
    assert site.get("/papers/not-an-id").status_code == 404
    assert site.get("/papers/2501.99999.md").status_code == 404


def test_markdown_view(site):
    response = site.get("/papers/2501.00001.md")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/markdown")
    assert response.text.startswith("# Sparse attention for long documents\n")


def test_html_in_paper_metadata_is_escaped(session):
    add_papers(
        session,
        [
            record(
                "2501.00020",
                "<script>alert(1)</script> Title",
                authors=["<b>Eve</b>"],
                abstract="<img src=x onerror=alert(1)>",
            )
        ],
    )
    c = client()
    for path in ("/papers", "/papers/2501.00020"):
        html = c.get(path).text
        assert "<script>alert(1)</script>" not in html and "<img src=x" not in html and "<b>Eve</b>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Title" in html


def test_search_highlights_matches_and_reports_bad_queries(site):
    html = site.get("/search", params={"q": "tokenizers"}).text
    assert "Tokenizers revisited" in html and "<mark>" in html
    too_long = site.get("/search", params={"q": "x" * 251})
    assert too_long.status_code == 400 and "limit is 250" in too_long.text
    bad_date = site.get("/search", params={"q": "tokenizers", "from": "2025-99-99"})
    assert bad_date.status_code == 400 and "not a date" in bad_date.text
    assert site.get("/search").status_code == 200  # the empty form


def test_about_page_documents_the_trending_formula(site):
    html = site.get("/about").text
    assert "trendingScore = upvotes / (age_hours + 2) ^ 1.5" in html


def test_nav_has_subscribe_link_and_static_files_are_served(site):
    html = site.get("/papers").text
    assert 'href="/subscribe"' in html
    assert site.get("/static/site.css").status_code == 200
    assert site.get("/static/app.js").status_code == 200


@pytest.mark.parametrize(
    "path,root",
    [
        ("/papers/feed.xml", "{http://www.w3.org/2005/Atom}feed"),
        ("/papers/rss.xml", "rss"),
        ("/papers/trending/feed.xml", "{http://www.w3.org/2005/Atom}feed"),
        ("/papers/trending/rss.xml", "rss"),
        ("/search/feed.xml?q=tokenizers", "{http://www.w3.org/2005/Atom}feed"),
        ("/search/rss.xml?q=tokenizers", "rss"),
    ],
)
def test_feeds_are_well_formed(site, path, root):
    response = site.get(path)
    assert response.status_code == 200
    tree = ET.fromstring(response.content)
    assert tree.tag == root
    assert b"Tokenizers revisited" in response.content


def test_feed_titles_with_markup_stay_text(session):
    add_papers(session, [record("2501.00030", "A <b>bold</b> & brave title")])
    tree = ET.fromstring(client().get("/papers/rss.xml").content)
    assert tree.find("channel/item/title").text == "A <b>bold</b> & brave title"


def test_search_feed_rejects_bad_query(site):
    response = site.get("/search/rss.xml", params={"q": "y" * 300})
    assert response.status_code == 400


def test_unknown_path_is_a_404_page(site):
    response = site.get("/nowhere")
    assert response.status_code == 404 and 'id="error-message"' in response.text


def test_versioned_ids_redirect_to_the_paper(site):
    response = site.get("/papers/2501.00001v3")
    assert response.status_code == 301 and response.headers["location"] == "/papers/2501.00001"
    assert site.get("/papers/arXiv:2501.00001.md").headers["location"] == "/papers/2501.00001.md"
    assert site.get("/api/papers/2501.00001v2").json()["id"] == "2501.00001"


def test_pages_load_nothing_from_other_sites(site):
    for path in ("/papers", "/papers/2501.00001", "/search?q=tokenizers", "/about", "/login", "/docs"):
        html = site.get(path).text
        for tag in re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", html):
            if tag.startswith("<link") and re.search(r'rel="(canonical|alternate)"', tag):
                continue  # names an address; the browser loads nothing from it
            assert not re.search(r'(src|href)="(https?:)?//', tag), (path, tag)


def test_every_form_field_has_a_label(site):
    signup(site, "labeller")
    site.post("/papers/2501.00001/comments", data={"body": "hello", "csrf_token": _csrf(site)})
    for path in ("/papers", "/papers/2501.00001", "/search?q=tokenizers", "/login", "/signup", "/submit", "/settings"):
        html = site.get(path).text
        labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
        for field in re.findall(r"<(?:input|textarea|select)\b[^>]*>", html):
            if 'type="hidden"' in field:
                continue
            ident = re.search(r'\bid="([^"]+)"', field)
            assert "aria-label=" in field or (ident and ident[1] in labelled), (path, field)
        for button in re.findall(r"<button\b[^>]*>(.*?)</button>", html, re.S):
            assert re.sub(r"<[^>]+>", "", button).strip(), (path, "a button without text")


def _csrf(c) -> str:
    return csrf(c, "/papers")


def test_week_and_month_navigation_skips_empty_periods(session):
    add_papers(session, [record("2501.00041", "January paper")], on=date(2025, 1, 15))
    add_papers(session, [record("2501.00042", "April paper")], on=date(2025, 4, 2))
    c = client()
    april = c.get("/papers/month/2025-04").text
    assert 'href="/papers/month/2025-01" rel="prev"' in april and 'id="next-period"' not in april
    week = c.get("/papers/week/2025-W14").text  # 2025-03-31 .. 2025-04-06
    assert 'href="/papers/week/2025-W03" rel="prev"' in week
    assert 'href="/papers/week/2025-W14" rel="next"' in c.get("/papers/week/2025-W03").text


def test_head_requests_get_headers_without_a_body(site):
    for path in ("/papers", "/api/daily_papers", "/papers/feed.xml", "/papers/2501.00001"):
        response = site.head(path)
        assert response.status_code == 200 and response.content == b"", path
        assert int(response.headers["content-length"]) > 0
    assert site.head("/papers/2501.99999").status_code == 404


def test_category_filter_on_feed_trending_and_api(session):
    add_papers(
        session,
        [
            record("2501.00051", "Language paper"),
            PaperRecordLike("2501.00052", "Vision paper", ["cs.CV", "cs.LG"]),
            PaperRecordLike("2501.00053", "Physics paper", ["hep-th"]),
        ],
    )
    c = client()
    cl = c.get("/papers", params={"category": "cs.CL"}).text
    assert "Language paper" in cl and "Vision paper" not in cl and 'value="cs.CL"' in cl
    cs = c.get("/papers/trending", params={"category": "cs"}).text  # a whole archive
    assert "Language paper" in cs and "Vision paper" in cs and "Physics paper" not in cs
    lg = c.get("/api/daily_papers", params={"category": "cs.LG"}).json()  # a cross-list counts
    assert [d["paper"]["id"] for d in lg] == ["2501.00052"]
    for bad in ("cs.CL%", "x" * 40, "a b"):
        assert c.get("/papers", params={"category": bad}).status_code == 400
        assert c.get("/api/daily_papers", params={"category": bad}).status_code == 400


def PaperRecordLike(arxiv_id, title, categories):  # noqa: N802 - reads like the record it builds
    rec = record(arxiv_id, title)
    rec.categories, rec.primary_category = list(categories), categories[0]
    return rec


def test_feeds_filter_by_category(session):
    add_papers(
        session, [record("2501.00061", "Language paper"), PaperRecordLike("2501.00062", "Vision paper", ["cs.CV"])]
    )
    c = client()
    rss = ET.fromstring(c.get("/papers/rss.xml", params={"category": "cs.CV"}).content)
    assert [i.text for i in rss.findall("channel/item/title")] == ["Vision paper"]
    assert rss.find("channel/title").text.endswith("daily papers in cs.CV")
    atom_feed = ET.fromstring(c.get("/papers/trending/feed.xml", params={"category": "cs.CL"}).content)
    titles = [
        e.text for e in atom_feed.findall("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}title")
    ]
    assert titles == ["Language paper"]
    assert c.get("/papers/rss.xml", params={"category": "bad category"}).status_code == 400


def test_a_week_links_to_the_month_of_its_thursday_and_to_both_months_it_straddles(session):
    c = client()
    w49 = c.get("/papers/week/2026-W49").text  # Mon 2026-11-30 .. Sun 2026-12-06: Thursday is in December
    assert 'href="/papers/month/2026-12" id="tab-monthly"' in w49
    assert 'id="period-month-2026-11"' in w49 and 'id="period-month-2026-12"' in w49
    w50 = c.get("/papers/week/2026-W50").text  # Dec 7 .. 13: one month only
    assert 'id="period-month-2026-12"' in w50 and 'id="period-month-2026-11"' not in w50
    w05 = c.get("/papers/week/2026-W05").text  # Jan 26 .. Feb 1: Thursday Jan 29
    assert 'href="/papers/month/2026-01" id="tab-monthly"' in w05


def test_feed_has_daily_weekly_monthly_tabs_and_a_date_picker(session):
    c = client()
    day = c.get("/papers/date/2025-04-02").text
    assert 'href="/papers/date/2025-04-02" id="tab-daily" aria-current="true"' in day
    assert 'href="/papers/week/2025-W14" id="tab-weekly"' in day
    assert 'href="/papers/month/2025-04" id="tab-monthly"' in day
    assert re.search(r'<form class="period-picker" action="/papers" method="get"', day)
    assert 'type="date" id="period-pick" name="date" value="2025-04-02"' in day
    month = c.get("/papers/month/2025-01").text  # the weekly and daily tabs land on its last day
    assert 'href="/papers/week/2025-W05" id="tab-weekly"' in month
    assert 'href="/papers/date/2025-01-31" id="tab-daily"' in month
    assert 'type="month" id="period-pick" name="month" value="2025-01"' in month
    assert 'type="week" id="period-pick" name="week" value="2025-W14"' in c.get("/papers/week/2025-W14").text
    # The picker's answers (without JavaScript: a plain GET) land on the period, keeping the category.
    assert c.get("/papers?date=2025-04-02").headers["location"] == "/papers/date/2025-04-02"
    assert c.get("/papers?week=2025-W14&category=cs.CL").headers["location"] == "/papers/week/2025-W14?category=cs.CL"
    assert c.get("/papers?month=2025-01").headers["location"] == "/papers/month/2025-01"
    assert c.get("/papers?week=2025-W99").status_code == 400


def test_only_a_feed_that_contains_today_invites_a_submission(session):
    today = datetime.now(UTC).date()
    c = client()
    past = c.get("/papers/date/2001-01-01")
    assert 'id="feed-empty"' in past.text and 'href="/submit">Submit one' not in past.text
    assert 'href="/submit">Submit one' in c.get(f"/papers/date/{today.isoformat()}").text
    year, week, _ = today.isocalendar()
    assert 'href="/submit">Submit one' in c.get(f"/papers/week/{year}-W{week:02d}").text
    assert 'href="/submit">Submit one' not in c.get("/papers/week/2001-W02").text


# --- search: ids, counts, pages, empty states, feeds that keep the search ----------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "2501.00001",
        "arXiv:2501.00001v2",
        "https://arxiv.org/abs/2501.00001",
        "https://arxiv.org/pdf/2501.00001v1",
        " 2501.00001 ",
    ],
)
def test_searching_an_arxiv_id_opens_its_paper(site, typed):
    response = site.get("/search", params={"q": typed})
    assert response.status_code == 303 and response.headers["location"] == "/papers/2501.00001"


@pytest.mark.parametrize(
    "typed,arxiv_id",
    [
        ("2410.06241", "2410.06241"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("https://arxiv.org/pdf/2410.06241v1", "2410.06241"),
    ],
)
def test_searching_an_id_not_on_the_site_offers_to_fetch_it(site, typed, arxiv_id):
    anonymous = site.get("/search", params={"q": typed})
    assert anonymous.status_code == 200
    assert f"{arxiv_id} is not on this site yet" in anonymous.text and 'id="fetch-paper-login"' in anonymous.text
    assert 'id="results"' not in anonymous.text  # no unrelated papers
    signup(site)
    html = site.get("/search", params={"q": typed}).text
    form = re.search(r'<form action="/submit" method="post"[^>]*id="fetch-paper">(.*?)</form>', html, re.S)
    assert form and f'name="paper" value="{arxiv_id}"' in form[1] and 'name="csrf_token"' in form[1]


def test_hidden_paper_id_is_not_opened(site, session):
    session.execute(update(Paper).where(Paper.arxiv_id == "2501.00001").values(hidden=True))
    session.commit()
    response = site.get("/search", params={"q": "2501.00001"})
    assert response.status_code == 200 and "Sparse attention" not in response.text


@pytest.fixture
def many(session):
    add_papers(
        session,
        [record(f"2502.{n:05d}", f"Tokenizer study number {n}", abstract="Tokenizer things.") for n in range(1, 26)],
    )
    add_papers(
        session,
        [
            replace(
                record("2502.00100", "Tokenizer for images", abstract="Tokenizer pixels."),
                categories=["cs.CV"],
                primary_category="cs.CV",
            )
        ],
    )
    session.commit()
    return client()


def test_search_states_its_count_and_numbers_pages_from_one(many):
    first = many.get("/search", params={"q": "tokenizer", "mode": "keyword"})
    assert "26 papers match “tokenizer”" in first.text
    assert 'id="page-number">Page 1 of 2<' in first.text and first.text.count('class="card result"') == 20
    assert 'href="/search?q=tokenizer&amp;mode=keyword&amp;p=2" rel="next"' in first.text
    second = many.get("/search", params={"q": "tokenizer", "mode": "keyword", "p": 2})
    assert second.text.count('class="card result"') == 6 and 'start="21"' in second.text
    assert 'href="/search?q=tokenizer&amp;mode=keyword&amp;p=1" rel="prev"' in second.text
    one = many.get("/search", params={"q": "tokenizer", "mode": "keyword", "category": "cs.CV"})
    assert "1 paper matches “tokenizer” in cs.CV" in one.text and 'id="page-number"' not in one.text


def test_a_page_past_the_end_says_so_and_links_the_last_page(many):
    html = many.get("/search", params={"q": "tokenizer", "mode": "keyword", "p": 9}).text
    assert "Page 9 is past the end: “tokenizer” has 2 pages of results" in html
    assert 'href="/search?q=tokenizer&amp;mode=keyword&amp;p=2"' in html and 'id="no-results"' not in html


def test_filters_that_exclude_every_hit_say_so(many):
    html = many.get(
        "/search",
        params={"q": "tokenizer", "mode": "keyword", "category": "q-bio", "from": "2001-01-01", "has_code": "true"},
    ).text
    assert "“tokenizer” matches 26 papers, but none in q-bio since 2001-01-01 with code — remove a filter" in html
    assert (
        'href="/search?q=tokenizer&amp;mode=keyword&amp;from=2001-01-01&amp;has_code=true">remove the category' in html
    )
    nothing = many.get("/search", params={"q": "zzzqqqxyz", "mode": "keyword", "category": "q-bio"}).text
    assert 'id="no-results"' in nothing and "Nothing matched “zzzqqqxyz” in q-bio" in nothing


def test_search_feeds_and_exports_keep_the_query_mode_and_filters(many):
    params = {"q": "tokenizer", "mode": "keyword", "category": "cs.CV"}
    html = many.get("/search", params=params).text
    kept = "q=tokenizer&amp;mode=keyword&amp;category=cs.CV"
    links = re.findall(r'href="(/search/(?:feed|rss|export)[^"]*)"', html)
    assert len(links) == 7 and all(link.endswith("?" + kept) for link in links), links  # 2 head, 2 feeds, 3 exports
    for path in ("/search/feed.xml", "/search/rss.xml"):
        feed = feedparser.parse(many.get(path, params=params).content)
        assert not feed.bozo and [e.link.rsplit("/", 1)[1] for e in feed.entries] == ["2502.00100"]
        assert "mode=keyword&category=cs.CV" in feed.feed.link and "in cs.CV" in feed.feed.title
    assert re.findall(r"^TI  - (.*)$", many.get("/search/export.ris", params=params).text, re.M) == [
        "Tokenizer for images"
    ]
    bad = many.get("/search/feed.xml", params={**params, "category": "nonsense!"})
    assert bad.status_code == 400


def test_api_search_for_an_arxiv_id_answers_that_paper_alone(site):
    found = site.get("/api/papers/search", params={"q": "https://arxiv.org/abs/2501.00001v2"})
    assert found.status_code == 200 and len(found.json()) == 1 and "2501.00001" in found.text
    assert "Tokenizers revisited" not in found.text
    missing = site.get("/api/papers/search", params={"q": "2410.06241"})
    assert missing.status_code == 200 and missing.json() == []


def _heading_jumps(html: str) -> list[tuple[int, int]]:
    levels = [int(level) for level in re.findall(r"<h([1-6])[\s>]", html.split("<main", 1)[1])]
    return [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]


def test_search_and_saved_search_headings_go_in_order(site):
    assert _heading_jumps(site.get("/search", params={"q": "tokenizers", "mode": "keyword"}).text) == []
    signup(site)
    saved = site.post(
        "/saved-searches",
        data={"q": "tokenizers", "mode": "keyword", "name": "Tok", "csrf_token": csrf(site, "/papers")},
    )
    html = site.get(saved.headers["location"]).text
    assert "Tokenizers revisited" in html and _heading_jumps(html) == []

"""What a digest holds and how it is built: trending then personalised papers with a reason each, both MIME
parts, the headers mail clients act on, and HTML that survives hostile titles and mail clients."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from sqlalchemy import update

from dailypapers.cli import main
from dailypapers.commands import digest as digest_commands
from dailypapers.config import get_settings
from dailypapers.digest.compose import compose, compose_confirmation
from dailypapers.digest.content import DigestSection, load_period, personaliser_for
from dailypapers.digest.identity import mail_site
from dailypapers.digest.schedule import parse_periods
from dailypapers.digest.smtp import wire_bytes
from dailypapers.digest.subscribe import category_list, interest_lines
from dailypapers.errors import InvalidInput
from dailypapers.ranking import interests
from dailypapers.store.models import Paper
from tests.digest_helpers import ISSUE_DAY, PERIOD, add_subscriber, links_in, seed_feed, use_smtp

NEW_IDS = {"2611.00001", "2611.00002", "2611.00003", "2611.00004", "2611.00005"}


@pytest.fixture
def feed(session, monkeypatch):
    use_smtp(monkeypatch, 25)
    seed_feed(session)
    return session


def digest_for(session, subscriber, key: str = PERIOD):
    period = parse_periods(key, ISSUE_DAY)[0]
    papers = load_period(session, period)
    personal = personaliser_for(session, papers).picks(
        interest_lines(subscriber.interests), category_list(subscriber.categories)
    )
    return compose(subscriber, period, papers.trending, personal, site=mail_site(get_settings())), papers, personal


@pytest.mark.sqlite_only("expects FTS5's bm25 ranking of the interests")
def test_trending_comes_first_ranked_by_score_and_personal_picks_skip_trending(feed):
    subscriber = add_subscriber(feed, "ada@example.org", interests="graph networks\nspeech")
    message, papers, personal = digest_for(feed, subscriber)
    assert len(papers.trending) == 8  # the 8 papers on Monday's feed
    votes = [p.upvotes for p in papers.trending]
    assert votes == sorted(votes, reverse=True)  # same submission time: the score orders by votes
    assert {p.arxiv_id for p in personal} == {"2611.00001", "2611.00002", "2611.00003", "2611.00005"}
    assert not {p.paper_id for p in personal} & {p.paper_id for p in papers.trending}
    # Interests take turns: the best match of each interest comes before the second of either.
    assert {personal[0].arxiv_id, personal[1].arxiv_id} == {"2611.00002", "2611.00005"}
    text = message.get_body(("plain",)).get_content()
    assert text.index("TRENDING") < text.index("MATCHING YOUR INTERESTS")
    assert text.index(papers.trending[0].title.split()[0]) < text.index(papers.trending[1].title.split()[0])


def test_every_personal_pick_says_why(feed):
    subscriber = add_subscriber(feed, "ada@example.org", interests="graph networks")
    message, _, personal = digest_for(feed, subscriber)
    by_id = {p.arxiv_id: p for p in personal}
    assert set(by_id) == {"2611.00001", "2611.00002"}  # the galaxy paper matches nothing
    assert by_id["2611.00002"].why.startswith("Matches your interest “graph networks”: words graph")
    assert "keyword #" in by_id["2611.00002"].why
    html = message.get_body(("html",)).get_content()
    assert html.count("Why you got this:") == 2
    assert "Matches your interest &ldquo;graph networks&rdquo;" in html or "Matches your interest “graph" in html


def test_categories_narrow_the_picks_and_work_without_interests(feed):
    speech_only = add_subscriber(feed, "b@example.org", interests="speech", categories="eess.AS")
    _, _, personal = digest_for(feed, speech_only)
    assert {p.arxiv_id for p in personal} == {"2611.00003", "2611.00005"}
    bio = add_subscriber(feed, "c@example.org", interests="graph networks", categories="q-bio.BM")
    assert [p.arxiv_id for p in digest_for(feed, bio)[2]] == ["2611.00002"]
    astro = add_subscriber(feed, "d@example.org", categories="astro-ph.CO")
    _, _, personal = digest_for(feed, astro)
    assert [p.arxiv_id for p in personal] == ["2611.00004"]
    assert personal[0].why == "New in astro-ph.CO, which you follow"


def test_categories_fill_in_when_no_interest_matches(feed):
    subscriber = add_subscriber(feed, "e@example.org", interests="topological quantum codes", categories="astro-ph.CO")
    personal = digest_for(feed, subscriber)[2]
    assert [p.arxiv_id for p in personal] == ["2611.00004"] and "which you follow" in personal[0].why


def test_both_parts_and_the_headers_mail_clients_act_on(feed):
    subscriber = add_subscriber(feed, "ada@example.org", interests="graph networks")
    message, papers, personal = digest_for(feed, subscriber)
    parsed = message_from_bytes(message.as_bytes(), policy=default)  # what the recipient's client sees
    assert parsed.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in parsed.iter_parts()]
    assert parts == ["text/plain", "text/html"]  # plain first: clients show the last one they can render
    assert all(part.get_content_charset() == "utf-8" for part in parsed.iter_parts())
    count = len(papers.trending) + len(personal)
    assert parsed["Subject"] == f"dailypapers daily · Tue, Nov 24, 2026 · {count} papers"
    assert parsed["From"] == "dailypapers <digest@papers.test>" and parsed["To"] == "ada@example.org"
    assert parsed["Date"] and re.fullmatch(r"<digest\.[0-9a-f]{20}@papers\.test>", parsed["Message-ID"])
    unsubscribe = parsed["List-Unsubscribe"]
    assert re.fullmatch(r"<http://testserver/subscriptions/unsubscribe/[\w.-]+>", unsubscribe)
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["List-Id"] == "dailypapers digest <digest.papers.test>"
    assert parsed["Auto-Submitted"] == "auto-generated" and parsed["Precedence"] == "bulk"
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    for paper in papers.trending + personal:
        assert paper.url in text and paper.url in html
    assert unsubscribe.strip("<>") in text and unsubscribe.strip("<>") in html  # the visible link too
    assert "Manage your preferences: http://testserver/subscriptions/manage/" in text
    # The same digest composed again keeps its Message-ID (so a duplicate, were there one, collapses).
    assert digest_for(feed, subscriber)[0]["Message-ID"] == message["Message-ID"]


def test_html_is_inline_styled_absolute_and_escaped(feed):
    feed.execute(
        update(Paper)
        .where(Paper.arxiv_id == "2611.00001")
        .values(title="Graph networks <script>alert(1)</script> & <b>friends</b>")
    )
    feed.commit()
    subscriber = add_subscriber(feed, "ada@example.org", interests="graph networks")
    html = digest_for(feed, subscriber)[0].get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;friends" in html
    assert "<style" not in html and "<link" not in html and "class=" not in html  # clients drop those
    assert 'width="600"' in html and "max-width:600px" in html
    assert all(url.startswith(("http://testserver", "https://arxiv.org/")) for url in links_in(html))
    assert html.count("style=") > 20


def test_an_empty_period_composes_nothing(feed):
    subscriber = add_subscriber(feed, "ada@example.org", interests="graph networks")
    message, papers, _ = digest_for(feed, subscriber, "daily:2026-12-15")
    assert message is None and papers.is_empty


def test_one_paper_subject_and_weekly_label(feed):
    subscriber = add_subscriber(feed, "ada@example.org", frequency="weekly")
    message, papers, _ = digest_for(feed, subscriber, "weekly:2026-W47")
    assert message["Subject"] == f"dailypapers weekly · Nov 16 – Nov 22, 2026 · {len(papers.trending)} papers"
    # the week's papers on the site's map: a picture linked to the map, and the link in the text part
    html, text = (message.get_body((kind,)).get_content() for kind in ("html", "plain"))
    week = "from=2026-11-16&amp;to=2026-11-22"
    assert f'<a href="http://testserver/map?{week}"' in html and f'<img src="http://testserver/map.png?{week}"' in html
    assert "The week's papers on a map: http://testserver/map?from=2026-11-16&to=2026-11-22" in text
    daily, _, _ = digest_for(feed, subscriber, PERIOD)
    assert "/map" not in daily.get_body(("html",)).get_content()  # a daily digest stays rows of papers
    period = parse_periods(PERIOD, ISSUE_DAY)[0]
    one = compose(subscriber, period, papers.trending[:1], [], site=mail_site(get_settings()))
    assert one["Subject"].endswith("· 1 paper")


def test_a_broken_interest_does_not_stop_the_digest(feed, monkeypatch):
    real = interests.search

    def picky(session, query):
        if query.text == "broken":
            raise InvalidInput("cannot search for 'broken'")
        return real(session, query)

    monkeypatch.setattr(interests, "search", picky)
    subscriber = add_subscriber(feed, "ada@example.org", interests="broken\nspeech")
    period = parse_periods(PERIOD, ISSUE_DAY)[0]
    papers = load_period(feed, period)
    personaliser = personaliser_for(feed, papers)
    picks = personaliser.picks(interest_lines(subscriber.interests), [])
    assert {p.arxiv_id for p in picks} == {"2611.00003", "2611.00005"}
    assert personaliser.failed == {"broken": "cannot search for 'broken'"}
    # the digest still goes out, picks included
    message = compose(subscriber, period, papers.trending, picks, site=mail_site(get_settings()))
    text = message.get_body(("plain",)).get_content()
    picked = text[text.index("MATCHING YOUR INTERESTS") :]
    assert all(p.title.split()[0] in picked for p in picks)


def test_each_distinct_interest_is_searched_once_per_period(feed):
    period = parse_periods(PERIOD, ISSUE_DAY)[0]
    personaliser = personaliser_for(feed, load_period(feed, period))
    for _ in range(50):
        personaliser.picks(["graph networks", "Speech"], [])
        personaliser.picks(["speech", "galaxy clusters"], ["astro-ph.CO"])
    assert personaliser.searches == 3  # "Speech" and "speech" are one interest


def test_the_confirmation_email_has_the_link_and_no_list_headers(feed):
    subscriber = add_subscriber(feed, "new@example.org", confirmed=False)
    message = compose_confirmation(subscriber, site=mail_site(get_settings()))
    text = message.get_body(("plain",)).get_content()
    assert re.search(r"http://testserver/subscriptions/confirm/[\w.-]+", text)
    assert "Nothing will be sent until you confirm" in message.get_body(("html",)).get_content()
    assert re.search(r"Change what you asked for: http://testserver/subscriptions/manage/[\w.-]+", text)
    assert message["List-Unsubscribe"] is None  # not a list mail: there is nothing to unsubscribe from yet


def test_the_fast_wire_form_reads_back_exactly_like_the_email_packages_own(feed):
    subscriber = add_subscriber(feed, "ada@example.org", interests="graph networks")
    message = digest_for(feed, subscriber)[0]
    fast = wire_bytes(message)
    generic = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    assert fast != generic and b"\n" not in fast.replace(b"\r\n", b"")  # CRLF only
    assert max(len(line) for line in fast.split(b"\r\n")) <= 998  # SMTP's line limit
    ours, theirs = (message_from_bytes(data, policy=default) for data in (fast, generic))
    assert ours.items() == theirs.items()
    for kind in ("plain", "html"):
        assert ours.get_body((kind,)).get_content() == theirs.get_body((kind,)).get_content()
    message["X-Extra"] = "ünïcode header"  # changed after composing: the email package writes it
    assert message.wire() is None
    assert message_from_bytes(wire_bytes(message), policy=default)["X-Extra"] == "ünïcode header"


def test_the_intro_counts_what_the_sections_below_it_hold_and_the_two_personal_sections_differ(feed):
    subscriber = add_subscriber(feed, "ada@example.org", interests="graph networks\nspeech")
    period = parse_periods(PERIOD, ISSUE_DAY)[0]
    papers = load_period(feed, period)
    personal = personaliser_for(feed, papers).picks(["graph networks", "speech"], [])
    model_picks = [replace(p, why="Because you liked “Galaxy clusters”") for p in papers.trending[:2]]
    message = compose(
        subscriber,
        period,
        papers.trending[2:],
        personal,
        site=mail_site(get_settings()),
        sections=[DigestSection("For you", model_picks)],
    )
    text = message.get_body(("plain",)).get_content()
    intro = " ".join(text.split("\n\n")[0].split("\n")[1:])
    total = len(papers.trending) + len(personal)
    assert intro == (
        f"{total} papers of Mon, Nov 23 on dailypapers: Trending ({len(papers.trending) - 2}) · "
        f"Matching your interests ({len(personal)}) · For you (2)."
    )
    assert message["Subject"].endswith(f"· {total} papers")
    headings = [line for line in text.splitlines() if line.isupper() and len(line) > 3]
    assert headings == ["TRENDING", "MATCHING YOUR INTERESTS", "FOR YOU"]
    html = message.get_body(("html",)).get_content()
    assert "Picked for you" not in html and "Matching your interests" in html and ">For you</h2>" in html


@pytest.mark.parametrize("today", [date(2026, 11, 17) + timedelta(days=n) for n in range(7)])
def test_preview_without_a_period_works_on_any_day_of_the_week(feed, monkeypatch, capsys, today):
    """The README's `digest preview you@example.org --html` on each day of the week the demo feed fills
    (Nov 16-23): a daily subscriber on a Saturday or Sunday previews Friday's digest instead of an error."""
    add_subscriber(feed, "ada@example.org")

    class Today(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.combine(today, time(12), UTC)

    monkeypatch.setattr(digest_commands, "datetime", Today)
    assert main(["digest", "preview", "ada@example.org", "--html"]) == 0, capsys.readouterr().err
    assert "</html>" in capsys.readouterr().out

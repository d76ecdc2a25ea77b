"""The map of the papers: clusters and their labels from stored vectors and keyphrases, on both stores, through
/api/map, /map and `dailypapers map`; the reader's marks, private collections, sampling and the content cache."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import select

from dailypapers.cli import main
from dailypapers.community import library
from dailypapers.index.embedders import model_label
from dailypapers.ranking import paper_map
from dailypapers.sources.records import PaperRecord
from dailypapers.store.embeddings import save_vectors
from dailypapers.store.keyphrases import save_keyphrases
from dailypapers.store.models import Paper, User
from dailypapers.store.papers import set_hidden
from tests.web_helpers import add_papers, client, signup

TOPICS = {  # three topics far apart in the embedding space, each with its own keyphrase
    "graph": "graph neural networks",
    "speech": "speech recognition",
    "robot": "robot grasping",
}
PER_TOPIC = 12
WEEK = "2025-W02"  # January 6 to 12, 2025
IN_WEEK = datetime(2025, 1, 8, 12, tzinfo=UTC)


def _record(arxiv_id: str, title: str, published: datetime = IN_WEEK) -> PaperRecord:
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
def papers(settings, session, engine):
    """36 papers of the week in three topics, with vectors and keyphrases; one more of the week without a vector,
    one hidden, one of another week. Returns {arxiv id: topic}."""
    topic_of, records = {}, []
    for t, topic in enumerate(TOPICS):
        for i in range(PER_TOPIC):
            arxiv_id = f"2501.{t}{i:04d}"
            topic_of[arxiv_id] = topic
            records.append(_record(arxiv_id, f"{topic.title()} paper {i}"))
    extra = [
        _record("2501.09001", "Not yet embedded"),
        _record("2501.09002", "Hidden by a moderator"),
        _record("2412.09003", "From another week", datetime(2024, 12, 20, tzinfo=UTC)),
    ]
    stored = add_papers(session, records + extra, feed=False)
    set_hidden(session, stored[-2], True)
    session.commit()
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(len(TOPICS), 32)) * 4
    topics = list(TOPICS)
    keys, vectors, keyphrases = [], [], []
    for paper in stored:
        topic = topic_of.get(paper.arxiv_id, "graph")
        if paper.arxiv_id == "2501.09001":
            continue
        keys.append((paper.id, paper.content_hash))
        vectors.append(centres[topics.index(topic)] + rng.normal(size=32))
        keyphrases.append(
            {"key": paper.id, "keywords": [TOPICS[topic], "deep learning"], "summary": "", "source_hash": "x"}
        )
    save_vectors(engine, model_label(settings.embedding_model), keys, np.array(vectors, dtype=np.float32))
    save_keyphrases(engine, keyphrases)
    return topic_of


def test_the_map_draws_a_weeks_papers_in_clusters_named_by_their_keyphrases(papers):
    with client() as c:
        data = c.get("/api/map", params={"period": WEEK}).json()
    assert data["period"] == WEEK
    assert {p["id"] for p in data["points"]} == set(papers)  # no hidden paper, none of another week
    assert data["shown"] == 36 and data["total"] == 37 and data["withoutVector"] == 1 and not data["sampled"]
    assert all(0 <= p["x"] <= 1 and 0 <= p["y"] <= 1 for p in data["points"])
    assert len(data["clusters"]) == 3
    for cluster in data["clusters"]:
        members = {papers[p["id"]] for p in data["points"] if p["cluster"] == cluster["number"]}
        assert len(members) == 1, members  # a cluster is one topic
        topic = members.pop()
        assert cluster["count"] == PER_TOPIC
        assert cluster["keyphrases"][0] == TOPICS[topic]  # the telling phrase, not the one every paper has
        assert {papers[arxiv_id] for arxiv_id in cluster["top"]} == {topic}


def test_the_map_page_holds_the_points_and_a_table_of_the_clusters_and_the_pictures_are_drawn(papers):
    with client() as c:
        page = c.get("/map", params={"period": WEEK})
        svg = c.get("/map.svg", params={"period": WEEK})
        png = c.get("/map.png", params={"period": WEEK})
        other = c.get("/map.gif", params={"period": WEEK})
    assert svg.headers["content-type"] == "image/svg+xml" and 'role="img"' in svg.text
    assert "graph neural networks" in svg.text
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
    assert other.status_code == 404
    assert page.status_code == 200
    assert 'id="map-data"' in page.text and "/static/map.js" in page.text
    assert page.text.count('<th scope="row">') == 3  # a row per cluster: the text alternative
    for label in TOPICS.values():
        assert label in page.text
    assert 'href="/papers/2501.00000"' in page.text or 'href="/papers/2501.00001"' in page.text


def test_a_readers_library_and_dismissed_papers_are_marked_for_them_only(papers, session):
    with client() as c:
        signup(c, "mapper")
        user = session.scalar(select(User).where(User.username == "mapper"))
        library.save(session, user, "2501.00003")
        library.dismiss(session, user, "2501.10004")
        session.commit()
        marks = {p["id"]: p["mark"] for p in c.get("/api/map", params={"period": WEEK}).json()["points"]}
    assert marks.pop("2501.00003") == "library" and marks.pop("2501.10004") == "dismissed"
    assert set(marks.values()) == {None}
    with client() as anonymous:
        seen = anonymous.get("/api/map", params={"period": WEEK}).json()["points"]
    assert {p["mark"] for p in seen} == {None}


def test_a_private_collection_is_mapped_for_its_owner_only(papers, session):
    with client() as owner:
        signup(owner, "keeper")
        user = session.scalar(select(User).where(User.username == "keeper"))
        collection = library.create_collection(session, user, "reading", public=False)
        for arxiv_id in ["2501.00001", "2501.10001", "2501.20001", "2501.20002"]:
            library.set_in_collection(session, user, collection.id, arxiv_id)
        session.commit()
        mine = owner.get("/api/map", params={"collection": collection.id}).json()
    assert mine["title"] == "The collection “reading”"
    assert {p["id"] for p in mine["points"]} == {"2501.00001", "2501.10001", "2501.20001", "2501.20002"}
    with client() as stranger:
        assert stranger.get("/api/map", params={"collection": collection.id}).status_code == 404
        assert stranger.get("/map", params={"collection": collection.id}).status_code == 404


BAD_ASKS = [  # (query, what the error names)
    ({"period": "2025-W60"}, "ISO week"),
    ({"period": "soon"}, "not a period"),
    ({"from": "2025-02-01", "to": "2025-01-01"}, "from must not be after to"),
    ({"from": "2025-01-01"}, "to"),
]


def test_a_bad_period_or_range_is_a_400_that_names_it(settings):
    with client() as c:
        for params, named in BAD_ASKS:
            api = c.get("/api/map", params=params)
            page = c.get("/map", params=params)
            assert api.status_code == 400 and api.headers["content-type"].startswith("application/json"), params
            assert named in api.text, (params, api.text)
            assert page.status_code == 400 and 'id="map-error"' in page.text and named in page.text, params


def test_a_set_larger_than_the_bound_is_sampled_and_says_so(papers, monkeypatch):
    monkeypatch.setattr(paper_map, "MAX_POINTS", 20)
    with client() as c:
        data = c.get("/api/map", params={"period": WEEK}).json()
        page = c.get("/map", params={"period": WEEK}).text
    assert data["sampled"] and data["shown"] + data["withoutVector"] == 20 and data["total"] == 37
    assert 'id="map-sampled"' in page and f"{data['shown']} of\n  37 papers" in page


def test_a_map_is_cached_by_its_content(monkeypatch):
    computed = []
    real = paper_map.compute_map
    monkeypatch.setattr(paper_map, "compute_map", lambda *a, **k: computed.append(1) or real(*a, **k))
    papers = [paper_map.MapPaper(i, f"2501.{i:05d}", f"paper {i}", ("x",), "v1") for i in range(12)]
    vectors = np.random.default_rng(0).normal(size=(12, 8)).astype(np.float32)
    first = paper_map.build_map("test-model", papers, vectors)
    again = paper_map.build_map("test-model", list(reversed(papers)), vectors[::-1])
    assert len(computed) == 1 and np.array_equal(first.xy, again.xy)
    changed = [papers[0].__class__(0, "2501.00000", "paper 0", ("x",), "v2"), *papers[1:]]
    paper_map.build_map("test-model", changed, vectors)
    paper_map.build_map("another-model", papers, vectors)
    assert len(computed) == 3  # a new version of a paper, or another model: computed anew


def test_the_cli_prints_the_clusters_and_draws_png_and_svg(papers, tmp_path, capsys):
    png, svg = tmp_path / "map.png", tmp_path / "map.svg"
    assert main(["map", "--period", WEEK, "--png", str(png), "--svg", str(svg)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("36 papers of Week 2 of 2025") and "in 3 clusters" in out
    for label in TOPICS.values():
        assert label in out
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and len(png.read_bytes()) > 5000
    drawn = svg.read_text()
    assert drawn.startswith("<svg") and 'role="img"' in drawn and "graph neural networks" in drawn


def test_the_cli_refuses_a_bad_period_in_one_line(settings, capsys):
    for args in (
        ["--period", "2025-W99"],
        ["--from", "2025-01-02", "--to", "2025-01-01"],
        ["--period", "x", "--to", "2025-01-01"],
    ):
        assert main(["map", *args]) == 2, args
        err = capsys.readouterr().err.strip()
        assert err.startswith("error:") and "\n" not in err and "Traceback" not in err, err


def test_hidden_papers_never_reach_a_map_of_ids(papers, session):
    hidden = session.scalar(select(Paper).where(Paper.arxiv_id == "2501.09002"))
    shown = session.scalar(select(Paper).where(Paper.arxiv_id == "2501.00001"))
    made = paper_map.map_of_papers(session, [hidden.id, shown.id])
    assert [p.arxiv_id for p in made.papers] == ["2501.00001"]


def test_maps_are_rate_limited_per_reader_when_they_must_be_computed(papers, monkeypatch):
    from dailypapers.web.routes import maps

    monkeypatch.setattr(maps, "MAPS_PER_MINUTE", 2)
    week, december, both = ("2025-01-06", "2025-01-12"), ("2024-12-15", "2024-12-25"), ("2024-12-15", "2025-01-12")
    with client() as c:
        # three maps of different papers (the same papers again would be a map computed already)
        answers = [c.get("/api/map", params={"from": a, "to": b}).status_code for a, b in (week, december, both)]
        page = c.get("/map", params={"from": "2024-01-01", "to": "2024-01-02"})
    assert answers == [200, 200, 429] and page.status_code == 429
    # a map computed already costs nothing: a digest's picture, read by every subscriber's mail client
    monkeypatch.setattr(maps, "MAPS_PER_MINUTE", 1)
    with client(address="mail-proxy") as reader:
        for _ in range(3):
            assert reader.get("/map.png", params={"from": week[0], "to": week[1]}).status_code == 200
        assert reader.get("/map.png", params={"from": both[0], "to": both[1]}).status_code == 200
        assert reader.get("/map.png", params={"from": "2024-01-01", "to": "2024-01-02"}).status_code == 429

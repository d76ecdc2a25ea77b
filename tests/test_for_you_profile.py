"""The For-you profile: what the model learned, as a page and as JSON, and each control moving the ranking in
its stated direction (taking a signal out, pausing, the community's votes, diversity, "not interested"), on
SQLite and on PostgreSQL.

Three tight topics and noise get synthetic vectors under the configured model's label, so the tests run the
product's model without loading an embedding model.
"""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from dailypapers.config import get_settings
from dailypapers.index.embedders import model_label
from dailypapers.ranking.recommend import paper_vectors
from dailypapers.store.db import get_engine, session_scope
from dailypapers.store.embeddings import save_vectors
from dailypapers.store.models import Paper
from tests.web_helpers import add_papers, client, csrf, record, signup

TOPICS = {
    "graphs": ("Graph neural networks for traffic forecasting", "Message passing on road graphs."),
    "proteins": ("Protein structure prediction with diffusion", "Folding proteins from sequences."),
    "speech": ("Speech recognition with streaming transformers", "Transcribing spoken audio."),
}
SIZE = 12  # papers per topic
IDS = {name: [f"2501.{t}{i:04d}" for i in range(SIZE)] for t, name in enumerate(TOPICS, start=1)}
NOISE = [f"2501.9{i:04d}" for i in range(30)]
DIM = 16


@pytest.fixture
def member(backend, settings):
    """A signed-in member, and 66 recent papers: three topics on axes 0-2 and noise on the other axes."""
    rng = np.random.default_rng(0)
    records = [
        record(a, f"{TOPICS[name][0]} {i}", abstract=TOPICS[name][1], days_old=1)
        for name, ids in IDS.items()
        for i, a in enumerate(ids)
    ] + [
        record(a, f"Assorted subject {i}", abstract="Something else entirely.", days_old=1) for i, a in enumerate(NOISE)
    ]
    axes = {a: axis for axis, ids in enumerate(IDS.values()) for a in ids}
    with session_scope() as session:
        add_papers(session, records, feed=False)
        papers = sorted(session.scalars(select(Paper)), key=lambda p: p.id)
        keys, vectors = [], []
        for paper in papers:
            axis = axes.get(paper.arxiv_id, 3 + int(rng.integers(DIM - 3)))
            vector = rng.normal(scale=0.15, size=DIM)
            vector[axis] += 1.0
            keys.append((paper.id, paper.content_hash))
            vectors.append(vector / np.linalg.norm(vector))
    save_vectors(get_engine(), model_label(get_settings().embedding_model), keys, np.array(vectors))
    c = client()
    signup(c, "alice")
    c.headers["X-CSRF-Token"] = csrf(c, "/papers")
    return c


def _save(c, *ids: str) -> None:
    response = c.post("/api/library/seed", json={"references": "\n".join(ids)})
    assert response.status_code == 200 and response.json()["unmatched"] == [], response.text


def _ranking(c, limit: int = 20) -> list[str]:
    return [p["id"] for p in c.get(f"/api/recommendations?limit={limit}").json()]


def _share(ranking: list[str], topic: str) -> int:
    return sum(a in IDS[topic] for a in ranking)


def _controls(c, **values) -> dict:
    response = c.post("/api/me/profile", json=values)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_profile_names_what_pulls_and_pushes_with_weights_on_the_page_and_in_json(member):
    _save(member, *IDS["graphs"][:4])
    member.post(f"/api/papers/{IDS['speech'][0]}/dismiss")
    profile = member.get("/api/me/profile").json()
    assert profile["trained"] and profile["settings"]["community"] == 0.0
    up, down = profile["topics"]["up"], profile["topics"]["down"]
    assert "graph neural networks" in up[0]["topic"] and up[0]["weight"] > 1
    assert any("speech recognition" in t["topic"] for t in down) and all(t["weight"] < 0 for t in down)
    papers = {p["id"]: p for p in profile["papers"]}
    assert papers[IDS["graphs"][0]]["signals"] == ["save"] and papers[IDS["graphs"][0]]["weight"] > 1
    assert papers[IDS["speech"][0]]["signals"] == ["dismissal"] and papers[IDS["speech"][0]]["weight"] < 0
    assert {p["state"] for p in profile["papers"]} == {"training"}

    page = member.get("/for-you/profile").text
    assert 'class="weight-bar up"' in page and 'class="weight-bar down"' in page
    assert "graph neural networks" in page and "not interested" in page
    assert 'href="/for-you/profile"' in member.get("/for-you").text

    # the writes need a member, a CSRF token (or an API token) and valid values
    assert client().get("/api/me/profile").status_code == 401
    assert client().get("/for-you/profile").status_code == 303
    no_token = member.post("/api/me/profile", json={"community": 0.5}, headers={"X-CSRF-Token": ""})
    assert no_token.status_code == 403
    for bad in ({"community": 2}, {"diversity": -0.1}, {"community": "much"}, {"paused": "maybe"}):
        response = member.post("/api/me/profile", json=bad)
        assert response.status_code == 400 and "error" in response.json(), bad
    form = member.post("/for-you/profile/controls", data={"community": "1.5", "csrf_token": csrf(member, "/papers")})
    assert form.status_code == 400
    assert member.post(f"/api/me/profile/ignored/{IDS['proteins'][0]}").status_code == 400  # not a signal
    assert member.post("/api/me/profile/ignored/2501.77777").status_code == 404
    assert member.get("/api/me/profile").json()["settings"] == profile["settings"]


def test_taking_a_signal_out_drops_its_neighbours_and_pausing_keeps_the_ranking_fixed(member):
    _save(member, *IDS["graphs"][:3], IDS["proteins"][0])
    member.post(f"/api/papers/{IDS['proteins'][1]}/upvote")
    before = _ranking(member)
    assert _share(before[:10], "proteins") >= 3
    for paper in IDS["proteins"][:2]:
        assert member.post(f"/api/me/profile/ignored/{paper}").json() == {"id": paper, "ignored": True}
    after = _ranking(member)
    assert _share(after[:10], "proteins") == 0 and _share(after[:10], "graphs") == 9
    assert len(member.get("/api/library").json()["saved"]) == 4  # the save stays
    assert IDS["proteins"][1] in member.get("/papers/" + IDS["proteins"][1]).text  # and the upvote
    assert {p["id"]: p["state"] for p in member.get("/api/me/profile").json()["papers"]}[IDS["proteins"][0]] == (
        "ignored"
    )
    assert IDS["proteins"][0] not in _ranking(member, 60)  # still a paper the feed does not show again

    form = member.post(
        f"/for-you/profile/papers/{IDS['proteins'][0]}/ignore", data={"on": "0", "csrf_token": csrf(member, "/papers")}
    )
    assert form.status_code == 303
    member.delete(f"/api/me/profile/ignored/{IDS['proteins'][1]}")
    assert _ranking(member) == before

    # paused, new signals arrive and the ranking stays as it was; resumed, they train
    before = member.get("/api/recommendations?limit=100").json()
    paused = member.post("/for-you/profile/pause", data={"on": "1", "csrf_token": csrf(member, "/papers")})
    assert paused.status_code == 303 and "Resume learning" in member.get("/for-you/profile").text
    _save(member, *IDS["speech"][:4])
    member.post(f"/api/papers/{IDS['proteins'][5]}/dismiss")
    during = member.get("/api/recommendations?limit=100").json()
    new = set(IDS["speech"][:4]) | {IDS["proteins"][5]}
    assert during == [p for p in before if p["id"] not in new]  # the same papers, the same scores
    assert {p["state"] for p in member.get("/api/me/profile").json()["papers"] if p["id"] in new} == {"waiting"}
    assert _controls(member, paused=False)["paused"] is False
    assert _share(_ranking(member, 10), "speech") >= 4  # once resumed, they train


def test_community_weight_lifts_the_most_upvoted_and_diversity_broadens_the_top_20(member):
    with session_scope() as session:
        for votes, paper in enumerate(session.scalars(select(Paper).where(Paper.arxiv_id.in_(NOISE[:10])))):
            paper.upvotes = 10 * (votes + 1)
    _save(member, *IDS["graphs"][:3])
    upvotes = {a: 10 * (i + 1) for i, a in enumerate(NOISE[:10])}

    def mean_upvotes(ranking: list[str]) -> float:
        return float(np.mean([upvotes.get(a, 0) for a in ranking]))

    personal = _ranking(member, 10)
    assert _controls(member, community=0.5)["community"] == 0.5
    mixed = _ranking(member, 10)
    _controls(member, community=1.0)
    community = _ranking(member, 10)
    assert mean_upvotes(personal) < mean_upvotes(mixed) < mean_upvotes(community)
    assert community[0] == max(upvotes, key=upvotes.get)
    _controls(member, community=0.0)
    assert _ranking(member, 10) == personal

    # higher diversity, lower mean pairwise similarity of the top 20
    vectors = paper_vectors()
    with session_scope() as session:
        ids = {a: pid for a, pid in session.execute(select(Paper.arxiv_id, Paper.id))}

    def similarity(ranking: list[str]) -> float:
        rows = vectors.rows(np.searchsorted(vectors.ids, [ids[a] for a in ranking]))
        pairs = rows @ rows.T
        return float((pairs.sum() - np.trace(pairs)) / (len(rows) * (len(rows) - 1)))

    close = _ranking(member)
    _controls(member, diversity=0.5)
    some = _ranking(member)
    form = member.post(
        "/for-you/profile/controls", data={"diversity": "0.9", "community": "0", "csrf_token": csrf(member, "/papers")}
    )
    assert form.status_code == 303
    broad = _ranking(member)
    assert similarity(close) > similarity(some) > similarity(broad)
    assert close[0] == some[0]  # the best paper still leads


def test_not_interested_drops_the_paper_and_its_close_neighbours(member):
    """A member who liked papers of two topics marks one paper of the second "not interested": that topic drops,
    out of the top with one liked paper of each (no classifier yet), to half its share with two of each."""
    bob = client()
    signup(bob, "bob")
    bob.headers["X-CSRF-Token"] = csrf(bob, "/papers")
    for c, liked in ((member, 1), (bob, 2)):
        _save(c, *IDS["graphs"][:liked], *IDS["speech"][:liked])
        before = _ranking(c)
        assert _share(before[:10], "speech") >= 4
        c.post(f"/api/papers/{IDS['speech'][5]}/dismiss")
        after = _ranking(c)
        assert IDS["speech"][5] not in after
        assert _share(after[:10], "speech") <= (1 if liked == 1 else _share(before[:10], "speech") / 2), after

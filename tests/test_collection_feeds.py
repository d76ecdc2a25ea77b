"""A feed per collection: "papers like this collection" from a model of that collection alone, on its page with
"because" lines, in the API, in RSS and Atom behind a revocable signed link; private to its owner when the
collection is, through every route. On SQLite and on PostgreSQL, with the synthetic two-topic corpus of
test_library.py (graphs, proteins, noise).
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from mcp import Client

from dailypapers.mcp_server.server import build_server
from tests.test_library import GRAPHS, JSON, PROTEINS, _api, _post, alice, corpus  # noqa: F401  fixtures
from tests.web_helpers import client, signup


@pytest.fixture
def owner(alice):  # noqa: F811  test_library's signed-in member, among its two topics
    return alice


def _collection(c, name: str, *ids: str, public: bool = False) -> int:
    collection_id = _api(c, "POST", "/api/collections", json={"name": name, "public": public}).json()["id"]
    for arxiv_id in ids:
        assert _api(c, "POST", f"/api/collections/{collection_id}/papers/{arxiv_id}").status_code == 200
    return collection_id


def _feed_on(c, collection_id: int, in_digest: bool = False) -> dict:
    response = _api(c, "PUT", f"/api/collections/{collection_id}/feed", json={"enabled": True, "in_digest": in_digest})
    assert response.status_code == 200, response.text
    return response.json()


def _feed(c, collection_id: int, **params) -> list[dict]:
    response = c.get(f"/api/collections/{collection_id}/feed", params=params)
    assert response.status_code == 200, response.text
    return response.json()["papers"]


def test_two_collections_become_feeds_that_keep_their_fields_apart_where_for_you_mixes_them(owner):
    graphs = _collection(owner, "Graphs", *GRAPHS[:3])
    proteins = _collection(owner, "Proteins", *PROTEINS[:3])
    # One turned on from its page, the other through the API.
    assert "Turn it into a feed" in owner.get(f"/collections/{graphs}").text
    page = owner.get(f"/collections/{graphs}/feed")
    assert page.status_code == 200 and 'id="feed-on"' in page.text and 'id="collection-feed"' not in page.text
    assert _post(owner, f"/collections/{graphs}/feed", on="1", in_digest="1").headers["location"].endswith("/feed")
    _feed_on(owner, proteins)

    page = owner.get(f"/collections/{graphs}/feed").text
    assert 'id="collection-feed"' in page and 'Like <a href="/papers/2501.001' in page and "in this collection" in page
    assert 'id="feed-in-digest" checked' in page and 'id="feed-atom"' in page
    assert "Papers like this collection" in owner.get(f"/collections/{graphs}").text
    assert _api(owner, "GET", f"/api/collections/{graphs}/feed").json()["settings"]["in_digest"] is True

    graph_feed, protein_feed = _feed(owner, graphs, limit=5), _feed(owner, proteins, limit=5)
    assert [p["id"] for p in graph_feed] and all(p["id"] in GRAPHS[3:] for p in graph_feed)
    assert all(p["because"] in GRAPHS[:3] and p["shared_terms"] for p in graph_feed)
    assert [p["id"] for p in protein_feed] and all(p["id"] in PROTEINS[3:] for p in protein_feed)
    assert all(p["because"] in PROTEINS[:3] for p in protein_feed)
    # For you learns from both collections at once: its top ten hold both fields.
    mixed = {p["id"] for p in owner.get("/api/recommendations?limit=10").json()}
    assert mixed & set(GRAPHS) and mixed & set(PROTEINS)

    _post(owner, f"/papers/{graph_feed[0]['id']}/dismiss", on="1")  # the owner's dismissals stay out
    assert graph_feed[0]["id"] not in [p["id"] for p in _feed(owner, graphs, limit=10)]

    _post(owner, f"/collections/{graphs}/feed", on="0")
    assert 'id="feed-on"' in owner.get(f"/collections/{graphs}/feed").text
    assert owner.get(f"/api/collections/{graphs}/feed").status_code == 404
    assert owner.get(f"/collections/{graphs}/feed?window=year").status_code == 400


def _key(path: str) -> str:
    return parse_qs(urlsplit(path).query)["key"][0]


def test_the_rss_and_atom_feeds_open_by_a_signed_link_that_a_new_link_or_turning_off_revokes(owner):
    graphs = _collection(owner, "Graphs", *GRAPHS[:3])
    other = _collection(owner, "Other", PROTEINS[0])
    links = _feed_on(owner, graphs)["feeds"]
    assert _feed_on(owner, graphs, in_digest=True)["in_digest"] is True  # on again: the same feed; `links` open it
    other_links = _feed_on(owner, other)["feeds"]
    now = [0.0]
    anonymous = client(clock=lambda: now[0])  # a feed reader: no cookie, so its reads are micro-cached
    atom = anonymous.get(links["atom"])
    assert atom.status_code == 200 and atom.headers["content-type"].startswith("application/atom+xml")
    assert "papers like “Graphs”" in atom.text and "Graph neural networks for traffic" in atom.text
    assert "<rss" in anonymous.get(links["rss"]).text
    assert anonymous.get(f"/collections/{graphs}/feed.xml").status_code == 404  # no key
    assert anonymous.get(f"/collections/{graphs}/feed.xml?key={_key(other_links['atom'])}").status_code == 404
    assert anonymous.get(f"/collections/{graphs}/feed.xml?key={_key(links['atom'])}x").status_code == 404

    fresh = _api(owner, "POST", f"/api/collections/{graphs}/feed/link").json()["feeds"]
    assert fresh["atom"] != links["atom"]
    now[0] += 60  # past the micro-cache's periods
    assert anonymous.get(links["atom"]).status_code == 404 and anonymous.get(fresh["atom"]).status_code == 200
    _api(owner, "PUT", f"/api/collections/{graphs}/feed", json={"enabled": False})
    now[0] += 60
    assert anonymous.get(fresh["atom"]).status_code == 404  # turned off: the link goes with it
    answer = _api(owner, "POST", f"/api/collections/{graphs}/feed/link")
    assert answer.status_code == 404 and "turn it on first" in answer.json()["error"]
    bad = _api(owner, "PUT", f"/api/collections/{graphs}/feed", json={"enabled": "maybe"})
    assert bad.status_code == 400 and "enabled" in bad.json()["error"]


def test_a_private_collections_feed_is_its_owners_alone_through_every_route(owner):
    graphs = _collection(owner, "Secret graphs", *GRAPHS[:3])
    links = _feed_on(owner, graphs)["feeds"]
    bob = client()
    signup(bob, "bob")
    for visitor in (bob, client()):
        for path in (f"/collections/{graphs}/feed", f"/api/collections/{graphs}/feed"):
            response = visitor.get(path, headers=JSON)
            assert response.status_code == 404 and "Secret graphs" not in response.text
    for method, path, body in (
        ("PUT", f"/api/collections/{graphs}/feed", {"enabled": False}),
        ("POST", f"/api/collections/{graphs}/feed/link", None),
    ):
        assert _api(bob, method, path, json=body).status_code == 404
    assert _post(bob, f"/collections/{graphs}/feed", on="0").status_code == 404
    assert owner.get(links["atom"]).status_code == 200  # bob's tries changed nothing
    assert "Secret graphs" not in bob.get("/api/collections", headers=JSON).text

    async def tools_text() -> str:  # an agent sees papers, never anyone's collections
        async with Client(build_server()) as agent:
            tools = (await agent.list_tools()).tools
            paper = await agent.call_tool("get_paper", {"id": GRAPHS[0]})
            return json.dumps([t.model_dump() for t in tools]) + str(paper.content)

    seen = asyncio.run(tools_text())
    assert "Graph neural networks for traffic 0" in seen and "Secret graphs" not in seen and "collection" not in seen

    _post(owner, f"/collections/{graphs}/visibility", public="1")
    public = client().get(f"/api/collections/{graphs}/feed")
    assert public.status_code == 200 and "settings" not in public.json()  # no signed links for visitors
    assert 'id="feed-atom"' not in client().get(f"/collections/{graphs}/feed").text

"""Saved searches on SQLite and PostgreSQL: saving from the search page, the list and each one's page,
signed RSS/Atom feeds read by feedparser, the JSON API, and the limits."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import feedparser
import pytest
from alembic import command
from sqlalchemy import select, text

from dailypapers.community import saved_searches
from dailypapers.config import reset_settings
from dailypapers.search import SearchQuery
from dailypapers.store.db import _alembic_config, dispose_engines, get_engine, migrate, open_engine, session_scope
from dailypapers.store.models import SavedSearch, User
from tests.web_helpers import add_papers, client, csrf, next_id_is, record, signup, token_for

PROTEINS = [f"2501.002{i:02d}" for i in range(3)]
OTHERS = [f"2501.003{i:02d}" for i in range(3)]
SEARCH = {"q": "protein folding", "mode": "keyword", "category": "cs.CL", "from": "2000-01-01"}


@pytest.fixture
def alice(settings):
    with session_scope() as session:
        add_papers(
            session,
            [
                record(a, f"Protein folding with diffusion {i}", abstract="Structures of proteins.")
                for i, a in enumerate(PROTEINS)
            ]
            + [record(a, f"Assorted topic {i}", abstract="Something else.") for i, a in enumerate(OTHERS)],
            feed=False,
        )
    c = client()
    signup(c, "alice")
    return c


def _save(c, name: str = "Proteins", **extra):
    return c.post("/saved-searches", data={**SEARCH, "name": name, "csrf_token": csrf(c, "/papers"), **extra})


def test_save_from_the_search_page_then_its_page_list_and_delete(alice):
    page = alice.get("/search", params=SEARCH).text
    assert 'id="save-search"' in page and 'name="from" value="2000-01-01"' in page
    assert 'id="save-search"' not in client().get("/search", params=SEARCH).text  # signed out: no form
    saved = _save(alice, email="1")
    assert saved.status_code == 303
    path = saved.headers["location"]
    shown = alice.get(path)
    assert shown.status_code == 200 and "Protein folding with diffusion 0" in shown.text
    assert "Assorted topic" not in shown.text
    assert "from=2000-01-01" in shown.text  # "open in search" keeps the filters
    listing = alice.get("/saved-searches").text
    assert "Proteins" in listing and "Stop emailing me" in listing
    assert client().get(path).status_code == 303  # signed out: to the login page
    other = client()
    signup(other, "bob")
    assert other.get(path).status_code == 404  # someone else's: not even its existence
    saved_id = path.rsplit("/", 1)[1]
    assert alice.post(f"/saved-searches/{saved_id}/delete", data={}).status_code == 403  # CSRF
    gone = alice.post(f"/saved-searches/{saved_id}/delete", data={"csrf_token": csrf(alice, "/papers")})
    assert gone.status_code == 303 and alice.get(path).status_code == 404


def test_names_are_unique_and_limited(alice):
    assert _save(alice).status_code == 303
    duplicate = _save(alice, name="  Proteins ")
    assert duplicate.status_code == 400 and "already have a saved search named" in duplicate.text
    assert _save(alice, name="x" * 121).status_code == 400
    assert _save(alice, name="bad category", category="nope.XX").status_code == 400
    with session_scope() as session:
        user = session.query(User).filter_by(username="alice").one()
        for i in range(saved_searches.MAX_PER_USER - 1):
            saved_searches.create_saved_search(session, user, f"s{i}", SearchQuery(text="protein"))
    too_many = _save(alice, name="one more")
    assert too_many.status_code == 400 and "the most one can keep" in too_many.text


def test_feeds_need_the_signed_link_and_parse(alice):
    saved_id = _save(alice).headers["location"].rsplit("/", 1)[1]
    data = alice.get("/api/saved-searches").json()[0]
    assert data["id"] == int(saved_id) and data["from"] == "2000-01-01" and data["email"] is False
    anonymous = client()  # a feed reader: no cookie
    for kind in ("atom", "rss"):
        response = anonymous.get(data["feeds"][kind])
        assert response.status_code == 200
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo and "Proteins" in parsed.feed.title
        assert sorted(e.link.rsplit("/", 1)[1] for e in parsed.entries) == PROTEINS
    path = urlsplit(data["feeds"]["atom"]).path
    key = parse_qs(urlsplit(data["feeds"]["atom"]).query)["key"][0]
    assert anonymous.get(path).status_code == 404
    assert anonymous.get(path, params={"key": key[:-2] + "xx"}).status_code == 404
    other = _save(alice, name="Other").headers["location"].rsplit("/", 1)[1]
    assert anonymous.get(f"/saved-searches/{other}/feed.xml", params={"key": key}).status_code == 404
    alice.post(f"/saved-searches/{saved_id}/delete", data={"csrf_token": csrf(alice, "/papers")})
    assert client().get(path, params={"key": key}).status_code == 404  # deleting retires the link


def test_a_deleted_saved_searchs_feed_link_does_not_open_the_next_one_given_its_id(alice):
    """The link names the saved search it was made for (its random key), not only its id and owner."""
    saved_id = int(_save(alice).headers["location"].rsplit("/", 1)[1])
    old_feeds = alice.get("/api/saved-searches").json()[0]["feeds"]
    alice.post(f"/saved-searches/{saved_id}/delete", data={"csrf_token": csrf(alice, "/papers")})
    with get_engine().begin() as conn:
        next_id_is(conn, "saved_searches", saved_id)
    again = _save(alice, name="Proteins again")  # the same owner, the same search, the same id
    assert int(again.headers["location"].rsplit("/", 1)[1]) == saved_id
    reader = client()
    for kind in ("atom", "rss"):
        assert reader.get(old_feeds[kind]).status_code == 404
        assert reader.get(alice.get("/api/saved-searches").json()[0]["feeds"][kind]).status_code == 200


@pytest.fixture
def unmigrated(backend, settings, request, monkeypatch):
    """This test's database, empty: not migrated yet."""
    dispose_engines()
    if backend == "sqlite":
        (settings.data_dir / "dailypapers.db").unlink()
    else:
        monkeypatch.setenv("DAILYPAPERS_DATABASE_URL", request.getfixturevalue("empty_postgres"))
        reset_settings()


def test_upgrading_gives_each_existing_saved_search_a_key_of_its_own(unmigrated):
    engine = open_engine()
    config = _alembic_config()
    with engine.begin() as conn:  # the release that signed (id, owner) into a feed link
        config.attributes["connection"] = conn
        command.upgrade(config, "0006_saved_searches")
        conn.execute(text("INSERT INTO users (id, username, created_at) VALUES (1, 'alice', '2026-12-01')"))
        for name in ("Proteins", "Wombats", "Numbats"):
            conn.execute(
                text(
                    "INSERT INTO saved_searches (user_id, name, query, mode, has_code, email, created_at) "
                    "VALUES (1, :name, 'x', 'hybrid', false, false, '2026-12-01')"
                ),
                {"name": name},
            )
    migrate()
    with session_scope() as session:
        keys = session.scalars(select(SavedSearch.link_key)).all()
    assert len(set(keys)) == 3 and all(isinstance(key, int) and key > 0 for key in keys)


def test_json_api_with_a_bearer_token(settings):
    c = client()
    token = token_for(c, "carol")
    auth = {"Authorization": f"Bearer {token}"}
    api = client()  # no cookie: the token alone
    created = api.post(
        "/api/saved-searches",
        headers=auth,
        json={"name": "GNNs", "q": "graph", "mode": "keyword", "has_code": True, "email": True},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["has_code"] is True and body["email"] is True and body["search_url"].endswith("has_code=true")
    assert (
        api.post("/api/saved-searches", headers=auth, json={"name": "x", "q": "graph", "mode": "nope"}).status_code
        == 400
    )
    assert api.post("/api/saved-searches", headers=auth, json={"q": "graph"}).status_code == 400
    assert [s["name"] for s in api.get("/api/saved-searches", headers=auth).json()] == ["GNNs"]
    assert api.delete(f"/api/saved-searches/{body['id']}", headers=auth).json() == {"id": body["id"], "deleted": True}
    assert api.delete(f"/api/saved-searches/{body['id']}", headers=auth).status_code == 404
    assert api.get("/api/saved-searches").status_code == 401

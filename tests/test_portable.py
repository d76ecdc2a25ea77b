"""Your data, portable: a member's export holds everything they have, another instance imports it (all or
nothing, papers matched by arXiv id), and For you ranks there exactly as it did here. Through the store, the
API, the settings page and the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from dailypapers.community import library
from dailypapers.community.collection_feeds import set_collection_feed
from dailypapers.community.profile import ignore_signal, set_controls
from dailypapers.community.saved_searches import create_saved_search
from dailypapers.community.users import create_user, get_user
from dailypapers.community.votes import vote
from dailypapers.config import get_settings, reset_settings
from dailypapers.digest.identity import mail_site
from dailypapers.digest.outbox import waiting
from dailypapers.digest.subscribe import admin_subscribe, find_subscriber, validate_preferences
from dailypapers.errors import InvalidInput
from dailypapers.index.embedders import model_label
from dailypapers.portable.export import export_json, export_member
from dailypapers.portable.format import MAX_BYTES, json_schema, parse_export
from dailypapers.portable.load import import_member
from dailypapers.ranking.collection_feed import collection_feed
from dailypapers.ranking.recommend import recommend
from dailypapers.ranking.signals import reset_feed
from dailypapers.search import SearchQuery
from dailypapers.store.db import get_engine, session_scope
from dailypapers.store.embeddings import save_vectors
from dailypapers.store.library import collection_named
from dailypapers.store.models import Paper
from tests.web_helpers import PASSWORD, add_papers, client, csrf, record, signup, token_for

GRAPHS = [f"2501.001{i:02d}" for i in range(10)]
PROTEINS = [f"2501.002{i:02d}" for i in range(10)]
# More papers than For you samples as negatives (400), so that the sample, and its seed, matter.
NOISE = [f"2502.{i:05d}" for i in range(440)]
DIM = 16


def build_site(lacking: tuple[str, ...] = ()) -> None:
    """The same papers and vectors on whichever instance the process points at, in the same order."""
    rng = np.random.default_rng(0)
    ids = [a for a in GRAPHS + PROTEINS + NOISE]
    records = [
        record(
            a,
            f"Graph networks for traffic {i}"
            if a in GRAPHS
            else f"Protein folding {i}"
            if a in PROTEINS
            else f"Assorted topic {i}",
            days_old=2,
        )
        for i, a in enumerate(ids)
    ]
    with session_scope() as session:
        add_papers(session, [r for r in records if r.arxiv_id not in lacking], feed=False)
        papers = {p.arxiv_id: p for p in session.query(Paper)}
        keys, vectors = [], []
        for arxiv_id in ids:
            axis = 0 if arxiv_id in GRAPHS else 1 if arxiv_id in PROTEINS else 2 + int(rng.integers(DIM - 2))
            vector = rng.normal(scale=0.3, size=DIM)
            vector[axis] += 1.0
            if arxiv_id in papers:
                keys.append((papers[arxiv_id].id, papers[arxiv_id].content_hash))
                vectors.append(vector / np.linalg.norm(vector))
    save_vectors(get_engine(), model_label(get_settings().embedding_model), keys, np.array(vectors))


def make_member(session, username: str = "alice"):
    """A member with one of everything: saves (one by a seed), upvotes, a dismissal, a private and a public
    collection, a saved search in their digest."""
    user = create_user(session, username, PASSWORD, fullname="Alice Liddell")
    library.seed_library(session, user, f"{GRAPHS[0]}\n{GRAPHS[1]}")
    library.save(session, user, PROTEINS[0], True)
    vote(session, user, GRAPHS[2], True)
    vote(session, user, NOISE[5], True)
    library.dismiss(session, user, PROTEINS[1], True)
    private = library.create_collection(session, user, "Reading group", public=False)
    library.set_in_collection(session, user, private.id, GRAPHS[3])
    library.set_in_collection(session, user, private.id, PROTEINS[2])
    set_collection_feed(session, user, private.id, enabled=True, in_digest=True)
    public = library.create_collection(session, user, "Traffic", public=True)
    library.set_in_collection(session, user, public.id, GRAPHS[4])
    create_saved_search(session, user, "gnn", SearchQuery(text="graph networks", category="cs.LG"), email=True)
    return user


def ranked(session, username: str) -> list[tuple[str, float]]:
    return [
        (p.paper.arxiv_id, round(p.score, 5)) for p in recommend(session, get_user(session, username), "all", limit=30)
    ]


def ranked_collection(session, username: str, name: str) -> list[tuple[str, float]]:
    collection = collection_named(session, get_user(session, username).id, name)
    return [(p.paper.arxiv_id, round(p.score, 5)) for p in collection_feed(session, collection, "all", limit=10)]


# --- the format ------------------------------------------------------------------------------------------


def test_the_documented_schema_is_the_one_the_code_validates_with():
    documented = json.loads((Path(__file__).resolve().parent.parent / "docs" / "member-export.schema.json").read_text())
    assert documented == json.loads(json.dumps(json_schema()))
    assert documented["properties"]["format"]["const"] == "dailypapers.member"


def test_an_export_holds_everything_the_member_has_with_times(backend, settings):
    build_site()
    with session_scope() as session:
        make_member(session)
        reset_feed(session, get_user(session, "alice"))
        other = create_user(session, "bob", PASSWORD)
        library.create_collection(session, other, "Bob's secret", public=False)
    with session_scope() as session:
        data = json.loads(export_json(session, get_user(session, "alice"), "https://papers.example"))
    assert (data["format"], data["version"], data["site"]) == ("dailypapers.member", 2, "https://papers.example")
    assert data["profile"]["username"] == "alice" and data["profile"]["fullname"] == "Alice Liddell"
    assert data["profile"]["feed_reset_at"] and data["profile"]["feed_seed"] == 1
    assert [s["arxiv_id"] for s in data["library"]] == [GRAPHS[0], GRAPHS[1], PROTEINS[0]]
    assert data["library"][0]["version"] == 1 and data["library"][0]["title"] == "Graph networks for traffic 0"
    assert sorted(s["arxiv_id"] for s in data["upvotes"]) == [GRAPHS[2], NOISE[5]]
    assert [s["arxiv_id"] for s in data["dismissals"]] == [PROTEINS[1]]
    times = [datetime.fromisoformat(s["at"]) for s in data["library"]]
    assert times == sorted(times) and all(t.tzinfo for t in times)
    collections = {c["name"]: c for c in data["collections"]}
    assert set(collections) == {"Reading group", "Traffic"}  # bob's private one is bob's alone
    assert collections["Reading group"]["public"] is False
    assert [i["arxiv_id"] for i in collections["Reading group"]["items"]] == [GRAPHS[3], PROTEINS[2]]
    assert collections["Reading group"]["feed"] == {"enabled": True, "in_digest": True}
    assert collections["Traffic"]["feed"] == {"enabled": False, "in_digest": False}
    assert data["saved_searches"][0] | {"created_at": None} == {
        "name": "gnn",
        "query": "graph networks",
        "mode": "hybrid",
        "category": "cs.LG",
        "author": None,
        "date_from": None,
        "date_to": None,
        "has_code": False,
        "email": True,
        "created_at": None,
    }
    assert parse_export(json.dumps(data).encode()).profile.username == "alice"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d | {"format": "something.else"}, "its format is 'something.else'"),
        (
            lambda d: d | {"version": 3},
            "this export is version 3 of dailypapers.member; this site reads versions 1 and 2",
        ),
        (lambda d: d | {"version": True}, "this export is version True"),
        (lambda d: d | {"surprise": 1}, "surprise: Extra inputs are not permitted"),
        (lambda d: d | {"library": [{"arxiv_id": "not an id", "at": "2025-01-01T00:00:00Z"}]}, "library.0.arxiv_id"),
        (lambda d: d | {"upvotes": [{"arxiv_id": "2501.00100", "at": "2025-01-01T00:00:00"}]}, "timezone"),
    ],
)
def test_a_file_that_is_not_a_version_1_or_2_export_is_refused_in_one_line(change, message):
    good = {
        "format": "dailypapers.member",
        "version": 1,
        "exported_at": "2025-01-01T00:00:00Z",
        "profile": {"username": "alice", "member_since": "2025-01-01T00:00:00Z", "feed_seed": 3},
    }
    assert parse_export(json.dumps(good).encode()).profile.feed_seed == 3
    collection = {"name": "Speech", "created_at": "2025-01-01T00:00:00Z"}  # version 1 had no feeds: off
    assert parse_export(json.dumps(good | {"collections": [collection]}).encode()).collections[0].feed.enabled is False
    feed = {"enabled": True, "in_digest": True}
    version_2 = good | {"version": 2, "collections": [collection | {"feed": feed}]}
    assert parse_export(json.dumps(version_2).encode()).collections[0].feed.in_digest is True
    with pytest.raises(InvalidInput, match=message) as refused:
        parse_export(json.dumps(change(good)).encode())
    assert "\n" not in str(refused.value)
    with pytest.raises(InvalidInput, match="not JSON"):
        parse_export(b"\xff{")
    with pytest.raises(InvalidInput, match="larger than 16 MB"):
        parse_export(b" " * (MAX_BYTES + 1))


# --- the round trip --------------------------------------------------------------------------------------


def test_a_round_trip_to_another_instance_ranks_for_you_exactly_alike(backend, settings, other_site):
    build_site()
    with session_scope() as session:
        create_user(session, "zed", PASSWORD)  # alice is user 2 here, and will be user 1 there
        alice = make_member(session)
        # the profile's controls travel too: a signal taken out, the community's weight, diversity, a pause
        ignore_signal(session, alice, GRAPHS[2], True)
        set_controls(session, alice, paused=True, community=0.3, diversity=0.4)
        vote(session, alice, PROTEINS[3], True)  # after the pause: waits
    with session_scope() as session:
        before = ranked(session, "alice")
        before_collection = ranked_collection(session, "alice", "Reading group")
        exported = export_json(session, get_user(session, "alice"))
    assert len(before) == 30

    other_site(True)
    build_site()
    with session_scope() as session:
        create_user(session, "alice", PASSWORD)
        assert ranked(session, "alice") == []  # nothing to learn from yet
    with session_scope() as session:
        report = import_member(
            session, get_user(session, "alice"), parse_export(exported.encode()), mail_site(get_settings())
        )
    assert report.unmatched == [] and report.saved == 3 and report.collected == 3
    with session_scope() as session:
        assert ranked(session, "alice") == before
        assert ranked_collection(session, "alice", "Reading group") == before_collection and before_collection
        again = json.loads(export_json(session, get_user(session, "alice")))
    first = json.loads(exported)
    for part in ("library", "upvotes", "dismissals", "collections", "saved_searches"):
        assert again[part] == first[part], part
    assert {c["name"]: c["feed"]["in_digest"] for c in again["collections"]} == {
        "Reading group": True,
        "Traffic": False,
    }
    assert again["profile"]["for_you"] == first["profile"]["for_you"]
    assert first["profile"]["for_you"] | {"paused_at": None} == {
        "ignored": [GRAPHS[2]],
        "paused_at": None,
        "community": 0.3,
        "diversity": 0.4,
    }


def test_papers_the_other_instance_lacks_are_listed_and_come_in_on_a_second_import(backend, settings, other_site):
    build_site()
    with session_scope() as session:
        make_member(session)
        exported = export_json(session, get_user(session, "alice")).encode()
    other_site(True)
    build_site(lacking=(GRAPHS[1], GRAPHS[3]))
    with session_scope() as session:
        create_user(session, "alice", PASSWORD)
    with session_scope() as session:
        report = import_member(session, get_user(session, "alice"), parse_export(exported), mail_site(get_settings()))
    assert report.unmatched == [
        f"{GRAPHS[1]}v1 “Graph networks for traffic 1”",
        f"{GRAPHS[3]}v1 “Graph networks for traffic 3”",
    ]
    assert report.saved == 2 and report.collections == ["Reading group", "Traffic"]
    with session_scope() as session:  # the site fetches them (as `dailypapers ingest` would); import again
        add_papers(
            session,
            [record(GRAPHS[1], "Graph networks for traffic 1"), record(GRAPHS[3], "Graph networks for traffic 3")],
            feed=False,
        )
    with session_scope() as session:
        again = import_member(session, get_user(session, "alice"), parse_export(exported), mail_site(get_settings()))
    assert again.unmatched == [] and again.saved == 1 and again.collected == 1
    assert again.merged == ["Reading group", "Traffic"] and again.kept_searches == ["gnn"]
    with session_scope() as session:
        alice = get_user(session, "alice")
        assert library.library_size(session, alice) == 3


def test_ids_with_a_version_match_the_paper_whatever_version_the_site_holds(backend, settings):
    build_site()
    with session_scope() as session:
        create_user(session, "alice", PASSWORD)
    data = {
        "format": "dailypapers.member",
        "version": 1,
        "exported_at": "2025-01-01T00:00:00Z",
        "profile": {"username": "alice", "member_since": "2025-01-01T00:00:00Z", "feed_seed": 1},
        "library": [
            {"arxiv_id": f"{GRAPHS[0]}v3", "at": "2025-01-02T00:00:00Z"},
            {"arxiv_id": f"arXiv:{GRAPHS[1]}", "version": 2, "at": "2025-01-03T00:00:00Z"},
        ],
    }
    with session_scope() as session:
        report = import_member(
            session, get_user(session, "alice"), parse_export(json.dumps(data).encode()), mail_site(get_settings())
        )
    assert report.saved == 2 and report.unmatched == []
    with session_scope() as session:
        exported = export_member(session, get_user(session, "alice"))
    assert [(s.arxiv_id, s.at) for s in exported.library] == [
        (GRAPHS[0], datetime(2025, 1, 2, tzinfo=UTC)),
        (GRAPHS[1], datetime(2025, 1, 3, tzinfo=UTC)),
    ]


def test_an_import_that_cannot_all_fit_changes_nothing(backend, settings, monkeypatch):
    build_site()
    with session_scope() as session:
        make_member(session)
        exported = json.loads(export_json(session, get_user(session, "alice")))
        create_user(session, "carol", PASSWORD)
    twice = exported | {"collections": exported["collections"] + [exported["collections"][0]]}
    with pytest.raises(InvalidInput, match="names the collection 'Reading group' twice"):
        with session_scope() as session:
            import_member(
                session, get_user(session, "carol"), parse_export(json.dumps(twice).encode()), mail_site(get_settings())
            )
    monkeypatch.setenv("DAILYPAPERS_LIBRARY_MAX_PAPERS", "2")
    reset_settings()
    with pytest.raises(InvalidInput, match="may hold at most 2: nothing was imported"):
        with session_scope() as session:
            import_member(
                session,
                get_user(session, "carol"),
                parse_export(json.dumps(exported).encode()),
                mail_site(get_settings()),
            )
    with session_scope() as session:
        carol = get_user(session, "carol")
        assert json.loads(export_json(session, carol))["upvotes"] == []  # the upvotes before the refusal too
        assert library.user_collections(session, carol) == []


# --- through the API and the settings page ---------------------------------------------------------------


def _export_file(c) -> bytes:
    response = c.get("/settings/export")
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith('attachment; filename="dailypapers-')
    return response.content


def test_the_api_exports_your_own_data_and_imports_it_with_a_token(backend, settings):
    build_site()
    with session_scope() as session:
        make_member(session, "bob")  # bob's private collection never leaves with anyone else's data
    c = client()
    token = token_for(c, "alice")
    bearer = {"Authorization": f"Bearer {token}"}
    assert client().get("/api/me/export").status_code == 401
    with session_scope() as session:
        exported = export_json(session, get_user(session, "bob"))
    answer = c.post("/api/me/import", content=exported, headers={**bearer, "Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["saved"] == 3 and answer.json()["collections"] == ["Reading group", "Traffic"]
    mine = c.get("/api/me/export", headers=bearer).json()
    assert mine["profile"]["username"] == "alice" and len(mine["library"]) == 3
    assert "Reading group" in [col["name"] for col in mine["collections"]]
    stranger = client()
    signup(stranger, "eve")
    theirs = stranger.get("/api/me/export").json()
    assert theirs["collections"] == [] and theirs["saved_searches"] == [] and theirs["profile"]["username"] == "eve"

    refused = c.post(
        "/api/me/import",
        content=b'{"format": "dailypapers.member", "version": 9}',
        headers={**bearer, "Content-Type": "application/json"},
    )
    assert refused.status_code == 400 and "version 9" in refused.json()["error"]
    too_big = c.post(
        "/api/me/import", content=b" " * (MAX_BYTES + 70 * 1024), headers={**bearer, "Content-Type": "application/json"}
    )
    assert too_big.status_code == 413


def test_a_cookie_import_needs_the_csrf_token(backend, settings):
    build_site()
    c = client()
    signup(c, "alice")
    body = _export_file(c)
    assert c.post("/api/me/import", content=body, headers={"Content-Type": "application/json"}).status_code == 403
    assert c.post("/settings/import", files={"file": ("me.json", body, "application/json")}).status_code == 403
    ok = c.post(
        "/api/me/import",
        content=body,
        headers={"Content-Type": "application/json", "X-CSRF-Token": csrf(c, "/settings")},
    )
    assert ok.status_code == 200 and ok.json()["unmatched"] == []


def test_the_settings_page_downloads_and_imports_with_a_report(backend, settings):
    build_site()
    with session_scope() as session:
        user = make_member(session, "bob")
        bob = json.loads(export_json(session, user))
    bob["library"].append(
        {"arxiv_id": "2509.99999", "version": 2, "title": "Not <b>here</b>", "at": "2025-01-01T00:00:00Z"}
    )
    c = client()
    signup(c, "alice")
    page = c.get("/settings").text
    assert 'href="/settings/export"' in page and 'href="/library/export.bib"' in page and 'id="import-form"' in page
    done = c.post(
        "/settings/import",
        data={"csrf_token": csrf(c, "/settings")},
        files={"file": ("bob.json", json.dumps(bob).encode(), "application/json")},
    )
    assert done.status_code == 200, done.text
    assert 'id="import-report"' in done.text and "3 saved" in done.text
    assert "2509.99999v2 “Not &lt;b&gt;here&lt;/b&gt;”" in done.text  # escaped, listed
    assert len(json.loads(_export_file(c))["library"]) == 3
    bad = c.post(
        "/settings/import",
        data={"csrf_token": csrf(c, "/settings")},
        files={"file": ("notes.json", b"[1, 2]", "application/json")},
    )
    assert bad.status_code == 400 and 'id="import-error"' in bad.text and "not a dailypapers export" in bad.text


# --- the command line ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_cli_exports_and_imports_with_one_line_errors(backend, settings, cli, tmp_path):
    build_site()
    with session_scope() as session:
        make_member(session)
        create_user(session, "dora", PASSWORD)
    env = (
        {"DAILYPAPERS_DATABASE_URL": get_engine().url.render_as_string(hide_password=False)}
        if backend == "postgresql"
        else {}
    )
    out, bib = tmp_path / "alice.json", tmp_path / "alice.bib"
    done = cli("users", "export", "alice", "-o", str(out), "--bib", str(bib), env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["profile"]["username"] == "alice"
    assert bib.read_text().count("@misc{") == 3 and f"eprint = {{{GRAPHS[0]}}}" in bib.read_text()

    imported = cli("users", "import", str(out), "--as", "dora", "--json", env=env)
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["saved"] == 3

    junk = tmp_path / "junk.json"
    junk.write_text('{"format": "dailypapers.member", "version": 0}')
    refused = cli("users", "import", str(junk), "--as", "dora", env=env)
    assert refused.returncode == 2 and "version 0" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr
    assert cli("users", "import", str(out), "--as", "nobody", env=env).returncode == 1
    assert cli("users", "import", str(tmp_path / "missing.json"), env=env).returncode == 2
    assert cli("users", "export", "nobody", env=env).returncode == 1


def test_a_subscription_comes_along_and_asks_its_address_to_confirm_again(backend, settings, other_site):
    build_site()
    with session_scope() as session:
        alice = make_member(session)
        active, _ = admin_subscribe(
            session, "Alice@Example.org", validate_preferences("weekly", "graph networks", "cs.LG"), confirmed=True
        )
        left, _ = admin_subscribe(session, "old@example.org", validate_preferences("daily", "", ""), confirmed=True)
        active.user_id = left.user_id = alice.id
        left.unsubscribed_at = datetime.now(UTC)
    with session_scope() as session:
        exported = export_member(session, get_user(session, "alice"))
    assert [(s.email, s.frequency, s.interests, s.categories, s.active) for s in exported.subscriptions] == [
        ("alice@example.org", "weekly", ["graph networks"], ["cs.LG"], True),
        ("old@example.org", "daily", [], [], False),
    ]
    other_site(True)
    build_site()
    with session_scope() as session:
        create_user(session, "alice", PASSWORD)
    with session_scope() as session:
        report = import_member(session, get_user(session, "alice"), exported, mail_site(get_settings()))
    assert report.confirmations == ["alice@example.org"]  # the one alice had left stays left
    with session_scope() as session:
        assert [item.recipient for item in waiting(session)] == ["alice@example.org"]  # a confirmation link
        subscriber = find_subscriber(session, "alice@example.org")
        assert subscriber.confirmed_at is None and subscriber.frequency == "weekly"  # no digest before the click
        assert subscriber.user_id == get_user(session, "alice").id
        assert find_subscriber(session, "old@example.org") is None

"""Reading groups on SQLite and PostgreSQL: membership through signed invite links, the group page (the shared
collection with notes, the week, the threads, the group's For you), the private feeds, the API, the CLI, the
weekly email through the real SMTP test server, and privacy tested from the outside: a stranger, a former member
and a visitor get nothing through any page, feed, search, API or MCP tool."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta

import feedparser
import numpy as np
import pytest
from mcp import Client
from sqlalchemy import select, update

from dailypapers.cli import main as dailypapers
from dailypapers.community.sessions import start_session
from dailypapers.config import get_settings
from dailypapers.digest.run import send_due_digests
from dailypapers.digest.schedule import weekly_period
from dailypapers.errors import InvalidInput
from dailypapers.index.embedders import model_label
from dailypapers.mcp_server.server import build_server
from dailypapers.store.db import get_engine, session_scope
from dailypapers.store.embeddings import save_vectors
from dailypapers.store.groups import add_group, group_by_slug
from dailypapers.store.models import DigestDelivery, GroupInvite, Paper, User
from dailypapers.store.people import add_user
from dailypapers.web.auth import SESSION_COOKIE
from tests.digest_helpers import add_subscriber
from tests.web_helpers import add_papers, client, csrf, record

JSON = {"Accept": "application/json"}
GRAPHS = [f"2501.001{i:02d}" for i in range(6)]  # one topic
NOISE = [f"2501.003{i:02d}" for i in range(8)]
DIM = 8
NOTE = "zebracorn note for the group only"
SECRET = "okapiwhisper thoughts for members"


@pytest.fixture
def corpus(backend, settings):
    """Six papers on one topic and eight others, each with a vector, all new on the site this week."""
    rng = np.random.default_rng(0)
    records = [
        record(a, f"Graph neural networks for traffic {i}", abstract="Message passing.") for i, a in enumerate(GRAPHS)
    ]
    records += [record(a, f"Assorted topic {i}", abstract="Something else entirely.") for i, a in enumerate(NOISE)]
    with session_scope() as session:
        add_papers(session, records, feed=False)
        keys, vectors = [], []
        for paper in session.scalars(select(Paper).order_by(Paper.id)):
            vector = rng.normal(scale=0.25, size=DIM)
            vector[0 if paper.arxiv_id in GRAPHS else 1 + int(rng.integers(DIM - 1))] += 1.0
            keys.append((paper.id, paper.content_hash))
            vectors.append(vector / np.linalg.norm(vector))
    save_vectors(get_engine(), model_label(get_settings().embedding_model), keys, np.array(vectors))


def _post(c, path: str, **data):
    return c.post(path, data={**data, "csrf_token": csrf(c, "/papers")})


def _api(c, method: str, path: str, **kwargs):
    return c.request(method, path, headers={"X-CSRF-Token": csrf(c, "/papers"), **JSON}, **kwargs)


def _member(username: str):
    """A signed-in browser of a new account (made in the store: a password's argon2 costs a second a user)."""
    with session_scope() as session:
        user = add_user(session, username=username, email=None, fullname=None, is_admin=False, password_hash=None)
        cookie = start_session(session, user)
    c = client()
    c.cookies.set(SESSION_COOKIE, cookie)
    return c


def _group_with(alice, *others) -> str:
    """Alice's group 'thursday' that each of `others` joined through an invite link; returns the link's path."""
    assert (
        _post(alice, "/groups", name="Thursday reading group", slug="thursday").headers["location"]
        == "/groups/thursday"
    )
    link = _api(alice, "POST", "/api/groups/thursday/invites", json={"days": 7}).json()["url"]
    path = link.removeprefix("http://testserver")
    for other in others:
        assert "Join “Thursday reading group”" in other.get(path).text
        assert _post(other, path).headers["location"] == "/groups/thursday"
    return path


def test_two_members_taking_one_slug_at_once_get_a_taken_message_not_an_error(backend, settings):
    with session_scope() as session:
        ada, bo = (
            add_user(session, username=n, email=None, fullname=None, is_admin=False, password_hash=None)
            for n in ("ada", "bo")
        )
        add_group(session, "thursday", "Ada's group", ada.id)
    with pytest.raises(InvalidInput, match="/groups/thursday is taken"), session_scope() as session:
        add_group(session, "thursday", "Bo's group", bo.id)  # bo checked before ada's group existed
    with session_scope() as session:
        assert group_by_slug(session, "thursday").name == "Ada's group"


def test_invite_join_remove_revoke_and_expire(corpus):
    alice, bob, carol, dave = (_member(n) for n in ("alice", "bob", "carol", "dave"))
    invite = _group_with(alice, bob)
    assert [m["username"] for m in bob.get("/api/groups/thursday/members").json()] == ["alice", "bob"]
    assert bob.get("/api/groups", headers=JSON).json()[0] | {} == {
        "slug": "thursday",
        "name": "Thursday reading group",
        "url": "/groups/thursday",
        "role": "member",
        "shares": False,
        "digest": True,
    }
    # only owners invite and remove; a taken slug or a bad one is a clear 400
    assert _api(bob, "POST", "/api/groups/thursday/invites", json={}).status_code == 403
    assert _api(bob, "DELETE", "/api/groups/thursday/members/alice").status_code == 403
    taken = _api(carol, "POST", "/api/groups", json={"name": "Mine", "slug": "thursday"})
    assert taken.status_code == 400 and "taken" in taken.json()["error"]
    assert _api(carol, "POST", "/api/groups", json={"name": "Mine", "slug": "No Spaces"}).status_code == 400
    # what no group can be named or no database can hold is refused before any query (PostgreSQL refuses NUL)
    assert alice.get("/groups/th%00ursday").status_code == 404
    assert alice.get("/groups/thursday/feed.xml?key=%00").status_code == 404
    assert _api(alice, "DELETE", "/api/groups/thursday/members/b%00b").status_code == 400

    # removed: access ends at once; the link still lets a new member in until it is revoked
    assert _post(alice, "/groups/thursday/members/bob/remove").status_code == 303
    assert bob.get("/groups/thursday").status_code == 404
    invite_id = _api(alice, "GET", "/api/groups/thursday/invites").json()[0]["id"]
    assert _api(alice, "DELETE", f"/api/groups/thursday/invites/{invite_id}").json()["revoked"] is True
    assert carol.get(invite).status_code == 404 and _post(carol, invite).status_code == 404
    assert _api(carol, "POST", "/api/groups/join", json={"invite": invite.removeprefix("/invites/")}).status_code == 404

    # an expired link opens nothing; a forged one neither
    fresh = (
        _api(alice, "POST", "/api/groups/thursday/invites", json={"days": 1})
        .json()["url"]
        .removeprefix("http://testserver")
    )
    with session_scope() as session:
        session.execute(update(GroupInvite).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert _post(dave, fresh).status_code == 404 and dave.get("/groups/thursday").status_code == 404
    assert dave.get(fresh[:-3] + "abc").status_code == 404
    # the only owner cannot leave while others remain (none remain now: leaving deletes the group)
    assert _api(alice, "POST", "/api/groups/thursday/leave").json()["left"] is True
    assert alice.get("/api/groups", headers=JSON).json() == []


def test_the_page_shows_the_collection_notes_threads_week_and_the_groups_for_you(corpus):
    alice, bob = _member("alice"), _member("bob")
    _group_with(alice, bob)
    for arxiv_id in GRAPHS[:3]:
        assert _post(alice, "/groups/thursday/papers", paper=arxiv_id, note=f"{NOTE} {arxiv_id}").status_code == 303
    comment = _api(bob, "POST", "/api/groups/thursday/comments", json={"paper": GRAPHS[0], "comment": f"**{SECRET}**"})
    assert comment.status_code == 201 and f"<strong>{SECRET}</strong>" in comment.json()["html"]
    reply = {"paper": GRAPHS[0], "comment": "agreed", "parentId": comment.json()["id"]}
    assert _api(alice, "POST", "/api/groups/thursday/comments", json=reply).status_code == 201
    assert (
        _api(bob, "POST", "/api/groups/thursday/comments", json={"paper": NOISE[0], "comment": "x"}).status_code == 404
    )
    # bob's upvote shows in the week only once he shares his signals
    _post(bob, f"/papers/{NOISE[1]}/upvote", vote="1")
    assert alice.get("/api/groups/thursday", headers=JSON).json()["week"][0]["kind"] == "added"
    assert _api(bob, "PATCH", "/api/groups/thursday/me", json={"shares": True}).json()["shares"] is True

    page = alice.get("/groups/thursday").text
    assert page.count(NOTE) == 3 and SECRET in page and "agreed" in page
    week = alice.get("/api/groups/thursday", headers=JSON).json()["week"]
    assert {(a["who"], a["kind"], a["paper"]["id"]) for a in week} == {
        ("alice", "added", GRAPHS[0]),
        ("alice", "added", GRAPHS[1]),
        ("alice", "added", GRAPHS[2]),
        ("bob", "upvoted", NOISE[1]),
    }
    # the group's feed learned the topic of its collection, and leaves out what the group has
    picks = alice.get("/api/groups/thursday/for-you").json()
    assert picks and all(p["id"] in GRAPHS[3:] for p in picks[:2])  # bob's shared upvote of a stray paper weighs less
    assert not {p["id"] for p in picks} & set(GRAPHS[:3] + [NOISE[1]])
    assert 'id="group-picks"' in page and "Because the group reads" in page


def _mcp(tool: str, arguments: dict) -> str:
    async def call():
        async with Client(build_server()) as c:
            result = await c.call_tool(tool, arguments)
            return json.dumps(result.structured_content) + "".join(getattr(p, "text", "") for p in result.content)

    return asyncio.run(call())


def test_nothing_of_a_group_reaches_a_stranger_a_former_member_or_a_visitor(corpus):
    alice, bob, carol = _member("alice"), _member("bob"), _member("carol")
    invite = _group_with(alice, bob)
    _post(alice, "/groups/thursday/papers", paper=GRAPHS[0], note=NOTE)
    _api(bob, "POST", "/api/groups/thursday/comments", json={"paper": GRAPHS[0], "comment": SECRET})
    feeds = bob.get("/api/groups/thursday", headers=JSON).json()["feeds"]
    assert NOTE not in bob.get(feeds["atom"]).text  # the feed lists the papers, not the notes
    assert feedparser.parse(bob.get(feeds["atom"]).text).entries[0].link.endswith(GRAPHS[0])
    comment_id = bob.get("/api/groups/thursday/comments").json()[0]["id"]
    reader = client()  # bob's feed reader: no cookie, another worker than the one bob leaves through
    assert reader.get(feeds["rss"]).status_code == 200
    assert _api(bob, "POST", "/api/groups/thursday/leave").json()["left"] is True
    assert reader.get(feeds["rss"]).status_code == 404  # at once: no worker's cache keeps a group's feed

    reads = [
        "/groups/thursday",
        "/api/groups/thursday",
        "/api/groups/thursday/comments",
        "/api/groups/thursday/members",
        "/api/groups/thursday/for-you",
        "/api/groups/thursday/invites",
        feeds["atom"],
        feeds["rss"],
        "/groups/thursday/feed.xml",
        "/map?group=thursday",
        "/api/map?group=thursday",
        "/map.svg?group=thursday",
    ]
    writes = [
        ("POST", "/api/groups/thursday/papers", {"paper": GRAPHS[1]}),
        ("POST", "/api/groups/thursday/comments", {"paper": GRAPHS[0], "comment": "hi"}),
        ("DELETE", f"/api/groups/thursday/comments/{comment_id}", None),
        ("POST", "/api/groups/thursday/invites", {}),
        ("PATCH", "/api/groups/thursday/me", {"shares": True}),
        ("DELETE", "/api/groups/thursday/members/alice", None),
        ("POST", "/api/groups/thursday/leave", None),
    ]
    visitor = client()
    for who, outsider in (("former member", bob), ("stranger", carol), ("visitor", visitor)):
        for path in reads:
            response = outsider.get(path, headers=JSON if path.startswith("/api") else {})
            to_login = response.status_code == 303 and response.headers["location"].startswith("/login")
            assert response.status_code in (401, 404) or to_login, (who, path, response.status_code)
            assert NOTE not in response.text and SECRET not in response.text and "Thursday" not in response.text
        for method, path, body in writes:
            status = _api(outsider, method, path, json=body).status_code if outsider is not visitor else None
            assert status in (None, 404), (who, method, path, status)
        assert outsider.get("/api/groups", headers=JSON).status_code in (200, 401)
        assert "thursday" not in outsider.get("/api/groups", headers=JSON).text
        # the public side of the paper: its page, comments, search, the Hugging Face-shaped API
        for path in (
            f"/papers/{GRAPHS[0]}",
            f"/api/papers/{GRAPHS[0]}",
            f"/api/papers/{GRAPHS[0]}/comments",
            "/search?q=zebracorn&mode=keyword",
            "/api/papers/search?q=zebracorn&mode=keyword",
            "/search?q=okapiwhisper&mode=keyword",
            "/papers/feed.xml",
        ):
            text = outsider.get(path).text
            assert NOTE not in text and SECRET not in text, (who, path)
    assert bob.get(invite).status_code == 200  # the link itself was never revoked: bob may come back by it
    # MCP: agents read the public site only
    for tool, arguments in (
        ("search_papers", {"query": "zebracorn", "mode": "keyword"}),
        ("get_paper", {"id": GRAPHS[0]}),
        ("read_paper", {"id": GRAPHS[0]}),
    ):
        text = _mcp(tool, arguments)
        assert NOTE not in text and SECRET not in text and "Thursday" not in text
    assert "Thursday" in alice.get("/groups/thursday").text  # the owner still sees it all
    mapped = alice.get("/api/map?group=thursday", headers=JSON).json()  # and its map: the shelf's papers
    assert mapped["title"] == "The reading group “Thursday reading group”"
    assert [point["id"] for point in mapped["points"]] == [GRAPHS[0]]


def test_the_weekly_email_reaches_each_member_once_through_smtp(corpus, sink):
    alice, bob, carol = _member("alice"), _member("bob"), _member("carol")
    _group_with(alice, bob, carol)
    _post(alice, "/groups/thursday/papers", paper=GRAPHS[0], note=NOTE)
    _api(carol, "PATCH", "/api/groups/thursday/me", json={"digest": False})
    with session_scope() as session:
        users = {u.username: u for u in session.scalars(select(User))}
        for name in ("alice", "bob", "carol"):
            add_subscriber(session, f"{name}@example.org", frequency="daily").user_id = users[name].id
    period = weekly_period(datetime.now(UTC).date())

    first = [r for r in send_due_digests([period]) if r.period.startswith("groups:")][0]
    again = [r for r in send_due_digests([period]) if r.period.startswith("groups:")][0]
    assert (first.report.sent, again.report.sent, again.already) == (2, 0, 2)
    assert sink.handler.per_recipient() == {"alice@example.org": 1, "bob@example.org": 1}
    message = sink.handler.to("bob@example.org")[0].message
    assert "Thursday reading group" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "alice added: Graph neural networks for traffic 0" in text and "/groups/thursday" in text
    with session_scope() as session:
        rows = session.scalars(select(DigestDelivery.status).where(DigestDelivery.period.like("group%"))).all()
    assert rows == ["sent", "sent"]


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    """The `dailypapers` command, run in this process (as a subprocess would, without its start-up)."""
    capsys.readouterr()
    code = dailypapers(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_creates_invites_lists_and_removes(corpus, capsys):
    _member("alice")
    bob = _member("bob")
    assert _cli(capsys, "groups", "create", "lab", "The lab", "--owner", "alice")[0] == 0
    code, link, _ = _cli(capsys, "groups", "invite", "lab", "--as", "alice", "--days", "0")
    assert code == 0 and "/invites/" in link
    assert _post(bob, re.sub(r"^https?://[^/]+", "", link.strip())).headers["location"] == "/groups/lab"
    assert json.loads(_cli(capsys, "groups", "members", "lab", "--json")[1]) == [
        {"username": "alice", "role": "owner"},
        {"username": "bob", "role": "member"},
    ]
    assert json.loads(_cli(capsys, "groups", "list", "--json")[1])[0]["members"] == 2
    code, _, err = _cli(capsys, "groups", "remove", "lab", "alice", "--as", "bob")
    assert code == 1 and err.count("\n") == 1 and "owners" in err
    assert _cli(capsys, "groups", "remove", "lab", "bob", "--as", "alice")[0] == 0
    assert bob.get("/groups/lab").status_code == 404
    code, _, err = _cli(capsys, "groups", "create", "Bad Slug", "x", "--owner", "alice")
    assert code == 1 and "slug" in err and err.count("\n") == 1

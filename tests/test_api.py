"""The JSON API beyond what huggingface_hub calls: cursor listing, writes with tokens, errors as JSON."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from dailypapers.community.comments import render_markdown
from dailypapers.store.db import session_scope
from dailypapers.store.models import DailyEntry, Paper
from dailypapers.web.app import create_app
from dailypapers.web.routes import papers as pages_module
from dailypapers.web.routes import papers_api as api_module
from tests.arxiv_server import Reply, serving_settings
from tests.web_helpers import add_papers, client, csrf, make_admin, record, signup, token_for


@pytest.fixture
def api(settings):
    c = client()
    token = token_for(c)
    anonymous = client()
    anonymous.headers["Authorization"] = f"Bearer {token}"
    return anonymous


def test_papers_listing_pages_with_a_cursor(settings, session):
    add_papers(session, [record(f"2501.{n:05d}", f"Paper {n}") for n in range(1, 8)], feed=False)
    c = client()
    seen, url = [], "/api/papers?limit=3"
    while url:
        response = c.get(url)
        assert response.status_code == 200
        seen += [p["id"] for p in response.json()]
        link = response.headers.get("link")
        url = re.match(r"<([^>]+)>; rel=\"next\"", link)[1] if link else None
    assert seen == [f"2501.{n:05d}" for n in range(1, 8)]
    assert c.get("/api/papers?cursor=abc").status_code == 400
    assert c.get("/api/papers?limit=1000").json() == {"error": "limit: Input should be less than or equal to 100"}


@pytest.mark.parametrize(
    "path,status",
    [
        ("/api/papers/2501.99999", 404),
        ("/api/papers/garbage", 404),
        ("/api/daily_papers?date=2025-1-1", 400),
        ("/api/daily_papers?p=abc", 400),
        ("/api/papers/search?q=" + "a" * 251, 400),
        ("/api/papers/search?q=x&limit=121", 400),
        ("/api/papers/search?q=x&mode=magic", 400),
        ("/api/papers/search?q=%20%22%22", 400),
        ("/api/nothing", 404),
        ("/api/users/nobody", 404),
    ],
)
def test_errors_are_json_with_a_4xx_status(settings, path, status):
    response = client().get(path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert isinstance(response.json()["error"], str) and response.json()["error"]


def test_openapi_docs_are_served(settings):
    c = client()
    docs = c.get("/docs")
    assert docs.status_code == 200 and "GET /api/daily_papers" in docs.text and "POST /api/papers/index" in docs.text
    assert not re.search(r'(src|href)="(https?:)?//', docs.text)  # nothing fetched from another site
    spec = c.get("/openapi.json").json()
    assert "/api/daily_papers" in spec["paths"] and "/api/papers/search" in spec["paths"]


def test_writes_need_a_token(settings, session):
    add_papers(session, [record("2501.00001", "Paper")])
    response = client().post("/api/papers/2501.00001/upvote")
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


def test_cookie_writes_through_the_api_need_the_csrf_header(settings, session):
    add_papers(session, [record("2501.00001", "Paper")])
    c = client()
    signup(c)
    assert c.post("/api/papers/2501.00001/upvote").status_code == 403
    ok = c.post("/api/papers/2501.00001/upvote", headers={"X-CSRF-Token": csrf(c, "/papers")})
    assert ok.json() == {"id": "2501.00001", "upvoted": True, "upvotes": 1}


def test_upvote_and_remove_are_idempotent(api, session):
    add_papers(session, [record("2501.00001", "Paper")])
    for _ in range(2):
        assert api.post("/api/papers/2501.00001/upvote").json()["upvotes"] == 1
    assert api.get("/api/papers/2501.00001").json()["isUpvoted"] is True
    for _ in range(2):
        assert api.delete("/api/papers/2501.00001/upvote").json()["upvotes"] == 0
    assert api.post("/api/papers/2501.99999/upvote").status_code == 404


def test_comments_through_the_api(api, session):
    add_papers(session, [record("2501.00001", "Paper")])
    created = api.post("/api/papers/2501.00001/comment", json={"comment": "Hi <script>x</script> **there**"})
    assert created.status_code == 201
    data = created.json()
    assert "<strong>there</strong>" in data["html"] and "<script>" not in data["html"]
    reply = api.post("/api/papers/2501.00001/comment", json={"comment": "reply", "parentId": data["id"]})
    assert reply.json()["parentId"] == data["id"]
    assert api.post("/api/papers/2501.00001/comment", json={"comment": "x", "parentId": "999"}).status_code == 400
    assert api.post("/api/papers/2501.00001/comment", json={}).status_code == 400
    assert (
        api.post(
            "/api/papers/2501.00001/comment", content=b"not json", headers={"content-type": "application/json"}
        ).status_code
        == 400
    )
    edited = api.patch(f"/api/comments/{data['id']}", json={"comment": "edited"})
    assert edited.json()["body"] == "edited" and edited.json()["editedAt"]
    listed = api.get("/api/papers/2501.00001/comments").json()
    assert [c["body"] for c in listed] == ["edited", "reply"]
    assert api.delete(f"/api/comments/{data['id']}").json() == {"id": data["id"], "deleted": True}
    assert api.get("/api/papers/2501.00001").json()["numComments"] == 1


def test_submit_to_daily_through_the_api(api, session):
    add_papers(
        session, [record("2501.00001", "Fresh", days_old=1), record("2501.00002", "Stale", days_old=40)], feed=False
    )
    created = api.post("/api/daily_papers", json={"arxivId": "https://arxiv.org/pdf/2501.00001v2"})
    assert created.status_code == 201 and created.json()["submittedOnDailyBy"]["user"] == "alice"
    again = api.post("/api/daily_papers", json={"arxivId": "2501.00001"})
    assert again.status_code == 400 and "already on the daily feed" in again.json()["error"]
    stale = api.post("/api/daily_papers", json={"arxivId": "2501.00002"})
    assert stale.status_code == 400 and "last 14 days" in stale.json()["error"]
    assert api.post("/api/daily_papers", json={"arxivId": "nonsense"}).status_code == 400
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(DailyEntry)) == 1


def test_index_fetches_from_arxiv(api, monkeypatch):
    with serving_settings(monkeypatch):
        first = api.post("/api/papers/index", json={"arxivId": "1710.08557"})
        assert first.status_code == 201 and first.json()["doi"] == "10.1186/s12984-017-0305-3"
        assert api.post("/api/papers/index", json={"arxivId": "1710.08557"}).status_code == 200
        missing = api.post("/api/papers/index", json={"arxivId": "2501.99999"})
        assert missing.status_code == 404 and missing.json()["error"] == "arXiv has no paper 2501.99999"


def test_index_when_arxiv_is_down_is_a_502(api, monkeypatch):
    with serving_settings(monkeypatch, DAILYPAPERS_ARXIV_RETRIES=1, DAILYPAPERS_ARXIV_TIMEOUT=2) as (fake, _):
        fake.script.extend([Reply(503, b"down")] * 5)
        response = api.post("/api/papers/index", json={"arxivId": "1710.08557"})
    assert response.status_code == 502 and response.json()["error"]
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Paper)) == 0


def test_admin_hides_through_the_api(settings, session):
    add_papers(session, [record("2501.00001", "Paper")])
    c = client()
    token = token_for(c, "root")
    headers = {"Authorization": f"Bearer {token}"}
    assert client().post("/api/papers/2501.00001/hide", json={"hidden": True}, headers=headers).status_code == 403
    make_admin("root")
    assert client().post("/api/papers/2501.00001/hide", json={"hidden": True}, headers=headers).status_code == 200
    assert client().get("/api/papers/2501.00001").status_code == 404
    assert client().get("/api/daily_papers").json() == []


@pytest.mark.parametrize(
    "body",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x]( javascript:alert(1))",
        "<javascript:alert(1)>",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](vbscript:msgbox)",
        '<a href="javascript:alert(1)">x</a>',
        "<script>alert(1)</script>",
        "<iframe src=//evil>",
        "![img](https://evil/x.png)",
        '<p onclick="x()">p</p>',
    ],
)
def test_comment_html_never_carries_script(body):
    class Audit(HTMLParser):
        tags, attrs = [], []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)
            self.attrs.extend(attrs)

    audit = Audit()
    audit.feed(str(render_markdown(body)))
    assert set(audit.tags) <= {"p", "a", "em", "strong", "code"}, audit.tags
    for name, value in audit.attrs:
        assert name in ("href", "rel", "title"), name
        if name == "href":
            assert value.split(":")[0].lower() in ("http", "https", "mailto"), value


def test_unexpected_errors_are_a_500_without_a_traceback(settings, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(api_module, "feed_rows", broken)
    monkeypatch.setattr(pages_module, "feed_rows", broken)
    c = TestClient(create_app(), raise_server_exceptions=False)
    response = c.get("/api/daily_papers")
    assert response.status_code == 500 and response.json() == {
        "error": "something went wrong on our side; the error has been logged"
    }
    page = c.get("/papers")
    assert page.status_code == 500 and "Traceback" not in page.text and 'id="error-message"' in page.text


def test_oversized_bodies_are_refused_before_parsing(api, session):
    add_papers(session, [record("2501.00001", "Paper")])
    huge = api.post("/api/papers/2501.00001/comment", json={"comment": "x" * 300_000})
    assert huge.status_code == 413 and "larger than 256 KB" in huge.json()["error"]

    def chunks():
        for _ in range(40):
            yield b"a" * 10_000

    streamed = api.post(
        "/api/papers/2501.00001/comment", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Paper).where(Paper.num_comments > 0)) == 0


def test_docs_show_inline_code_as_code_not_backticks(settings):
    from dailypapers.web.templating import templates

    docs = client().get("/docs").text
    assert "<code>huggingface_hub.HfApi(endpoint=...)</code>" in docs
    assert "`" not in re.sub(r"<[^>]+>", "", docs)
    inline_code = templates.env.filters["inline_code"]
    assert inline_code("run `a<b>` now") == "run <code>a&lt;b&gt;</code> now"
    assert inline_code("one ` alone <i>") == "one ` alone &lt;i&gt;"

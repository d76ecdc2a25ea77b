"""Helpers for the web tests: an in-process client, a real uvicorn server on a free port, and sign-up."""

from __future__ import annotations

import re
import socket
import threading
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from dailypapers.sources.records import PaperRecord

_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
PASSWORD = "correct horse battery"


class Clock:
    """A clock the test moves instead of waiting for (the micro-cache's, in `client(clock=...)`)."""

    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def client(base_url: str = "http://testserver", address: str = "testclient", clock=time.monotonic):
    """An in-process client; `address` is the client address the app sees (as uvicorn would report it), `clock`
    the one that ages the micro-cache's entries."""
    from fastapi.testclient import TestClient

    from dailypapers.web.app import create_app

    return TestClient(create_app(clock), base_url=base_url, follow_redirects=False, client=(address, 50000))


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match[1]


def csrf(c, path: str = "/login") -> str:
    return csrf_from(c.get(path).text)


def signup(c, username: str = "alice", password: str = PASSWORD, **extra):
    response = c.post(
        "/signup", data={"username": username, "password": password, "csrf_token": csrf(c, "/signup"), **extra}
    )
    assert response.status_code == 303, response.text
    return response


def token_for(c, username: str = "alice") -> str:
    """Sign up `username` on `c` and make a personal API token."""
    signup(c, username)
    page = c.post("/settings/tokens", data={"name": "t", "csrf_token": csrf(c, "/settings")})
    return re.search(r'id="new-token">(dp_[^<]+)<', page.text)[1]


def record(
    arxiv_id: str,
    title: str = "A paper",
    *,
    days_old: float = 1.0,
    abstract: str = "We study things.",
    authors=("Ada Lovelace", "Alan Turing"),
    **extra,
) -> PaperRecord:
    published = datetime.now(UTC) - timedelta(days=days_old)
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=1,
        title=title,
        abstract=abstract,
        authors=list(authors),
        categories=["cs.CL"],
        primary_category="cs.CL",
        published_at=published,
        updated_at=published,
        **extra,
    )


def add_papers(session, records, *, on: date | None = None, feed: bool = True, submitted_at=None):
    """Store papers (through upsert_papers) and put them on the feed of `on` (today by default)."""
    from sqlalchemy import select

    from dailypapers.store.models import Paper
    from dailypapers.store.papers import add_daily_entry, upsert_papers

    upsert_papers(session.connection(), records)
    papers = []
    for rec in records:
        paper = session.scalar(select(Paper).where(Paper.arxiv_id == rec.arxiv_id))
        if feed:
            entry = add_daily_entry(session, paper, on or datetime.now(UTC).date())
            if submitted_at is not None:
                entry.submitted_at = submitted_at
        papers.append(paper)
    session.commit()
    return papers


def make_admin(username: str) -> None:
    from sqlalchemy import update

    from dailypapers.store.db import session_scope
    from dailypapers.store.models import User

    with session_scope() as session:
        session.execute(update(User).where(User.username == username).values(is_admin=True))


def next_id_is(conn, table: str, row_id: int) -> None:
    """Make the next row added to `table` get `row_id`, as after that row was deleted: SQLite reuses the highest
    id by itself; a PostgreSQL sequence does once it is reset (a restore, a transfer between databases)."""
    from sqlalchemy import text

    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :id, false)"), {"table": table, "id": row_id}
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def live_server(lifespan: str = "off"):
    """The real app under uvicorn on 127.0.0.1 in a thread; yields its base URL. The app's lifespan (which runs
    the MCP endpoint's task group) only with lifespan="on"."""
    import uvicorn

    from dailypapers.web.app import create_app

    port = free_port()
    with uvicorn_in_thread(
        uvicorn.Config(
            create_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan=lifespan
        ),
        start_seconds=20,
    ):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def uvicorn_in_thread(config, start_seconds: float = 60):
    """A uvicorn server of `config` in a thread, started (its own flag, polled with a bound) until the block ends."""
    import uvicorn

    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_seconds
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def served(monkeypatch):
    """The site under uvicorn with the options `dailypapers serve` passes, in a thread; yields its URL."""
    import uvicorn

    from dailypapers.commands import demo as demo_commands

    calls = []
    monkeypatch.setenv("DAILYPAPERS_SERVED_URL", "http://127.0.0.1:8000")  # serve sets it; restored after
    monkeypatch.setattr(demo_commands.uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    port = free_port()
    demo_commands.serve_command(host="127.0.0.1", port=port, workers=1)
    ((args, kwargs),) = calls
    with uvicorn_in_thread(uvicorn.Config(*args, **kwargs)):
        yield f"http://127.0.0.1:{port}"


def touch_a_paper(engine) -> None:
    """A paper change the keyword index has not seen: what another process's write leaves behind."""
    from sqlalchemy import text

    from dailypapers.store.papers import next_change_seq

    with engine.begin() as conn:
        seq = next_change_seq(conn)
        conn.execute(text("UPDATE papers SET change_seq = :seq WHERE id = (SELECT min(id) FROM papers)"), {"seq": seq})

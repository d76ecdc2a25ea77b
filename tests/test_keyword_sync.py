"""The tantivy keyword index stays in step with the store: writes reach it at once, and a process killed
between the database commit and the index commit is repaired by the next sync (serve start, `index`)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy.orm import Session

from dailypapers.index.engines import forget_indexes, keyword_index
from dailypapers.index.seams import Filters, KeywordQuery
from dailypapers.ingest.batches import write_batch
from dailypapers.sources.records import PaperRecord
from dailypapers.store.papers import get_paper, set_hidden

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
        keyword_tantivy.TantivyIndex._set_watermark = lambda self, seq: os._exit(9)
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


def test_index_rebuild_rebuilds_from_the_database(cli, engine):
    write_batch(engine, [record(), record("2601.00043", "Wombat diets")])
    done = cli("index", "--rebuild", "--model", "minilm")
    assert done.returncode == 0, done.stderr
    assert "keyword index: 2 papers" in done.stdout + done.stderr
    forget_indexes()
    assert len(found(engine)) == 2

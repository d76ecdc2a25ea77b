"""Indexes: the FTS5 keyword index kept by its sync, incremental resumable embedding, vector files."""

from __future__ import annotations

import dataclasses
import signal

import numpy as np
import pytest
from sqlalchemy import text

from dailypapers.faults import FAULT_ENV, VECTORS_SAVED
from dailypapers.index import vectors as vectors_mod
from dailypapers.index.embedders import get_embedder
from dailypapers.index.keyword_fts5 import Fts5Index
from dailypapers.index.stored_vectors import embed_pending
from dailypapers.index.vectors import build_vector_index, load_vector_index, read_manifest
from dailypapers.ingest.demo import demo_records
from dailypapers.store.embeddings import count_pending
from dailypapers.store.papers import upsert_papers


def fts_ids(conn, match: str) -> list[str]:
    return (
        conn.execute(
            text(
                "SELECT p.arxiv_id FROM papers_fts JOIN papers p ON p.id = papers_fts.rowid WHERE papers_fts MATCH :m"
            ),
            {"m": match},
        )
        .scalars()
        .all()
    )


@pytest.mark.sqlite_only("FTS5 internals")
def test_fts5_index_follows_every_committed_upsert_through_its_sync(engine):
    record = demo_records()[0]
    index = Fts5Index(engine)
    with engine.connect() as conn:
        tx = conn.begin()
        upsert_papers(conn, [record])
        tx.rollback()
    assert index.sync() == 0  # a rolled-back write never reaches it
    with engine.begin() as conn:
        upsert_papers(conn, [record])
    with engine.connect() as conn:
        assert fts_ids(conn, '"broadway"') == []  # writes do not pay for FTS5
    assert index.sync() == 1
    changed = dataclasses.replace(record, version=record.version + 1, title="Zyzzyva: a renamed paper")
    with engine.begin() as conn:
        upsert_papers(conn, [changed])
    assert index.sync() == 1
    with engine.connect() as conn:
        assert fts_ids(conn, '"zyzzyva"') == [record.arxiv_id]
        assert fts_ids(conn, 'title : "broadway"') == []  # the old title is no longer indexed
        conn.execute(text("INSERT INTO papers_fts(papers_fts, rank) VALUES ('integrity-check', 1)"))


def test_embedding_is_incremental_and_follows_changes(engine, settings):
    records = demo_records()[:6]
    with engine.begin() as conn:
        upsert_papers(conn, records)
    minilm = get_embedder("minilm")
    assert count_pending(engine, minilm.name) == 6
    assert embed_pending(engine, minilm, batch_size=4).embedded == 6
    assert embed_pending(engine, minilm).embedded == 0  # nothing new
    with engine.connect() as conn:
        before = conn.execute(text("SELECT paper_id, vector FROM embeddings")).all()
    changed = dataclasses.replace(
        records[2], version=records[2].version + 1, abstract="A completely different abstract about protein folding."
    )
    with engine.begin() as conn:
        upsert_papers(conn, [changed])
    assert count_pending(engine, minilm.name) == 1
    assert embed_pending(engine, minilm).embedded == 1
    with engine.connect() as conn:
        after = dict(conn.execute(text("SELECT paper_id, vector FROM embeddings")).all())
        rows = conn.execute(text("SELECT model, count(*) FROM embeddings GROUP BY model")).all()
    assert rows == [("all-MiniLM-L6-v2", 6)]
    with engine.connect() as conn:
        changed_id = conn.execute(text("SELECT id FROM papers WHERE arxiv_id = :a"), {"a": changed.arxiv_id}).scalar()
    for paper_id, vector in before:
        assert (after[paper_id] != vector) == (paper_id == changed_id)  # only the changed paper got a new vector


def test_vectors_are_kept_per_model_so_changing_the_model_reembeds(engine, settings, monkeypatch):
    with engine.begin() as conn:
        upsert_papers(conn, demo_records()[:3])
    minilm = get_embedder("minilm")
    embed_pending(engine, minilm)

    class Renamed:  # the same network under another model id: a different vector space as far as we know
        name, dim = "another-model", minilm.dim

        def embed(self, texts):
            return minilm.embed(texts)

    assert count_pending(engine, "another-model") == 3
    assert embed_pending(engine, Renamed()).embedded == 3
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM embeddings")).scalar() == 6


@pytest.mark.slow
def test_index_command_resumes_after_a_kill(cli, cli_process, settings, engine):
    """A real `dailypapers index` SIGKILLed after its second batch keeps both batches; the rerun embeds only the
    rest."""
    assert cli("demo", "--no-serve", "--no-index").returncode == 0
    killed = cli_process("index", "--batch-size", "2", env={FAULT_ENV: f"{VECTORS_SAVED}:2"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM embeddings")).scalar() == 4
    rerun = cli("index")
    assert rerun.returncode == 0, rerun.stderr
    assert "minilm: 60 papers embedded" in " ".join(rerun.stderr.split())
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM embeddings")).scalar() == 64
    again = cli("index")
    assert "minilm: 0 papers embedded" in again.stderr and "up to date" in again.stderr


def test_vector_index_files_are_rebuilt_only_when_vectors_change(engine, settings):
    with engine.begin() as conn:
        upsert_papers(conn, demo_records()[:8])
    minilm = get_embedder("minilm")
    embed_pending(engine, minilm)
    built = build_vector_index(engine, settings.data_dir, minilm.name, minilm.dim)
    assert (built.count, built.ann, built.rebuilt) == (8, False, True)
    first = read_manifest(settings.data_dir, minilm.name)["generation"]
    assert not build_vector_index(engine, settings.data_dir, minilm.name, minilm.dim).rebuilt
    index = load_vector_index(engine, settings.data_dir, minilm.name)
    assert len(index) == 8
    with engine.begin() as conn:
        upsert_papers(conn, demo_records()[8:10])
    embed_pending(engine, minilm)
    assert build_vector_index(engine, settings.data_dir, minilm.name, minilm.dim).count == 10
    assert read_manifest(settings.data_dir, minilm.name)["generation"] != first
    reloaded = load_vector_index(engine, settings.data_dir, minilm.name)
    assert reloaded is not index and len(reloaded) == 10  # readers pick up the new generation


@pytest.mark.slow
def test_hnsw_and_exact_scan_agree_and_filters_fall_back_to_an_exact_subset(engine, settings):
    with engine.begin() as conn:
        upsert_papers(conn, demo_records())
    minilm = get_embedder("minilm")
    embed_pending(engine, minilm)
    build_vector_index(engine, settings.data_dir, minilm.name, minilm.dim, ann_min=0)
    index = load_vector_index(engine, settings.data_dir, minilm.name)
    assert index.graph is not None
    graph = index.graph
    query = minilm.embed(["reinforcement learning from verifiable rewards for coding agents"])[0]
    ann = index.search(query, 10)
    index.graph = None
    exact = index.search(query, 10)
    index.graph = graph
    assert [p for p, _ in ann] == [p for p, _ in exact]
    assert all(a >= b for (_, a), (_, b) in zip(exact, exact[1:], strict=False))  # best first
    wanted = np.array(sorted(index.ids[:3]))
    filtered = index.search(query, 10, keep=lambda ids: ids[np.isin(ids, wanted)], allowed=lambda: wanted)
    assert sorted(p for p, _ in filtered) == sorted(wanted.tolist())


def test_a_file_index_says_when_it_is_approximate_and_reads_rows_in_the_order_asked(engine, settings):
    with engine.begin() as conn:
        upsert_papers(conn, demo_records())
    minilm = get_embedder("minilm")
    embed_pending(engine, minilm)
    build_vector_index(engine, settings.data_dir, minilm.name, minilm.dim, ann_min=0)
    index = load_vector_index(engine, settings.data_dir, minilm.name)
    assert index.approximate
    matrix = np.asarray(index.matrix, dtype=np.float32)
    positions = np.array([5, 0, 2])
    assert np.array_equal(index.rows(positions), matrix[positions]) and index.rows(positions).dtype == np.float32
    query = matrix[1]
    for few_or_most in (positions, np.arange(len(index))[::-1]):  # copied rows, or the whole matrix in place
        assert np.allclose(index.score_rows(lambda rows: rows @ query, few_or_most), matrix[few_or_most] @ query)
    exact = vectors_mod.FileVectorIndex(index.model, index.ids, index.matrix)
    assert not exact.approximate


def test_a_generation_whose_graph_file_is_gone_is_no_index_until_rebuilt(engine, settings):
    with engine.begin() as conn:
        upsert_papers(conn, demo_records())
    minilm = get_embedder("minilm")
    embed_pending(engine, minilm)
    build_vector_index(engine, settings.data_dir, minilm.name, minilm.dim, ann_min=0)
    generation = read_manifest(settings.data_dir, minilm.name)["generation"]
    (vectors_mod.model_dir(settings.data_dir, minilm.name) / generation / "graph.usearch").unlink()
    vectors_mod.clear_cache()
    assert load_vector_index(engine, settings.data_dir, minilm.name) is None
    assert build_vector_index(engine, settings.data_dir, minilm.name, minilm.dim, ann_min=0, force=True).rebuilt
    assert load_vector_index(engine, settings.data_dir, minilm.name).approximate


def test_empty_collection_searches_to_nothing():
    index = vectors_mod.FileVectorIndex("m", np.zeros(0, dtype=np.int64), np.zeros((0, 4), dtype=np.float32))
    assert index.search(np.ones(4, dtype=np.float32), 5) == []

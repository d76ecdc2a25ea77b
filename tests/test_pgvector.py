"""Vectors inside PostgreSQL (pgvector): stored with their blob, searched by a per-model HNSW index with the
filters in SQL, fresh across machines; and a second machine with an empty data dir that searches the same."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from dailypapers.config import reset_settings
from dailypapers.index import vectors_pgvector
from dailypapers.index.embedders import get_embedder
from dailypapers.index.engines import forget_indexes, keyword_index, refresh_vector_index, vector_index
from dailypapers.index.protocols import Filters
from dailypapers.index.stored_vectors import embed_pending
from dailypapers.index.vectors_pgvector import (
    PgVectorIndex,
    hnsw_index_name,
    load_pgvector_index,
    nearest_sql,
    refresh_pgvector,
)
from dailypapers.ingest.demo import load_demo
from dailypapers.search import SearchQuery, related, search_detailed
from dailypapers.store.db import dispose_engines, get_engine
from dailypapers.store.embeddings import save_vectors
from dailypapers.store.models import Embedding, Paper

pytestmark = pytest.mark.postgresql_only
MODEL, DIM = "test-vectors", 8


def unit(matrix: np.ndarray) -> np.ndarray:
    return (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def stored(session, engine):
    """The demo papers, each with a random unit vector of MODEL, and the model's HNSW index."""
    load_demo(session)
    session.commit()
    ids = np.array(sorted(session.scalars(select(Paper.id))), dtype=np.int64)
    vectors = unit(np.random.default_rng(7).normal(size=(len(ids), DIM)))
    save_vectors(engine, MODEL, [(int(pid), "hash") for pid in ids], vectors)
    assert refresh_pgvector(engine, MODEL, DIM).rebuilt
    return ids, vectors


def exact(ids: np.ndarray, vectors: np.ndarray, query: np.ndarray, among: np.ndarray, k: int) -> list[int]:
    keep = np.isin(ids, among)
    scores = vectors[keep] @ query
    return [int(i) for i in ids[keep][np.argsort(-scores, kind="stable")[:k]]]


def test_vectors_are_written_with_their_blob_and_the_index_is_made_once(engine, stored):
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT vector, embedding::real[] FROM embeddings WHERE model = :m"), {"m": MODEL}
        ).all()
    assert len(rows) == 64
    assert all(
        np.array_equal(np.frombuffer(blob, dtype="<f4"), np.array(floats, dtype=np.float32)) for blob, floats in rows
    )
    again = refresh_pgvector(engine, MODEL, DIM)
    assert again.count == 64 and not again.rebuilt  # IF NOT EXISTS: the second run finds it


def test_queries_use_the_models_hnsw_index(engine, stored):
    where = " AND NOT p.hidden"
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL enable_seqscan = off"))  # 64 rows: the planner would rather scan
        plan = "\n".join(
            conn.execute(
                text("EXPLAIN " + nearest_sql(MODEL, DIM, where)), {"q": "[" + ",".join(["0.1"] * DIM) + "]", "k": 5}
            ).scalars()
        )
        exact_plan = "\n".join(
            conn.execute(
                text("EXPLAIN " + nearest_sql(MODEL, DIM, where, exact=True)),
                {"q": "[" + ",".join(["0.1"] * DIM) + "]", "k": 5},
            ).scalars()
        )
    assert hnsw_index_name(MODEL, DIM) in plan
    assert hnsw_index_name(MODEL, DIM) not in exact_plan


def test_filtered_search_is_the_exact_answer_on_the_papers_that_pass(engine, stored):
    ids, vectors = stored
    index = load_pgvector_index(engine, MODEL)
    keywords = keyword_index(engine)
    for filters in (
        Filters(),
        Filters(category="cs.CL"),
        Filters(authors=("Vaswani",)),
        Filters(exclude_ids=(int(ids[0]),)),
    ):
        among = keywords.matching(filters)
        for query in vectors[:3]:
            found = index.search(query, 5, filters=filters)
            assert [pid for pid, _ in found] == exact(ids, vectors, query, among, 5)
            scores = [s for _, s in found]
            assert scores == sorted(scores, reverse=True)
            assert np.allclose(scores, [vectors[np.searchsorted(ids, pid)] @ query for pid, _ in found], atol=1e-5)
    kept = ids[::2]  # the callbacks the feed uses, without filters
    found = index.search(vectors[1], 5, keep=lambda c: c[np.isin(c, kept)])
    assert [pid for pid, _ in found] == exact(ids, vectors, vectors[1], kept, 5)


def test_vectors_and_rows_come_from_the_database(engine, stored):
    ids, vectors = stored
    index = vector_index(engine, MODEL)
    assert isinstance(index, PgVectorIndex) and len(index) == 64 and index.contains(int(ids[3]))
    assert np.array_equal(index.vector(int(ids[3])), vectors[3])
    assert index.approximate  # the model's HNSW index answers every search
    assert np.array_equal(index.rows(np.array([5, 2])), vectors[[5, 2]])
    assert np.allclose(index.score_rows(lambda rows: rows @ vectors[0], np.array([2, 5])), vectors[[2, 5]] @ vectors[0])
    assert index.vector(10**9) is None and not index.contains(10**9)


def test_a_paper_embedded_elsewhere_is_searched_at_once_and_counted_within_the_ttl(engine, stored, monkeypatch):
    ids, vectors = stored
    newest = int(ids[-1])
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM embeddings WHERE paper_id = :id"), {"id": newest})
    before = load_pgvector_index(engine, MODEL)
    assert not before.contains(newest)
    save_vectors(engine, MODEL, [(newest, "hash")], vectors[-1:])  # another machine embeds it
    assert before.search(vectors[-1], 1, filters=Filters())[0][0] == newest  # search reads the table
    assert load_pgvector_index(engine, MODEL) is before  # the ids snapshot lives IDS_TTL seconds
    monkeypatch.setattr(vectors_pgvector, "IDS_TTL", 0.0)
    after = load_pgvector_index(engine, MODEL)
    assert after is not before and after.contains(newest) and len(after) == 64


def test_rows_from_before_the_column_are_filled_by_the_index_run(engine, stored):
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE embeddings SET embedding = NULL WHERE paper_id IN "
                "(SELECT paper_id FROM embeddings ORDER BY paper_id LIMIT 3)"
            )
        )
    refresh_pgvector(engine, MODEL, DIM)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM embeddings WHERE embedding IS NULL")).scalar() == 0


def test_the_ef_search_setting_is_in_force_while_pgvector_answers_and_only_then(settings, engine, stored):
    ids, vectors = stored
    settings.pgvector_ef_search = 123
    in_force = []

    def note(conn, cursor, statement, *args) -> None:  # asked on the query's own connection, in its transaction
        if "FROM embeddings e" in statement:
            in_force.append(cursor.connection.execute("SHOW hnsw.ef_search").fetchone()[0])

    event.listen(engine, "after_cursor_execute", note)
    try:
        found = load_pgvector_index(engine, MODEL).search(vectors[0], 5)
    finally:
        event.remove(engine, "after_cursor_execute", note)
    assert in_force == ["123"] and found[0][0] == int(ids[0])
    with engine.connect() as conn:  # SET LOCAL: the pooled connection is back to pgvector's default
        assert conn.execute(text("SHOW hnsw.ef_search")).scalar() == "40"


def test_the_hnsw_build_settings_are_the_indexs_options(settings, engine, session):
    settings.pgvector_hnsw_m, settings.pgvector_hnsw_ef_construction = 8, 40
    load_demo(session)
    session.commit()
    ids = sorted(session.scalars(select(Paper.id)))
    save_vectors(engine, MODEL, [(pid, "hash") for pid in ids], unit(np.ones((len(ids), DIM))))
    refresh_pgvector(engine, MODEL, DIM)
    with engine.connect() as conn:
        options = conn.execute(
            text("SELECT reloptions FROM pg_class WHERE relname = :n"), {"n": hnsw_index_name(MODEL, DIM)}
        ).scalar()
    assert sorted(options) == ["ef_construction=40", "m=8"]


QUERIES = [
    SearchQuery("graph neural networks for molecules"),
    SearchQuery("attention", category="cs.CL"),
    SearchQuery("language model reasoning", mode="semantic", limit=10),
]


def answers(session: Session) -> dict:
    """What a machine serves: hybrid, filtered and semantic searches, and related papers."""
    served = {}
    for query in QUERIES:
        result = search_detailed(session, query)
        served[(query.text, query.mode)] = (result.mode, [(h.paper_id, round(h.score, 6)) for h in result.hits])
    first = session.scalars(select(Paper.id).order_by(Paper.id).limit(3)).all()
    served["related"] = [[h.paper_id for h in related(session, pid)] for pid in first]
    return served


def embeddings_state(engine) -> tuple:
    with engine.connect() as conn:
        return conn.execute(select(func.count(), func.max(Embedding.created_at))).one()


def become_machine(monkeypatch, data_dir) -> None:
    """Another host: its own (empty) data dir, the same DAILYPAPERS_DATABASE_URL, a fresh process state."""
    data_dir.mkdir()
    monkeypatch.setenv("DAILYPAPERS_DATA_DIR", str(data_dir))
    reset_settings()
    dispose_engines()
    forget_indexes()


def test_a_second_machine_with_an_empty_data_dir_serves_the_same_search(settings, session, tmp_path, monkeypatch):
    load_demo(session)
    session.commit()
    minilm = get_embedder("minilm")  # machine A embeds, into the database (`dailypapers index` less keyphrases)
    assert embed_pending(get_engine(), minilm).embedded == 64
    assert refresh_vector_index(get_engine(), minilm.name, minilm.dim).ann_kind == "pgvector HNSW"
    on_a = answers(session)
    assert all(mode != "keyword" for mode, _ in list(on_a.values())[:-1])  # semantic retrieval took part
    embedded = embeddings_state(get_engine())
    session.close()

    become_machine(monkeypatch, tmp_path / "b")
    with Session(get_engine()) as on_b:
        assert answers(on_b) == on_a
    assert embeddings_state(get_engine()) == embedded  # B embedded no paper (only the queries)
    assert not (tmp_path / "b" / "vectors").exists()


def test_a_second_machine_builds_its_tantivy_replica_from_the_database(settings, session, tmp_path, monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_KEYWORD_ENGINE", "tantivy")
    reset_settings()
    load_demo(session)
    session.commit()
    query = SearchQuery("transformer attention", mode="keyword")
    on_a = [h.paper_id for h in search_detailed(session, query).hits]
    assert on_a
    session.close()

    become_machine(monkeypatch, tmp_path / "b")
    with Session(get_engine()) as on_b:
        assert [h.paper_id for h in search_detailed(on_b, query).hits] == on_a
    assert (tmp_path / "b" / "keyword" / "watermark.json").exists()  # B's own replica, derived at first read

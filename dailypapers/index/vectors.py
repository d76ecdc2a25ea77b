"""The vector index: every stored vector of one model in a float32 matrix file beside the database, plus an
HNSW graph (usearch) once the collection is large enough for an exact scan to be slow.

Files live in `<data dir>/vectors/<model>/<generation>/`; `current.json` names the live generation and is
replaced atomically, so a reader sees either the old index or the new one, never half of one. Readers reload
when `current.json` changes. Approximate candidates are re-scored exactly from the float32 matrix.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dailypapers.index.protocols import Allowed, Filters, Keep, VectorHits
from dailypapers.store import embeddings
from dailypapers.store.db import Engine

# Below this many vectors an exact scan is faster than the graph (see benchmarks/RESULTS.md, search_scale).
ANN_MIN_VECTORS = 50_000
# HNSW settings chosen by benchmarks/search_scale.py: recall@10 >= 0.95 against exact search on real vectors.
HNSW_CONNECTIVITY = 16
HNSW_EXPANSION_ADD = 128
HNSW_EXPANSION_SEARCH = 400  # recall@10 0.97 at 200, 0.99 at 400 on 1M synthetic vectors; under 1 ms
HNSW_DTYPE = "i8"
RESCORE_FACTOR = 4  # approximate candidates fetched per wanted result, then re-scored exactly
DETERMINISTIC_BUILD_MAX = 5_000  # vectors up to which the graph is built on one thread (about a second)
# A collection without index files, but with vectors in the database, is read straight from it up to this size.
DB_FALLBACK_MAX = 50_000
_STREAM_CHUNK = 5_000


@dataclass
class BuiltIndex:
    count: int
    ann: bool
    rebuilt: bool
    ann_kind: str = "usearch HNSW"  # what answers approximate searches


VECTORS_FOLDER = "vectors"  # in the data dir


def model_dir(data_dir: Path, model: str) -> Path:
    return Path(data_dir) / VECTORS_FOLDER / re.sub(r"[^A-Za-z0-9._-]+", "_", model)


def read_manifest(data_dir: Path, model: str) -> dict | None:
    try:
        return json.loads((model_dir(data_dir, model) / "current.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def build_vector_index(
    engine: Engine, data_dir: Path, model: str, dim: int, force: bool = False, ann_min: int = ANN_MIN_VECTORS
) -> BuiltIndex:
    """Write the matrix (and the graph when large) from the embeddings table, unless it is already current."""
    folder = model_dir(data_dir, model)
    current = read_manifest(data_dir, model)
    with engine.connect() as conn:
        fingerprint = embeddings.fingerprint(conn, model)
        if current and not force and current.get("fingerprint") == fingerprint and current.get("dim") == dim:
            return BuiltIndex(current["count"], current["ann"], rebuilt=False)
        generation = f"g{time.time_ns()}"
        staging = folder / generation
        staging.mkdir(parents=True, exist_ok=True)
        count = _write_matrix(conn, model, dim, staging, fingerprint["count"])
    ann = count >= ann_min
    if ann:
        _write_graph(staging, dim)
    manifest = {
        "model": model,
        "dim": dim,
        "count": count,
        "ann": ann,
        "generation": generation,
        "fingerprint": fingerprint,
        "built_at": time.time(),
    }
    tmp = folder / f".current-{os.getpid()}.json"
    tmp.write_text(json.dumps(manifest))
    os.replace(tmp, folder / "current.json")
    _remove_old_generations(folder, keep={generation, (current or {}).get("generation")})
    return BuiltIndex(count, ann, rebuilt=True)


def _write_matrix(conn, model: str, dim: int, folder: Path, expected: int) -> int:
    """Stream vectors in paper-id order into a memory-mapped file: memory stays flat at any size."""
    matrix = np.lib.format.open_memmap(folder / "vectors.npy", mode="w+", dtype=np.float32, shape=(expected, dim))
    ids = np.zeros(expected, dtype=np.int64)
    n, after = 0, 0
    while n < expected:
        page_ids, blobs = embeddings.vector_page(conn, model, after, min(_STREAM_CHUNK, expected - n))
        if not blobs:
            break
        matrix[n : n + len(blobs)] = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), dim)
        ids[n : n + len(blobs)] = page_ids
        n += len(blobs)
        after = int(page_ids[-1])
    matrix.flush()
    del matrix
    if n < expected:  # rows vanished while we read (papers deleted): keep what we have
        matrix = np.load(folder / "vectors.npy", mmap_mode="r")[:n].copy()
        np.save(folder / "vectors.npy", matrix)
    np.save(folder / "ids.npy", ids[:n])
    return n


def _write_graph(folder: Path, dim: int) -> None:
    matrix = np.load(folder / "vectors.npy", mmap_mode="r")
    make_graph(np.load(folder / "ids.npy"), matrix).save(str(folder / "graph.usearch"))


def make_graph(ids: np.ndarray, matrix: np.ndarray):
    """An HNSW graph (usearch) over these vectors, keyed by paper id."""
    from usearch.index import Index  # deferred: only large collections build a graph

    graph = Index(
        ndim=matrix.shape[1],
        metric="ip",
        dtype=HNSW_DTYPE,
        connectivity=HNSW_CONNECTIVITY,
        expansion_add=HNSW_EXPANSION_ADD,
        expansion_search=HNSW_EXPANSION_SEARCH,
    )
    # Threads add nodes in whatever order they run, so the graph (and which neighbour a search can miss) changes
    # from one build to the next; a small collection builds in moments on one thread, the same graph every time.
    threads = 1 if len(ids) <= DETERMINISTIC_BUILD_MAX else 0
    step = 50_000
    for start in range(0, len(ids), step):
        graph.add(
            ids[start : start + step].astype(np.uint64),
            np.ascontiguousarray(matrix[start : start + step]),
            threads=threads,
        )
    return graph


def _remove_old_generations(folder: Path, keep: set) -> None:
    for child in folder.iterdir():
        if child.is_dir() and child.name.startswith("g") and child.name not in keep:
            shutil.rmtree(child, ignore_errors=True)


class FileVectorIndex:
    """Nearest papers by cosine similarity (vectors are unit length, so a dot product); a `VectorIndex`."""

    def __init__(self, model: str, ids: np.ndarray, matrix: np.ndarray, graph=None):
        self.model = model
        self.ids = ids  # sorted paper ids
        self.matrix = matrix  # row i is the vector of ids[i]
        self.graph = graph  # what answers approximate searches; None: every search is an exact scan

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def approximate(self) -> bool:
        return self.graph is not None

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])

    def contains(self, paper_id: int) -> bool:
        pos = int(np.searchsorted(self.ids, paper_id))
        return pos < len(self.ids) and int(self.ids[pos]) == paper_id

    def vector(self, paper_id: int) -> np.ndarray | None:
        pos = int(np.searchsorted(self.ids, paper_id))
        if pos < len(self.ids) and self.ids[pos] == paper_id:
            return np.asarray(self.matrix[pos], dtype=np.float32)
        return None

    def rows(self, positions: np.ndarray) -> np.ndarray:
        return np.asarray(self.matrix[positions], dtype=np.float32)

    def score_rows(self, score: Callable[[np.ndarray], np.ndarray], positions: np.ndarray) -> np.ndarray:
        if len(positions) * 4 > len(self.ids):  # most of the matrix: score it all in place rather than copy rows
            return score(np.asarray(self.matrix, dtype=np.float32))[positions]
        return score(self.rows(positions))

    def search(
        self, query: np.ndarray, k: int, keep: Keep = None, allowed: Allowed = None, filters: Filters | None = None
    ) -> VectorHits:
        """The k best (paper id, similarity).

        `keep(ids) -> ids` drops candidates that fail the filters; `allowed() -> ids` lists every paper that
        passes them, used for an exact scan of that subset when the graph's candidates run out. `filters`
        is for indexes inside the database: files know nothing of papers, `keep` and `allowed` carry them.
        """
        if len(self.ids) == 0 or k <= 0:
            return []
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        # Without active filters `keep` only drops hidden papers (few): a small margin does, and at 1M every
        # extra graph candidate costs (a first draw of 10k took most of a semantic search's time).
        selective = filters is None or filters.active
        wanted = k if keep is None else max(10 * k, 200) if selective else k + k // 4 + 10
        while True:
            candidates = self._exact(query, wanted) if self.graph is None else self._approximate(query, wanted)
            if keep is None:
                return candidates[:k]
            passed = set(keep(np.array([c for c, _ in candidates], dtype=np.int64)).tolist())
            kept = [(c, s) for c, s in candidates if c in passed]
            if len(kept) >= k:
                return kept[:k]
            if selective or wanted >= len(self.ids):
                break
            selective, wanted = True, max(10 * k, 200)  # more hidden papers than the margin: draw as if filtered
        if allowed is not None:
            return self._exact(query, k, allowed())  # selective filters: scan just the papers that pass
        return kept[:k]

    def _positions(self, paper_ids: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(self.ids, paper_ids)
        pos = np.clip(pos, 0, max(len(self.ids) - 1, 0))
        return pos[self.ids[pos] == paper_ids]

    def _exact(self, query: np.ndarray, k: int, subset: np.ndarray | None = None) -> list[tuple[int, float]]:
        if subset is None:
            scores = self.matrix @ query
            ids = self.ids
        else:
            pos = self._positions(np.asarray(subset, dtype=np.int64))
            if len(pos) == 0:
                return []
            scores = self.matrix[pos] @ query
            ids = self.ids[pos]
        return _top(ids, scores, k)

    def _approximate(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        found = self.graph.search(query, min(k * RESCORE_FACTOR, len(self.ids)))
        keys = np.asarray(found.keys, dtype=np.int64)
        pos = self._positions(keys)
        if len(pos) == 0:
            return []
        scores = np.asarray(self.matrix[np.sort(pos)], dtype=np.float32) @ query
        return _top(self.ids[np.sort(pos)], scores, k)


def _top(ids: np.ndarray, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    k = min(k, len(ids))
    if k == 0:
        return []
    best = np.argpartition(-scores, k - 1)[:k] if k < len(ids) else np.arange(len(ids))
    best = best[np.argsort(-scores[best], kind="stable")]
    return [(int(ids[i]), float(scores[i])) for i in best]


_cache: dict[str, tuple] = {}
_cache_lock = threading.Lock()


def load_vector_index(engine: Engine, data_dir: Path, model: str) -> FileVectorIndex | None:
    """The current index of a model, loaded once per process and reloaded when `dailypapers index` rebuilds it.

    Without index files, a small collection is read straight from the embeddings table; None when there is
    nothing to search (no vectors yet, or a large collection that `dailypapers index` has not finished).
    """
    folder = model_dir(data_dir, model)
    key = f"{engine.url}|{folder}"
    try:
        stamp = (folder / "current.json").stat().st_mtime_ns
    except FileNotFoundError:
        stamp = None
    with _cache_lock:
        cached = _cache.get(key)
        if cached and cached[0] == stamp and (stamp is not None or time.monotonic() - cached[2] < 5):
            return cached[1]
        index = _open_files(data_dir, model) if stamp is not None else _from_database(engine, model)
        _cache[key] = (stamp, index, time.monotonic())
        return index


def _open_files(data_dir: Path, model: str) -> FileVectorIndex | None:
    manifest = read_manifest(data_dir, model)
    if manifest is None:
        return None
    folder = model_dir(data_dir, model) / manifest["generation"]
    try:
        ids = np.load(folder / "ids.npy")
        matrix = np.load(folder / "vectors.npy", mmap_mode="r")
        graph = None
        if manifest["ann"]:
            from usearch.index import Index  # deferred: only large collections have a graph

            # in memory (view=False): no page faults
            graph = Index.restore(str(folder / "graph.usearch"), view=False, expansion_search=HNSW_EXPANSION_SEARCH)
            if graph is None:
                raise FileNotFoundError(folder / "graph.usearch")
    except FileNotFoundError:
        return None
    return FileVectorIndex(model, ids, matrix, graph)


def _from_database(engine: Engine, model: str) -> FileVectorIndex | None:
    found = embeddings.all_vectors(engine, model, DB_FALLBACK_MAX)
    return None if found is None else FileVectorIndex(model, *found)


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()

"""A map of papers: their stored embeddings projected to 2D, cut into clusters, each named by its keyphrases.

The projection is openTSNE's t-SNE (chosen over UMAP and PaCMAP by time, memory, quality and install size:
benchmarks/map.py). t-SNE runs on at most `FIT_POINTS` papers, after PCA to `PCA_DIMS`; every other paper is
placed at the weighted mean of its nearest fitted neighbours, which keeps 20,000 papers within seconds on 2
cores. Sets over `MAX_POINTS` are sampled, and the map says so. Clusters are KMeans on the layout of a small
map, in the reduced embedding space of a large one (closer to the papers' categories); a cluster's label is its
most telling keyphrases by class-based TF-IDF over the papers' stored keyphrases. Maps are cached by content:
the model and the papers' ids and content hashes.
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from threading import Lock

import numpy as np

from dailypapers.config import get_settings
from dailypapers.index.embedders import model_label
from dailypapers.store.db import Session
from dailypapers.store.embeddings import vectors_of
from dailypapers.store.paper_maps import map_rows_of, map_rows_published, reader_marks

MAX_POINTS = 20_000  # larger sets are sampled down to this many papers
FIT_POINTS = 2_000  # t-SNE fits at most this many; the rest are placed among their fitted neighbours
PCA_DIMS = 50
PLACE_NEIGHBOURS = 5
MAX_CLUSTERS = 12
LABEL_PHRASES = 3
TOP_PAPERS = 5
CACHE_SIZE = 16


@dataclass(frozen=True)
class MapPaper:
    """A paper as the map needs it."""

    paper_id: int
    arxiv_id: str
    title: str
    keywords: tuple[str, ...]
    content_hash: str = ""


@dataclass(frozen=True)
class Cluster:
    number: int
    label: str  # its most telling keyphrases, joined
    keyphrases: list[str]
    count: int
    top: list[int]  # indexes into PaperMap.papers of the papers nearest its centre, nearest first


@dataclass
class PaperMap:
    papers: list[MapPaper]  # the papers drawn, in the order of `xy` and `cluster`
    xy: np.ndarray  # (n, 2), scaled to [0, 1]
    cluster: np.ndarray  # (n,) the cluster number of each paper
    clusters: list[Cluster]
    total: int  # papers asked for, with a vector or not
    without_vector: int = 0  # papers asked for that have no stored vector yet
    marks: dict[int, str] = field(default_factory=dict)  # paper id -> "library" | "dismissed", per reader

    @property
    def sampled(self) -> bool:
        return self.total > len(self.papers) + self.without_vector

    def drawing(self) -> tuple[list[tuple[float, float]], list[int], list[tuple[float, float, str]]]:
        """What charts.map_chart draws: the points, their clusters, and each cluster's label at its middle."""
        labels = []
        for c in self.clusters:
            x, y = self.xy[self.cluster == c.number].mean(axis=0)
            labels.append((float(x), float(y), c.label))
        return [(float(x), float(y)) for x, y in self.xy], [int(c) for c in self.cluster], labels


def content_key(model: str, papers: list[MapPaper]) -> str:
    """What a map is computed from: the model, and each paper's id and text version."""
    digest = hashlib.sha256(model.encode())
    for paper in sorted(papers, key=lambda p: p.paper_id):
        digest.update(f"\n{paper.paper_id}:{paper.content_hash}".encode())
    return digest.hexdigest()


_cache: OrderedDict[str, PaperMap] = OrderedDict()
_cache_lock = Lock()


def build_map(
    model: str, papers: list[MapPaper], vectors: np.ndarray, before_computing: Callable[[], None] | None = None
) -> PaperMap:
    """The map of these papers (row i of `vectors` is papers[i]'s), from the cache when the same content was
    mapped before; a copy, so that one reader's marks stay theirs. `before_computing` runs only when the map
    must be computed (the web's rate limit: a cached map costs nothing, however often a digest's image is read)."""
    key = content_key(model, papers)
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
    if found is None:
        if before_computing is not None:
            before_computing()
        found = compute_map(papers, vectors, seed=int(key[:8], 16))
        with _cache_lock:
            _cache[key] = found
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return replace(found, marks={})


def compute_map(papers: list[MapPaper], vectors: np.ndarray, seed: int = 0) -> PaperMap:
    total = len(papers)
    if not total:
        return PaperMap([], np.zeros((0, 2)), np.zeros(0, dtype=np.int64), [], 0)
    rng = np.random.default_rng(seed)
    if total > MAX_POINTS:
        keep = np.sort(rng.choice(total, MAX_POINTS, replace=False))
        papers, vectors = [papers[i] for i in keep], vectors[keep]
    reduced = reduce(vectors, seed)
    fit = np.sort(rng.choice(len(papers), FIT_POINTS, replace=False)) if len(papers) > FIT_POINTS else None
    xy = _scaled(project(reduced, fit, seed))
    # Clusters of the layout itself where t-SNE placed every paper (what the eye sees as groups, a small map);
    # of the PCA space where most papers were only placed (closer to their topics: benchmarks/map.py).
    cluster, distance = clusters_of(xy if fit is None else reduced, fit, seed)
    phrases = label_clusters(cluster, [p.keywords for p in papers])
    clusters = []
    for number, words in enumerate(phrases):
        members = np.flatnonzero(cluster == number)
        if not len(members):
            continue
        nearest = members[np.argsort(distance[members], kind="stable")][:TOP_PAPERS]
        label = ", ".join(words) if words else f"cluster {number + 1}"
        clusters.append(Cluster(number, label, words, len(members), [int(i) for i in nearest]))
    return PaperMap(papers, xy, cluster, clusters, total)


def reduce(vectors: np.ndarray, seed: int = 0) -> np.ndarray:
    """The vectors on their first `PCA_DIMS` principal axes: what both the layout and the clusters work on."""
    # deferred: scikit-learn (and scipy under it) cost the site's start a second; only a map needs them
    from sklearn.decomposition import PCA

    vectors = np.asarray(vectors, dtype=np.float32)
    n = len(vectors)
    if n <= 2:
        return vectors
    return PCA(min(PCA_DIMS, n, vectors.shape[1]), random_state=seed % 2**32).fit_transform(vectors).astype(np.float32)


def project(reduced: np.ndarray, fit: np.ndarray | None = None, seed: int = 0) -> np.ndarray:
    """(n, 2) positions of the rows of `reduced`: near rows land near each other. t-SNE fits the rows `fit`
    (all when None); every other row is placed at the weighted mean of its nearest fitted rows."""
    # deferred: scikit-learn, as in reduce()
    from sklearn.neighbors import NearestNeighbors

    n = len(reduced)
    if n < 10:  # too few for t-SNE's neighbourhoods: the first two principal axes say enough
        out = np.zeros((n, 2))
        out[:, : min(2, reduced.shape[1])] = reduced[:, :2]
        return out
    if fit is None:
        return _tsne(reduced, seed)
    fitted = _tsne(reduced[fit], seed)
    rest = np.setdiff1d(np.arange(n), fit)
    distances, neighbours = NearestNeighbors(n_neighbors=PLACE_NEIGHBOURS).fit(reduced[fit]).kneighbors(reduced[rest])
    weights = 1.0 / (distances + 1e-6)
    out = np.empty((n, 2))
    out[fit] = fitted
    out[rest] = (fitted[neighbours] * weights[..., None]).sum(axis=1) / weights.sum(axis=1, keepdims=True)
    return out


def _tsne(reduced: np.ndarray, seed: int) -> np.ndarray:
    # deferred: openTSNE loads compiled extensions; only maps need it
    from openTSNE import TSNE

    perplexity = min(30.0, (len(reduced) - 1) / 3)
    # Fewer iterations than openTSNE's default 250 + 500 (measured: the clusters hold, the time halves); one
    # thread, since two contend on a busy 2-core server and leave the web workers nothing.
    embedding = TSNE(
        perplexity=perplexity,
        early_exaggeration_iter=125,
        n_iter=250,
        n_jobs=1,
        random_state=seed % 2**31,
        verbose=False,
    ).fit(reduced)
    return np.asarray(embedding, dtype=np.float64)


def _scaled(xy: np.ndarray) -> np.ndarray:
    """Into [0, 1] on both axes, keeping the aspect (the longer side spans 0 to 1)."""
    if not len(xy):
        return xy
    low = xy.min(axis=0)
    span = float((xy.max(axis=0) - low).max()) or 1.0
    scaled = (xy - low) / span
    return scaled + (1 - scaled.max(axis=0)) / 2  # centred on the shorter side


def cluster_count(n: int) -> int:
    """About sqrt(n / 4) clusters, 1 to MAX_CLUSTERS: a handful for a week's papers, a dozen for a year's."""
    return max(1, min(MAX_CLUSTERS, round(math.sqrt(n / 4)), n))


def clusters_of(points: np.ndarray, fit: np.ndarray | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(cluster number of each point, its distance to its cluster's centre), numbered from the largest: KMeans
    fitted on the rows `fit` (all when None), every point then given its nearest centre."""
    # deferred: scikit-learn, as in reduce()
    from sklearn.cluster import KMeans

    k = cluster_count(len(points))
    if k <= 1:
        return np.zeros(len(points), dtype=np.int64), np.linalg.norm(points - points.mean(axis=0), axis=1)
    model = KMeans(n_clusters=k, n_init=3, random_state=seed % 2**32).fit(points if fit is None else points[fit])
    distances = model.transform(points)
    labels = distances.argmin(axis=1)
    order = np.argsort(-np.bincount(labels, minlength=k), kind="stable")
    renumber = np.empty(k, dtype=np.int64)
    renumber[order] = np.arange(k)
    return renumber[labels], distances[np.arange(len(points)), labels]


def label_clusters(cluster: np.ndarray, keywords: list[tuple[str, ...]], top: int = LABEL_PHRASES) -> list[list[str]]:
    """Per cluster, its `top` keyphrases by class-based TF-IDF: frequent in the cluster, rarer elsewhere.

    The weight of a phrase is its share of the cluster's phrases times the log of how much more often it comes
    in this cluster than in all papers, so that a phrase every cluster uses ("large language models") names none.
    """
    # deferred: scikit-learn, as in project()
    from sklearn.feature_extraction.text import CountVectorizer

    k = int(cluster.max()) + 1 if len(cluster) else 0
    documents: list[list[str]] = [[] for _ in range(k)]
    for number, phrases in zip(cluster, keywords, strict=True):
        documents[int(number)] += [phrase.lower() for phrase in phrases]
    if not any(documents):
        return [[] for _ in range(k)]
    counts = CountVectorizer(analyzer=lambda phrases: phrases).fit(documents)
    tf = counts.transform(documents).toarray().astype(np.float64)
    words = counts.get_feature_names_out()
    per_cluster = tf.sum(axis=1, keepdims=True)
    per_cluster[per_cluster == 0] = 1
    share = tf / per_cluster
    overall = tf.sum(axis=0) / tf.sum()
    score = share * np.log(np.maximum(share, 1e-12) / overall)
    labels = []
    for row, counted in zip(score, tf, strict=True):
        ranked = [i for i in np.argsort(-row, kind="stable") if counted[i] > 0]
        best = sorted(ranked, key=lambda i: counted[i] < 2)[:top]  # a phrase of one paper only comes last
        labels.append([str(words[i]) for i in best])
    return labels


# --- the papers of a map, from the store ----------------------------------------------------------------


def map_of_dates(
    session: Session,
    first: date,
    last: date,
    model: str | None = None,
    before_computing: Callable[[], None] | None = None,
) -> PaperMap:
    """The map of the visible papers first published from `first` to `last`, inclusive."""
    starts = datetime.combine(first, time(), UTC)
    ends = datetime.combine(last + timedelta(days=1), time(), UTC)
    return _map_of_rows(session, map_rows_published(session, starts, ends), model, before_computing)


def map_of_papers(
    session: Session,
    paper_ids: Sequence[int],
    model: str | None = None,
    before_computing: Callable[[], None] | None = None,
) -> PaperMap:
    """The map of these papers (a collection, search results, a group's shelf), the visible ones."""
    return _map_of_rows(session, map_rows_of(session, set(paper_ids)), model, before_computing)


def mark_for_reader(session: Session, paper_map: PaperMap, user_id: int) -> PaperMap:
    """The same map with this reader's library and "not interested" papers marked."""
    paper_map.marks = reader_marks(session, user_id, [p.paper_id for p in paper_map.papers])
    return paper_map


def _map_of_rows(
    session: Session, rows: Sequence, model: str | None, before_computing: Callable[[], None] | None
) -> PaperMap:
    label = model_label(model or get_settings().embedding_model)
    total = len(rows)
    if total > MAX_POINTS:  # sample before reading vectors: a year of papers need not be read whole
        keep = np.random.default_rng(total).choice(total, MAX_POINTS, replace=False)
        rows = [rows[i] for i in np.sort(keep)]
    found = vectors_of(session.connection(), label, [row.id for row in rows])
    papers = [
        MapPaper(row.id, row.arxiv_id, row.title, tuple(row.ai_keywords or ()), row.content_hash)
        for row in rows
        if row.id in found
    ]
    without = len(rows) - len(papers)
    vectors = np.stack([found[p.paper_id] for p in papers]) if papers else np.zeros((0, 1), dtype=np.float32)
    made = build_map(label, papers, vectors, before_computing)
    return replace(made, total=total, without_vector=without)

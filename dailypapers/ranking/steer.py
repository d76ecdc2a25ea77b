"""The profile's two ranking controls, applied to the candidates the member's model scored.

Community weight `c` (0 to 1) mixes the model's score with the community's upvotes, both as standard scores
over the candidates: (1 - c) * personal + c * log(1 + upvotes). At 0 the feed is personal fit only.

Diversity `d` (0 to 1) reorders the best candidates by maximal marginal relevance: each next pick maximises
(1 - d) * relevance - d * its cosine similarity to the closest paper already picked (both as standard scores
within the pool), so breadth is bought with closeness. The pool is the best `POOL_FACTOR` times the page (at
least `MIN_POOL`), so a broad feed stays among papers the member's model rates highly.
"""

from __future__ import annotations

import numpy as np

from dailypapers.index.protocols import VectorIndex
from dailypapers.ranking.signals import FeedSettings
from dailypapers.store.db import Session
from dailypapers.store.reads import upvote_counts

POOL_FACTOR = 5
MIN_POOL = 100


def steer(
    session: Session, vectors: VectorIndex, ids: np.ndarray, scores: np.ndarray, settings: FeedSettings, limit: int
) -> list[tuple[int, float]]:
    """The best `limit` of the candidates `ids` (scored by the model), best first, as (paper id, steered score)."""
    upvotes = None
    if settings.community:
        counts = upvote_counts(session)
        upvotes = np.array([counts.get(int(pid), 0) for pid in ids], dtype=np.float64)
    return steered(vectors, ids, scores, settings, limit, upvotes)


def steered(
    vectors: VectorIndex,
    ids: np.ndarray,
    scores: np.ndarray,
    settings: FeedSettings,
    limit: int,
    upvotes: np.ndarray | None = None,
) -> list[tuple[int, float]]:
    """`steer` with the candidates' upvotes given (benchmarks/recommend.py calls it on its own corpus)."""
    relevance = standard(scores)
    if settings.community and upvotes is not None:
        relevance = (1 - settings.community) * relevance + settings.community * standard(np.log1p(upvotes))
    order = np.lexsort((ids, -relevance))  # best first; ties by paper order
    if settings.diversity:
        pool = order[: max(limit * POOL_FACTOR, MIN_POOL)]
        order = pool[mmr(vectors, ids[pool], relevance[pool], settings.diversity, limit)]
    return [(int(ids[i]), float(relevance[i])) for i in order[:limit]]


def standard(values: np.ndarray) -> np.ndarray:
    spread = float(np.std(values))
    return (values - np.mean(values)) / spread if spread > 0 else np.zeros(len(values))


def mmr(vectors: VectorIndex, ids: np.ndarray, relevance: np.ndarray, diversity: float, limit: int) -> np.ndarray:
    """Positions into `ids` (sorted best first by `relevance`) in the order maximal marginal relevance picks them.

    Both terms are standard scores within the pool (relevance, and the pool's pairwise similarities), so the
    control means the same with an embedding model whose similarities all lie between 0.8 and 0.9."""
    matrix = vectors.rows(np.searchsorted(vectors.ids, ids)).astype(np.float32)
    similarity = matrix @ matrix.T
    pairs = similarity[~np.eye(len(ids), dtype=bool)]
    middle, spread = (float(pairs.mean()), float(pairs.std()) or 1.0) if len(pairs) else (0.0, 1.0)
    gain = (1 - diversity) * standard(relevance)
    closest = np.full(len(ids), -np.inf)
    picked: list[int] = []
    for _ in range(min(limit, len(ids))):
        value = gain - diversity * np.where(np.isfinite(closest), (closest - middle) / spread, 0.0)
        value[picked] = -np.inf
        best = int(np.argmax(value))
        picked.append(best)
        closest = np.maximum(closest, similarity[best])
    return np.array(picked, dtype=np.int64)

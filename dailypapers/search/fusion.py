"""Fusing ranked lists from several retrievers into one.

Three families, all measured by benchmarks/relevance.py on two judged query sets among 20,050 papers:
- weighted reciprocal rank fusion: sum of w / (k + rank);
- convex combination of min-max normalised scores: sum of w * (score - min) / (max - min);
- convex combination of z-scores: sum of w * (score - mean) / std, a paper missing from a list counting
  as that list's lowest (so, like min-max, absence is never better than the worst hit).
The defaults below are chosen per embedding model by benchmarks/relevance.py --sweep (see benchmarks/RESULTS.md).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from dailypapers.config import FusionMethod, get_settings


@dataclass(frozen=True)
class Fusion:
    method: FusionMethod = "rrf"
    semantic_weight: float = 0.5  # keyword weight is 1 - semantic_weight
    k: int = 60  # rrf constant

    def describe(self) -> str:
        extra = f", k={self.k}" if self.method == "rrf" else ""
        return f"{self.method}(semantic={self.semantic_weight:.2f}{extra})"


# For models nobody has measured: plain rank fusion, which needs no score calibration.
DEFAULT_FUSION = Fusion("rrf", 0.5, 60)
# Chosen from 67 settings on two judged query sets among 20,050 papers (benchmarks/relevance.py --sweep): hybrid
# must beat keyword and semantic search alone on both, and a setting in place stays unless another beats it by
# more than chance. The static tier is weaker than bm25 on its own, so it gets the smaller say.
FUSION_BY_MODEL: dict[str, Fusion] = {
    "all-MiniLM-L6-v2": Fusion("convex", 0.5),
    "all-MiniLM-L6-v2-static256": Fusion("convex", 0.2),
}


def fusion_for(model: str) -> Fusion:
    """The fusion measured for this model, with any of its parts the search_fusion_* settings name instead."""
    settings = get_settings()
    measured = FUSION_BY_MODEL.get(model, DEFAULT_FUSION)
    method, k = settings.search_fusion_method, settings.search_fusion_k
    weight = settings.search_fusion_semantic_weight
    return Fusion(
        method if method is not None else measured.method,
        weight if weight is not None else measured.semantic_weight,
        k if k is not None else measured.k,
    )


Ranked = list[tuple[int, float]]


def fuse(
    keyword: Ranked, semantic: Ranked, fusion: Fusion, unembedded: set[int] | frozenset[int] = frozenset()
) -> Ranked:
    """(paper id, fused score), best first. Each input is (paper id, retriever score), best first.

    Papers in `unembedded` have no vector yet (added since the last index run): the semantic retriever cannot
    judge them, so their keyword evidence counts in full rather than losing the semantic share.
    """
    weights = (1.0 - fusion.semantic_weight, fusion.semantic_weight)
    scores: dict[int, float] = {}
    for retriever, (weight, ranked) in enumerate(zip(weights, (keyword, semantic), strict=True)):
        if not ranked or weight <= 0:
            continue
        if fusion.method == "rrf":
            contributions = [(pid, 1.0 / (fusion.k + rank)) for rank, (pid, _) in enumerate(ranked, start=1)]
        elif fusion.method in ("convex", "zscore"):
            values = [s for _, s in ranked]
            low, high = min(values), max(values)
            # Shifted so the list's lowest counts 0, as a missing paper does; the ranking is the z-scores'.
            spread = (high - low) if fusion.method == "convex" else statistics.pstdev(values)
            # All equal (a single hit, say): each is as good as the best.
            contributions = [(pid, (s - low) / spread if spread > 0 else 1.0) for pid, s in ranked]
        else:
            raise ValueError(f"unknown fusion method {fusion.method}")
        for pid, value in contributions:
            share = 1.0 if retriever == 0 and pid in unembedded else weight
            scores[pid] = scores.get(pid, 0.0) + share * value
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))

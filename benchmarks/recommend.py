"""Personal feed benchmark: simulated users who like k = 1, 3 or 5 papers of one topic, among 19,995 real
arXiv distractors and the other demo papers.

    .venv/bin/python benchmarks/recommend.py [--model minilm-static] [--draws 10]

Topics group the judged queries of benchmarks/relevance_judgments.json by theme (their relevant demo
papers). For each topic and k, `--draws` users each like k random papers of it; the held-out papers of
the topic are what they should be shown. Reports recall@20 and nDCG@20 of the held-out papers for the
product's model (ranking/recommend.py, trained exactly as on the site) and three baselines in the same
run: random, most upvoted, and nearest to the centroid of the liked papers.

One more case: a user who likes 5 papers of a topic and marks 3 papers of the nearest other topic "not
interested". The product never shows dismissed papers again; here they are ranked anyway, to check that
the model itself pushes them (and their topic) out of the top 20.

A feed per collection (`collection_feeds_case`): a member with two collections of different fields, 20 papers
each drawn from the sample by primary arXiv category (speech and audio, eess.AS and cs.SD, beside biology,
q-bio.*; and robotics, cs.RO, beside security, cs.CR). Each collection's own model (ranking/collection_feed.py,
the For you model trained on that collection alone) ranks the corpus; precision@20 is the share of its top 20
whose primary category is in the collection's field. The baseline, in the same run, is the single-profile
model trained on both collections together (as For you learns), its top 20 judged against each field.

    .venv/bin/python benchmarks/recommend.py --collections-only [--draws 10]

The profile's controls (ranking/steer.py, the For-you profile): for the same users (5 liked papers of a
topic), the top 20 before and after each control, against the ranking with no control in the same run:
overlap@20 with it, mean pairwise cosine similarity of the top 20, mean upvotes of the top 20, held-out
recall@20, and the share of the top 20 near a paper the control is about (among its 50 nearest papers): a
liked paper of another topic taken out of the profile, or a paper marked "not interested" (also in cold start,
one liked paper of each of two topics).

The database and vectors live under benchmarks/out/ (git-ignored) and are reused on later runs.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from sqlalchemy import select  # noqa: E402

from benchmarks.relevance import SAMPLE, use_data_dir  # noqa: E402
from dailypapers.config import get_settings  # noqa: E402
from dailypapers.index.build import build_index  # noqa: E402
from dailypapers.index.embedders import get_embedder  # noqa: E402
from dailypapers.index.vectors import FileVectorIndex, load_vector_index  # noqa: E402
from dailypapers.ingest.demo import load_demo  # noqa: E402
from dailypapers.ingest.snapshot import import_file  # noqa: E402
from dailypapers.ranking.recommend import fit_user_model  # noqa: E402
from dailypapers.ranking.signals import FeedSettings  # noqa: E402
from dailypapers.ranking.steer import steered  # noqa: E402
from dailypapers.store.db import get_engine, migrate, session_scope  # noqa: E402
from dailypapers.store.models import Paper  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
K = 20
LIKED = (1, 3, 5)
TOPICS = {
    "language models improving their own reasoning": [
        "2310.00533",
        "2407.14507",
        "2508.06026",
        "2404.12253",
        "2409.12917",
        "2406.03816",
        "2407.11511",
        "2412.17256",
        "2503.01307",
        "2508.07616",
    ],
    "reinforcement learning: skills, goals, rewards, exploration": [
        "2111.01919",
        "2305.12487",
        "2402.00823",
        "2402.15567",
        "2401.11237",
        "2505.12737",
        "2503.21949",
        "2402.05828",
        "2410.11448",
        "2508.01287",
    ],
    "language model agents": [
        "2306.06531",
        "2309.17382",
        "2311.18232",
        "2403.06221",
        "2408.08188",
        "2409.12798",
        "2505.20732",
    ],
    "video understanding": [
        "2501.05510",
        "2506.01908",
        "2307.16368",
        "2312.00589",
        "2507.03393",
        "2310.07433",
        "2503.03803",
    ],
    "social and temporal reasoning of chat assistants": [
        "2502.21297",
        "2505.13508",
        "2505.24500",
        "2506.13641",
        "2410.02683",
    ],
}


def prepare(path: Path, model: str) -> None:
    """Demo papers and the 20k sample, embedded with `model`; cached vectors are reused."""
    use_data_dir(path)
    fresh = not (path / "dailypapers.db").exists()
    migrate()
    if fresh:
        with session_scope() as session:
            load_demo(session)
        import_file(get_engine(), SAMPLE, path / "rejects.jsonl")
    for line in build_index(models=[model]).lines():
        print(f"  {line}", file=sys.stderr)


# --- metrics -----------------------------------------------------------------------------------------------


def ndcg(ranked: list[int], relevant: set[int], k: int = K) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, doc in enumerate(ranked[:k]) if doc in relevant)
    idcg = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / idcg if idcg else 0.0


def recall(ranked: list[int], relevant: set[int], k: int = K) -> float:
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


# --- rankers: (liked, dismissed) -> every paper id, best first ---------------------------------------------


class Corpus:
    def __init__(self, ids: np.ndarray, matrix: np.ndarray, upvotes: np.ndarray):
        self.ids, self.matrix, self.upvotes = ids, matrix, upvotes

    def rows(self, paper_ids: list[int]) -> np.ndarray:
        return np.searchsorted(self.ids, np.asarray(paper_ids, dtype=np.int64))

    def top(self, scores: np.ndarray, exclude: list[int], k: int = K) -> list[int]:
        scores = scores.astype(np.float64).copy()
        scores[self.rows(exclude)] = -np.inf
        best = np.argpartition(-scores, k)[:k]
        return self.ids[best[np.argsort(-scores[best], kind="stable")]].tolist()


def rank_random(corpus: Corpus, liked, dismissed, rng) -> list[int]:
    return corpus.top(rng.random(len(corpus.ids)), liked)


def rank_upvoted(corpus: Corpus, liked, dismissed, rng) -> list[int]:
    return corpus.top(corpus.upvotes + rng.random(len(corpus.ids)) * 1e-3, liked)  # ties broken at random


def rank_centroid(corpus: Corpus, liked, dismissed, rng) -> list[int]:
    centroid = corpus.matrix[corpus.rows(liked)].mean(axis=0)
    return corpus.top(corpus.matrix @ centroid, liked)


def rank_model(corpus: Corpus, liked, dismissed, rng) -> list[int]:
    return corpus.top(fit_score(corpus, liked, dismissed, seed=int(rng.integers(1 << 30))), liked)


RANKERS = {
    "random": rank_random,
    "most upvoted": rank_upvoted,
    "centroid of liked": rank_centroid,
    "model (ranking/recommend.py)": rank_model,
}


def load_corpus(model_name: str) -> tuple[Corpus, dict[str, int]]:
    settings = get_settings()
    index = load_vector_index(get_engine(), settings.data_dir, get_embedder(model_name, settings.data_dir).name)
    with session_scope() as session:
        rows = session.execute(select(Paper.id, Paper.arxiv_id, Paper.upvotes)).all()
    # Only the demo papers carry (demo) upvotes; spread the same counts over every paper at random, or
    # "most upvoted" would simply mean "a demo paper" and find the held-out papers by that alone.
    demo_counts = [r.upvotes for r in rows if r.upvotes]
    upvotes = np.random.default_rng(0).choice(demo_counts or [0], size=len(index.ids)).astype(np.float64)
    return Corpus(index.ids, np.asarray(index.matrix, dtype=np.float32), upvotes), {r.arxiv_id: r.id for r in rows}


def evaluate(corpus: Corpus, topics: dict[str, list[int]], draws: int) -> dict:
    results = {}
    for k in LIKED:
        for name, ranker in RANKERS.items():
            rng = np.random.default_rng(k)  # every ranker sees the same users
            scores, seconds = {"recall": [], "ndcg": []}, 0.0
            for papers in topics.values():
                if len(papers) <= k:
                    continue
                for _ in range(draws):
                    liked = rng.choice(papers, size=k, replace=False).tolist()
                    held_out = set(papers) - set(liked)
                    started = time.perf_counter()
                    ranked = ranker(corpus, liked, [], rng)
                    seconds += time.perf_counter() - started
                    scores["recall"].append(recall(ranked, held_out))
                    scores["ndcg"].append(ndcg(ranked, held_out))
            results[(k, name)] = {
                "recall@20": float(np.mean(scores["recall"])),
                "ndcg@20": float(np.mean(scores["ndcg"])),
                "users": len(scores["recall"]),
                "ms_per_user": 1000 * seconds / max(len(scores["recall"]), 1),
            }
    return results


def not_interested_case(corpus: Corpus, topics: dict[str, list[int]]) -> dict:
    """A user liking 5 papers of one topic, who dismisses the 3 papers of another topic that rank highest for
    them: the pair of topics with the most such intruders in the top 20."""
    rng = np.random.default_rng(7)
    users = {name: rng.choice(papers, size=5, replace=False).tolist() for name, papers in topics.items()}
    ranked = {name: corpus.top(fit_score(corpus, liked, []), liked, k=200) for name, liked in users.items()}
    pairs = [
        (len(set(topics[near]) & set(ranked[name][:K])), name, near)
        for name in topics
        for near in topics
        if near != name
    ]
    _, liked_topic, near_topic = max(pairs)
    liked, near = users[liked_topic], set(topics[near_topic])
    before = ranked[liked_topic][:K]
    dismissed = [p for p in ranked[liked_topic] if p in near][:3]
    after = corpus.top(fit_score(corpus, liked, dismissed), liked)
    held_out = set(topics[liked_topic]) - set(liked)
    return {
        "liked topic": liked_topic,
        "dismissed from": near_topic,
        "dismissed in top 20 before": len(set(dismissed) & set(before)),
        "dismissed in top 20 after": len(set(dismissed) & set(after)),
        "nearby topic in top 20 before": len(near & set(before)),
        "nearby topic in top 20 after": len(near & set(after)),
        "held-out recall@20 before": recall(before, held_out),
        "held-out recall@20 after": recall(after, held_out),
    }


def fit_score(corpus: Corpus, liked: list[int], dismissed: list[int], seed: int = 1) -> np.ndarray:
    """The product's model, trained as on the site, scoring every paper."""
    vectors = FileVectorIndex("corpus", corpus.ids, corpus.matrix)
    return fit_user_model(vectors, liked, dismissed, seed=seed).score(corpus.matrix)


# --- a feed per collection: two fields kept apart -------------------------------------------------------------

Field = tuple[str, tuple[str, ...]]  # a name, and the categories (or archives, ending in ".") it is made of
PAIRS: list[tuple[Field, Field]] = [
    (("speech and audio", ("eess.AS", "cs.SD")), ("biology", ("q-bio.",))),
    (("robotics", ("cs.RO",)), ("security", ("cs.CR",))),
]
COLLECTION_SIZE = 20


def in_field(category: str, field: Field) -> bool:
    return any(category == c or (c.endswith(".") and category.startswith(c)) for c in field[1])


def load_categories() -> dict[int, list[str]]:
    """Each paper's categories, primary first."""
    with session_scope() as session:
        rows = session.execute(select(Paper.id, Paper.categories))
        return {pid: (categories or "").split() or [""] for pid, categories in rows}


def collection_feeds_case(corpus: Corpus, categories: dict[int, list[str]], draws: int) -> list[dict]:
    """For each pair of fields and each of its two collections (20 papers of the field by primary category, drawn
    `draws` times): precision@20 of the collection's own feed and of the single-profile model trained on both
    collections (the baseline), a ranked paper counting when its primary category is in the field (and, in the
    "any" columns, when any of its categories is); and the share of the other field in each top 20."""
    rows = []
    for pair in PAIRS:
        members = {f: [p for p in corpus.ids.tolist() if in_field(categories[p][0], f)] for f in pair}
        found = {
            f: {key: [] for key in ("feed", "baseline", "feed any", "baseline any", "feed other", "baseline other")}
            for f in pair
        }
        rng = np.random.default_rng(22)
        for draw in range(draws):
            collections = {f: rng.choice(members[f], size=COLLECTION_SIZE, replace=False).tolist() for f in pair}
            both = [p for items in collections.values() for p in items]
            baseline = corpus.top(fit_score(corpus, both, [], seed=draw), both)
            for f, items in collections.items():
                other = pair[1] if f is pair[0] else pair[0]
                own = corpus.top(fit_score(corpus, items, [], seed=draw), both)
                for name, top in (("feed", own), ("baseline", baseline)):
                    found[f][name].append(np.mean([in_field(categories[p][0], f) for p in top]))
                    found[f][f"{name} any"].append(np.mean([any(in_field(c, f) for c in categories[p]) for p in top]))
                    found[f][f"{name} other"].append(np.mean([in_field(categories[p][0], other) for p in top]))
        for f in pair:
            rows.append(
                {"field": f"{f[0]} ({', '.join(f[1])})", "papers": len(members[f])}
                | {key: float(np.mean(values)) for key, values in found[f].items()}
            )
    return rows


def print_collection_feeds(rows: list[dict], model: str, papers: int, draws: int) -> None:
    print(f"\n### A feed per collection, {papers} papers, vectors {model}, {draws} members per pair of collections\n")
    print("precision@20 in the collection's field: by primary category (any category); other: the other field's share")
    print("\n| collection (20 papers of the field) | papers in field | feed | single profile |", end="")
    print(" feed: other | single profile: other |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['field']} | {r['papers']} | {r['feed']:.3f} ({r['feed any']:.3f}) | "
            f"{r['baseline']:.3f} ({r['baseline any']:.3f}) | {r['feed other']:.3f} | {r['baseline other']:.3f} |"
        )


# --- the profile's controls ------------------------------------------------------------------------------

NEAR = 50  # a paper's neighbourhood: its nearest papers


def steered_top(corpus: Corpus, liked: list[int], dismissed: list[int], settings: FeedSettings) -> list[int]:
    """The product's ranking with the profile's settings: the model, then ranking/steer.py."""
    vectors = FileVectorIndex("corpus", corpus.ids, corpus.matrix)
    scores = fit_user_model(vectors, liked, dismissed, seed=1).score(corpus.matrix)
    keep = ~np.isin(corpus.ids, liked + dismissed)
    ranked = steered(vectors, corpus.ids[keep], scores[keep], settings, K, corpus.upvotes[keep])
    return [pid for pid, _ in ranked]


def near(corpus: Corpus, papers: list[int]) -> set[int]:
    """The NEAR nearest papers of each of `papers` (themselves excluded)."""
    found: set[int] = set()
    for row in corpus.rows(papers):
        similarity = corpus.matrix @ corpus.matrix[row]
        found |= set(corpus.ids[np.argsort(-similarity)[1 : NEAR + 1]].tolist())
    return found


def measure(corpus: Corpus, top: list[int], baseline: list[int], held_out: set[int], around: set[int]) -> dict:
    rows = corpus.matrix[corpus.rows(top)]
    pairs = rows @ rows.T
    return {
        "overlap@20": len(set(top) & set(baseline)) / K,
        "mean similarity": float((pairs.sum() - np.trace(pairs)) / (len(top) * (len(top) - 1))),
        "mean upvotes": float(corpus.upvotes[corpus.rows(top)].mean()),
        "recall@20": recall(top, held_out),
        "near share": len(set(top) & around) / K,
    }


def controls_case(corpus: Corpus, topics: dict[str, list[int]]) -> list[tuple[str, dict]]:
    """Each control against no control, averaged over one user per topic (5 liked papers, as above)."""
    rng = np.random.default_rng(7)
    names = list(topics)
    rows: dict[str, list[dict]] = {}

    def add(label: str, values: dict) -> None:
        rows.setdefault(label, []).append(values)

    plain = FeedSettings(None, 1)
    for i, name in enumerate(names):
        liked = rng.choice(topics[name], size=5, replace=False).tolist()
        held_out = set(topics[name]) - set(liked)
        other = topics[names[(i + 1) % len(names)]]
        base = steered_top(corpus, liked, [], plain)
        add("no control", measure(corpus, base, base, held_out, set()))
        for c in (0.25, 0.5, 1.0):
            top = steered_top(corpus, liked, [], FeedSettings(None, 1, community=c))
            add(f"community weight {c}", measure(corpus, top, base, held_out, set()))
        for d in (0.25, 0.5, 0.75):
            top = steered_top(corpus, liked, [], FeedSettings(None, 1, diversity=d))
            add(f"diversity {d}", measure(corpus, top, base, held_out, set()))
        # pause: 3 papers of another topic saved after it do not train; without the pause they would
        add("paused, 3 new signals", measure(corpus, base, base, held_out, set()))
        learning = steered_top(corpus, liked + other[:3], [], plain)
        add("not paused, 3 new signals", measure(corpus, learning, base, held_out, set()))
        # take out: a liked paper of another topic, taken out of the profile
        stray = other[:1]
        with_stray = steered_top(corpus, liked + stray, [], plain)
        around = near(corpus, stray)
        add("with a stray liked paper", measure(corpus, with_stray, with_stray, held_out, around))
        add("stray paper taken out", measure(corpus, base, with_stray, held_out, around))
        # not interested: the paper of another topic that ranks highest for this user, dismissed
        for label, likes in (("", liked), (" (cold start: 1 + 1 liked)", liked[:1] + stray)):
            before = steered_top(corpus, likes, [], plain)
            intruder = next((p for p in before if p not in set(topics[name])), before[-1])
            around = near(corpus, [intruder])
            add(f"before not interested{label}", measure(corpus, before, before, held_out, around))
            after = steered_top(corpus, likes, [intruder], plain)
            add(f"after not interested{label}", measure(corpus, after, before, held_out, around))
    return [(label, {key: float(np.mean([r[key] for r in runs])) for key in runs[0]}) for label, runs in rows.items()]


def print_controls(rows: list[tuple[str, dict]]) -> None:
    print("\n| control | overlap@20 with no control | mean similarity of top 20 | mean upvotes of top 20 |", end="")
    print(" held-out recall@20 | share of top 20 near the paper |\n|---|---|---|---|---|---|")
    for label, r in rows:
        print(
            f"| {label} | {r['overlap@20']:.2f} | {r['mean similarity']:.3f} | {r['mean upvotes']:.1f} |"
            f" {r['recall@20']:.3f} | {r['near share']:.2f} |"
        )


def print_results(results: dict, case: dict, model: str, papers: int) -> None:
    print(f"\n### Personal feed, {papers} papers, vectors {model}\n")
    print("| liked k | ranker | recall@20 | nDCG@20 | users | ms/user |")
    print("|---|---|---|---|---|---|")
    for (k, name), r in results.items():
        print(f"| {k} | {name} | {r['recall@20']:.3f} | {r['ndcg@20']:.3f} | {r['users']} | {r['ms_per_user']:.1f} |")
    print("\n| not interested case | value |\n|---|---|")
    for key, value in case.items():
        print(f"| {key} | {value:.3f} |" if isinstance(value, float) else f"| {key} | {value} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="minilm-static", help="embedding model of the vectors")
    parser.add_argument("--draws", type=int, default=10, help="simulated users per topic and k")
    parser.add_argument("--collections-only", action="store_true", help="only the feed-per-collection case")
    args = parser.parse_args()
    path = OUT / f"recommend-{args.model}"
    path.mkdir(parents=True, exist_ok=True)
    prepare(path, args.model)
    corpus, by_arxiv = load_corpus(args.model)
    case = collection_feeds_case(corpus, load_categories(), args.draws)
    print_collection_feeds(case, args.model, len(corpus.ids), args.draws)
    if args.collections_only:
        return
    topics = {name: [by_arxiv[a] for a in ids] for name, ids in TOPICS.items()}
    results = evaluate(corpus, topics, args.draws)
    print_results(results, not_interested_case(corpus, topics), args.model, len(corpus.ids))
    print_controls(controls_case(corpus, topics))


if __name__ == "__main__":
    main()

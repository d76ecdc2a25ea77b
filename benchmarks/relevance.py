"""Relevance benchmark: two judged query sets, over the 64 demo papers alone and among 19,995 real distractors.

    .venv/bin/python benchmarks/relevance.py                # both runs, every retriever and tier
    .venv/bin/python benchmarks/relevance.py --sweep        # also measure fusion settings on both sets
    .venv/bin/python benchmarks/relevance.py --postgresql   # also PostgreSQL's tsvector engine (distractor run)
    .venv/bin/python benchmarks/relevance.py --floor        # only the similarity floor, on the demo run

Reports nDCG@10 and recall@10 for each keyword engine (tantivy, the default; FTS5), semantic (MiniLM and its
static tier) and hybrid (with the default keyword engine), plus a known-item check (each demo title must find
its own paper), all through the product's search(). The baseline in the same run is bm25s over title +
abstract with its default parameters. Judgments (grades 0-2, unlisted papers count 0): the demo set,
benchmarks/relevance_judgments.json (queries about the 64 demo papers, measured on both runs), and the sample
set, benchmarks/relevance_judgments_sample.json (queries about papers drawn at random from the 20k sample, made
by benchmarks/judge_sample.py; measured on the distractor run, the only one holding its papers). --sweep fuses
the same retriever outputs in many ways and ranks the settings by the mean of the two sets' nDCG@10, with a
leave-one-set-out check (the setting best on one set, measured on the other), and the run reports how far
hybrid is ahead of each of its parts on each set. --postgresql copies the distractor database into a
throwaway embedded PostgreSQL server (tests/postgres.py) and measures its tsvector keyword engine and hybrid
search there (demo set).

Databases and vectors are kept under benchmarks/out/ (git-ignored) and reused: the first distractor run
embeds 20,050 papers with MiniLM (about 16 minutes on 2 CPU cores, seconds on a GPU); later runs embed nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import sys
import time
from pathlib import Path

import bm25s
import numpy as np
from sqlalchemy import select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from dailypapers.config import get_settings, reset_settings  # noqa: E402
from dailypapers.index.embedders import get_embedder, model_label, paper_text  # noqa: E402
from dailypapers.index.engines import keyword_index  # noqa: E402
from dailypapers.index.stored_vectors import embed_pending  # noqa: E402
from dailypapers.index.vectors import build_vector_index, clear_cache  # noqa: E402
from dailypapers.ingest.demo import demo_records, load_demo  # noqa: E402
from dailypapers.ingest.snapshot import import_file  # noqa: E402
from dailypapers.search import SearchQuery, search  # noqa: E402
from dailypapers.search.filters import build_filters  # noqa: E402
from dailypapers.search.fusion import Fusion, fusion_for  # noqa: E402
from dailypapers.search.hybrid import fuse_matches  # noqa: E402
from dailypapers.search.keywords import parse_keyword_query  # noqa: E402
from dailypapers.search.query import CANDIDATE_DEPTH  # noqa: E402
from dailypapers.search.semantic import (  # noqa: E402
    SIMILARITY_FLOOR_BY_MODEL,
    embed_query,
    semantic_candidates,
    semantic_index,
    similarity_floor,
)
from dailypapers.sources.snapshot import iter_jsonl  # noqa: E402
from dailypapers.store.db import dispose_engines, get_engine, migrate, session_scope  # noqa: E402
from dailypapers.store.models import Paper  # noqa: E402
from dailypapers.store.transfer import copy_table, fix_sequences, tables  # noqa: E402
from tests.postgres import postgres_server  # noqa: E402

JUDGMENTS = ROOT / "benchmarks" / "relevance_judgments.json"
SAMPLE_JUDGMENTS = ROOT / "benchmarks" / "relevance_judgments_sample.json"
SAMPLE = ROOT / "benchmarks" / "data" / "arxiv-sample-20k.jsonl.gz"
OUT = ROOT / "benchmarks" / "out"
MODELS = ("minilm", "minilm-static")
KEYWORD_ENGINES = ("tantivy", "fts5")  # on SQLite; tantivy is the default there
BASELINE = "bm25s (title + abstract)"
K = 10
# Queries nothing in a paper collection should answer: gibberish, and everyday topics far from research papers.
NO_MATCH = (
    "zzzqqqxyz",
    "asdfghjkl",
    "qwertyuiop zxcvbnm",
    "xkcd blorp fnord",
    "lorem ipsum dolor sit amet",
    "ffffff",
    "123456789",
    "aaaa bbbb cccc",
    "chocolate cake recipe",
    "football transfer news",
    "best hiking boots for winter",
    "mortgage interest rates",
    "how to repot a cactus",
    "taylor swift tour dates",
    "cheap flights to lisbon",
    "knitting a wool scarf",
    "symptoms of the common cold",
    "used car prices",
)


def use_data_dir(path: Path, database_url: str | None = None) -> None:
    """Point the settings at a data dir (and a database other than its SQLite file, when given)."""
    os.environ["DAILYPAPERS_DATA_DIR"] = str(path)
    if database_url:
        os.environ["DAILYPAPERS_DATABASE_URL"] = database_url
    else:
        os.environ.pop("DAILYPAPERS_DATABASE_URL", None)
    reset_settings()
    dispose_engines()

    clear_cache()


def prepare(path: Path, sample: Path | None) -> None:
    """Demo papers (+ the sample), then every index, incrementally: cached vectors are reused."""

    use_data_dir(path)
    migrate()
    with session_scope() as session:
        load_demo(session)
    if sample is not None:
        report = import_file(get_engine(), sample, path / "rejects.jsonl")
        print(
            f"  sample: {report.inserted if hasattr(report, 'inserted') else ''} {sample.name} imported",
            file=sys.stderr,
        )
    started = time.perf_counter()
    engine = get_engine()
    keyword_index(engine).refresh()
    # Not build_index(): its keywords-and-summary step costs hours at 20k and no retriever uses it.
    for model in MODELS:
        embedder = get_embedder(model, path)
        embedded = embed_pending(engine, embedder).embedded
        built = build_vector_index(engine, path, embedder.name, embedder.dim)
        print(f"  {model}: {embedded} papers embedded, {built.count} vectors indexed", file=sys.stderr)
    print(f"  indexes ready in {time.perf_counter() - started:.1f} s", file=sys.stderr)


# --- metrics -----------------------------------------------------------------------------------------------


def ndcg_at(ranked: list[str], grades: dict[str, int], k: int = K) -> float:
    dcg = sum(grades.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: list[str], grades: dict[str, int], k: int = K) -> float:
    relevant = {d for d, g in grades.items() if g > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


# --- retrievers --------------------------------------------------------------------------------------------


def retrievers(keyword_engines=KEYWORD_ENGINES) -> dict[str, dict]:
    """name -> SearchQuery options (and the keyword engine); every one goes through the product's search().
    Semantic and hybrid use the database's default keyword engine (for filters and hybrid's keyword side)."""
    table = {f"keyword [{engine}]": {"mode": "keyword", "engine": engine} for engine in keyword_engines}
    for model in MODELS:
        table[f"semantic [{model}]"] = {"mode": "semantic", "model": model}
    for model in MODELS:
        table[f"hybrid [{model}]"] = {"mode": "hybrid", "model": model}
    return table


def run_queries(session, texts: list[str], options: dict, k: int = K) -> list[list[str]]:

    options = dict(options)
    get_settings().keyword_engine = options.pop("engine", None)
    try:
        return [[h.arxiv_id for h in search(session, SearchQuery(t, limit=k, **options))] for t in texts]
    finally:
        get_settings().keyword_engine = None


def scores(
    ranked: list[list[str]], known: list[list[str]], queries: list[dict], titles: dict[str, str], seconds: float
) -> dict:
    """The metrics of one retriever: its answers to the judged queries and to the known-item titles."""
    ndcg = [ndcg_at(r, q["relevant"]) for r, q in zip(ranked, queries, strict=True)]
    recall = [recall_at(r, q["relevant"]) for r, q in zip(ranked, queries, strict=True)]
    result = {
        "ndcg@10": sum(ndcg) / len(ndcg),
        "recall@10": sum(recall) / len(recall),
        "ms_per_query": 1000 * seconds / len(queries),
        "ndcg_per_query": ndcg,
    }
    if titles:
        ranks = [r.index(arxiv_id) + 1 if arxiv_id in r else None for r, arxiv_id in zip(known, titles, strict=True)]
        result |= {
            "known_item@1": sum(1 for r in ranks if r == 1) / len(ranks),
            "known_item@10": sum(1 for r in ranks if r) / len(ranks),
            "known_item_mrr": sum(1 / r for r in ranks if r) / len(ranks),
        }
    return result


def bm25s_baseline(queries: list[dict], titles: dict[str, str]) -> dict:
    """bm25s over title + abstract, default tokenizer (English stopwords, no stemmer) and BM25 parameters."""
    with session_scope() as session:
        rows = session.execute(
            select(Paper.arxiv_id, Paper.title, Paper.abstract).where(Paper.hidden.is_(False)).order_by(Paper.id)
        ).all()
    ids = [r.arxiv_id for r in rows]
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize([f"{r.title} {r.abstract or ''}" for r in rows], show_progress=False), show_progress=False
    )

    def ranked(texts: list[str]) -> list[list[str]]:
        found, _ = retriever.retrieve(bm25s.tokenize(texts, show_progress=False), k=K, show_progress=False)
        return [[ids[i] for i in row] for row in found]

    started = time.perf_counter()
    answers = ranked([q["query"] for q in queries])
    seconds = time.perf_counter() - started
    return scores(answers, ranked(list(titles.values())) if titles else [], queries, titles, seconds)


def evaluate(
    path: Path,
    label: str,
    queries: list[dict],
    titles: dict[str, str],
    database_url: str | None = None,
    keyword_engines=KEYWORD_ENGINES,
) -> dict:
    """Every retriever on the judged queries (and on the known-item titles, when given)."""
    use_data_dir(path, database_url)
    results = {BASELINE: bm25s_baseline(queries, titles)}
    with session_scope() as session:
        for name, options in retrievers(keyword_engines).items():
            started = time.perf_counter()
            ranked = run_queries(session, [q["query"] for q in queries], options)
            seconds = time.perf_counter() - started
            known = run_queries(session, list(titles.values()), options) if titles else []
            results[name] = scores(ranked, known, queries, titles, seconds)
    print(f"\n### {label}\n")
    base = results[BASELINE]["ndcg@10"]
    print("| retriever | nDCG@10 | vs bm25s | recall@10 | known-item @1 | @10 | MRR | ms/query |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        known = " | ".join(
            f"{r[key]:.3f}" if key in r else "-" for key in ("known_item@1", "known_item@10", "known_item_mrr")
        )
        print(
            f"| {name} | {r['ndcg@10']:.3f} | {r['ndcg@10'] / base:.2f}x | {r['recall@10']:.3f} | {known} | "
            f"{r['ms_per_query']:.1f} |",
            flush=True,
        )
    return results


def paired_margin(better: list[list[float]], worse: list[list[float]], resamples: int = 10_000) -> dict:
    """How far `better` is ahead of `worse`, given per-query values on one or more judged sets: the mean over
    the sets of the mean per-query difference, its 95% paired-bootstrap interval (queries resampled within
    each set, seeded), and the queries won and lost."""
    rng = np.random.default_rng(0)
    diffs = [np.array(b) - np.array(w) for b, w in zip(better, worse, strict=True)]
    means = np.mean([rng.choice(d, (resamples, len(d))).mean(axis=1) for d in diffs], axis=0)
    low, high = np.percentile(means, (2.5, 97.5))
    return {
        "margin": float(np.mean([d.mean() for d in diffs])),
        "ci95": (float(low), float(high)),
        "won": int(sum((d > 0).sum() for d in diffs)),
        "lost": int(sum((d < 0).sum() for d in diffs)),
    }


def margins(results: dict[str, dict]) -> dict:
    """How far hybrid is ahead of each of its parts, per set and model (nDCG@10, same queries, same run)."""
    print("\n#### hybrid against each of its parts (nDCG@10; margin = mean per-query difference)\n")
    print("| set | hybrid | nDCG@10 | against | its nDCG@10 | margin | 95% interval | queries won / lost |")
    print("|---|---|---|---|---|---|---|---|")
    table = {}
    for label, result in results.items():
        for model in MODELS:
            hybrid = result[f"hybrid [{model}]"]
            for part in (f"keyword [{KEYWORD_ENGINES[0]}]", f"semantic [{model}]"):
                m = paired_margin([hybrid["ndcg_per_query"]], [result[part]["ndcg_per_query"]])
                table[f"{label}: hybrid [{model}] - {part}"] = m
                print(
                    f"| {label} | {model} | {hybrid['ndcg@10']:.3f} | {part} | {result[part]['ndcg@10']:.3f} | "
                    f"{m['margin']:+.3f} | {m['ci95'][0]:+.3f} to {m['ci95'][1]:+.3f} | {m['won']} / {m['lost']} |"
                )
    return table


def on_postgresql(path: Path, label: str, queries: list[dict], titles: dict[str, str]) -> dict:
    """The distractor run copied into a throwaway PostgreSQL server (ids kept), measured with tsvector."""

    copy = path.parent / f"{path.name}-postgresql"
    copy.mkdir(parents=True, exist_ok=True)
    with postgres_server() as url:
        use_data_dir(path)
        source = get_engine()
        use_data_dir(copy, url)
        target = migrate()
        started = time.perf_counter()
        for table in tables():
            copy_table(source, target, table)
        fix_sequences(target)
        print(f"  copied into PostgreSQL in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        for model in map(model_label, MODELS):  # this data dir's vector index, from the copied embeddings
            with target.connect() as conn:
                dim = conn.execute(
                    text("SELECT length(vector) / 4 FROM embeddings WHERE model = :m LIMIT 1"), {"m": model}
                ).scalar()
            if dim:
                build_vector_index(target, copy, model, dim, force=True)
        results = evaluate(copy, label, queries, titles, url, keyword_engines=("postgres",))
        dispose_engines()
    return results


KEYWORD_ONLY, SEMANTIC_ONLY, PLAIN_RRF = Fusion("rrf", 0.0, 60), Fusion("rrf", 1.0, 60), Fusion("rrf", 0.5, 60)
FUSIONS = [Fusion("rrf", w / 10, k) for k in (1, 5, 10, 20, 30, 60, 100) for w in range(2, 9)] + [
    Fusion(method, w / 10) for method in ("convex", "zscore") for w in range(1, 10)
]


def fusion_lists(session, queries: list[dict], model: str) -> list[tuple]:
    """For each query, the keyword and semantic candidate lists hybrid search fuses (as search/hybrid.py)."""
    keywords = keyword_index(session.get_bind())
    index = semantic_index(session, model)
    lists = []
    for q in queries:
        query = SearchQuery(q["query"], model=model).validate()
        filters = build_filters(query)
        hits = keywords.search(parse_keyword_query(query.text), filters, CANDIDATE_DEPTH)
        lists.append(
            (
                [(h.paper_id, h.score) for h in hits],
                semantic_candidates(index, query, keywords, filters, CANDIDATE_DEPTH),
            )
        )
    return lists


def fused_metrics(lists: list[tuple], queries: list[dict], fusion: Fusion, floor: float, arxiv: dict) -> dict:
    """Per-query nDCG@10 and recall@10 of one fusion setting over one judged set."""
    ranked = [[arxiv[p] for p, _ in fuse_matches(kw, sem, fusion, floor)[:K]] for kw, sem in lists]
    return {
        "ndcg": [ndcg_at(r, q["relevant"]) for r, q in zip(ranked, queries, strict=True)],
        "recall": [recall_at(r, q["relevant"]) for r, q in zip(ranked, queries, strict=True)],
    }


def mean_ndcg(table: dict, fusion: Fusion, sets: list[str]) -> float:
    """The mean over judged sets of each set's mean nDCG@10 (each set counts the same, whatever its size)."""
    return sum(np.mean(table[fusion][name]["ndcg"]) for name in sets) / len(sets)


def choose(table: dict, candidates: list[Fusion], sets: list[str], incumbent: Fusion) -> tuple[Fusion, dict]:
    """The fusion setting for `sets`, by two rules.

    1. Hybrid must earn its place: only settings whose mean nDCG@10 beats keyword only and semantic only on
       every set are eligible (all are, should none be).
    2. The incumbent (today's default), when eligible, stays unless the eligible setting with the best mean
       nDCG@10 beats it by more than chance: the lower end of the paired-bootstrap interval of its margin is
       above 0. With a few dozen queries per set, a sweep of many settings always finds one a little ahead;
       keeping what was measured before is the simplest guard against fitting that noise. An incumbent that is
       not eligible gives way to the best eligible setting.
    """

    def beats_parts(f: Fusion) -> bool:
        return all(
            np.mean(table[f][n]["ndcg"]) > np.mean(table[part][n]["ndcg"])
            for n in sets
            for part in (KEYWORD_ONLY, SEMANTIC_ONLY)
        )

    eligible = [f for f in candidates if beats_parts(f)] or candidates
    best = max(eligible, key=lambda f: mean_ndcg(table, f, sets))
    margin = paired_margin([table[best][n]["ndcg"] for n in sets], [table[incumbent][n]["ndcg"] for n in sets])
    keep = incumbent in eligible and margin["ci95"][0] <= 0
    return (incumbent if keep else best), {
        "best": best.describe(),
        "incumbent_eligible": incumbent in eligible,
        **margin,
    }


def sweep(path: Path, judged: dict[str, list[dict]]) -> dict:
    """nDCG@10 and recall@10 of fusion settings on the same retriever outputs, per model, on every judged set.

    Settings are ranked by the mean of the sets' nDCG@10; the leave-one-set-out rows choose on one set alone
    (same rule) and measure on the other, to show how far a choice made on one set carries."""
    use_data_dir(path)
    names = list(judged)
    report = {}
    with session_scope() as session:
        arxiv = dict(session.connection().exec_driver_sql("SELECT id, arxiv_id FROM papers").all())
        for model in MODELS:
            floor, incumbent = similarity_floor(model_label(model)), fusion_for(model_label(model))
            lists = {name: fusion_lists(session, queries, model) for name, queries in judged.items()}
            table = {
                f: {name: fused_metrics(lists[name], judged[name], f, floor, arxiv) for name in names}
                for f in dict.fromkeys([*FUSIONS, KEYWORD_ONLY, SEMANTIC_ONLY, incumbent])
            }
            candidates = list(dict.fromkeys([*FUSIONS, incumbent]))
            ranked = sorted(candidates, key=lambda f: -mean_ndcg(table, f, names))
            chosen, against = choose(table, candidates, names, incumbent)
            print(
                f"\n#### fusion sweep [{model}]: {len(candidates)} settings, ranked by the mean nDCG@10 of "
                f"{' and '.join(names)} (distractor run)\n"
            )
            print("| fusion | mean nDCG@10 | " + " | ".join(f"{n} nDCG@10 | recall@10" for n in names) + " |")
            print("|---|---|" + "---|---|" * len(names))
            rows = [(f"{i + 1}. {f.describe()}", f) for i, f in enumerate(ranked[:10])]
            rows += [
                (f"**chosen: {chosen.describe()}**", chosen),
                (f"today's default: {incumbent.describe()}", incumbent),
                (f"plain RRF: {PLAIN_RRF.describe()}", PLAIN_RRF),
                ("keyword only", KEYWORD_ONLY),
                ("semantic only", SEMANTIC_ONLY),
                (f"worst: {ranked[-1].describe()}", ranked[-1]),
            ]
            for label, f in rows:
                cells = " | ".join(
                    f"{np.mean(table[f][n]['ndcg']):.3f} | {np.mean(table[f][n]['recall']):.3f}" for n in names
                )
                print(f"| {label} | {mean_ndcg(table, f, names):.3f} | {cells} |")
            print(
                f"\nThe best setting that beats both parts on every set, {against['best']}, against today's "
                f"default: {against['margin']:+.3f} mean nDCG@10, 95% interval {against['ci95'][0]:+.3f} to "
                f"{against['ci95'][1]:+.3f} ({against['won']} queries won, {against['lost']} lost); today's default "
                f"{'beats' if against['incumbent_eligible'] else 'does not beat'} both parts on every set."
            )
            print(f"\nThe chosen setting against each part [{model}] (paired bootstrap over each set's queries):\n")
            print("| set | chosen nDCG@10 | part | its nDCG@10 | margin | 95% interval |\n|---|---|---|---|---|---|")
            parts = {}
            for name in names:
                for part, f in (("keyword only", KEYWORD_ONLY), ("semantic only", SEMANTIC_ONLY)):
                    m = paired_margin([table[chosen][name]["ndcg"]], [table[f][name]["ndcg"]])
                    parts[f"{name}: {part}"] = m
                    print(
                        f"| {name} | {np.mean(table[chosen][name]['ndcg']):.3f} | {part} | "
                        f"{np.mean(table[f][name]['ndcg']):.3f} | {m['margin']:+.3f} | "
                        f"{m['ci95'][0]:+.3f} to {m['ci95'][1]:+.3f} |"
                    )
            print(
                f"\nLeave one set out [{model}]: a setting chosen on one set, measured on the other; by the rule "
                "above, and by the best mean alone (what choosing on one set without the guard would do).\n"
            )
            print("| chosen on | by | setting | nDCG@10 there | measured on | its nDCG@10 | the chosen setting's |")
            print("|---|---|---|---|---|---|---|")
            held_out = {}
            for train in names:
                for test in (n for n in names if n != train):
                    by_rule, _ = choose(table, candidates, [train], incumbent)
                    best_alone = max(candidates, key=lambda f, train=train: mean_ndcg(table, f, [train]))
                    for how, f in (("rule", by_rule), ("best alone", best_alone)):
                        held_out[f"{train} -> {test} ({how})"] = (f.describe(), float(np.mean(table[f][test]["ndcg"])))
                        print(
                            f"| {train} | {how} | {f.describe()} | {np.mean(table[f][train]['ndcg']):.3f} | {test} | "
                            f"{np.mean(table[f][test]['ndcg']):.3f} | {np.mean(table[chosen][test]['ndcg']):.3f} |"
                        )
            report[model] = {
                "chosen": chosen.describe(),
                "best_against_default": against,
                "against_parts": parts,
                "held_out": held_out,
                "settings": {
                    f.describe(): {
                        "mean_ndcg@10": mean_ndcg(table, f, names),
                        **{
                            n: {
                                "ndcg@10": float(np.mean(table[f][n]["ndcg"])),
                                "recall@10": float(np.mean(table[f][n]["recall"])),
                            }
                            for n in names
                        },
                    }
                    for f in table
                },
            }
    return report


def prune_sweep(path: Path, queries: list[dict]) -> dict:
    """Hybrid quality when its keyword side keeps only words found in at most a share of the papers.

    Which words a share removes does not depend on the collection's size (the 100k and 1M collections are
    resampled from this sample), so the judged 20k run tells what the pruning used at scale costs.
    """

    use_data_dir(path)
    table = {}
    try:
        with session_scope() as session:
            for share in (None, 0.05, 0.02, 0.01, 0.005, 0.002):
                get_settings().search_keyword_max_share = share or 1.0
                for model in MODELS:
                    ranked = run_queries(session, [q["query"] for q in queries], {"mode": "hybrid", "model": model})
                    ndcg = [ndcg_at(r, q["relevant"]) for r, q in zip(ranked, queries, strict=True)]
                    recall = [recall_at(r, q["relevant"]) for r, q in zip(ranked, queries, strict=True)]
                    table[f"{share or 'off'} [{model}]"] = (sum(ndcg) / len(ndcg), sum(recall) / len(recall))
    finally:
        get_settings().search_keyword_max_share = 1.0
    print("\n#### hybrid with common words pruned from its keyword side (distractor run)\n")
    print("| keep words in at most this share of papers | nDCG@10 | recall@10 |\n|---|---|---|")
    for name, (ndcg, recall) in table.items():
        print(f"| {name} | {ndcg:.3f} | {recall:.3f} |")
    return table


def floor_report(path: Path, queries: list[dict]) -> dict:
    """The similarity floor (search/semantic.py): how judged hits and no-match queries score, and what the
    floor costs and buys, through search() with the floor off (-1) and on (the measured default)."""
    use_data_dir(path)
    report = {}
    with session_scope() as session:
        arxiv = dict(session.connection().exec_driver_sql("SELECT arxiv_id, id FROM papers").all())
        print("\n#### similarity floor: cosine similarity of judged hits and of no-match queries\n")
        print("| model | floor | judged hits: min | 5th pct | median | no-match queries: max over papers |")
        print("|---|---|---|---|---|---|")
        for model in MODELS:
            index = semantic_index(session, model)
            rows = {int(pid): row for row, pid in enumerate(index.ids)}
            matrix = index.matrix / np.linalg.norm(index.matrix, axis=1, keepdims=True)

            def cosine(text_: str, model=model, matrix=matrix):
                vector = embed_query(text_, model)
                return matrix @ (vector / np.linalg.norm(vector))

            hits = sorted(float(cosine(q["query"])[rows[arxiv[a]]]) for q in queries for a in q["relevant"])
            nonsense = max(float(cosine(t).max()) for t in NO_MATCH)
            floor = SIMILARITY_FLOOR_BY_MODEL[index.model]
            print(
                f"| {model} | {floor} | {hits[0]:.3f} | {np.percentile(hits, 5):.3f} | {np.median(hits):.3f} | "
                f"{nonsense:.3f} |"
            )
            report[model] = {"floor": floor, "hits_min": hits[0], "no_match_max": nonsense}
        print("\n#### nDCG@10 with and without the floor; no-match queries answered with nothing\n")
        print(f"| retriever | nDCG@10 without | with floor | no-match empty without | with (of {len(NO_MATCH)}) |")
        print("|---|---|---|---|---|")
        try:
            for mode in ("semantic", "hybrid"):
                for model in MODELS:
                    row = []
                    for floor in (-1.0, None):
                        get_settings().search_similarity_floor = floor
                        ranked = run_queries(session, [q["query"] for q in queries], {"mode": mode, "model": model})
                        ndcg = sum(ndcg_at(r, q["relevant"]) for r, q in zip(ranked, queries, strict=True))
                        empty = sum(
                            1 for r in run_queries(session, list(NO_MATCH), {"mode": mode, "model": model}) if not r
                        )
                        row.append((ndcg / len(queries), empty))
                    (before, empty_before), (after, empty_after) = row
                    print(f"| {mode} [{model}] | {before:.3f} | {after:.3f} | {empty_before} | {empty_after} |")
                    report[f"{mode} [{model}]"] = {
                        "ndcg_without": before,
                        "ndcg_with": after,
                        "empty_without": empty_before,
                        "empty_with": empty_after,
                    }
        finally:
            get_settings().search_similarity_floor = None
    return report


def throughput(sample: Path, n: int) -> dict:
    """Abstracts embedded per second by each tier, on the first n papers of the sample, in this process."""

    texts = []
    with gzip.open(sample, "rb") as stream:
        for line in iter_jsonl(stream):
            if line.record is not None:
                texts.append(paper_text(line.record.title, line.record.abstract))
            if len(texts) == n:
                break
    rates = {}
    print(f"\n#### embedding throughput ({n} abstracts of the sample)\n")
    print("| tier | device | abstracts/s |\n|---|---|---|")
    for model in MODELS:
        embedder = get_embedder(model, OUT / "distractors")
        embedder.embed(texts[:16])  # warm up
        started = time.perf_counter()
        for start in range(0, len(texts), 64):
            embedder.embed(texts[start : start + 64])
        rates[model] = len(texts) / (time.perf_counter() - started)
        print(f"| {model} | {getattr(embedder, 'device', 'cpu (numpy)')} | {rates[model]:.1f} |")
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sample", type=Path, default=SAMPLE, help="Distractor papers (snapshot JSON lines).")
    parser.add_argument("--out", type=Path, default=OUT, help="Where the benchmark databases are kept.")
    parser.add_argument("--sweep", action="store_true", help="Also measure fusion settings.")
    parser.add_argument("--prune", action="store_true", help="Also measure pruning common words (used at scale).")
    parser.add_argument(
        "--postgresql",
        action="store_true",
        help="Also measure the distractor run on PostgreSQL (tsvector keyword engine).",
    )
    parser.add_argument("--floor", action="store_true", help="Only measure the similarity floor, on the demo run.")
    parser.add_argument("--json", type=Path, help="Write every number here as JSON.")
    parser.add_argument("--throughput", type=int, metavar="N", help="Only measure embedding speed on N abstracts.")
    args = parser.parse_args(argv)
    if args.throughput:
        throughput(args.sample, args.throughput)
        return 0

    judged = json.loads(JUDGMENTS.read_text())["queries"]
    sample_judged = json.loads(SAMPLE_JUDGMENTS.read_text())["queries"]

    titles = {r.arxiv_id: r.title for r in demo_records()}
    for name, queries in (("demo", judged), ("sample", sample_judged)):
        print(
            f"{name} set: {len(queries)} judged queries, {sum(len(q['relevant']) for q in queries)} judgments",
            file=sys.stderr,
        )
    print(f"{len(titles)} known-item titles", file=sys.stderr)
    runs = {"demo": (args.out / "relevance-demo", None), "distractors": (args.out / "distractors", args.sample)}
    if args.floor:
        prepare(runs["demo"][0], None)
        report = floor_report(runs["demo"][0], judged)
        if args.json:
            args.json.write_text(json.dumps(report, indent=1))
        return 0
    report = {}
    for name, (path, sample) in runs.items():
        print(f"preparing the {name} run in {path}", file=sys.stderr)
        prepare(path, sample)
    report["demo"] = evaluate(runs["demo"][0], "64 demo papers", judged, titles)
    report["distractors"] = evaluate(
        runs["distractors"][0], "demo set: 64 demo papers + 19,995 distractors", judged, titles
    )
    report["sample"] = evaluate(runs["distractors"][0], "sample set: the same 20,050 papers", sample_judged, {})
    report["margins"] = margins({"demo set": report["distractors"], "sample set": report["sample"]})
    if args.postgresql:
        report["distractors_postgresql"] = on_postgresql(
            runs["distractors"][0], "the same on PostgreSQL (tsvector)", judged, titles
        )
    if args.sweep:
        report["sweep"] = sweep(runs["distractors"][0], {"demo set": judged, "sample set": sample_judged})
    if args.prune:
        report["prune"] = prune_sweep(runs["distractors"][0], judged)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How the second judged set (benchmarks/relevance_judgments_sample.json) was made, so it can be made again.

    .venv/bin/python benchmarks/judge_sample.py targets         # the seeded draw of papers to describe
    .venv/bin/python benchmarks/judge_sample.py pool            # each query's pool of papers to judge

`targets` draws papers of the 20k sample at random with a fixed seed, a set number per field (STRATA), so the
set spreads over fields and is not chosen with any retriever in mind. A person then writes one query per
target, describing it the way a researcher remembers a paper or asks for a method, without its distinctive
title words. `pool` prints, for each written query, the union of the top 20 of keyword, semantic and hybrid
search over the distractor run (benchmarks/relevance.py prepares it) and the top 10 of every fusion setting
that `relevance.py --sweep` measures, with titles and abstracts, in an order that hides which retriever found
what; the person judges each paper by reading it, not by its score.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.relevance import (  # noqa: E402
    FUSIONS,
    KEYWORD_ONLY,
    MODELS,
    OUT,
    SAMPLE,
    SAMPLE_JUDGMENTS,
    SEMANTIC_ONLY,
    K,
    fusion_lists,
    run_queries,
    use_data_dir,
)
from dailypapers.index.embedders import model_label  # noqa: E402
from dailypapers.ingest.demo import demo_records  # noqa: E402
from dailypapers.search.hybrid import fuse_matches  # noqa: E402
from dailypapers.search.semantic import similarity_floor  # noqa: E402
from dailypapers.sources.snapshot import iter_jsonl  # noqa: E402
from dailypapers.store.db import session_scope  # noqa: E402

SEED = 20
POOL_DEPTH = 20
# (field, how many targets): the sample is 96% cs, so the other fields get more than their share.
STRATA = (
    ("cs.LG", 6),
    ("cs.AI", 5),
    ("cs.CL", 5),
    ("cs.CV", 5),
    ("cs.RO", 3),
    ("other cs", 7),
    ("stat", 4),
    ("eess", 3),
    ("q-bio", 3),
    ("physics", 3),
    ("math", 2),
    ("q-fin, econ", 2),
)
PHYSICS = ("physics", "astro-ph", "cond-mat", "quant-ph", "nlin", "hep-ph", "hep-ex", "hep-th", "gr-qc")


def field(primary: str) -> str:
    """The stratum of a paper, from its primary category."""
    archive = primary.split(".")[0]
    if archive == "cs":
        return primary if primary in ("cs.LG", "cs.AI", "cs.CL", "cs.CV", "cs.RO") else "other cs"
    if archive in ("q-fin", "econ"):
        return "q-fin, econ"
    return "physics" if archive in PHYSICS else archive


def draw_targets(sample: Path = SAMPLE, seed: int = SEED) -> list:
    """The records to describe: per stratum, a seeded random choice among papers with a real abstract."""
    demo = {r.arxiv_id for r in demo_records()}
    by_field: dict[str, list] = {}
    with gzip.open(sample, "rb") as stream:
        for line in iter_jsonl(stream):
            record = line.record
            if (
                record is None
                or record.arxiv_id in demo
                or len(record.abstract) < 300
                or "withdrawn" in record.abstract.lower()
            ):
                continue
            by_field.setdefault(field(record.primary_category or record.categories[0]), []).append(record)
    rng = random.Random(seed)
    return [record for name, count in STRATA for record in rng.sample(by_field[name], count)]


def print_targets() -> None:
    for number, record in enumerate(draw_targets(), start=1):
        print(f"## {number}. {record.arxiv_id} [{record.primary_category}] {record.title}\n")
        print(textwrap.fill(" ".join(record.abstract.split()), 110), "\n")


def pools(session, queries: list[dict]) -> list[set[str]]:
    """Per query: the top 20 of keyword, semantic and hybrid search, and the top 10 of every fusion setting the
    sweep measures (both embedding models), so that no setting is scored on papers nobody judged."""
    found = [set() for _ in queries]
    for mode in ("keyword", "semantic", "hybrid"):
        for pool, ranked in zip(
            found, run_queries(session, [q["query"] for q in queries], {"mode": mode}, POOL_DEPTH), strict=True
        ):
            pool.update(ranked)
    arxiv = dict(session.connection().exec_driver_sql("SELECT id, arxiv_id FROM papers").all())
    for model in MODELS:
        floor = similarity_floor(model_label(model))
        for pool, (kw, sem) in zip(found, fusion_lists(session, queries, model), strict=True):
            for fusion in FUSIONS + [KEYWORD_ONLY, SEMANTIC_ONLY]:
                pool.update(arxiv[p] for p, _ in fuse_matches(kw, sem, fusion, floor)[:K])
    return found


def print_pools(path: Path) -> None:
    queries = json.loads(SAMPLE_JUDGMENTS.read_text())["queries"]
    use_data_dir(path)
    with session_scope() as session:
        for number, (query, pool) in enumerate(zip(queries, pools(session, queries), strict=True)):
            print(f"\n## {number + 1}. {query['query']}  (judged: {query['relevant']})\n")
            for arxiv_id in sorted(pool):
                title, abstract = (
                    session.connection()
                    .exec_driver_sql("SELECT title, abstract FROM papers WHERE arxiv_id = ?", (arxiv_id,))
                    .one()
                )
                print(f"- {arxiv_id} {' '.join(title.split())}\n    {' '.join(abstract.split())[:400]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("step", choices=("targets", "pool"))
    parser.add_argument("--out", type=Path, default=OUT, help="Where benchmarks/relevance.py keeps its databases.")
    args = parser.parse_args(argv)
    if args.step == "targets":
        print_targets()
    else:
        print_pools(args.out / "distractors")
    return 0


if __name__ == "__main__":
    sys.exit(main())

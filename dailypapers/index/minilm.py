"""MiniLM without torch: the shipped OpenVINO export of all-MiniLM-L6-v2, its files checked at load.

The forward pass runs in bf16 where the CPU has units for it (AMX, AVX512-BF16) and in f32 elsewhere; the
tokenizer, mean pooling and L2 normalisation are all-MiniLM-L6-v2's own (as sentence-transformers runs
it), so the vectors agree with the torch model's to a cosine of 0.999 or better and keep its label.
scripts/export_minilm.py made the files once from the torch weights; models/README.md says where from.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from dailypapers.errors import InvalidInput, ModelUnavailable

MODELS = Path(__file__).resolve().parent / "models"
MODEL_DIR = MODELS / "all-MiniLM-L6-v2"
STATIC_DIR = MODELS / "all-MiniLM-L6-v2-static256"
LABEL = "all-MiniLM-L6-v2"
DIM = 384
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model (its tokenizer.json says 128)
BATCH = 32  # texts per forward pass, sorted by length so a batch pads little
PRECISIONS = ("auto", "bf16", "f32")

# The sha256 of every shipped file, checked before it is used (scripts/export_minilm.py prints them).
MODEL_SHA256 = {
    "model.xml": "677e2852a33a7fc50c94b93cea15f5032c3f1d78635e611ea39c46ea22683f2f",
    "model.bin": "e59bf4cfed51537ea66f352b1cc8a8b94ac569f3d4ddca461636e40a27df47cd",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
STATIC_SHA256 = {
    "config.json": "a4f7efb495c2341c94fe95c92f4a7174320ab9fc79b47c3d90949a6256aa39f1",
    "model.safetensors": "434a61ccd969968fc321ef07dc6507c920fc494c709af74dbaa675f75397be0c",
    "tokenizer.json": "dd33465341c98889c3338356b6200c8b232b89af5f1b7aa8e6ee1d4d7a699631",
}

Forward = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (input ids, attention mask) -> last hidden state


def verified(folder: Path, pinned: dict[str, str]) -> Path:
    """The folder, once each pinned file in it has the sha256 it was shipped with."""
    for name, digest in pinned.items():
        path = folder / name
        try:
            with path.open("rb") as handle:
                found = hashlib.file_digest(handle, "sha256").hexdigest()
        except FileNotFoundError:
            raise ModelUnavailable(f"the model file {path} is missing; reinstall dailypapers") from None
        if found != digest:
            raise ModelUnavailable(
                f"the model file {path} is not the one dailypapers shipped (its sha256 is "
                f"{found[:12]}..., expected {digest[:12]}...); reinstall dailypapers"
            )
    return folder


def tokenizer_file() -> Path:
    """all-MiniLM-L6-v2's own tokenizer.json, checked."""
    return verified(MODEL_DIR, {"tokenizer.json": MODEL_SHA256["tokenizer.json"]}) / "tokenizer.json"


@lru_cache(maxsize=1)
def tokenizer() -> Tokenizer:
    """all-MiniLM-L6-v2's tokenizer, truncating at the model's 256 tokens and padding to the longest."""
    loaded = Tokenizer.from_file(str(tokenizer_file()))
    loaded.enable_truncation(MAX_TOKENS)
    loaded.enable_padding(pad_id=0, pad_token="[PAD]")
    return loaded


def mean_pooled(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sentence-transformers' mean pooling then Normalize: the mask-weighted mean of the tokens, unit length."""
    weights = mask[:, :, None].astype(np.float32)
    pooled = (np.asarray(hidden, dtype=np.float32) * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on any forward pass: the shipped OpenVINO model by default, another for benchmarks."""

    name = LABEL
    dim = DIM

    def __init__(self, forward: Forward, runtime: str, batch_size: int = BATCH):
        self.forward = forward
        self.runtime = runtime  # what `dailypapers stats` and the benchmarks report
        self.batch_size = batch_size
        self._lock = threading.Lock()  # one forward pass at a time: each already uses every core

    def embed(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return vectors
        encodings = tokenizer().encode_batch(list(texts))  # padded below, batch by batch
        order = np.argsort([sum(e.attention_mask) for e in encodings], kind="stable")
        with self._lock:
            for start in range(0, len(order), self.batch_size):
                rows = order[start : start + self.batch_size]
                longest = max(sum(encodings[i].attention_mask) for i in rows)
                ids = np.array([encodings[i].ids[:longest] for i in rows], dtype=np.int64)
                mask = np.array([encodings[i].attention_mask[:longest] for i in rows], dtype=np.int64)
                vectors[rows] = mean_pooled(self.forward(ids, mask), mask)
        return vectors


def cpu_precision(requested: str = "auto") -> str:
    """bf16 where OpenVINO finds bf16 units on this CPU (AMX, AVX512-BF16), else f32; or what was asked."""
    if requested not in PRECISIONS:
        raise InvalidInput(f"unknown embedding precision {requested!r}; use {', '.join(PRECISIONS)}")
    if requested != "auto":
        return requested
    import openvino  # deferred: the runtime loads only when vectors are needed, not for every command

    return "bf16" if "BF16" in openvino.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES") else "f32"


def openvino_forward(model: Path, precision: str, threads: int | None = None) -> Forward:
    """A compiled OpenVINO model on the CPU: one request, latency-first, at the given inference precision."""
    import openvino  # deferred: the runtime loads only when vectors are needed, not for every command

    config: dict[str, str | int] = {"INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": "LATENCY"}
    if threads:
        config["INFERENCE_NUM_THREADS"] = threads
    request = openvino.Core().compile_model(str(model), "CPU", config).create_infer_request()

    def forward(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return request.infer({"input_ids": ids, "attention_mask": mask})[0]

    return forward


def runtime_name(precision: str) -> str:
    """How `dailypapers stats` and the benchmarks name the runtime: "openvino 2026.4.1 bf16"."""
    import openvino  # deferred: the runtime loads only when vectors are needed, not for every command

    return f"openvino {openvino.__version__.split('-')[0]} {precision}"


def load_minilm(precision: str = "auto", threads: int | None = None) -> MiniLMEmbedder:
    """The shipped MiniLM, its files verified, compiled for this CPU."""
    chosen = cpu_precision(precision)
    forward = openvino_forward(verified(MODEL_DIR, MODEL_SHA256) / "model.xml", chosen, threads)
    return MiniLMEmbedder(forward, runtime_name(chosen))


def word_embeddings() -> np.ndarray:
    """The model's input token embeddings (vocabulary x 384, float32), read from the shipped weights."""
    import openvino  # deferred: the runtime loads only when vectors are needed, not for every command

    model = openvino.Core().read_model(str(verified(MODEL_DIR, MODEL_SHA256) / "model.xml"))
    vocabulary = tokenizer().get_vocab_size()
    for op in model.get_ordered_ops():
        if op.get_type_name() == "Constant" and tuple(op.get_output_shape(0)) == (vocabulary, DIM):
            return np.asarray(op.get_data(), dtype=np.float32)
    raise ModelUnavailable(f"{MODEL_DIR / 'model.xml'} holds no token embedding table")

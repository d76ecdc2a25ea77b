"""Embedders: the packaged MiniLM (offline) and the static tier distilled from it at first use."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from dailypapers.errors import InvalidInput
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
    vectors = first.embed(["graph neural networks for molecules", "message passing on molecular graphs",
                           "a recipe for tomato soup"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similar, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert similar > unrelated + 0.2
    assert first.embed([]).shape == (0, 384)


def test_device_is_the_gpu_only_when_torch_sees_one():
    import torch

    assert embedders.pick_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert embedders.pick_device("cpu") == "cpu"


def test_paper_text_is_title_then_abstract_with_whitespace_collapsed():
    assert embedders.paper_text(" A  title\n", "An\nabstract. ") == "A title. An abstract."
    assert embedders.paper_text("Only a title", "") == "Only a title"


def test_unknown_models_are_refused_by_name(settings, tmp_path):
    with pytest.raises(InvalidInput, match="unknown embedding model 'word2vec'"):
        embedders.get_embedder("word2vec")
    with pytest.raises(InvalidInput, match="does not exist"):
        embedders.get_embedder(f"st:{tmp_path / 'missing'}")


@pytest.mark.timeout(900)  # distillation takes about a minute on 2 idle cores, several on busy ones
def test_static_tier_is_distilled_into_the_data_dir_and_reused(static_dir):
    folder = embedders.static_model_dir(static_dir)
    assert (folder / "config.json").exists() and (folder / "model.safetensors").exists()
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    assert embedders.ensure_static_model(static_dir) == folder  # cached: not distilled again
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".distill-")]  # no leftovers


@pytest.mark.timeout(900)
def test_static_tier_embeds_fast_with_meaning(static_dir, settings):
    static = embedders.get_embedder("minilm-static", static_dir)
    assert static.name == "all-MiniLM-L6-v2-static256" == embedders.model_label("minilm-static")
    assert static.dim == embedders.STATIC_PCA_DIMS
    vectors = static.embed(["reinforcement learning agents", "reward-driven policy learning", "tomato soup recipe"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]

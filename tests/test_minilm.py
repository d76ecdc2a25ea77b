"""The shipped MiniLM: agrees with the fp32 torch model, refuses altered files, runs without torch."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from dailypapers.errors import InvalidInput, ModelUnavailable
from dailypapers.index import minilm
from tests.conftest import FIXTURES, ROOT

pytestmark = pytest.mark.slow  # the model, loaded and compared across runtimes


@pytest.fixture(scope="module")
def reference():
    """300 abstracts of the 20k sample and their fp32 torch vectors (scripts/export_minilm.py made them)."""
    stored = np.load(FIXTURES / "minilm_reference.npz")
    return [str(text) for text in stored["texts"]], stored["vectors"].astype(np.float32)


def cosines(embedder, texts, vectors) -> np.ndarray:
    return np.sum(embedder.embed(texts) * vectors, axis=1)


def test_the_default_runtime_agrees_with_fp32_torch(reference):
    texts, vectors = reference
    embedder = minilm.load_minilm()
    assert embedder.runtime.startswith("openvino ") and embedder.runtime.endswith(minilm.cpu_precision())
    found = cosines(embedder, texts, vectors)
    assert found.mean() >= 0.999 and found.min() >= 0.995, (found.mean(), found.min())


def test_f32_agrees_too_and_is_what_a_cpu_without_bf16_gets(reference):
    texts, vectors = reference
    embedder = minilm.load_minilm("f32")
    assert embedder.runtime.endswith(" f32")
    assert cosines(embedder, texts[:32], vectors[:32]).min() >= 0.9999


def test_batches_and_padding_do_not_change_a_vector(reference):
    texts, _ = reference
    embedder = minilm.MiniLMEmbedder(minilm.load_minilm("f32").forward, "f32", batch_size=7)
    together = embedder.embed(texts[:20])
    alone = np.vstack([embedder.embed([text]) for text in texts[:20]])
    assert np.abs(together - alone).max() < 1e-4


def test_text_past_256_tokens_is_cut_as_sentence_transformers_does():
    embedder = minilm.load_minilm("f32")
    long = " ".join(f"word{i}" for i in range(600))
    assert len(minilm.tokenizer().encode(long).ids) == minilm.MAX_TOKENS
    cut = minilm.tokenizer().decode(minilm.tokenizer().encode(long).ids)
    assert embedder.embed([long])[0] @ embedder.embed([cut])[0] > 0.999


@pytest.mark.parametrize("name", ["model.bin", "tokenizer.json"])
def test_an_altered_model_file_is_refused_in_one_line(tmp_path, monkeypatch, name):
    copy = tmp_path / "all-MiniLM-L6-v2"
    shutil.copytree(minilm.MODEL_DIR, copy)
    with (copy / name).open("r+b") as handle:
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 1]))
    monkeypatch.setattr(minilm, "MODEL_DIR", copy)
    minilm.tokenizer.cache_clear()
    try:
        with pytest.raises(ModelUnavailable, match=f"{name} is not the one dailypapers shipped") as refused:
            minilm.load_minilm()
    finally:
        minilm.tokenizer.cache_clear()
    assert "\n" not in str(refused.value)
    (copy / name).unlink()
    with pytest.raises(ModelUnavailable, match=f"{name} is missing"):
        minilm.verified(copy, minilm.MODEL_SHA256)


def test_an_unknown_precision_is_refused_by_name():
    with pytest.raises(InvalidInput, match="unknown embedding precision 'fp8'; use auto, bf16, f32"):
        minilm.load_minilm("fp8")


def test_the_token_table_is_the_models_own():
    table = minilm.word_embeddings()
    assert table.shape == (minilm.tokenizer().get_vocab_size(), minilm.DIM) and table.dtype == np.float32
    assert np.abs(table).max() > 0.1


def test_search_path_embeds_without_torch():
    """Embedding a query, keyphrases and the static tier import neither torch nor transformers."""
    code = (
        "import sys, json\n"
        "from dailypapers.index.embedders import get_embedder\n"
        "from dailypapers.index.token_vectors import minilm_token_vectors\n"
        "get_embedder('minilm').embed(['a query']); get_embedder('minilm-static').embed(['a query'])\n"
        "minilm_token_vectors()\n"
        "print(json.dumps(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') "
        "if m in sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_stats_names_the_model_and_the_runtime_it_picked(cli):
    stats = json.loads(cli("stats", "--json").stdout)
    assert stats["embedding_model"] == "all-MiniLM-L6-v2"
    assert stats["embedding_runtime"] == minilm.runtime_name(minilm.cpu_precision())
    f32 = json.loads(cli("stats", "--json", env={"DAILYPAPERS_EMBEDDING_PRECISION": "f32"}).stdout)
    assert f32["embedding_runtime"].endswith(" f32")
    refused = cli("stats", env={"DAILYPAPERS_EMBEDDING_PRECISION": "fp8"})
    assert refused.returncode == 78 and refused.stderr.strip().splitlines() == [  # a bad setting, as any other
        "error: DAILYPAPERS_EMBEDDING_PRECISION: Input should be 'auto', 'bf16' or 'f32'"
    ]

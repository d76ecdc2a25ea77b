"""Static token vectors for keywords and summaries: any stretch of a text embeds as the sum of its tokens' vectors.

The default table is MiniLM's own input token embeddings, weighted down for frequent tokens (SIF over the
vocabulary's rank, as model2vec does): read from the shipped model in under a second, no distillation.
A model2vec static model (the `minilm-static` tier) gives a table the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from dailypapers.index.minilm import tokenizer_file, word_embeddings

SIF = 1e-4  # model2vec's default: a token's weight is SIF / (SIF + its Zipf probability by vocabulary rank)


@dataclass(frozen=True)
class TokenVectors:
    tokenizer: Tokenizer
    table: np.ndarray  # (vocabulary, dim) float32

    def tokenize(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each text: the start offset of each token, and the tokens' vectors."""
        return [
            (np.array(encoding.offsets, dtype=np.int64).reshape(-1, 2)[:, 0], self.table[np.array(encoding.ids)])
            for encoding in self.tokenizer.encode_batch(texts, add_special_tokens=False)
        ]


def span_vectors(starts: np.ndarray, vectors: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
    """Unit vectors of character spans of a tokenised text: each the sum of the tokens that start inside it.

    All the sums are one matrix product, spans by tokens (1 where a token is inside a span) times the tokens'
    vectors: a tenth of the time of numpy's reduceat over the rows, which an empty span also needed mending."""
    bounds = np.searchsorted(starts, np.asarray(spans, dtype=np.int64))
    token = np.arange(len(vectors))
    inside = (token >= bounds[:, :1]) & (token < bounds[:, 1:])
    summed = inside.astype(vectors.dtype) @ vectors  # an empty span sums to 0
    return summed / np.maximum(np.linalg.norm(summed, axis=1, keepdims=True), 1e-12)


@lru_cache(maxsize=1)
def minilm_token_vectors() -> TokenVectors:
    """MiniLM's input embeddings with SIF weights, loaded once per process."""
    table = word_embeddings()
    probability = 1 / np.arange(2, len(table) + 2)
    probability /= probability.sum()
    tokenizer = Tokenizer.from_file(str(tokenizer_file()))
    tokenizer.no_truncation()
    return TokenVectors(tokenizer, table * (SIF / (SIF + probability))[:, None])


@lru_cache(maxsize=2)
def static_token_vectors(model_dir: Path) -> TokenVectors:
    """A model2vec model's tokenizer and table (its weights are already baked in), loaded once per process."""
    from model2vec import StaticModel  # deferred: heavy, and only this choice needs it

    model = StaticModel.from_pretrained(str(model_dir))
    return TokenVectors(model.tokenizer, np.asarray(model.embedding, dtype=np.float32))

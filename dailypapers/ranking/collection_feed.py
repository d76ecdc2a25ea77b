"""A collection's own feed: "papers like this collection", ranked by a model trained on that collection's papers
alone (its owner's "not interested" marks as negatives), never on the owner's other interests, so two
collections of different fields keep apart. The model is For you's (`fit_user_model`), seeded alike, and cached
per collection until its papers or the dismissals change.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime

import numpy as np

from dailypapers.index.protocols import VectorIndex
from dailypapers.ranking.recommend import (
    DEFAULT_WINDOW,
    Pick,
    UserModel,
    fit_user_model,
    paper_vectors,
    top_picks,
    window_days,
    window_ids,
)
from dailypapers.ranking.signals import feed_settings
from dailypapers.store.collection_feeds import training_ids
from dailypapers.store.db import Session
from dailypapers.store.models import Collection

_models: OrderedDict[tuple, UserModel | None] = OrderedDict()
_models_lock = threading.Lock()
_MODELS_KEPT = 256


def _model(session: Session, collection: Collection, vectors: VectorIndex) -> tuple[UserModel | None, set[int]]:
    """The collection's model (trained again only when its training data changed), and the papers its feed
    leaves out: those in the collection and those its owner dismissed."""
    positives, dismissed = training_ids(session, collection)
    negatives = [pid for pid in dismissed if pid not in set(positives)]
    seed = feed_settings(session, collection.owner).seed  # For you's: an imported account ranks alike
    key = (collection.id, tuple(positives), tuple(negatives), seed, id(vectors), len(vectors))
    with _models_lock:
        if key in _models:
            _models.move_to_end(key)
            return _models[key], set(positives) | set(dismissed)
    model = fit_user_model(vectors, positives, negatives, seed=seed)
    with _models_lock:
        _models[key] = model
        while len(_models) > _MODELS_KEPT:
            _models.popitem(last=False)
    return model, set(positives) | set(dismissed)


def rank_for_collection(session: Session, collection: Collection, candidates: np.ndarray, limit: int) -> list[Pick]:
    """The collection's best papers among `candidates` (paper ids), best first, each with the collection's paper
    it is closest to; [] for an empty collection or without vectors."""
    vectors = paper_vectors()
    if vectors is None or limit <= 0:
        return []
    model, left_out = _model(session, collection, vectors)
    if model is None:
        return []
    ids = np.asarray(candidates, dtype=np.int64)
    ids = ids[~np.isin(ids, np.fromiter(left_out, dtype=np.int64, count=len(left_out)))]
    return top_picks(session, vectors, model, ids, limit)


def collection_feed(
    session: Session,
    collection: Collection,
    window: str | int | None = DEFAULT_WINDOW,
    limit: int = 50,
    now: datetime | None = None,
) -> list[Pick]:
    """The papers that arrived on this site in the window most like the collection, best first."""
    return rank_for_collection(session, collection, window_ids(session, window_days(window), now), limit)


def reason(pick: Pick, collection_name: str) -> str | None:
    """A pick's reason as one line of text (the digest's): 'Like “…” in “collection” · shared terms: …'."""
    if pick.because is None:
        return None
    line = f"Like “{' '.join(pick.because.title.split())}” in “{collection_name}”"
    return line + (f" · shared terms: {', '.join(pick.terms)}" if pick.terms else "")

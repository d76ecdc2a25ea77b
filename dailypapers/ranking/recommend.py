"""The personal feed: a per-user linear model over the paper embeddings, and the papers it ranks highest.

Training: the user's positives (upvotes, saves, collection items) against their "not interested" papers
plus a sample of the corpus as negatives, a logistic regression on the unit vectors (a few milliseconds:
a few hundred rows), blended with the positives' centroid (see `fit_user_model`). With one or two
positives a classifier would only learn noise, so the score is the similarity to the nearest positive.
Models are cached per user and retrained when the signals or the feed's settings change.

"Not interested" pushes twice: the dismissed papers are the classifier's heavy negatives, and every paper drops
by its closeness to the nearest dismissed one (beyond the corpus's usual closeness), so a dismissed paper's
neighbours leave the top even in cold start, where there is no classifier. The profile's controls (the
community's upvotes, diversity) steer the ranking of the candidates afterwards (ranking/steer.py).

Scoring is a dot product, w·x + b. Up to `EXACT_MAX` candidates it is one matrix product (about a
millisecond at 20k papers); beyond it (a 1M-paper window), `w` is the query of the vector index's
approximate search (HNSW), filtered to the window, so only a few hundred candidates are scored.

Each pick says why: the positive it is closest to, and the topic phrases they share.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import numpy as np
from threadpoolctl import ThreadpoolController

from dailypapers.config import get_settings
from dailypapers.errors import InvalidInput
from dailypapers.index.embedders import model_label
from dailypapers.index.engines import vector_index
from dailypapers.index.keyphrases import candidates
from dailypapers.index.protocols import VectorIndex
from dailypapers.index.words import GENERIC_NOUNS
from dailypapers.ranking.signals import FeedSettings, Signals, user_signals
from dailypapers.ranking.steer import steer
from dailypapers.store.db import Session, get_engine
from dailypapers.store.feed import arrived_since
from dailypapers.store.models import Paper, User
from dailypapers.store.reads import papers_by_ids

WINDOWS = {"day": 1, "week": 7, "month": 30, "all": None}  # days back from now; None: every paper
DEFAULT_WINDOW = "week"
MAX_WINDOW_DAYS = 36_500  # a window given in days: at most a century back
COLD_START_MAX = 2  # up to this many positives: nearest-positive similarity, no classifier
NEGATIVE_SAMPLE = 400  # corpus papers sampled as negatives
REGULARISATION = 1.0  # logistic regression C
DISMISSED_WEIGHT = 20.0  # one "not interested" paper counts as this many sampled negatives
DISMISSED_PUSH = 0.5  # spreads of the score a paper loses per spread of closeness to a dismissed paper
DISMISSED_NEAR = 1.0  # closeness (in spreads above the corpus mean) from which the push starts: near ones only
EXACT_MAX = 50_000  # candidates scored exactly; above it, approximate search by the model's weights
SHARED_TERMS = 4
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")


@dataclass
class Pick:
    paper: Paper
    score: float
    because: Paper | None  # the user's paper it is closest to
    terms: list[str]  # topic phrases the two share

    @property
    def why(self) -> str | None:
        """The card's reason as one line of text (the email digest's): 'Because you liked “…” · shared terms: …'."""
        if self.because is None:
            return None
        line = f"Because you liked “{' '.join(self.because.title.split())}”"
        return line + (f" · shared terms: {', '.join(self.terms)}" if self.terms else "")


def window_days(window: str | int | None) -> int | None:
    """'day', 'week', 'month', 'all' or a number of days (from the API's `days`) -> days, or None for all."""
    if window is None:
        return WINDOWS[DEFAULT_WINDOW]
    if isinstance(window, int) or str(window).isdigit():
        days = int(window)
        if not 1 <= days <= MAX_WINDOW_DAYS:
            raise InvalidInput(f"days must be between 1 and {MAX_WINDOW_DAYS}")
        return days
    if window not in WINDOWS:
        raise InvalidInput(f"unknown window {window!r}; use {', '.join(WINDOWS)}")
    return WINDOWS[window]


class UserModel:
    """A linear scorer over unit vectors, with the positives kept to name the closest one."""

    def __init__(self, positives: np.ndarray, positive_ids: np.ndarray, weights: np.ndarray | None, bias: float):
        self.positives = positives
        self.positive_ids = positive_ids
        self.weights = weights  # None in cold start
        self.bias = bias
        self.push: Push | None = None  # set when the user dismissed papers

    @property
    def query(self) -> np.ndarray:
        """The direction of the best papers, for an approximate search."""
        direction = self.weights if self.weights is not None else self.positives.sum(axis=0)
        return direction / (np.linalg.norm(direction) or 1.0)

    def score(self, matrix: np.ndarray) -> np.ndarray:
        if self.weights is None:
            scores = (matrix @ self.positives.T).max(axis=1)
        else:
            scores = matrix @ self.weights + self.bias
        return scores if self.push is None else scores - self.push.penalty(matrix)

    def closest(self, matrix: np.ndarray) -> np.ndarray:
        """The paper id of the nearest positive, per row."""
        return self.positive_ids[np.argmax(matrix @ self.positives.T, axis=1)]


@dataclass
class Push:
    """What "not interested" takes off a paper's score: its closeness to the nearest dismissed paper, counted
    from the corpus's mean closeness in the corpus's spreads, beyond DISMISSED_NEAR of them, times `weight`
    (in spreads of the score). Only the dismissed papers' near neighbours lose anything."""

    dismissed: np.ndarray
    mean: float
    spread: float
    weight: float

    def penalty(self, matrix: np.ndarray) -> np.ndarray:
        near = (matrix @ self.dismissed.T).max(axis=1)
        return self.weight * np.maximum((near - self.mean) / self.spread - DISMISSED_NEAR, 0.0)

    @classmethod
    def fit(cls, dismissed: np.ndarray, corpus: np.ndarray, score_spread: float) -> Push:
        near = (corpus @ dismissed.T).max(axis=1)
        return cls(dismissed, float(near.mean()), float(near.std()) or 1.0, DISMISSED_PUSH * score_spread)


def fit_user_model(vectors: VectorIndex, positives: list[int], negatives: list[int], seed: int = 0) -> UserModel | None:
    """Train; None when no positive has a vector. With dismissed papers, the model also pushes their
    neighbours down (`Push`)."""
    model = _fit(vectors, positives, negatives, seed)
    neg_rows = _rows(vectors.ids, negatives)
    if model is not None and len(neg_rows):
        rng = np.random.default_rng(seed)
        corpus = vectors.rows(
            np.sort(rng.choice(len(vectors.ids), size=min(NEGATIVE_SAMPLE, len(vectors.ids)), replace=False))
        )
        spread = float(np.std(model.score(corpus))) or 1.0
        model.push = Push.fit(vectors.rows(neg_rows), corpus, spread)
    return model


def _fit(vectors: VectorIndex, positives: list[int], negatives: list[int], seed: int = 0) -> UserModel | None:
    """Train on the papers' vectors; None when no positive has a vector.

    The scorer adds two directions, each scaled to unit spread over the sampled corpus: the classifier's
    weights, and the centroid of the positives. The classifier alone overfits three or five positives and
    the centroid alone ignores what sets them apart from the corpus; together they beat either in
    benchmarks/recommend.py. The sum is still one linear scorer, so approximate search works on it.
    """
    ids = vectors.ids
    pos_rows = _rows(ids, positives)
    if len(pos_rows) == 0:
        return None
    liked = vectors.rows(pos_rows)
    if len(pos_rows) <= COLD_START_MAX:
        return UserModel(liked, ids[pos_rows], None, 0.0)
    neg_rows = _rows(ids, negatives)
    rng = np.random.default_rng(seed)
    sampled = rng.choice(len(ids), size=min(NEGATIVE_SAMPLE, len(ids)), replace=False)
    sampled = np.sort(np.setdiff1d(sampled, np.concatenate([pos_rows, neg_rows])))
    rows = np.concatenate([pos_rows, neg_rows, sampled])
    labels = np.concatenate([np.ones(len(pos_rows)), np.zeros(len(neg_rows) + len(sampled))])
    # A "not interested" paper weighs as much as many sampled ones; positives weigh as much as all negatives.
    negative_weight = np.concatenate([np.full(len(neg_rows), DISMISSED_WEIGHT), np.ones(len(sampled))])
    weights = np.concatenate([np.full(len(pos_rows), negative_weight.sum() / len(pos_rows)), negative_weight])
    # deferred: scikit-learn brings SciPy, a second of start-up for every process, and only a reader's model needs it
    from sklearn.linear_model import LogisticRegression

    classifier = LogisticRegression(C=REGULARISATION, max_iter=200)
    with one_blas_thread():
        classifier.fit(vectors.rows(rows), labels, sample_weight=weights)
    corpus = vectors.rows(sampled)
    direction = _unit_spread(classifier.coef_[0], corpus) + _unit_spread(liked.mean(axis=0), corpus)
    return UserModel(liked, ids[pos_rows], direction.astype(np.float32), 0.0)


@lru_cache(maxsize=1)
def _blas() -> ThreadpoolController:
    return ThreadpoolController()  # finds the BLAS libraries once: `threadpool_limits` re-reads them every call (5 ms)


def one_blas_thread():
    """A few hundred rows to fit, or one matrix-vector product: thread start-up would cost more than the work
    (x20 for the fit on 2 busy cores)."""
    return _blas().limit(limits=1)


def _unit_spread(direction: np.ndarray, corpus: np.ndarray) -> np.ndarray:
    """The direction scaled so that its scores over the corpus have a standard deviation of one."""
    spread = float(np.std(corpus @ direction)) if len(corpus) > 1 else 0.0
    return direction / spread if spread > 0 else direction


def _rows(ids: np.ndarray, paper_ids: list[int] | np.ndarray) -> np.ndarray:
    wanted = np.asarray(paper_ids, dtype=np.int64)
    pos = np.clip(np.searchsorted(ids, wanted), 0, max(len(ids) - 1, 0))
    return pos[ids[pos] == wanted] if len(ids) else np.zeros(0, dtype=np.int64)


def paper_vectors() -> VectorIndex | None:
    """The stored vectors of the site's embedding model: the one place the feed reads vectors from."""
    settings = get_settings()
    return vector_index(get_engine(settings), model_label(settings.embedding_model), settings)


_models: OrderedDict[tuple, UserModel | None] = OrderedDict()
_models_lock = threading.Lock()
_MODELS_KEPT = 256


def user_model(user: User, signals: Signals, vectors: VectorIndex) -> UserModel | None:
    """The user's model, trained again only when their signals (or the vectors) changed."""
    key = (user.id, signals.key, id(vectors), len(vectors))
    with _models_lock:
        if key in _models:
            _models.move_to_end(key)
            return _models[key]
    model = fit_user_model(vectors, signals.positives, signals.negatives, seed=signals.seed)
    with _models_lock:
        _models[key] = model
        while len(_models) > _MODELS_KEPT:
            _models.popitem(last=False)
    return model


def window_ids(session: Session, days: int | None, now: datetime | None = None) -> np.ndarray:
    """The papers that arrived on this site in the `days` days before `now` (default: this moment; no `days`: all
    of them). "New" in For you, a collection's feed and a group's means new to the site (on the daily feed, else
    harvested, imported or submitted), not the arXiv date, so a site that imported older papers still has a feed,
    and a reader is shown what is new to the site since they last looked."""
    return arrived_since(session, None if days is None else (now or datetime.now(UTC)) - timedelta(days=days))


def recommend(
    session: Session,
    user: User,
    window: str | int | None = DEFAULT_WINDOW,
    limit: int = 50,
    now: datetime | None = None,
) -> list[Pick]:
    """The papers that arrived on this site in the window that the user's model ranks highest, best first, without
    the papers the user already upvoted, saved, collected or dismissed."""
    days = window_days(window)
    return rank_candidates(session, user, lambda: window_ids(session, days, now), limit)


def rank_candidates(
    session: Session, user: User, candidates: Callable[[], np.ndarray] | np.ndarray, limit: int = 50
) -> list[Pick]:
    """The user's best papers among `candidates` (paper ids, or a function that reads them only if the user
    has a model), best first, without the papers the user already acted on; [] without signals or vectors."""
    vectors = paper_vectors()
    if vectors is None or limit <= 0:
        return []
    signals = user_signals(session, user)
    model = user_model(user, signals, vectors)
    if model is None:
        return []
    ids = np.asarray(candidates() if callable(candidates) else candidates, dtype=np.int64)
    ids = ids[~np.isin(ids, np.fromiter(signals.seen, dtype=np.int64, count=len(signals.seen)))]
    return _picks(session, vectors, model, _best(vectors, model, np.sort(ids), limit, signals.settings, session))


def top_picks(session: Session, vectors: VectorIndex, model: UserModel, ids: np.ndarray, limit: int) -> list[Pick]:
    """The `limit` papers among `ids` that `model` scores highest, best first, each with its closest positive
    (the collection and group feeds: no member's steering applies)."""
    return _picks(session, vectors, model, _best(vectors, model, np.sort(ids), limit))


def _best(
    vectors: VectorIndex,
    model: UserModel,
    candidates: np.ndarray,
    limit: int,
    settings: FeedSettings | None = None,
    session: Session | None = None,
) -> list[tuple[int, float]]:
    rows = _rows(vectors.ids, candidates)
    if len(rows) > EXACT_MAX and vectors.approximate:
        found = vectors.search(model.query, limit * 4, keep=lambda ids: ids[np.isin(ids, candidates)])
        rows = _rows(vectors.ids, np.array(sorted(pid for pid, _ in found), dtype=np.int64))
    if len(rows) == 0:
        return []
    with one_blas_thread():
        scores = vectors.score_rows(model.score, rows)
    if settings is not None and session is not None and (settings.community or settings.diversity):
        return steer(session, vectors, vectors.ids[rows], scores, settings, limit)
    top = np.argpartition(-scores, limit)[:limit] if len(scores) > limit else np.arange(len(scores))
    order = top[np.lexsort((rows[top], -scores[top]))]  # best first; ties by paper order, as a stable sort
    return [(int(vectors.ids[rows[i]]), float(scores[i])) for i in order]


def _picks(session: Session, vectors: VectorIndex, model: UserModel, best: list[tuple[int, float]]) -> list[Pick]:
    if not best:
        return []
    picked = np.array([pid for pid, _ in best], dtype=np.int64)
    closest = model.closest(vectors.rows(_rows(vectors.ids, picked)))
    wanted = set(picked.tolist()) | set(closest.tolist())
    papers = papers_by_ids(session, wanted, include_hidden=True)
    picks = []
    for (pid, score), because_id in zip(best, closest.tolist(), strict=True):
        paper, because = papers.get(pid), papers.get(because_id)
        if paper is not None:
            picks.append(Pick(paper, score, because, shared_terms(paper, because) if because else []))
    return picks


def shared_terms(paper: Paper, other: Paper, limit: int = SHARED_TERMS) -> list[str]:
    """Topics the two papers share, as a reader would name them: the keyword phrases of either that the other
    writes too, then the topic phrases both write (longest first), never a word of scientific prose."""
    ours, theirs = paper_topics(paper), paper_topics(other)
    our_text, their_text = _plain(f"{paper.title} {paper.abstract}"), _plain(f"{other.title} {other.abstract}")
    found = [t for t in ours[0] if _writes(their_text, t)] + [t for t in theirs[0] if _writes(our_text, t)]
    found += sorted((t for t in ours[1] if t in set(theirs[1])), key=lambda t: -len(t.split()))
    terms: list[str] = []
    for term in dict.fromkeys(found):
        if " " not in term and term.lower() in GENERIC_NOUNS:
            continue
        if not any(_writes(kept, term) or _writes(term, kept) for kept in terms):  # "memory" in "episodic memory"
            terms.append(term)
    return terms[:limit]


def paper_topics(paper: Paper) -> tuple[list[str], tuple[str, ...]]:
    """The paper's keyword chips and its topic phrases, in lower case but for acronyms ("LLMs")."""
    return [_reading_case(k) for k in paper.ai_keywords or []], _phrases(paper.title, paper.abstract or "")


@lru_cache(maxsize=4096)
def _phrases(title: str, abstract: str) -> tuple[str, ...]:
    """Cached: the same liked papers explain every pick of a page."""
    return tuple(_reading_case(c) for c in candidates(title, abstract))


def _reading_case(phrase: str) -> str:
    """'Large Language Models (LLMs)' as a sentence writes it: 'large language models', 'LLMs'."""
    return re.sub(r"\b[A-Z]?[a-z]+\b", lambda m: m.group().lower(), phrase)


def _plain(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _writes(text: str, phrase: str) -> bool:
    return f" {phrase.lower()} " in f" {text.lower()} "

"""What a member's For-you model learned, as they can read it: the topics that pull papers up and those that
push them down, and how much each of their papers weighs, each with its weight; and the signals behind it,
each marked as training, taken out of the profile, or waiting for a paused feed to resume.

Every weight is in one unit: standard deviations of the model's scores over a sample of the site's papers
(the same sample the model trains against), so "+2.0" means two spreads above the site's average paper.
A paper weighs its own score; a topic weighs the mean score of the sampled and signal papers that name it
(their keyword chips and topic phrases), so a topic is shown only as strongly as the model ranks its papers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from dailypapers.index.words import GENERIC_NOUNS
from dailypapers.ranking.recommend import NEGATIVE_SAMPLE, _rows, paper_topics, paper_vectors, user_model
from dailypapers.ranking.signals import FeedSettings, Signals, trains, user_signals
from dailypapers.store.db import Session
from dailypapers.store.library import marks_by_kind
from dailypapers.store.models import Paper, User
from dailypapers.store.reads import papers_by_ids

TOPICS_SHOWN = 10  # on each side
MIN_TOPIC_PAPERS = 2  # a topic named by one paper is that paper, not a topic
PAPERS_SHOWN = 200


@dataclass
class Weight:
    name: str  # a topic phrase, or a paper's arXiv id
    weight: float


@dataclass
class SignalPaper:
    paper: Paper
    kinds: list[str]  # "upvote", "save", "dismissal", "collection:NAME"
    weight: float | None  # None: no vector yet, or no model
    state: str  # "training", "ignored" (taken out of the profile), "waiting" (after a pause), "reset"

    @property
    def dismissed(self) -> bool:
        return "dismissal" in self.kinds


@dataclass
class Profile:
    settings: FeedSettings
    trained: bool  # a model exists: some signal trains it
    pulls: list[Weight] = field(default_factory=list)  # topics, strongest first
    pushes: list[Weight] = field(default_factory=list)  # topics, most pushed first
    papers: list[SignalPaper] = field(default_factory=list)  # training ones by weight, then the others
    total: int = 0  # signal papers, beyond the PAPERS_SHOWN listed


def read_profile(session: Session, user: User) -> Profile:
    signals = user_signals(session, user)
    marks = marks_by_kind(session, user.id)
    kinds: dict[int, list[str]] = defaultdict(list)
    states: dict[int, str] = {}
    for kind, pid, at in sorted(marks, key=lambda m: m[0]):
        kinds[pid].append(kind)
        if trains(signals.settings, pid, at):
            states[pid] = "training"
        else:
            states.setdefault(pid, _why_not(signals.settings, pid, at))
    vectors = paper_vectors()
    model = user_model(user, signals, vectors) if vectors is not None else None
    profile = Profile(signals.settings, model is not None, total=len(kinds))
    weights: dict[int, float] = {}
    if vectors is not None and model is not None:
        sample = _sample(vectors, signals)
        base = model.score(vectors.rows(_rows(vectors.ids, sample)))
        mean, spread = float(base.mean()), float(base.std()) or 1.0
        pool = np.union1d(sample, np.fromiter(kinds, dtype=np.int64, count=len(kinds)))
        rows = _rows(vectors.ids, pool)
        scores = (model.score(vectors.rows(rows)) - mean) / spread
        weights = {int(pid): float(z) for pid, z in zip(vectors.ids[rows], scores, strict=True)}
        papers = papers_by_ids(session, set(weights) | set(kinds), include_hidden=True)
        profile.pulls, profile.pushes = _topics(papers, weights)
    else:
        papers = papers_by_ids(session, set(kinds), include_hidden=True)
    listed = [
        SignalPaper(papers[pid], sorted(kinds[pid]), weights.get(pid), states[pid]) for pid in kinds if pid in papers
    ]
    listed.sort(key=lambda s: (s.state != "training", -abs(s.weight or 0.0), s.paper.id))
    profile.papers = listed[:PAPERS_SHOWN]
    return profile


def _why_not(settings: FeedSettings, paper_id: int, at: datetime) -> str:
    if paper_id in settings.ignored:
        return "ignored"
    if settings.paused_at is not None and at >= settings.paused_at:
        return "waiting"
    return "reset"


def _sample(vectors, signals: Signals) -> np.ndarray:
    """The papers the model is measured against: the sample it trains against (same seed, same size)."""
    rng = np.random.default_rng(signals.seed)
    picked = rng.choice(len(vectors.ids), size=min(NEGATIVE_SAMPLE, len(vectors.ids)), replace=False)
    return vectors.ids[np.sort(picked)]


def _topics(papers: dict[int, Paper], weights: dict[int, float]) -> tuple[list[Weight], list[Weight]]:
    """Each topic's mean weight over the papers that name it; the strongest each way, one of overlapping ones
    ("episodic memory" keeps out "memory")."""
    named: dict[str, list[float]] = defaultdict(list)
    for pid, weight in weights.items():
        paper = papers.get(pid)
        if paper is None:
            continue
        keywords, phrases = paper_topics(paper)
        for term in dict.fromkeys([*keywords, *(p for p in phrases if _names_a_topic(p))]):
            if " " in term or term.lower() not in GENERIC_NOUNS:
                named[term].append(weight)
    means = [Weight(term, float(np.mean(w))) for term, w in named.items() if len(w) >= MIN_TOPIC_PAPERS]
    pulls = _distinct(sorted((t for t in means if t.weight > 0), key=lambda t: (-t.weight, t.name)))
    pushes = _distinct(sorted((t for t in means if t.weight < 0), key=lambda t: (t.weight, t.name)))
    return pulls, pushes


def _names_a_topic(phrase: str) -> bool:
    """A phrase of several words, a hyphenated term or an acronym ("graph neural networks", "self-correction",
    "MCTS"): a lone word of prose ("traces", "forms") says nothing of a field."""
    return " " in phrase or "-" in phrase or any(c.isupper() for c in phrase)


def _distinct(terms: list[Weight]) -> list[Weight]:
    kept: list[Weight] = []
    for term in terms:
        words = f" {term.name.lower()} "
        if not any(f" {k.name.lower()} " in words or words in f" {k.name.lower()} " for k in kept):
            kept.append(term)
        if len(kept) == TOPICS_SHOWN:
            break
    return kept

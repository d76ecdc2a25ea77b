"""Keywords and an extractive one-sentence summary of a paper, from its title and abstract (pure functions).

Keywords are KeyBERT-style: candidate topic phrases (1-3 words ending in a noun, see `candidate_spans`) taken
from the text, scored by the cosine between their embedding and the paper's, then picked with maximal marginal
relevance so that they do not repeat each other. The summary is the sentence that says what the paper does
("We propose ..."), else the most central sentence that stands alone (closest to the centroid of the
sentences' embeddings), never one that opens with a connective. Nothing is generated: every word comes from
the paper.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from dailypapers.index.embedders import Embedder, paper_text
from dailypapers.index.token_vectors import TokenVectors, span_vectors
from dailypapers.index.words import (
    CONNECTIVE,
    STOPWORDS,
    is_adjective,
    is_adverb,
    is_verb,
    is_verb_between,
    starts_with_connective,
)

MIN_KEYWORDS, MAX_KEYWORDS = 3, 8
MAX_WORDS = 3
MAX_CANDIDATES = 32  # the most frequent ones, first seen first: bounds the embedding cost per paper
DIVERSITY = 0.5  # MMR weight of "unlike the keywords already picked" against "like the paper"
RELATIVE_FLOOR = 0.6  # past the minimum, a keyword must score at least this share of the best one
SUMMARY_CHARS = 250
# Static vectors rank single words too high (a word's vector is part of the paper's sum): multi-word phrases get
# this much relevance on top, the value that agrees best with the MiniLM keywords (benchmarks/keyphrases.py).
MULTIWORD_BONUS = 0.2

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'][A-Za-z0-9]+)*")
_BREAK = re.compile(r"[^A-Za-z0-9\s'-]|\s-\s|'s\b|'(?![A-Za-z0-9])|(?<![A-Za-z0-9])'")  # punctuation ends a phrase
# "We propose X", "In this paper, we introduce X", "This work presents X": the sentence that says what the paper does.
_WHAT_IT_DOES = re.compile(
    r"^(?:(?:here|in this (?:paper|work|study|article))\s+|[^,;:]{0,120},\s+)?"
    r"((?:we|this (?:paper|work|study|article))\s+(?:\w+ly\s+)?"
    r"(?:propose|present|introduce|develop|design|build|release|construct|create|formulate"
    r"|offer|describe)s?\b.*)",
    re.IGNORECASE | re.DOTALL,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])")


@dataclass(frozen=True)
class Description:
    keywords: list[str]
    summary: str


def source_hash(title: str, abstract: str) -> str:
    """What the keywords and summary were computed from: a changed title or abstract means recompute."""
    return hashlib.md5(paper_text(title, abstract).encode()).hexdigest()


def candidates(title: str, abstract: str = "") -> list[str]:
    """Topic phrases of 1-3 words (see `candidate_spans`), most frequent first, then in reading order."""
    return [phrase for phrase, _, _ in candidate_spans(title, abstract)]


def candidate_spans(title: str, abstract: str = "") -> list[tuple[str, int, int]]:
    """The candidates with where each is first written in `paper_text(title, abstract)`: (phrase, start, end).

    A candidate is what a person writes as a topic: the end of a run of content words (no function word, verb
    or adverb inside), so it ends in the run's noun ("temporal attention maps", "attention maps", never
    "temporal"). A phrase of the title is taken whole, as its author wrote it: no fragment of it is a candidate.
    """
    text = paper_text(title, abstract)
    fragments = title_fragments(title)
    counts: dict[str, int] = {}
    first: dict[str, tuple[str, int, int]] = {}
    for start, end in _chunks(text):
        for run in _runs(list(_WORD.finditer(text, start, end))):
            for i in range(max(0, len(run) - MAX_WORDS), len(run)):
                key = " ".join(m.group().lower() for m in run[i:])
                if key in fragments:
                    continue
                counts[key] = counts.get(key, 0) + 1
                if key not in first:
                    first[key] = (text[run[i].start() : run[-1].end()], run[i].start(), run[-1].end())
    order = sorted(counts, key=lambda key: -counts[key])  # stable: ties stay in reading order
    return [first[key] for key in order[:MAX_CANDIDATES]]


def title_fragments(title: str) -> set[str]:
    """The parts of the title's runs that are not a chip of their own: all but a whole run, or, for a run longer
    than a chip, its last words ("Reinforcement Learning" of "Offline Goal-Conditioned Reinforcement Learning")."""
    fragments = set()
    for start, end in _chunks(title):
        for run in _runs(list(_WORD.finditer(title, start, end))):
            words = [m.group().lower() for m in run]
            whole = len(words) <= MAX_WORDS
            tails = (
                {" ".join(words)} if whole else {" ".join(words[i:]) for i in range(len(words) - MAX_WORDS, len(words))}
            )
            fragments |= {
                " ".join(words[i:j])
                for i in range(len(words))
                for j in range(i + 1, min(i + MAX_WORDS, len(words)) + 1)
            } - tails
    return fragments


def _runs(found: list[re.Match[str]]) -> list[list[re.Match[str]]]:
    """The runs of consecutive content words that end in a noun-like word."""
    content = [_is_content(m.group()) for m in found]
    runs: list[list[re.Match[str]]] = []
    run: list[re.Match[str]] = []
    for i, match in enumerate([*found, None]):
        if match and content[i] and not (i + 1 < len(found) and content[i + 1] and is_verb_between(match.group())):
            if _abbreviates(match.group(), run):  # "tree search MCTS": the abbreviation of the words before
                runs.append(run)
                run = []
            run.append(match)
            continue
        if run and not is_adjective(run[-1].group()):
            runs.append(run)
        run = []
    return runs


def _abbreviates(word: str, run: list[re.Match]) -> bool:
    """An acronym whose letters end with the initials of the last two or more words of the run."""
    if len(run) < 2 or word.islower():  # most words: asked of every one
        return False
    letters = re.sub(r"[^A-Za-z]", "", word)
    if sum(c.isupper() for c in letters) < 2 or len(run) < 2:
        return False
    letters = letters.lower().removesuffix("s") if letters.endswith("s") else letters.lower()
    initials = "".join(m.group()[0].lower() for m in run)
    return any(letters.endswith(initials[-n:]) for n in range(2, len(initials) + 1))


@lru_cache(maxsize=1 << 16)  # asked of every word of every paper; a vocabulary repeats
def _is_content(word: str) -> bool:
    return (
        len(word) > 1
        and not word.isdigit()
        and word.lower() not in STOPWORDS
        and not is_verb(word)
        and not is_adverb(word)
    )


def _chunks(text: str):
    """(start, end) of the stretches of `text` between punctuation: a phrase never crosses one."""
    start = 0
    for stop in _BREAK.finditer(text):
        yield start, stop.start()
        start = stop.end()
    yield start, len(text)


def sentences(abstract: str) -> list[str]:
    text = " ".join((abstract or "").split())
    return [text[start:end] for start, end in sentence_spans(text)]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of a whitespace-normalised text."""
    spans, start = [], 0
    for gap in _SENTENCE_END.finditer(text):
        spans.append((start, gap.start()))
        start = gap.end()
    return [(a, b) for a, b in [*spans, (start, len(text))] if b > a]


def summary_rows(parts: list[str]) -> list[int]:
    """The sentences a summary may be: those saying what the paper does, else those that stand alone (not
    leaning on the sentence before with "However", "Thus", ...), else all."""
    does = [i for i, part in enumerate(parts) if _WHAT_IT_DOES.match(part)]
    alone = [i for i, part in enumerate(parts) if not starts_with_connective(part)]
    return does or alone or list(range(len(parts)))


def summary_of(sentence: str) -> str:
    """The sentence as a summary shown alone: from "We propose" on, past a lead-in ("To address this, "), and
    never from a connective."""
    does = _WHAT_IT_DOES.match(sentence)
    if does:
        sentence = does.group(1)
    else:
        connective = CONNECTIVE.match(sentence)
        if connective:
            sentence = sentence[connective.end() :].lstrip(" ,")
    return trim(sentence[:1].upper() + sentence[1:])


def trim(sentence: str, limit: int = SUMMARY_CHARS) -> str:
    """At most `limit` characters, cut at a word boundary with an ellipsis."""
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return f"{cut}…"


def pick_keywords(
    phrases: list[str], vectors: np.ndarray, paper: np.ndarray, bonus: np.ndarray | float = 0.0
) -> list[str]:
    """Maximal marginal relevance over unit vectors: relevant to the paper (plus `bonus`), unlike the ones kept."""
    relevance = vectors @ paper + bonus
    similarity = vectors @ vectors.T
    lowered = [p.lower() for p in phrases]
    redundancy = np.zeros(len(phrases))  # the highest similarity to a kept phrase
    blocked = np.zeros(len(phrases), dtype=bool)
    picked: list[int] = []
    while len(picked) < min(MAX_KEYWORDS, len(phrases)):
        score = np.where(blocked, -np.inf, (1 - DIVERSITY) * relevance - DIVERSITY * redundancy)
        best = int(np.argmax(score))
        if score[best] == -np.inf:
            break
        if len(picked) >= MIN_KEYWORDS and relevance[best] < RELATIVE_FLOOR * relevance[picked[0]]:
            break
        picked.append(best)
        redundancy = similarity[best] if len(picked) == 1 else np.maximum(redundancy, similarity[best])
        kept = lowered[best]  # a phrase inside a kept one (or around it) says nothing new
        blocked |= [p in kept or kept in p for p in lowered]
    return [phrases[i] for i in picked]


def describe(
    papers: list[tuple[str, str]], embedder: Embedder, paper_vectors: Sequence[np.ndarray | None] | None = None
) -> list[Description]:
    """Keywords and summary of each (title, abstract), with one embedding call for the whole batch.

    `paper_vectors` are the papers' own vectors where the index has them already (None: encode that paper).
    """
    rows: dict[str, int] = {}  # each distinct text is encoded once: phrases like "language models" recur

    def row(text: str) -> int:
        return rows.setdefault(text, len(rows))

    plans = []
    for (title, abstract), known in zip(papers, paper_vectors or [None] * len(papers), strict=True):
        phrases, parts = candidates(title, abstract), sentences(abstract)
        own = row(paper_text(title, abstract)) if known is None else None
        plans.append((known, own, phrases, [row(p) for p in phrases], parts, [row(s) for s in parts]))
    vectors = embedder.embed(list(rows))
    described = []
    for known, own, phrases, phrase_rows, parts, part_rows in plans:
        paper = vectors[own] if known is None else known
        keywords = pick_keywords(phrases, vectors[phrase_rows], paper) if phrases else []
        described.append(Description(keywords, _summary(parts, vectors[part_rows]) if parts else ""))
    return described


def describe_with_tokens(papers: list[tuple[str, str]], tokens: TokenVectors) -> list[Description]:
    """The same keywords and summary, with static token vectors: a phrase, sentence or paper embeds as the sum of
    its tokens, so each paper is tokenised once and all its spans are one matrix product (no model runs)."""
    texts = [paper_text(title, abstract) for title, abstract in papers]
    described = []
    for (title, abstract), text, (starts, vectors) in zip(papers, texts, tokens.tokenize(texts), strict=True):
        found = candidate_spans(title, abstract)
        abstract_at = len(text) - len(" ".join((abstract or "").split()))  # paper_text ends with the abstract
        parts = [(abstract_at + a, abstract_at + b) for a, b in sentence_spans(text[abstract_at:])]
        spans = span_vectors(starts, vectors, [(0, len(text)), *((a, b) for _, a, b in found), *parts])
        phrases = [p for p, _, _ in found]
        bonus = np.array([MULTIWORD_BONUS if " " in p else 0.0 for p in phrases])
        keywords = pick_keywords(phrases, spans[1 : len(found) + 1], spans[0], bonus) if found else []
        written = [text[start:end] for start, end in parts]
        summary = _summary(written, spans[len(found) + 1 :]) if parts else ""
        described.append(Description(keywords, summary))
    return described


def _summary(parts: list[str], vectors: np.ndarray) -> str:
    """The most central of the sentences a summary may be: the closest to the centroid of all the sentences."""
    rows = summary_rows(parts)
    best = rows[int(np.argmax(vectors[rows] @ vectors.mean(axis=0)))]
    return summary_of(parts[best])


def reads_badly(phrase: str, title: str) -> bool:
    """A chip a person would not write: it starts or ends in a function word or a verb, ends in an adjective
    (its noun is missing), or is a fragment of a longer phrase of the title."""
    words = _WORD.findall(phrase)
    if not words:
        return True
    first, last = words[0], words[-1]
    if any(w.lower() in STOPWORDS or is_verb(w) for w in (first, last)) or is_adjective(last):
        return True
    return phrase.lower() in title_fragments(title)

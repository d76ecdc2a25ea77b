"""Keywords and an extractive one-sentence summary of a paper, from its title and abstract (pure functions).

Keywords are KeyBERT-style: candidate phrases (1-3 words, no stopwords) taken from the text,
scored by the cosine between their embedding and the paper's, then picked with maximal marginal relevance so
that they do not repeat each other. The summary is the abstract's most central sentence: the one closest
to the centroid of its sentences' embeddings. Nothing is generated: every word comes from the paper.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dailypapers.index.embedders import Embedder, paper_text
from dailypapers.index.token_vectors import TokenVectors, span_vectors

MIN_KEYWORDS, MAX_KEYWORDS = 3, 8
MAX_WORDS = 3
MAX_CANDIDATES = 32  # the most frequent ones, first seen first: bounds the embedding cost per paper
DIVERSITY = 0.5  # MMR weight of "unlike the keywords already picked" against "like the paper"
RELATIVE_FLOOR = 0.6  # past the minimum, a keyword must score at least this share of the best one
SUMMARY_CHARS = 250
# Static vectors rank single words too high (a word's vector is part of the paper's sum): multi-word phrases get
# this much relevance on top, the value that agrees best with the MiniLM keywords (benchmarks/keyphrases.py).
MULTIWORD_BONUS = 0.2

# Function words and the boilerplate of abstracts: a phrase may contain neither at its ends.
STOPWORDS = frozenset("""
a about above across after again against all almost along also although always among an and another any
are around as at be because been before being below between both but by can could did do does doing done
due during each either enough especially etc even ever every few for from further had has have having here
how however if in into is it its itself just least less many may might more most much must neither no nor
not of off often on once one only onto or other others otherwise our ours out over own per perhaps rather
same several shall she should since so some such than that the their theirs them themselves then there
these they this those though through thus to too toward towards under until up upon us very via was we were
what whatever when where whereas whether which while who whom whose why will with within without would yet
you your

abstract achieve achieved achieves address addresses allow allows apply applied approach approaches based
believe better called consider considered demonstrate demonstrates describe described different existing
experiment experiments find first further given good however improve improved improves introduce introduced
introduces latter lead leads make makes method methods new novel obtain obtained outperform
outperforms paper particular present presented presents previous problem problems propose proposed proposes
provide provided provides recent recently result results second several show showed shown shows significant
significantly study studied studies suggest task tasks three two use used uses using various well
whole work works
""".split())

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'][A-Za-z0-9]+)*")
_BREAK = re.compile(r"[^A-Za-z0-9\s'-]|\s-\s|'s\b|'(?![A-Za-z0-9])|(?<![A-Za-z0-9])'")  # punctuation ends a phrase
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])")


@dataclass(frozen=True)
class Description:
    keywords: list[str]
    summary: str


def source_hash(title: str, abstract: str) -> str:
    """What the keywords and summary were computed from: a changed title or abstract means recompute."""
    return hashlib.md5(paper_text(title, abstract).encode()).hexdigest()


def candidates(text: str) -> list[str]:
    """Phrases of 1-3 words without stopwords (noun-phrase-like), most frequent first, then in reading order."""
    return [phrase for phrase, _, _ in candidate_spans(text)]


def candidate_spans(text: str) -> list[tuple[str, int, int]]:
    """The candidates with where each is first written in `text`: (phrase, start, end)."""
    counts: dict[str, int] = {}
    first: dict[str, tuple[str, int, int]] = {}
    for start, end in _chunks(text):
        found = list(_WORD.finditer(text, start, end))
        words = [m.group() for m in found]
        lowered = [w.lower() for w in words]
        content = [len(w) > 1 and low not in STOPWORDS and not w.isdigit()
                   for w, low in zip(words, lowered, strict=True)]
        for i in range(len(words)):
            for last in range(i, min(i + MAX_WORDS, len(words))):
                if not content[last]:
                    break  # a longer phrase from here would hold the same stopword
                key = " ".join(lowered[i:last + 1])
                counts[key] = counts.get(key, 0) + 1
                if key not in first:
                    first[key] = (" ".join(words[i:last + 1]), found[i].start(), found[last].end())
    order = sorted(counts, key=lambda key: -counts[key])  # stable: ties stay in reading order
    return [first[key] for key in order[:MAX_CANDIDATES]]


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


def trim(sentence: str, limit: int = SUMMARY_CHARS) -> str:
    """At most `limit` characters, cut at a word boundary with an ellipsis."""
    if len(sentence) <= limit:
        return sentence
    cut = sentence[:limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return f"{cut}…"


def pick_keywords(phrases: list[str], vectors: np.ndarray, paper: np.ndarray,
                  bonus: np.ndarray | float = 0.0) -> list[str]:
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


def describe(papers: list[tuple[str, str]], embedder: Embedder,
             paper_vectors: Sequence[np.ndarray | None] | None = None) -> list[Description]:
    """Keywords and summary of each (title, abstract), with one embedding call for the whole batch.

    `paper_vectors` are the papers' own vectors where the index has them already (None: encode that paper).
    """
    rows: dict[str, int] = {}  # each distinct text is encoded once: phrases like "language models" recur

    def row(text: str) -> int:
        return rows.setdefault(text, len(rows))

    plans = []
    for (title, abstract), known in zip(papers, paper_vectors or [None] * len(papers), strict=True):
        phrases, parts = candidates(f"{title}. {abstract}"), sentences(abstract)
        own = row(paper_text(title, abstract)) if known is None else None
        plans.append((known, own, phrases, [row(p) for p in phrases], parts, [row(s) for s in parts]))
    vectors = embedder.embed(list(rows))
    described = []
    for known, own, phrases, phrase_rows, parts, part_rows in plans:
        paper = vectors[own] if known is None else known
        keywords = pick_keywords(phrases, vectors[phrase_rows], paper) if phrases else []
        described.append(Description(keywords, trim(_central(parts, vectors[part_rows])) if parts else ""))
    return described


def describe_with_tokens(papers: list[tuple[str, str]], tokens: TokenVectors) -> list[Description]:
    """The same keywords and summary, with static token vectors: a phrase, sentence or paper embeds as the sum of
    its tokens, so each paper is tokenised once and all its spans are one matrix product (no model runs)."""
    texts = [paper_text(title, abstract) for title, abstract in papers]
    described = []
    for (_, abstract), text, (starts, vectors) in zip(papers, texts, tokens.tokenize(texts), strict=True):
        found = candidate_spans(text)
        abstract_at = len(text) - len(" ".join((abstract or "").split()))  # paper_text ends with the abstract
        parts = [(abstract_at + a, abstract_at + b) for a, b in sentence_spans(text[abstract_at:])]
        spans = span_vectors(starts, vectors, [(0, len(text)), *((a, b) for _, a, b in found), *parts])
        phrases = [p for p, _, _ in found]
        bonus = np.array([MULTIWORD_BONUS if " " in p else 0.0 for p in phrases])
        keywords = pick_keywords(phrases, spans[1:len(found) + 1], spans[0], bonus) if found else []
        summary = ""
        if parts:
            start, end = parts[_central_row(spans[len(found) + 1:])]
            summary = trim(text[start:end])
        described.append(Description(keywords, summary))
    return described


def _central(parts: list[str], vectors: np.ndarray) -> str:
    return parts[_central_row(vectors)]


def _central_row(vectors: np.ndarray) -> int:
    return int(np.argmax(vectors @ vectors.mean(axis=0)))

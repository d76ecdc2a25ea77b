"""Keywords and extractive summary: taken from the paper's own text, 3-8 of them, stable, kept current by the index."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from dailypapers.index.build import build_index
from dailypapers.index.embedders import get_embedder
from dailypapers.index.keyphrases import (
    MAX_KEYWORDS,
    MIN_KEYWORDS,
    STOPWORDS,
    candidate_spans,
    candidates,
    describe,
    describe_with_tokens,
    sentences,
    trim,
)
from dailypapers.index.token_vectors import minilm_token_vectors
from dailypapers.ingest.demo import demo_records
from dailypapers.store.models import Paper
from dailypapers.store.papers import upsert_papers

PAPERS = [(r.title, r.abstract) for r in demo_records()[:4]]


@pytest.fixture(scope="module", params=["minilm-tokens", "minilm"])
def describer(request):
    """The default (static token vectors) and the transformer (keyphrase_model = "minilm")."""
    if request.param == "minilm":
        minilm = get_embedder("minilm")
        return lambda papers: describe(papers, minilm)
    tokens = minilm_token_vectors()
    return lambda papers: describe_with_tokens(papers, tokens)


def test_keywords_come_from_the_text_and_the_summary_is_its_most_central_sentence(describer):
    described = describer(PAPERS)
    for (title, abstract), d in zip(PAPERS, described, strict=True):
        assert MIN_KEYWORDS <= len(d.keywords) <= MAX_KEYWORDS, d.keywords
        text = " ".join(f"{title}. {abstract}".split()).lower()
        assert all(k.lower() in text for k in d.keywords), d.keywords
        assert len({k.lower() for k in d.keywords}) == len(d.keywords)
        assert 0 < len(d.summary) <= 250
        assert any(s.startswith(d.summary.rstrip("…")) for s in sentences(abstract)), d.summary
    assert describer(PAPERS) == described  # stable


def test_static_keywords_are_topical():
    [d] = describe_with_tokens([("Sparse attention for long documents",
                                 "We study sparse attention. Long documents need memory-efficient transformers.")],
                               minilm_token_vectors())
    assert {"Sparse attention", "long documents", "Long documents"} & set(d.keywords), d.keywords


def test_candidates_hold_no_stopwords_and_keep_the_written_case():
    found = candidates("We propose Sparse Attention for long documents, and show that it scales.")
    assert "Sparse Attention" in found and "long documents" in found
    assert all(w.lower() not in STOPWORDS for phrase in found for w in phrase.split())
    assert all(len(phrase.split()) <= 3 for phrase in found)
    text = "We propose Sparse Attention for long documents, and show that it scales."
    assert all(text[start:end] == phrase for phrase, start, end in candidate_spans(text))


def test_trim_cuts_at_a_word_boundary():
    sentence = "word " * 80
    cut = trim(sentence.strip(), 250)
    assert len(cut) <= 250 and cut.endswith("word…")
    assert trim("Short enough.") == "Short enough."


def test_the_index_run_fills_them_and_recomputes_after_an_abstract_change(engine, session):
    with engine.begin() as conn:
        upsert_papers(conn, demo_records()[:3])
    report = build_index(models=["minilm"])
    assert report.described == 3 and "keywords and summary: 3 papers computed" in report.lines()
    papers = session.scalars(select(Paper).order_by(Paper.id)).all()
    assert all(MIN_KEYWORDS <= len(p.ai_keywords) <= MAX_KEYWORDS and p.ai_summary for p in papers)
    assert build_index(models=["minilm"]).described == 0  # nothing changed
    first = papers[0]
    assert first.arxiv_id == demo_records()[0].arxiv_id
    before = list(first.ai_keywords)
    newer = replace(demo_records()[0], version=demo_records()[0].version + 1,
                    abstract="Graph neural networks predict molecular properties. Message passing over atoms works.")
    with engine.begin() as conn:
        assert upsert_papers(conn, [newer]).updated == 1
    assert build_index(models=["minilm"]).described == 1
    session.expire_all()
    changed = session.get(Paper, first.id)
    assert changed.ai_keywords != before and changed.ai_summary.startswith(("Graph neural", "Message passing"))

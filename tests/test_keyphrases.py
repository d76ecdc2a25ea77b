"""Keywords and extractive summary: taken from the paper's own text, 3-8 of them, stable, kept current by the index."""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import replace

import pytest
from sqlalchemy import select

from dailypapers.index.build import build_index
from dailypapers.index.embedders import get_embedder, paper_text
from dailypapers.index.keyphrases import (
    MAX_KEYWORDS,
    MIN_KEYWORDS,
    STOPWORDS,
    candidate_spans,
    candidates,
    describe,
    describe_with_tokens,
    sentences,
    title_fragments,
    trim,
)
from dailypapers.index.token_vectors import minilm_token_vectors
from dailypapers.index.words import is_adjective, is_verb, starts_with_connective
from dailypapers.ingest.demo import demo_records
from dailypapers.store.models import Paper
from dailypapers.store.papers import upsert_papers

PAPERS = [(r.title, r.abstract) for r in demo_records()[:4]]


@pytest.fixture(scope="module", params=["minilm-tokens", pytest.param("minilm", marks=pytest.mark.slow)])
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
        shown = d.summary.rstrip("…")
        assert any(
            shown[1:] in s and shown[0].lower() == s[s.index(shown[1:]) - 1].lower()
            for s in sentences(abstract)
            if shown[1:] in s
        ), d.summary  # from the abstract, word for word
    assert describer(PAPERS) == described  # stable


def test_static_keywords_are_topical():
    [d] = describe_with_tokens(
        [
            (
                "Sparse attention for long documents",
                "We study sparse attention. Long documents need memory-efficient transformers.",
            )
        ],
        minilm_token_vectors(),
    )
    assert {"Sparse attention", "long documents", "Long documents"} & set(d.keywords), d.keywords


def test_candidates_hold_no_stopwords_and_keep_the_written_case():
    abstract = "We propose Sparse Attention for long documents, and show that it scales."
    found = candidates("Attention", abstract)
    assert "Sparse Attention" in found and "long documents" in found
    assert all(w.lower() not in STOPWORDS for phrase in found for w in phrase.split())
    assert all(len(phrase.split()) <= 3 for phrase in found)
    text = paper_text("Attention", abstract)
    assert all(text[start:end] == phrase for phrase, start, end in candidate_spans("Attention", abstract))


def test_candidates_end_in_their_noun_and_keep_title_phrases_whole():
    title = "BroadWay: Boost Your Text-to-Video Generation Model in a Training-free Way"
    found = {c.lower() for c in candidates(title, "The method prunes temporal tokens and keeps the rest.")}
    assert "text-to-video generation model" in found and "temporal tokens" in found
    assert not found & {
        "prunes temporal",
        "temporal",
        "training-free way",
        "generation model",
        "text-to-video",
        "text-to-video generation",
        "boost",
    }, found


DEMO = demo_records()


@pytest.fixture(scope="module")
def demo_described():
    return describe_with_tokens([(r.title, r.abstract) for r in DEMO], minilm_token_vectors())


def test_demo_chips_are_phrases_a_person_would_write(demo_described):
    """On all 64 demo papers: no chip starts or ends in a function word, boilerplate or a verb, ends in an
    adjective, or is a fragment of a longer phrase of the title."""
    bad = []
    for record, d in zip(DEMO, demo_described, strict=True):
        fragments = title_fragments(record.title)
        for chip in d.keywords:
            first, last = chip.split()[0], chip.split()[-1]
            if (
                any(w.lower() in STOPWORDS or is_verb(w) for w in (first, last))
                or is_adjective(last)
                or chip.lower() in fragments
            ):
                bad.append(chip)
    assert not bad, bad
    chips = {k.lower() for d in demo_described for k in d.keywords}
    assert not chips & {"prunes temporal", "training-free way", "large language", "mental time"}
    assert sum(len(d.keywords) >= MIN_KEYWORDS for d in demo_described) >= 60  # a few short abstracts have fewer


def test_demo_summaries_say_what_the_paper_does_and_never_open_with_a_connective(demo_described):
    for record, d in zip(DEMO, demo_described, strict=True):
        assert not starts_with_connective(d.summary), d.summary
        says = [
            s
            for s in sentences(record.abstract)
            if re.match(r"(?:[^,]{0,120},\s+)?we (?:propose|present|introduce)\b", s, re.IGNORECASE)
        ]
        if says:
            assert re.match(r"We (?:propose|present|introduce|develop|design|build|construct)", d.summary), (
                d.summary,
                says[0],
            )


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
    newer = replace(
        demo_records()[0],
        version=demo_records()[0].version + 1,
        abstract="Graph neural networks predict molecular properties. Message passing over atoms works.",
    )
    with engine.begin() as conn:
        assert upsert_papers(conn, [newer]).updated == 1
    assert build_index(models=["minilm"]).described == 1
    session.expire_all()
    changed = session.get(Paper, first.id)
    assert changed.ai_keywords != before and changed.ai_summary.startswith(("Graph neural", "Message passing"))


def test_the_index_run_shows_the_keywords_and_summaries_on_a_bar_of_every_paper(engine):
    with engine.begin() as conn:
        upsert_papers(conn, demo_records()[:3])
    bars: dict[str, list] = {}

    @contextmanager
    def progress(description: str, total: int):  # the CLI's bar protocol (commands/indexing.py)
        bars[description] = [total, 0]
        yield lambda n: bars[description].__setitem__(1, bars[description][1] + n)

    build_index(models=["minilm"], progress=progress)
    assert bars["keywords and summaries"] == [3, 3]
    build_index(models=["minilm"], progress=progress)  # nothing to compute: the bar still runs to its end
    assert bars["keywords and summaries"] == [3, 3]

"""Your own research feed: save, not interested, collections, seeding, For you with reasons, exports, the
API and the CLI, on SQLite and on PostgreSQL.

The papers get synthetic vectors (two tight topics among noise) under the configured model's label, so the
tests exercise the product's model and vector reading without loading an embedding model.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, timedelta
from itertools import permutations

import bibtexparser
import numpy as np
import pytest
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from sqlalchemy import select

from dailypapers.community import library
from dailypapers.community.library import parse_references
from dailypapers.config import get_settings
from dailypapers.index.embedders import model_label
from dailypapers.index.keyphrases import describe_with_tokens
from dailypapers.index.token_vectors import minilm_token_vectors
from dailypapers.index.vectors import FileVectorIndex, build_vector_index, clear_cache
from dailypapers.index.vectors_pgvector import refresh_pgvector
from dailypapers.index.words import STOPWORDS
from dailypapers.ingest.demo import demo_records
from dailypapers.ranking import recommend
from dailypapers.ranking.recommend import fit_user_model, shared_terms
from dailypapers.store.db import get_engine, session_scope
from dailypapers.store.embeddings import save_vectors
from dailypapers.store.models import Paper, User
from dailypapers.store.papers import add_daily_entry
from tests.web_helpers import add_papers, client, csrf, record, signup

JSON = {"Accept": "application/json"}
GRAPHS = [f"2501.001{i:02d}" for i in range(8)]  # topic A
PROTEINS = [f"2501.002{i:02d}" for i in range(8)]  # topic B
NOISE = [f"2501.003{i:02d}" for i in range(12)]
OLD_GRAPH = "2412.00999"  # topic A, first published and added to this site 20 days ago
DIM = 16


def _topic_vector(rng, axis: int) -> np.ndarray:
    vector = rng.normal(scale=0.25, size=DIM)
    vector[axis] += 1.0
    return vector / np.linalg.norm(vector)


@pytest.fixture
def corpus(backend, settings):
    """28 recent papers (two topics and noise) and an old one, each with a vector."""
    rng = np.random.default_rng(0)
    records = (
        [
            record(
                a,
                f"Graph neural networks for traffic {i}",
                abstract="Message passing on road graphs.",
                days_old=1 + i % 3,
            )
            for i, a in enumerate(GRAPHS)
        ]
        + [
            record(a, f"Protein folding with diffusion {i}", abstract="Structures of proteins.", days_old=2)
            for i, a in enumerate(PROTEINS)
        ]
        + [
            record(a, f"Assorted topic {i}", abstract="Something else entirely.", days_old=3)
            for i, a in enumerate(NOISE)
        ]
        + [
            record(
                OLD_GRAPH,
                "Graph neural networks for rivers",
                abstract="Message passing on river graphs.",
                days_old=20,
                doi="10.1000/rivers",
            )
        ]
    )
    with session_scope() as session:
        add_papers(session, records, feed=False)
        papers = {p.arxiv_id: p for p in session.scalars(select(Paper))}
        papers[OLD_GRAPH].created_at = datetime.now(UTC) - timedelta(days=20)
        keys, vectors = [], []
        for arxiv_id, paper in sorted(papers.items(), key=lambda kv: kv[1].id):
            topic = 0 if arxiv_id in GRAPHS + [OLD_GRAPH] else 1 if arxiv_id in PROTEINS else None
            axis = topic if topic is not None else 2 + int(rng.integers(DIM - 2))
            keys.append((paper.id, paper.content_hash))
            vectors.append(_topic_vector(rng, axis))
    save_vectors(get_engine(), model_label(get_settings().embedding_model), keys, np.array(vectors))
    return papers


@pytest.fixture
def alice(corpus):
    c = client()
    signup(c, "alice")
    return c


def _post(c, path: str, **data):
    return c.post(path, data={**data, "csrf_token": csrf(c, "/papers")})


def _api(c, method: str, path: str, headers: dict | None = None, **kwargs):
    return c.request(method, path, headers={"X-CSRF-Token": csrf(c, "/papers"), **(headers or {})}, **kwargs)


BIBTEX = """
@article{kipf, title = {Graph neural networks for traffic 0}, author = {Ada Lovelace},
  eprint = {2501.00100}, archivePrefix = {arXiv}}
@misc{second, title = {Another}, url = {https://arxiv.org/abs/2501.00101v2}}
@article{third, title = {A third}, doi = {10.48550/arXiv.2501.00102}}
@book{nobody, title = {A book without any arXiv id}, author = {Some One}}
@misc{elsewhere, title = {Not on this site}, eprint = {2301.99999}}
"""


# --- signals --------------------------------------------------------------------------------------------


def test_save_dismiss_and_collect_are_one_form_each_and_idempotent(alice):
    page = alice.get("/papers/2501.00200").text
    assert "☆ Save" in page and "Not interested" in page and "Create a collection with this paper" in page
    for _ in range(2):  # a double submit keeps the state
        assert _post(alice, "/papers/2501.00200/save", on="1").status_code == 303
    assert "★ Saved" in alice.get("/papers/2501.00200").text
    assert "Protein folding with diffusion 0" in alice.get("/library").text
    assert _post(alice, "/papers/2501.00200/save", on="0").status_code == 303
    assert "library-empty" in alice.get("/library").text

    assert _post(alice, "/papers/2501.00201/dismiss", on="1").status_code == 303
    assert "Undo not interested" in alice.get("/papers/2501.00201").text

    created = _post(alice, "/collections", name="Reading group", public="1")
    assert created.status_code == 303
    path = created.headers["location"]
    collection_id = int(path.rsplit("/", 1)[1])
    assert _post(alice, f"/collections/{collection_id}/papers", paper="2501.00202", on="1").status_code == 303
    card = alice.get("/papers/2501.00202").text
    assert "✓ Reading group" in card
    shared = client().get(path)  # public: anyone with the link
    assert shared.status_code == 200 and "Protein folding with diffusion 2" in shared.text
    assert _post(alice, f"/collections/{collection_id}/visibility").status_code == 303  # now private
    assert client().get(path).status_code == 404
    assert alice.get(path).status_code == 200


def _alice(session) -> User:
    return session.scalar(select(User).where(User.username == "alice"))


def test_collect_makes_a_new_collection_with_the_paper_in_one_step(alice):
    """The Collect menu of every card holds a small form: a name, and the paper goes into a new collection."""
    menu = alice.get("/papers/2501.00200").text
    assert 'action="/papers/2501.00200/collect-new"' in menu and 'for="new-collection-paper-2501.00200"' in menu
    made = alice.post(
        "/papers/2501.00200/collect-new",
        headers={"referer": "http://testserver/papers?p=1"},
        data={"name": "  To read   soon ", "csrf_token": csrf(alice, "/papers")},
    )
    assert made.status_code == 303 and made.headers["location"] == "/papers?p=1#paper-2501.00200"
    with session_scope() as session:
        (collection,) = library.user_collections(session, _alice(session))
        assert collection.name == "To read soon" and not collection.public
        assert [p.arxiv_id for p in library.collection_page(session, collection, 10).papers] == ["2501.00200"]
    assert "✓ To read soon" in alice.get("/papers/2501.00200").text
    assert _post(alice, "/papers/2501.00201/collect-new", name="To read soon").status_code == 400  # taken
    assert _post(alice, "/papers/2501.00201/collect-new", name=" ").status_code == 400
    assert _post(alice, "/papers/2101.99999/collect-new", name="Ghosts").status_code == 404
    as_json = alice.post(
        "/papers/2501.00201/collect-new",
        data={"name": "Later"},
        headers={**JSON, "X-CSRF-Token": csrf(alice, "/papers")},
    )
    assert as_json.status_code == 200 and as_json.json()["inside"] is True
    with session_scope() as session:
        names = [c.name for c in library.user_collections(session, _alice(session))]
    assert sorted(names) == ["Later", "To read soon"]  # neither refusal left an empty collection
    assert client().post("/papers/2501.00201/collect-new", data={"name": "x"}).status_code == 403


def test_signals_need_login_and_csrf(corpus):
    c = client()
    assert c.post("/papers/2501.00200/save", data={"on": "1"}).status_code == 403
    assert c.get("/for-you").status_code == 303
    assert c.get("/api/recommendations").status_code == 401
    assert "☆ Save" not in c.get("/papers/2501.00200").text


def test_json_api_for_library_collections_and_dismissals(alice):
    assert _api(alice, "POST", "/api/papers/2501.00100/save").json() == {"id": "2501.00100", "saved": True}
    assert _api(alice, "POST", "/api/papers/2501.00201/dismiss").json()["dismissed"] is True
    created = _api(alice, "POST", "/api/collections", json={"name": "Graphs", "public": False})
    assert created.status_code == 201
    collection = created.json()
    added = _api(alice, "POST", f"/api/collections/{collection['id']}/papers/2501.00101")
    assert added.json()["inside"] is True
    listing = alice.get("/api/library").json()
    assert [p["id"] for p in listing["saved"]] == ["2501.00100"]
    assert listing["collections"][0]["name"] == "Graphs" and listing["collections"][0]["public"] is False
    assert [p["id"] for p in alice.get(f"/api/collections/{collection['id']}").json()["papers"]] == ["2501.00101"]
    assert client().get(f"/api/collections/{collection['id']}").status_code == 404  # private
    assert _api(alice, "DELETE", "/api/papers/2501.00100/save").json()["saved"] is False
    duplicate = _api(alice, "POST", "/api/collections", json={"name": "Graphs"})
    assert duplicate.status_code == 400 and "already" in duplicate.json()["error"]
    assert _api(alice, "POST", "/api/papers/2501.99999/save").status_code == 404
    # text no database can store (PostgreSQL refuses NUL) answers 400 at the boundary, for every body
    for path, body in (
        ("/api/collections", {"name": "Gra\x00phs"}),
        ("/api/collections", {"name": "\ud800"}),
        ("/api/saved-searches", {"name": "x", "q": "graph\x00"}),
        ("/api/papers/2501.00100/comment", {"comment": "nul \x00 here"}),
    ):
        refused = _api(alice, "POST", path, content=json.dumps(body), headers={"Content-Type": "application/json"})
        assert refused.status_code == 400 and refused.json()["error"].split(":")[0] in ("name", "q", "comment"), path
    assert [c["name"] for c in alice.get("/api/library").json()["collections"]] == ["Graphs"]


# --- seeding --------------------------------------------------------------------------------------------


def test_references_come_from_eprint_url_doi_or_plain_ids():
    assert parse_references(BIBTEX) == [
        ("Graph neural networks for traffic 0", "2501.00100"),
        ("Another", "2501.00101"),
        ("A third", "2501.00102"),
        ("A book without any arXiv id", None),
        ("Not on this site", "2301.99999"),
    ]
    pasted = parse_references("2501.00100\nhttps://arxiv.org/pdf/2501.00101v1, arXiv:2501.00102 hello")
    assert [arxiv_id for _, arxiv_id in pasted] == ["2501.00100", "2501.00101", "2501.00102", None]


def test_seed_from_a_bibtex_upload_reports_what_it_could_not_match(alice):
    token = csrf(alice, "/for-you")
    response = alice.post(
        "/for-you/seed", data={"csrf_token": token}, files={"bibfile": ("refs.bib", BIBTEX.encode(), "text/x-bibtex")}
    )
    assert response.status_code == 200
    assert "3 papers added" in response.text
    assert "A book without any arXiv id" in response.text and "Not on this site (not in this site" in response.text
    assert alice.get("/api/library").json()["saved"][0]["id"] in {"2501.00100", "2501.00101", "2501.00102"}


def test_malformed_blocks_are_one_reference_and_no_log_line(caplog):
    """bibtexparser would log two lines for each block it cannot read; a seed reports them once, as a count."""
    caplog.set_level(logging.DEBUG)
    references = parse_references(BIBTEX + "@a{" * 1500)
    assert references[:5] == parse_references(BIBTEX)
    assert references[5:] == [("1500 BibTeX blocks that could not be read (the first on line 8)", None)]
    # (records of other threads, such as an earlier test's server winding down, are not the parser's)
    assert [r.getMessage() for r in caplog.records if r.name.startswith(("bibtexparser", "dailypapers"))] == []


def test_a_seed_of_too_many_blocks_is_refused_unparsed(alice, caplog):
    caplog.set_level(logging.DEBUG)
    malformed = "@a{" * 8000  # 24 KB
    refused = _api(alice, "POST", "/api/library/seed", json={"references": malformed})
    assert refused.status_code == 400
    assert refused.json()["error"] == "the file has 8000 BibTeX blocks; at most 2000 at a time"
    token = csrf(alice, "/for-you")
    uploaded = alice.post(
        "/for-you/seed",
        data={"csrf_token": token},
        headers={"Accept": "application/json"},
        files={"bibfile": ("refs.bib", malformed.encode(), "text/x-bibtex")},
    )
    assert uploaded.status_code == 400 and "8000 BibTeX blocks" in uploaded.json()["error"]
    assert [r.getMessage() for r in caplog.records if r.name.startswith("bibtexparser")] == []
    assert alice.get("/api/library").json()["saved"] == []


def test_a_seed_file_over_the_size_limit_is_refused_not_cut_short(alice):
    token = csrf(alice, "/for-you")
    big = BIBTEX + ("%" * 99 + "\n") * 2500  # just over 250 KB, under the request body limit
    assert 250_000 < len(big.encode()) < 256 * 1024
    response = alice.post(
        "/for-you/seed",
        data={"csrf_token": token},
        headers={"Accept": "application/json"},
        files={"bibfile": ("refs.bib", big.encode(), "text/x-bibtex")},
    )
    assert response.status_code == 400 and "larger than 250 KB" in response.json()["error"]
    assert alice.get("/api/library").json()["saved"] == []
    pasted = alice.post(
        "/for-you/seed",
        data={"csrf_token": token, "references": "2501.00100 " * 22_800},
        headers={"Accept": "application/json"},
    )
    assert pasted.status_code == 400 and pasted.json()["error"] == (
        "the references are 250,800 characters long; the limit is 250,000"
    )


# --- For you --------------------------------------------------------------------------------------------


def _seed(c, *ids: str) -> None:
    response = _api(c, "POST", "/api/library/seed", json={"references": "\n".join(ids)})
    assert response.status_code == 200 and response.json()["unmatched"] == []


def test_for_you_ranks_the_liked_topic_first_with_reasons(alice):
    _seed(alice, *GRAPHS[:3])
    picks = alice.get("/api/recommendations?limit=5").json()
    assert [p["id"] for p in picks] and all(p["id"] in GRAPHS[3:] for p in picks)
    assert set(picks[0]) == {"id", "title", "score", "because", "shared_terms"}  # as a collection feed's picks
    assert all(p["because"] in GRAPHS[:3] for p in picks)
    assert picks == sorted(picks, key=lambda p: -p["score"])

    page = alice.get("/for-you").text
    assert "Because you liked" in page and "shared terms:" in page and "traffic" in page
    assert 'href="/papers/2501.001' in page
    assert "Graph neural networks for rivers" not in page  # arrived 20 days ago: outside the week
    assert "Graph neural networks for rivers" in alice.get("/for-you?window=month").text
    assert OLD_GRAPH in [p["id"] for p in alice.get("/api/recommendations?limit=10&days=60").json()]
    assert alice.get("/for-you?window=year").status_code == 400


def test_beyond_the_exact_limit_for_you_asks_the_approximate_index_and_ranks_alike(alice, monkeypatch):
    _seed(alice, *GRAPHS[:3])
    exact = alice.get("/api/recommendations?limit=5").json()
    engine, model = get_engine(), model_label(get_settings().embedding_model)
    if engine.dialect.name == "postgresql":
        refresh_pgvector(engine, model, DIM)  # the model's HNSW index
    else:
        build_vector_index(engine, get_settings().data_dir, model, DIM, ann_min=0)  # a graph, however few
        clear_cache()
    assert recommend.paper_vectors().approximate
    monkeypatch.setattr(recommend, "EXACT_MAX", 0)  # every candidate list counts as large
    approximate = alice.get("/api/recommendations?limit=5").json()
    assert exact and [p["id"] for p in approximate] == [p["id"] for p in exact]


def test_new_means_arrived_on_this_site_not_first_published_on_arxiv(alice):
    """A paper first published on arXiv years ago but imported today is new this week; a paper on the daily
    feed of ten days ago is not, whatever its arXiv date."""
    with session_scope() as session:
        papers = {p.arxiv_id: p for p in session.scalars(select(Paper).where(Paper.arxiv_id.in_(GRAPHS[5:7])))}
        papers[GRAPHS[5]].published_at = datetime.now(UTC) - timedelta(days=2000)
        entry = add_daily_entry(session, papers[GRAPHS[6]], (datetime.now(UTC) - timedelta(days=10)).date())
        entry.submitted_at = datetime.now(UTC) - timedelta(days=10)
    _seed(alice, *GRAPHS[:3])
    week = [p["id"] for p in alice.get("/api/recommendations?limit=50").json()]
    assert GRAPHS[5] in week and GRAPHS[6] not in week
    assert GRAPHS[6] in [p["id"] for p in alice.get("/api/recommendations?limit=50&days=30").json()]
    page = alice.get("/for-you").text
    assert "New on this site in the last:" in page and "whatever its arXiv date" in page


@pytest.mark.slow
def test_a_member_who_saves_three_demo_papers_gets_picks_on_the_default_window(demo, cli, backend):
    """The demo's papers were first published on arXiv long ago: For you and `recommend` still have picks."""
    c = client()
    signup(c, "alice")
    _seed(c, "2310.00533", "2404.12253", "2409.12917")
    page = c.get("/for-you").text
    assert page.count('class="why"') >= 10, page
    env = (
        {"DAILYPAPERS_DATABASE_URL": str(get_engine().url.render_as_string(hide_password=False))}
        if backend == "postgresql"
        else {}
    )
    shown = cli("recommend", "alice", env=env)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.count("because of") >= 10, shown.stdout


def test_because_names_topics_the_papers_share_never_words_of_scientific_prose():
    """On the demo papers (keywords as the index computes them): every shared term is a topic phrase both
    papers write, never "work, propose" or "process, recent, incorrect, paper"."""
    records = demo_records()
    described = describe_with_tokens([(r.title, r.abstract) for r in records], minilm_token_vectors())
    papers = {
        r.arxiv_id: Paper(arxiv_id=r.arxiv_id, title=r.title, abstract=r.abstract, ai_keywords=d.keywords)
        for r, d in zip(records, described, strict=True)
    }
    prose = {"paper", "propose", "work", "process", "recent", "incorrect", "method", "approach", "results", "show"}
    named = 0
    for paper, other in permutations(list(papers.values())[:24], 2):
        terms = shared_terms(paper, other)
        named += bool(terms)
        for term in terms:
            words = term.lower().split()
            assert term.lower() not in prose and words[0] not in STOPWORDS and words[-1] not in STOPWORDS, term
            for p in (paper, other):
                written = re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", f"{p.title} {p.abstract}".lower())
                assert f" {term.lower()} " in f" {' '.join(written)} ", term
    assert named >= 100  # the same topics are still named
    assert "large language models" in shared_terms(papers["2409.12917"], papers["2404.12253"])


def test_dismissed_and_liked_papers_are_not_shown_again(alice):
    _seed(alice, *GRAPHS[:3])
    first = alice.get("/api/recommendations?limit=3").json()[0]["id"]
    _post(alice, f"/papers/{first}/dismiss", on="1")
    _api(alice, "POST", f"/api/papers/{GRAPHS[4]}/upvote")
    shown = [p["id"] for p in alice.get("/api/recommendations?limit=50").json()]
    assert first not in shown and GRAPHS[4] not in shown and not set(GRAPHS[:3]) & set(shown)


def test_cold_start_ranks_by_similarity_to_one_paper(alice):
    _seed(alice, PROTEINS[0])
    picks = alice.get("/api/recommendations?limit=4").json()
    assert [p["id"] for p in picks] and all(p["id"] in PROTEINS for p in picks)
    assert {p["because"] for p in picks} == {PROTEINS[0]}


def test_reset_forgets_the_training_signals_and_nothing_else(alice):
    _seed(alice, *GRAPHS[:3])
    assert alice.get("/api/recommendations").json()
    assert _post(alice, "/for-you/reset").status_code == 303
    assert alice.get("/api/recommendations").json() == []
    assert len(alice.get("/api/library").json()["saved"]) == 3  # the library stays
    _seed(alice, PROTEINS[0])  # a new signal after the reset trains the feed again
    assert {p["because"] for p in alice.get("/api/recommendations").json()} == {PROTEINS[0]}


def test_recommendations_with_a_bearer_token(alice):
    _seed(alice, *GRAPHS[:3])
    token = alice.post("/settings/tokens", data={"name": "script", "csrf_token": csrf(alice, "/settings")})
    secret = re.search(r'<code id="new-token">([^<]+)</code>', token.text)[1]
    picks = client().get("/api/recommendations?limit=2&days=7", headers={"Authorization": f"Bearer {secret}"})
    assert picks.status_code == 200 and len(picks.json()) == 2


def test_dismissals_push_a_nearby_topic_down():
    rng = np.random.default_rng(1)
    liked = [_topic_vector(rng, 0) for _ in range(5)]
    near = [(_topic_vector(rng, 0) + _topic_vector(rng, 1)) / 1.4 for _ in range(6)]
    noise = [_topic_vector(rng, 2 + i % (DIM - 2)) for i in range(300)]
    matrix = np.array(liked + near + noise, dtype=np.float32)
    vectors = FileVectorIndex("topics", np.arange(1, len(matrix) + 1), matrix)
    before = fit_user_model(vectors, [1, 2, 3, 4, 5], [], seed=0).score(matrix)
    after = fit_user_model(vectors, [1, 2, 3, 4, 5], [6, 7, 8], seed=0).score(matrix)
    assert (after[5:11] - after.mean()).mean() < (before[5:11] - before.mean()).mean()


# --- exports --------------------------------------------------------------------------------------------


def test_exports_parse_in_bibtexparser_and_citeproc(alice):
    _seed(alice, OLD_GRAPH, GRAPHS[0])
    bib = alice.get("/library/export.bib")
    assert bib.status_code == 200 and bib.headers["content-type"].startswith("application/x-bibtex")
    entries = {e.key: e for e in bibtexparser.parse_string(bib.text).entries}
    entry = entries["arXiv_2412_00999"]
    fields = {f.key: f.value for f in entry.fields}
    assert entry.entry_type == "misc" and fields["eprint"] == "2412.00999" and fields["archivePrefix"] == "arXiv"
    assert fields["primaryClass"] == "cs.CL" and fields["doi"] == "10.1000/rivers"
    assert fields["author"] == "Ada Lovelace and Alan Turing" and fields["url"] == "https://arxiv.org/abs/2412.00999"
    assert fields["title"] == "{Graph neural networks for rivers}" and fields["abstract"]
    assert fields["year"].isdigit() and fields["month"] in {
        "jan",
        "feb",
        "mar",
        "apr",
        "may",
        "jun",
        "jul",
        "aug",
        "sep",
        "oct",
        "nov",
        "dec",
    }
    assert not bibtexparser.parse_string(bib.text).failed_blocks

    ris = alice.get("/library/export.ris").text
    assert ris.count("TY  - UNPB") == 2 and "AU  - Lovelace, Ada" in ris and "DO  - 10.1000/rivers" in ris
    assert ris.count("ER  - ") == 2

    items = alice.get("/library/export.json").json()
    source = CiteProcJSON(items)
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, source, formatter.plain)
    bibliography.register(Citation([CitationItem(OLD_GRAPH)]))
    rendered = str(bibliography.bibliography()[0])
    assert "Graph neural networks for rivers" in rendered and "Lovelace" in rendered

    assert alice.get("/library/export.docx").status_code == 404


def test_collection_and_search_exports(alice):
    collection = _api(alice, "POST", "/api/collections", json={"name": "Shared", "public": True}).json()
    _api(alice, "POST", f"/api/collections/{collection['id']}/papers/{PROTEINS[1]}")
    shared = client().get(f"/collections/{collection['id']}/export.bib")
    assert shared.status_code == 200 and PROTEINS[1] in shared.text
    assert 'filename="collection-' in shared.headers["content-disposition"]
    found = client().get("/search/export.json?q=protein+folding&mode=keyword")
    assert found.status_code == 200 and {i["id"] for i in found.json()} == set(PROTEINS)
    assert client().get("/search/export.bib").status_code == 400


# --- the command line -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_cli_sets_signals_and_recommends(alice, cli, tmp_path, backend):
    env = (
        {"DAILYPAPERS_DATABASE_URL": str(get_engine().url.render_as_string(hide_password=False))}
        if backend == "postgresql"
        else {}
    )
    bib = tmp_path / "refs.bib"
    bib.write_text(BIBTEX)
    seeded = cli("library", "seed", "alice", str(bib), env=env)
    assert seeded.returncode == 0, seeded.stderr
    assert "saved 3 papers" in seeded.stderr and "not matched: A book without any arXiv id" in seeded.stdout
    assert cli("library", "add", "alice", GRAPHS[3], env=env).returncode == 0
    assert cli("library", "dismiss", "alice", GRAPHS[4], env=env).returncode == 0
    result = cli("recommend", "alice", "--limit", "3", "--json", env=env)
    assert result.returncode == 0, result.stderr
    picks = json.loads(result.stdout)
    assert len(picks) == 3 and all(p["id"] in GRAPHS[5:] for p in picks)
    assert all(p["because"] in GRAPHS[:4] for p in picks)
    plain = cli("recommend", "alice", "--days", "60", env=env)
    assert "because of" in plain.stdout
    assert cli("recommend", "nobody", env=env).returncode == 1


def test_collections_address_leads_to_the_library_and_the_api_lists_and_deletes(alice):
    assert alice.get("/collections").headers["location"] == "/library#collections-heading"
    assert client().get("/collections").headers["location"].startswith("/login?next=")
    created = _api(alice, "POST", "/api/collections", json={"name": "Graphs"}).json()
    assert [c["name"] for c in alice.get("/api/collections").json()] == ["Graphs"]
    assert client().get("/api/collections").status_code == 401
    assert _api(alice, "DELETE", f"/api/collections/{created['id']}").status_code == 204
    assert alice.get("/api/collections").json() == []
    assert _api(alice, "DELETE", f"/api/collections/{created['id']}").status_code == 404


def test_deleting_a_collection_asks_first(alice):
    path = _post(alice, "/collections", name="Reading group").headers["location"]
    collection_id = int(path.rsplit("/", 1)[1])
    assert 'data-confirm="Delete the collection “Reading group”?' in alice.get(path).text
    asked = _post(alice, f"/collections/{collection_id}/delete")  # no confirmation yet: a page that asks
    assert asked.status_code == 200 and 'id="confirm-yes"' in asked.text
    assert 'name="confirmed" value="1"' in asked.text and alice.get(path).status_code == 200
    bob = client()
    signup(bob, "bob")
    assert _post(bob, f"/collections/{collection_id}/delete").status_code == 404  # not his to delete
    deleted = _post(alice, f"/collections/{collection_id}/delete", confirmed="1")
    assert deleted.status_code == 303 and alice.get(path).status_code == 404

"""A user's own research feed on the web: save and "not interested" on every card, the library, collections
(public or private, each at /collections/{id}), For you with its reasons, seeding it, and exports.

Forms answer a 303 back to the page (no JavaScript needed), or JSON when a script asks; /api/... routes are
the same actions for scripts and tokens. Every write goes through the `Writer` guard.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from dailypapers.community import library
from dailypapers.community.reading import papers_by_ids
from dailypapers.errors import InvalidInput, NotFound
from dailypapers.exports import FORMATS
from dailypapers.ranking.recommend import DEFAULT_WINDOW, MAX_WINDOW_DAYS, WINDOWS, Pick, recommend
from dailypapers.ranking.signals import reset_feed, user_signals
from dailypapers.search import search
from dailypapers.store.db import session_scope
from dailypapers.store.models import Collection, Paper, User
from dailypapers.web import schemas
from dailypapers.web.auth import Writer, current_user, require_user
from dailypapers.web.inputs import CollectionForm, CollectionIn, CollectItemForm, DbId, MarkForm, SearchForm, SeedIn
from dailypapers.web.responses import answer, back, back_to_card, card_anchor, wants_json
from dailypapers.web.templating import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["library"])
FOR_YOU_SIZE = 30
MAX_RECOMMENDATIONS = 100
EXPORT_SEARCH_SIZE = 100


# --- page helpers ----------------------------------------------------------------------------------------


def _cards(session, user: User | None, papers: list[Paper]) -> dict:
    """What paper cards need besides the papers: the user's upvotes and library marks."""
    ids = [p.id for p in papers]
    user_id = user.id if user else None
    marks = library.card_state(session, user_id, ids)
    return {"voted": marks.voted, "marks": marks}


def _export(papers: list[Paper], fmt: str, name: str) -> Response:
    export = FORMATS.get(fmt)
    if export is None:
        raise NotFound(f"no export format {fmt!r}; use {', '.join(FORMATS)}")
    return Response(export.write(papers), media_type=export.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{export.suffix}"'})


# --- save, not interested, collect: one click on every card ---------------------------------------------


@router.post("/papers/{arxiv_id:path}/save")
def save(request: Request, arxiv_id: str, user: Writer, form: Annotated[MarkForm, Form()]):
    with session_scope() as session:
        saved = library.save(session, user, arxiv_id, form.wanted)
    return answer(request, {"id": arxiv_id, "saved": saved}, back_to_card(request, arxiv_id))


@router.post("/papers/{arxiv_id:path}/dismiss")
def dismiss(request: Request, arxiv_id: str, user: Writer, form: Annotated[MarkForm, Form()]):
    with session_scope() as session:
        dismissed = library.dismiss(session, user, arxiv_id, form.wanted)
    return answer(request, {"id": arxiv_id, "dismissed": dismissed}, back_to_card(request, arxiv_id))


@router.post("/collections/{collection_id}/papers")
def collect(request: Request, collection_id: DbId, user: Writer, form: Annotated[CollectItemForm, Form()]):
    with session_scope() as session:
        inside = library.set_in_collection(session, user, collection_id, form.paper, form.on == "1")
    return answer(request, {"collection": collection_id, "id": form.paper, "inside": inside},
                  back(request, f"/collections/{collection_id}", card_anchor(form.paper)))


@router.post("/papers/{arxiv_id:path}/collect-new")
def collect_new(request: Request, arxiv_id: str, user: Writer, form: Annotated[CollectionForm, Form()]):
    with session_scope() as session:
        collection_id = library.collect_into_new(session, user, form.name, arxiv_id).id
    return answer(request, {"collection": collection_id, "id": arxiv_id, "inside": True},
                  back_to_card(request, arxiv_id))


# --- library and collections ----------------------------------------------------------------------------


@router.get("/library")
def library_page(request: Request):
    user = require_user(request)
    with session_scope() as session:
        papers = library.library_papers(session, user)
        collections = library.user_collections(session, user)
        return render(request, "library.html", papers=papers, collections=collections, **_cards(session, user, papers))


@router.get("/library/export.{fmt}")
def library_export(request: Request, fmt: str):
    user = require_user(request)
    with session_scope() as session:
        return _export(library.library_papers(session, user), fmt, f"{user.username}-library")


@router.post("/collections")
def create_collection(request: Request, user: Writer, form: Annotated[CollectionForm, Form()]):
    with session_scope() as session:
        collection = library.create_collection(session, user, form.name, form.is_public)
        collection_id = collection.id
    return answer(request, {"id": collection_id}, f"/collections/{collection_id}")


@router.get("/collections/{collection_id}")
def collection_page(request: Request, collection_id: DbId):
    user = current_user(request)
    with session_scope() as session:
        collection = library.get_collection(session, user, collection_id)
        papers = library.collection_papers(session, collection)
        owner = collection.owner
        return render(request, "collection.html", collection=collection, owner=owner, papers=papers,
                      is_owner=bool(user and user.id == collection.user_id), **_cards(session, user, papers))


@router.get("/collections/{collection_id}/export.{fmt}")
def collection_export(request: Request, collection_id: DbId, fmt: str):
    with session_scope() as session:
        collection = library.get_collection(session, current_user(request), collection_id)
        return _export(library.collection_papers(session, collection), fmt, f"collection-{collection_id}")


@router.post("/collections/{collection_id}/visibility")
def collection_visibility(request: Request, collection_id: DbId, user: Writer, form: Annotated[CollectionForm, Form()]):
    with session_scope() as session:
        library.update_collection(session, user, collection_id, form.is_public)
    return RedirectResponse(f"/collections/{collection_id}", status_code=303)


@router.get("/collections")
def collections_page(request: Request):
    """The reader's collections are listed in the library."""
    require_user(request)
    return RedirectResponse("/library#collections-heading", status_code=303)


@router.post("/collections/{collection_id}/delete")
def collection_delete(request: Request, collection_id: DbId, user: Writer,
                      confirmed: Annotated[bool, Form()] = False):
    with session_scope() as session:
        if not confirmed:  # without the script's confirm(): ask on a page of its own
            collection = library.own_collection(session, user, collection_id)
            return render(request, "confirm.html", title=f"Delete the collection “{collection.name}”?",
                          message="The papers stay on the site and in your library; only the list goes. "
                                  "This cannot be undone.",
                          action=f"/collections/{collection_id}/delete", button="Delete the collection",
                          cancel=f"/collections/{collection_id}")
        library.delete_collection(session, user, collection_id)
    return RedirectResponse("/library", status_code=303)


@router.get("/search/export.{fmt}")
def search_export(fmt: str, form: Annotated[SearchForm, Query()]):
    """The papers of a search page (its first 100 hits), with the page's query and filters."""
    if not form.q.strip():
        raise InvalidInput("an export of a search needs the query: q=...")
    with session_scope() as session:
        hits = search(session, form.query(EXPORT_SEARCH_SIZE))
        papers = papers_by_ids(session, [h.paper_id for h in hits])
        return _export([papers[h.paper_id] for h in hits if h.paper_id in papers], fmt, "search")


# --- For you ---------------------------------------------------------------------------------------------


@router.get("/for-you")
def for_you_page(request: Request, window: str = DEFAULT_WINDOW):
    user = require_user(request)
    if window not in WINDOWS:
        raise InvalidInput(f"unknown window {window!r}; use {', '.join(WINDOWS)}")
    with session_scope() as session:
        picks = recommend(session, user, window, limit=FOR_YOU_SIZE)
        has_signals = bool(user_signals(session, user).positives)
        return render(request, "for_you.html", picks=picks, window=window, windows=list(WINDOWS),
                      has_signals=has_signals, **_cards(session, user, [p.paper for p in picks]))


@router.post("/for-you/seed")
def seed(request: Request, user: Writer, references: Annotated[str, Form()] = "",
         bibfile: Annotated[UploadFile | None, File()] = None):
    text = references
    if bibfile is not None and bibfile.filename:
        content = bibfile.file.read(library.MAX_SEED_CHARS + 1)
        if len(content) > library.MAX_SEED_CHARS:  # refused, not cut short: a cut file would seed half its papers
            raise InvalidInput(f"the file is larger than {library.MAX_SEED_CHARS // 1000} KB; split it, and seed "
                               "each part")
        text += "\n" + content.decode("utf-8", errors="replace")
    if not text.strip():
        raise InvalidInput("paste arXiv ids or links, or choose a .bib file")
    with session_scope() as session:
        report = library.seed_library(session, user, text)
    if wants_json(request):
        return {"added": report.added, "unmatched": report.unmatched}
    return render(request, "seeded.html", report=report)


@router.post("/for-you/reset")
def reset(request: Request, user: Writer):
    with session_scope() as session:
        reset_feed(session, user)
    return answer(request, {"reset": True}, "/for-you")


# --- the JSON API ----------------------------------------------------------------------------------------


def _pick_json(pick: Pick) -> dict:
    return {"id": pick.paper.arxiv_id, "title": pick.paper.title, "score": round(pick.score, 6),
            "because": pick.because.arxiv_id if pick.because else None}


@api.get("/recommendations", summary="Your For you papers, best first, each with the paper of yours it is closest to")
def recommendations(request: Request, limit: int = Query(20, ge=1, le=MAX_RECOMMENDATIONS),
                    days: int = Query(7, ge=1, le=MAX_WINDOW_DAYS)):
    user = require_user(request)
    with session_scope() as session:
        return [_pick_json(p) for p in recommend(session, user, days, limit=limit)]


@api.get("/library", summary="Your saved papers and your collections")
def library_json(request: Request):
    user = require_user(request)
    with session_scope() as session:
        return {"saved": [schemas.paper_json(p) for p in library.library_papers(session, user)],
                "collections": [_collection_json(c) for c in library.user_collections(session, user)]}


@api.post("/library/seed", summary="Save the papers named in arXiv ids, links or a BibTeX file's text")
def seed_json(body: SeedIn, user: Writer):
    with session_scope() as session:
        report = library.seed_library(session, user, body.references)
    return {"added": report.added, "unmatched": report.unmatched}


@api.post("/papers/{arxiv_id:path}/save", summary="Save a paper to your library (idempotent)")
@api.delete("/papers/{arxiv_id:path}/save", summary="Remove a paper from your library (idempotent)")
def save_json(request: Request, arxiv_id: str, user: Writer):
    with session_scope() as session:
        return {"id": arxiv_id, "saved": library.save(session, user, arxiv_id, request.method == "POST")}


@api.post("/papers/{arxiv_id:path}/dismiss", summary="Mark a paper not interested (idempotent)")
@api.delete("/papers/{arxiv_id:path}/dismiss", summary="Take back not interested (idempotent)")
def dismiss_json(request: Request, arxiv_id: str, user: Writer):
    with session_scope() as session:
        return {"id": arxiv_id, "dismissed": library.dismiss(session, user, arxiv_id, request.method == "POST")}


def _collection_json(collection: Collection, papers: list[Paper] | None = None) -> dict:
    data = {"id": collection.id, "name": collection.name, "public": collection.public,
            "url": f"/collections/{collection.id}"}
    if papers is not None:
        data["papers"] = [schemas.paper_json(p) for p in papers]
    return data


@api.post("/collections", status_code=201, summary="Create a collection")
def create_collection_json(body: CollectionIn, user: Writer):
    with session_scope() as session:
        return _collection_json(library.create_collection(session, user, body.name, body.public), [])


@api.get("/collections", summary="Your collections")
def collections_json(request: Request):
    user = require_user(request)
    with session_scope() as session:
        return [_collection_json(c) for c in library.user_collections(session, user)]


@api.delete("/collections/{collection_id}", status_code=204, summary="Delete your collection (not its papers)")
def delete_collection_json(collection_id: DbId, user: Writer):
    with session_scope() as session:
        library.delete_collection(session, user, collection_id)
    return Response(status_code=204)


@api.get("/collections/{collection_id}", summary="A collection (public, or yours)")
def collection_json(request: Request, collection_id: DbId):
    with session_scope() as session:
        collection = library.get_collection(session, current_user(request), collection_id)
        return _collection_json(collection, library.collection_papers(session, collection))


@api.post("/collections/{collection_id}/papers/{arxiv_id:path}", summary="Add a paper to your collection")
def collect_json(collection_id: DbId, arxiv_id: str, user: Writer):
    with session_scope() as session:
        return {"collection": collection_id, "id": arxiv_id,
                "inside": library.set_in_collection(session, user, collection_id, arxiv_id, True)}


@api.delete("/collections/{collection_id}/papers/{arxiv_id:path}", summary="Take a paper out of your collection")
def uncollect_json(collection_id: DbId, arxiv_id: str, user: Writer):
    with session_scope() as session:
        return {"collection": collection_id, "id": arxiv_id,
                "inside": library.set_in_collection(session, user, collection_id, arxiv_id, False)}

"""A user's own research feed on the web: save and "not interested" on every card, the library, collections
(public or private, each at /collections/{id}), For you with its reasons, seeding it, and exports.

Forms answer a 303 back to the page (no JavaScript needed), or JSON when a script asks; /api/... routes are
the same actions for scripts and tokens. Every write goes through the `Writer` guard. A library or a collection
is shown a page at a time (numbered pages; the API pages by cursor), and exported as a stream read from the
store a batch at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from dailypapers.community import collection_feeds, library, updates
from dailypapers.community.library import PaperPage
from dailypapers.errors import InvalidInput, NotFound
from dailypapers.exports import FORMATS, ExportFormat
from dailypapers.ranking.recommend import DEFAULT_WINDOW, MAX_WINDOW_DAYS, WINDOWS, recommend
from dailypapers.ranking.signals import reset_feed, user_signals
from dailypapers.search import search
from dailypapers.store.db import Session, session_scope
from dailypapers.store.models import Collection, Paper, User
from dailypapers.store.reads import papers_for_hits
from dailypapers.web import schemas
from dailypapers.web.auth import Writer, current_user, require_user
from dailypapers.web.database import DbSession
from dailypapers.web.inputs import (
    CollectionForm,
    CollectionIn,
    CollectItemForm,
    DbId,
    ListCursor,
    MarkForm,
    SearchForm,
    SeedIn,
)
from dailypapers.web.middleware.rate_limits import client_ip, rate_limit
from dailypapers.web.responses import answer, back, back_to_card, card_anchor, link_next, page_number, wants_json
from dailypapers.web.routes.papers_api import MAX_LIST_LIMIT
from dailypapers.web.templating import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["library"])
FOR_YOU_SIZE = 30
MAX_RECOMMENDATIONS = 100
EXPORT_SEARCH_SIZE = 100
LIST_PAGE_SIZE = 50  # papers on a page of the library or a collection
EXPORT_BATCH = 500  # papers an export reads from the store at a time
EXPORTS_PER_MINUTE = 6  # a whole library is up to `library_max_papers` papers of work (seconds of a worker)


# --- page helpers ----------------------------------------------------------------------------------------


def _cards(session, user: User | None, papers: list[Paper]) -> dict:
    """What paper cards need besides the papers: the user's upvotes and library marks."""
    ids = [p.id for p in papers]
    user_id = user.id if user else None
    marks = library.card_state(session, user_id, ids)
    return {"voted": marks.voted, "marks": marks, "updates": updates.update_flags(session, user, papers)}


def _format(fmt: str) -> ExportFormat:
    export = FORMATS.get(fmt)
    if export is None:
        raise NotFound(f"no export format {fmt!r}; use {', '.join(FORMATS)}")
    return export


def _attachment(export: ExportFormat, name: str) -> dict:
    return {"Content-Disposition": f'attachment; filename="{name}.{export.suffix}"'}


def _export(papers: list[Paper], fmt: str, name: str) -> Response:
    export = _format(fmt)
    return Response(export.write(papers), media_type=export.media_type, headers=_attachment(export, name))


def _export_stream(
    request: Request, user: User | None, fmt: str, name: str, read: Callable[..., PaperPage]
) -> Response:
    """A library or a collection as a file, sent as it is read: `read(session, limit=, after=)` gives each batch,
    in a session of its own (not the request's, closed before the body is sent), so no connection is held
    while a slow client downloads."""
    export = _format(fmt)
    _limit_exports(request, user)

    def batches() -> Iterator[list[Paper]]:
        after = None
        while True:
            with session_scope() as session:
                page = read(session, limit=EXPORT_BATCH, after=after)
            yield page.papers
            if page.next is None:
                return
            after = page.next

    return StreamingResponse(export.stream(batches()), media_type=export.media_type, headers=_attachment(export, name))


def _limit_exports(request: Request, user: User | None) -> None:
    """A reader (or, signed out, an address) exports a library or a collection a few times a minute; 429 past it."""
    who = f"user:{user.id}" if user else f"ip:{client_ip(request)}"
    rate_limit(f"export:{who}", EXPORTS_PER_MINUTE, 60)


def _pages(size: int) -> int:
    return -(-size // LIST_PAGE_SIZE)


# --- save, not interested, collect: one click on every card ---------------------------------------------


@router.post("/papers/{arxiv_id:path}/update-seen")
def update_seen(request: Request, arxiv_id: str, user: Writer, session: DbSession):
    updates.mark_update_seen(session, user, arxiv_id)
    return answer(request, {"id": arxiv_id, "update": None}, back_to_card(request, arxiv_id))


@router.post("/papers/{arxiv_id:path}/save")
def save(request: Request, arxiv_id: str, user: Writer, form: Annotated[MarkForm, Form()], session: DbSession):
    saved = library.save(session, user, arxiv_id, form.wanted)
    return answer(request, {"id": arxiv_id, "saved": saved}, back_to_card(request, arxiv_id))


@router.post("/papers/{arxiv_id:path}/dismiss")
def dismiss(request: Request, arxiv_id: str, user: Writer, form: Annotated[MarkForm, Form()], session: DbSession):
    dismissed = library.dismiss(session, user, arxiv_id, form.wanted)
    return answer(request, {"id": arxiv_id, "dismissed": dismissed}, back_to_card(request, arxiv_id))


@router.post("/collections/{collection_id}/papers")
def collect(
    request: Request, collection_id: DbId, user: Writer, form: Annotated[CollectItemForm, Form()], session: DbSession
):
    inside = library.set_in_collection(session, user, collection_id, form.paper, form.on == "1")
    return answer(
        request,
        {"collection": collection_id, "id": form.paper, "inside": inside},
        back(request, f"/collections/{collection_id}", card_anchor(form.paper)),
    )


@router.post("/papers/{arxiv_id:path}/collect-new")
def collect_new(
    request: Request, arxiv_id: str, user: Writer, form: Annotated[CollectionForm, Form()], session: DbSession
):
    collection_id = library.collect_into_new(session, user, form.name, arxiv_id).id
    return answer(
        request, {"collection": collection_id, "id": arxiv_id, "inside": True}, back_to_card(request, arxiv_id)
    )


# --- library and collections ----------------------------------------------------------------------------


@router.get("/library")
def library_page(request: Request, session: DbSession, p: int = 1):
    user = require_user(request)
    p = page_number(p)
    size = library.library_size(session, user)
    papers = library.library_page(session, user, LIST_PAGE_SIZE, (p - 1) * LIST_PAGE_SIZE).papers
    collections = library.user_collections(session, user)
    return render(
        request,
        "library.html",
        papers=papers,
        collections=collections,
        size=size,
        p=p,
        pages=_pages(size),
        **_cards(session, user, papers),
    )


@router.get("/library/export.{fmt}")
def library_export(request: Request, fmt: str):
    user = require_user(request)
    return _export_stream(request, user, fmt, f"{user.username}-library", partial(library.library_page, user=user))


@router.post("/collections")
def create_collection(request: Request, user: Writer, form: Annotated[CollectionForm, Form()], session: DbSession):
    collection = library.create_collection(session, user, form.name, form.is_public)
    collection_id = collection.id
    return answer(request, {"id": collection_id}, f"/collections/{collection_id}")


@router.get("/collections/{collection_id}")
def collection_page(request: Request, collection_id: DbId, session: DbSession, p: int = 1):
    user = current_user(request)
    p = page_number(p)
    collection = library.get_collection(session, user, collection_id)
    size = library.collection_size(session, collection)
    papers = library.collection_page(session, collection, LIST_PAGE_SIZE, (p - 1) * LIST_PAGE_SIZE).papers
    owner = collection.owner
    return render(
        request,
        "collection.html",
        collection=collection,
        owner=owner,
        papers=papers,
        size=size,
        p=p,
        pages=_pages(size),
        is_owner=bool(user and user.id == collection.user_id),
        has_feed=collection_feeds.feed_settings(session, collection) is not None,
        **_cards(session, user, papers),
    )


@router.get("/collections/{collection_id}/export.{fmt}")
def collection_export(request: Request, collection_id: DbId, fmt: str, session: DbSession):
    user = current_user(request)
    collection = library.get_collection(session, user, collection_id)
    read = partial(library.collection_page, collection=collection)
    return _export_stream(request, user, fmt, f"collection-{collection_id}", read)


@router.post("/collections/{collection_id}/visibility")
def collection_visibility(
    request: Request, collection_id: DbId, user: Writer, form: Annotated[CollectionForm, Form()], session: DbSession
):
    library.update_collection(session, user, collection_id, form.is_public)
    return RedirectResponse(f"/collections/{collection_id}", status_code=303)


@router.get("/collections")
def collections_page(request: Request):
    """The reader's collections are listed in the library."""
    require_user(request)
    return RedirectResponse("/library#collections-heading", status_code=303)


@router.post("/collections/{collection_id}/delete")
def collection_delete(
    request: Request, collection_id: DbId, user: Writer, session: DbSession, confirmed: Annotated[bool, Form()] = False
):
    if not confirmed:  # without the script's confirm(): ask on a page of its own
        collection = library.own_collection(session, user, collection_id)
        return render(
            request,
            "confirm.html",
            title=f"Delete the collection “{collection.name}”?",
            message="The papers stay on the site and in your library; only the list goes. This cannot be undone.",
            action=f"/collections/{collection_id}/delete",
            button="Delete the collection",
            cancel=f"/collections/{collection_id}",
        )
    library.delete_collection(session, user, collection_id)
    return RedirectResponse("/library", status_code=303)


@router.get("/search/export.{fmt}")
def search_export(fmt: str, form: Annotated[SearchForm, Query()], session: DbSession):
    """The papers of a search page (its first 100 hits), with the page's query and filters."""
    if not form.q.strip():
        raise InvalidInput("an export of a search needs the query: q=...")
    hits = search(session, form.query(EXPORT_SEARCH_SIZE))
    papers = papers_for_hits(session, hits)
    return _export([papers[h.paper_id] for h in hits if h.paper_id in papers], fmt, "search")


# --- For you ---------------------------------------------------------------------------------------------


@router.get("/for-you")
def for_you_page(request: Request, session: DbSession, window: str = DEFAULT_WINDOW):
    user = require_user(request)
    if window not in WINDOWS:
        raise InvalidInput(f"unknown window {window!r}; use {', '.join(WINDOWS)}")
    picks = recommend(session, user, window, limit=FOR_YOU_SIZE)
    has_signals = bool(user_signals(session, user).positives)
    return render(
        request,
        "for_you.html",
        picks=picks,
        window=window,
        windows=list(WINDOWS),
        has_signals=has_signals,
        **_cards(session, user, [p.paper for p in picks]),
    )


@router.post("/for-you/seed")
def seed(
    request: Request,
    user: Writer,
    session: DbSession,
    references: Annotated[str, Form()] = "",
    bibfile: Annotated[UploadFile | None, File()] = None,
):
    text = references
    if bibfile is not None and bibfile.filename:
        content = bibfile.file.read(library.MAX_SEED_CHARS + 1)
        if len(content) > library.MAX_SEED_CHARS:  # refused, not cut short: a cut file would seed half its papers
            raise InvalidInput(
                f"the file is larger than {library.MAX_SEED_CHARS // 1000} KB; split it, and seed each part"
            )
        text += "\n" + content.decode("utf-8", errors="replace")
    if not text.strip():
        raise InvalidInput("paste arXiv ids or links, or choose a .bib file")
    report = library.seed_library(session, user, text)
    if wants_json(request):
        return {"added": report.added, "unmatched": report.unmatched}
    return render(request, "seeded.html", report=report)


@router.post("/for-you/reset")
def reset(request: Request, user: Writer, session: DbSession):
    reset_feed(session, user)
    return answer(request, {"reset": True}, "/for-you")


# --- the JSON API ----------------------------------------------------------------------------------------


@api.get("/recommendations", summary="Your For you papers, best first, each with the paper of yours it is closest to")
def recommendations(
    request: Request,
    session: DbSession,
    limit: int = Query(20, ge=1, le=MAX_RECOMMENDATIONS),
    days: int = Query(7, ge=1, le=MAX_WINDOW_DAYS),
):
    user = require_user(request)
    return [schemas.pick_json(p) for p in recommend(session, user, days, limit=limit)]


PageLimit = Annotated[int, Query(ge=1, le=MAX_LIST_LIMIT, description="Papers per page")]
PageCursor = Annotated[ListCursor | None, Query(description="From the previous page's Link")]


def _paged_json(
    request: Request, response: Response, page: PaperPage, limit: int, session: Session, user: User | None
) -> list[dict]:
    """A page of papers as JSON, each with its `update` for the reader (null unless it changed since they saved
    it); the Link header leads to the next page."""
    if page.next is not None:
        link_next(request, response, page.next.token, limit)
    flags = updates.update_flags(session, user, page.papers)
    return [{**schemas.paper_json(p), "update": schemas.update_json(flags.get(p.id))} for p in page.papers]


@api.get("/library", summary="Your saved papers, newest first, cursor-paged (Link: rel=next), and your collections")
def library_json(
    request: Request, response: Response, session: DbSession, cursor: PageCursor = None, limit: PageLimit = 50
):
    user = require_user(request)
    page = library.library_page(session, user, limit, after=cursor)
    return {
        "saved": _paged_json(request, response, page, limit, session, user),
        "collections": [_collection_json(c) for c in library.user_collections(session, user)],
    }


@api.get("/library/updates", summary="Your saved papers that have a newer arXiv version than the one you saw")
def library_updates(request: Request, session: DbSession):
    user = require_user(request)
    return [schemas.update_json(flag) for flag in updates.updated_papers(session, user)]


@api.post("/papers/{arxiv_id:path}/update-seen", summary="Mark a saved paper's new version seen (idempotent)")
def update_seen_json(arxiv_id: str, user: Writer, session: DbSession):
    updates.mark_update_seen(session, user, arxiv_id)
    return {"id": arxiv_id, "update": None}


@api.post("/library/seed", summary="Save the papers named in arXiv ids, links or a BibTeX file's text")
def seed_json(body: SeedIn, user: Writer, session: DbSession):
    report = library.seed_library(session, user, body.references)
    return {"added": report.added, "unmatched": report.unmatched}


@api.post("/papers/{arxiv_id:path}/save", summary="Save a paper to your library (idempotent)")
@api.delete("/papers/{arxiv_id:path}/save", summary="Remove a paper from your library (idempotent)")
def save_json(request: Request, arxiv_id: str, user: Writer, session: DbSession):
    return {"id": arxiv_id, "saved": library.save(session, user, arxiv_id, request.method == "POST")}


@api.post("/papers/{arxiv_id:path}/dismiss", summary="Mark a paper not interested (idempotent)")
@api.delete("/papers/{arxiv_id:path}/dismiss", summary="Take back not interested (idempotent)")
def dismiss_json(request: Request, arxiv_id: str, user: Writer, session: DbSession):
    return {"id": arxiv_id, "dismissed": library.dismiss(session, user, arxiv_id, request.method == "POST")}


def _collection_json(collection: Collection, papers: list[Paper] | None = None) -> dict:
    data = {
        "id": collection.id,
        "name": collection.name,
        "public": collection.public,
        "url": f"/collections/{collection.id}",
    }
    if papers is not None:
        data["papers"] = [schemas.paper_json(p) for p in papers]
    return data


@api.post("/collections", status_code=201, summary="Create a collection")
def create_collection_json(body: CollectionIn, user: Writer, session: DbSession):
    return _collection_json(library.create_collection(session, user, body.name, body.public), [])


@api.get("/collections", summary="Your collections")
def collections_json(request: Request, session: DbSession):
    user = require_user(request)
    return [_collection_json(c) for c in library.user_collections(session, user)]


@api.delete("/collections/{collection_id}", status_code=204, summary="Delete your collection (not its papers)")
def delete_collection_json(collection_id: DbId, user: Writer, session: DbSession):
    library.delete_collection(session, user, collection_id)
    return Response(status_code=204)


@api.get(
    "/collections/{collection_id}",
    summary="A collection (public, or yours), its papers newest first, cursor-paged (Link: rel=next)",
)
def collection_json(
    request: Request,
    response: Response,
    collection_id: DbId,
    session: DbSession,
    cursor: PageCursor = None,
    limit: PageLimit = 50,
):
    user = current_user(request)
    collection = library.get_collection(session, user, collection_id)
    page = library.collection_page(session, collection, limit, after=cursor)
    return {**_collection_json(collection), "papers": _paged_json(request, response, page, limit, session, user)}


@api.post("/collections/{collection_id}/papers/{arxiv_id:path}", summary="Add a paper to your collection")
@api.delete("/collections/{collection_id}/papers/{arxiv_id:path}", summary="Take a paper out of your collection")
def collect_json(request: Request, collection_id: DbId, arxiv_id: str, user: Writer, session: DbSession):
    inside = library.set_in_collection(session, user, collection_id, arxiv_id, request.method == "POST")
    return {"collection": collection_id, "id": arxiv_id, "inside": inside}

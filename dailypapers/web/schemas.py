"""JSON shapes of the API, as the Hugging Face papers API writes them, built from store rows in one place.

Field names follow huggingface_hub's `PaperInfo` parser: a daily entry is
`{paper: {id, authors: [{name}], publishedAt, summary, upvotes, discussionId, ...}, publishedAt (the
feed submission), title, summary, numComments, submittedBy, ...}`; a single paper is the flat object.
Fields of our own (trendingScore, categories, arxivUrl, ...) are extra keys that the client keeps.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, overload

from dailypapers.community.claims import APPROVED
from dailypapers.community.reading import PaperView
from dailypapers.community.updates import UpdateFlag, VersionView
from dailypapers.dates import hf_datetime
from dailypapers.ranking.feed import FeedRow
from dailypapers.ranking.recommend import Pick
from dailypapers.ranking.trending import trending_score_value
from dailypapers.store.models import AuthorClaim, Comment, Paper, User
from dailypapers.validators import http_url


def pick_json(pick: Pick) -> dict:
    """A personal pick (For you, a collection's feed): the paper, its score and why it is there."""
    return {
        "id": pick.paper.arxiv_id,
        "title": pick.paper.title,
        "score": round(pick.score, 6),
        "because": pick.because.arxiv_id if pick.because else None,
        "shared_terms": pick.terms,
    }


@overload
def user_json(user: User) -> dict[str, Any]: ...
@overload
def user_json(user: User | None) -> dict[str, Any] | None: ...
def user_json(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {
        "_id": str(user.id),
        "avatarUrl": "/static/avatar.svg",
        "fullname": user.fullname or user.username,
        "name": user.username,
        "user": user.username,
        "type": "user",
        "isPro": False,
    }


def authors_json(paper: Paper, claims: dict[int, AuthorClaim] | None = None) -> list[dict]:
    """The author list; an author with an approved claim carries its user and status, as on Hugging Face."""
    authors = []
    for i, name in enumerate(paper.authors or []):
        author = {"_id": f"{paper.id}-{i}", "name": name, "hidden": False}
        claim = (claims or {}).get(i)
        if claim is not None and claim.status == APPROVED:
            author.update(
                user=user_json(claim.user), status="claimed_verified", statusLastChangedAt=hf_datetime(claim.decided_at)
            )
        authors.append(author)
    return authors


def ai_fields(paper: Paper) -> dict:
    """Keywords and extractive summary, named as on Hugging Face (PaperInfo reads them at an object's top
    level); absent until `dailypapers index` has computed them."""
    if paper.ai_source_hash is None:
        return {}
    return {"ai_keywords": list(paper.ai_keywords or []), "ai_summary": paper.ai_summary or ""}


def paper_json(
    paper: Paper,
    *,
    submitted_at: datetime | None = None,
    submitter: User | None = None,
    trending: float | None = None,
    claims: dict[int, AuthorClaim] | None = None,
) -> dict:
    """The paper object (inside a daily entry, and the whole answer of /api/papers/{id})."""
    data = {
        "id": paper.arxiv_id,
        "authors": authors_json(paper, claims),
        "publishedAt": hf_datetime(paper.published_at),
        "title": paper.title,
        "summary": paper.abstract,
        "upvotes": paper.upvotes,
        "discussionId": str(paper.id),
        "numComments": paper.num_comments,
        "projectPage": http_url(paper.project_page),
        "githubRepo": http_url(paper.code_url),
        **ai_fields(paper),
        # dailypapers' own fields
        "version": paper.version,
        "updatedAt": hf_datetime(paper.updated_at),
        "categories": paper.category_list,
        "primaryCategory": paper.primary_category,
        "comments": paper.comments,
        "journalRef": paper.journal_ref,
        "doi": paper.doi,
        "arxivUrl": paper.abs_url,
        "pdfUrl": paper.pdf_url,
    }
    if submitted_at is not None:
        data["submittedOnDailyAt"] = hf_datetime(submitted_at)
        data["submittedOnDailyBy"] = user_json(submitter)
        data["trendingScore"] = trending if trending is not None else _trending_now(paper.upvotes, submitted_at)
    return data


def _trending_now(upvotes: int, submitted_at: datetime) -> float:
    return trending_score_value(upvotes, (datetime.now(UTC) - submitted_at).total_seconds() / 3600)


def paper_view_json(view: PaperView) -> dict:
    entry = view.entry
    return paper_json(
        view.paper, submitted_at=entry.submitted_at if entry else None, submitter=view.submitter, claims=view.claims
    )


def daily_json(row: FeedRow, claims: dict[int, AuthorClaim] | None = None) -> dict:
    """One entry of /api/daily_papers; `claims` (by author index) name the authors who claimed the paper."""
    paper = row.paper
    return {
        "paper": paper_json(
            paper, submitted_at=row.submitted_at, submitter=row.submitter, trending=row.trending, claims=claims
        ),
        "publishedAt": hf_datetime(row.submitted_at),
        "title": paper.title,
        "summary": paper.abstract,
        "numComments": paper.num_comments,
        "upvotes": paper.upvotes,
        "submittedBy": user_json(row.submitter),
        "projectPage": http_url(paper.project_page),
        "githubRepo": http_url(paper.code_url),
        "isAuthorParticipating": False,
        **ai_fields(paper),
        "trendingScore": row.trending,
        "dailyDate": row.date.isoformat(),
    }


def search_json(
    paper: Paper, *, score: float, snippet: str | None, ranks: dict, claims: dict[int, AuthorClaim] | None = None
) -> dict:
    """One search result: shaped like a daily entry, plus how it matched."""
    return {
        "paper": paper_json(paper, claims=claims),
        "title": paper.title,
        "summary": paper.abstract,
        "numComments": paper.num_comments,
        "upvotes": paper.upvotes,
        "projectPage": http_url(paper.project_page),
        "githubRepo": http_url(paper.code_url),
        **ai_fields(paper),
        "score": score,
        "ranks": ranks,
        "highlight": snippet,
    }


def comment_json(comment: Comment, html: str) -> dict:
    return {
        "id": str(comment.id),
        "author": user_json(comment.user),
        "body": comment.body,
        "html": html,
        "createdAt": hf_datetime(comment.created_at),
        "editedAt": hf_datetime(comment.edited_at),
        "parentId": str(comment.parent_id) if comment.parent_id else None,
        "hidden": comment.hidden,
    }


def version_json(view: VersionView) -> dict:
    """One arXiv version of a paper: what it said, and what changed from the version before."""
    state = view.state
    return {
        "version": state.version,
        "date": hf_datetime(state.date),
        "title": state.title,
        "summary": state.abstract,
        "authors": state.authors,
        "comments": state.comments,
        "journalRef": state.journal_ref,
        "doi": state.doi,
        "withdrawn": state.withdrawn,
        "changes": view.changes,
    }


def update_json(flag: UpdateFlag | None) -> dict | None:
    """A kept paper's newer version than its member saw: {"id", "seenVersion", "version", "changes", "summary"}."""
    if flag is None:
        return None
    return {
        "id": flag.arxiv_id,
        "seenVersion": flag.seen_version,
        "version": flag.version,
        "changes": flag.changes,
        "summary": flag.summary,
    }

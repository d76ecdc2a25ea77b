"""A paper's code repository and project page, as its people confirm them.

The submitter, an author whose claim was approved, or an administrator may set or clear them. Links that
arXiv's text names stay suggestions (Paper.suggested_*) until one of them confirms a link.
"""

from __future__ import annotations

from collections.abc import Iterable

from dailypapers.community.papers import load_paper
from dailypapers.errors import InvalidInput, NotAllowed
from dailypapers.store.db import Session
from dailypapers.store.library import APPROVED, has_approved_claim
from dailypapers.store.models import AuthorClaim, Paper, User
from dailypapers.store.papers import set_links as store_links
from dailypapers.validators import forge_url, http_url

UNCHANGED = object()  # a link the request does not mention


def may_edit_links(
    session: Session, user: User | None, paper: Paper, claims: Iterable[AuthorClaim] | None = None
) -> bool:
    """`claims`: the paper's approved claims, when the caller has read them already (a paper page shows them)."""
    if user is None:
        return False
    if user.is_admin:
        return True
    entry = paper.daily_entry
    if entry is not None and entry.submitted_by_id == user.id:
        return True
    if claims is not None:
        return any(claim.user_id == user.id and claim.status == APPROVED for claim in claims)
    return has_approved_claim(session, user.id, paper.id)


def _checked(value: str | None, check, what: str, example: str) -> str | None:
    text = (value or "").strip()
    if not text:
        return None  # an empty value clears the link, as null does
    url = check(text)
    if url is None:
        raise InvalidInput(f"not a {what}: {text[:100]!r}; give {example}")
    return url


def set_links(session: Session, user: User, arxiv_id: str, *, github_repo=UNCHANGED, project_page=UNCHANGED) -> Paper:
    """Set (a URL), clear (None or "") or keep (UNCHANGED) each link; NotAllowed for anyone else than the
    submitter, a claimed author or an administrator; InvalidInput for a URL that is not one."""
    paper = load_paper(session, arxiv_id, include_hidden=user.is_admin)
    if not may_edit_links(session, user, paper):
        raise NotAllowed("only the submitter, a claimed author or an administrator can edit this paper's links")
    code_url, page = paper.code_url, paper.project_page
    if github_repo is not UNCHANGED:
        code_url = _checked(
            github_repo, forge_url, "code repository", "https://github.com/OWNER/REPO or another forge's https URL"
        )
    if project_page is not UNCHANGED:
        page = _checked(project_page, http_url, "web page", "an http:// or https:// URL")
    store_links(session, paper, code_url=code_url, project_page=page)
    return paper

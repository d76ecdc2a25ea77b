"""Author claims: a signed-in user says "this is me" of one author of a paper; an administrator approves
or rejects it. An approved claim links the author's name to the user's profile.

Several users may claim the same author while the claims wait: the first to come cannot block the real
author. Approving one turns the others down. A rejected claim stays, and its user may claim that author
of that paper again only after a cooldown, so a turned-down claim cannot be put straight back in the queue.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dailypapers.community.moderation import require_admin
from dailypapers.community.papers import load_paper
from dailypapers.errors import InvalidInput, NotFound
from dailypapers.names import author_key
from dailypapers.store import library as store
from dailypapers.store.db import Session
from dailypapers.store.library import APPROVED, LIVE, PENDING, REJECTED
from dailypapers.store.models import AuthorClaim, User

RECLAIM_COOLDOWN = timedelta(days=30)  # after a rejection, before its user may claim that author again


def claim_author(session: Session, user: User, arxiv_id: str, author_index: int) -> AuthorClaim:
    """A pending claim of the paper's author at `author_index`; InvalidInput when the user has a claim on
    this paper already, an approved claim holds the author, or the user's claim of it was turned down
    less than RECLAIM_COOLDOWN ago."""
    paper = load_paper(session, arxiv_id)
    if not 0 <= author_index < len(paper.authors or []):
        raise InvalidInput(f"{arxiv_id} has no author number {author_index + 1}")
    name = paper.authors[author_index]
    claims = store.claims_on_paper(session, paper.id)
    mine = [c for c in claims if c.user_id == user.id and c.status in LIVE]
    if mine:
        raise InvalidInput(f"you have claimed {paper.authors[mine[0].author_index]} on this paper already")
    if any(c.author_index == author_index and c.status == APPROVED for c in claims):
        raise InvalidInput(f"{name} on this paper is claimed and verified already; an administrator can change that")
    turned_down = next((c for c in claims if c.author_index == author_index and c.user_id == user.id), None)
    if turned_down is not None:  # the user's rejected claim of this very author: renewed after the cooldown
        again = (turned_down.decided_at or turned_down.created_at) + RECLAIM_COOLDOWN
        if datetime.now(UTC) < again:
            raise InvalidInput(
                f"an administrator turned down your claim of {name} on this paper; you may claim "
                f"it again from {again:%Y-%m-%d}"
            )
        turned_down.status, turned_down.created_at, turned_down.decided_at = PENDING, datetime.now(UTC), None
        session.flush()
        return turned_down
    return store.add_claim(
        session, paper_id=paper.id, author_index=author_index, author_key=author_key(name), user_id=user.id
    )


def unclaim_author(session: Session, user: User, arxiv_id: str, author_index: int) -> None:
    """Withdraw the user's own claim, pending or approved (a rejected one stays, with its cooldown)."""
    paper = load_paper(session, arxiv_id)
    claim = store.live_claim(session, user.id, paper.id, author_index)
    if claim is None:
        raise NotFound("you have no claim on this author")
    store.delete_claim(session, claim)


def decide_claim(session: Session, admin: User, claim_id: int, approve: bool) -> AuthorClaim:
    """Approve or reject a claim. Approving one turns down every other claim of the same author of the paper,
    waiting or approved before: one person is that author."""
    require_admin(admin)
    claim = store.claim_by_id(session, claim_id)
    if claim is None:
        raise NotFound(f"no claim {claim_id}")
    now = datetime.now(UTC)
    if approve:
        store.reject_rivals(session, claim, now)
    claim.status = APPROVED if approve else REJECTED
    claim.decided_at = now
    session.flush()
    return claim


def pending_claims(session: Session) -> list[AuthorClaim]:
    """Claims waiting for an administrator, oldest first, with their user and paper."""
    return store.pending_claims(session)


def paper_claims(session: Session, paper_ids: list[int]) -> dict[int, dict[int, AuthorClaim]]:
    """The approved claims of these papers: {paper id: {author index: claim}}, one query. (Waiting claims
    are private to their users and the administrators.)"""
    found: dict[int, dict[int, AuthorClaim]] = {}
    for claim in store.approved_claims(session, paper_ids):
        found.setdefault(claim.paper_id, {})[claim.author_index] = claim
    return found


def claims_for_reader(
    session: Session, paper_id: int, reader: User | None
) -> tuple[dict[int, AuthorClaim], AuthorClaim | None]:
    """A paper's approved claims by author index, and the reader's own live (waiting or approved) claim on it,
    if any: one query for a paper page."""
    approved: dict[int, AuthorClaim] = {}
    mine = None
    for claim in store.approved_claims(session, [paper_id], also_of=reader.id if reader else None):
        if claim.status == APPROVED:
            approved[claim.author_index] = claim
        if reader is not None and claim.user_id == reader.id:
            mine = claim
    return approved, mine


def author_user(session: Session, key: str) -> User | None:
    """The user an approved claim links to this author name, if any (the earliest approved claim)."""
    return store.approved_claimant(session, key)

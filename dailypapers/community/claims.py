"""Author claims: a signed-in user says "this is me" of one author of a paper; an administrator approves
or rejects it. An approved claim links the author's name to the user's profile."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from dailypapers.community.moderation import require_admin
from dailypapers.community.papers import load_paper
from dailypapers.errors import InvalidInput, NotFound
from dailypapers.names import author_key
from dailypapers.store.models import AuthorClaim, User

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


def claim_author(session: Session, user: User, arxiv_id: str, author_index: int) -> AuthorClaim:
    """A pending claim of the paper's author at `author_index`; InvalidInput when someone holds it already
    or the user claimed another author of the same paper."""
    paper = load_paper(session, arxiv_id)
    if not 0 <= author_index < len(paper.authors or []):
        raise InvalidInput(f"{arxiv_id} has no author number {author_index + 1}")
    claims = {c.author_index: c for c in session.scalars(select(AuthorClaim).where(AuthorClaim.paper_id == paper.id))}
    mine = [c for c in claims.values() if c.user_id == user.id and c.status != REJECTED]
    if mine:
        raise InvalidInput(f"you have claimed {paper.authors[mine[0].author_index]} on this paper already")
    held = claims.get(author_index)
    if held is not None and held.status != REJECTED:
        raise InvalidInput(f"{paper.authors[author_index]} on this paper is claimed by someone already")
    if held is not None:  # a rejected claim frees the author for a new one
        session.delete(held)
        session.flush()
    claim = AuthorClaim(paper_id=paper.id, author_index=author_index, user_id=user.id,
                        author_key=author_key(paper.authors[author_index]), status=PENDING)
    session.add(claim)
    session.flush()
    return claim


def unclaim_author(session: Session, user: User, arxiv_id: str, author_index: int) -> None:
    """Withdraw the user's own claim, pending or approved."""
    paper = load_paper(session, arxiv_id)
    claim = session.scalar(select(AuthorClaim).where(
        AuthorClaim.paper_id == paper.id, AuthorClaim.author_index == author_index))
    if claim is None or claim.user_id != user.id:
        raise NotFound("you have no claim on this author")
    session.delete(claim)
    session.flush()


def decide_claim(session: Session, admin: User, claim_id: int, approve: bool) -> AuthorClaim:
    require_admin(admin)
    claim = session.get(AuthorClaim, claim_id)
    if claim is None:
        raise NotFound(f"no claim {claim_id}")
    claim.status = APPROVED if approve else REJECTED
    claim.decided_at = datetime.now(UTC)
    session.flush()
    return claim


def pending_claims(session: Session) -> list[AuthorClaim]:
    """Claims waiting for an administrator, oldest first, with their user and paper."""
    return list(session.scalars(
        select(AuthorClaim).options(joinedload(AuthorClaim.user), joinedload(AuthorClaim.paper))
        .where(AuthorClaim.status == PENDING).order_by(AuthorClaim.created_at, AuthorClaim.id)))


_LIVE_CLAIMS = select(AuthorClaim).options(joinedload(AuthorClaim.user)).where(  # built once: see load_paper
    AuthorClaim.paper_id.in_(bindparam("ids", expanding=True)), AuthorClaim.status != REJECTED)


def paper_claims(session: Session, paper_ids: list[int]) -> dict[int, dict[int, AuthorClaim]]:
    """The live (pending or approved) claims of these papers: {paper id: {author index: claim}}, one query."""
    if not paper_ids:
        return {}
    found: dict[int, dict[int, AuthorClaim]] = {}
    for claim in session.scalars(_LIVE_CLAIMS, {"ids": list(paper_ids)}):
        found.setdefault(claim.paper_id, {})[claim.author_index] = claim
    return found


def author_user(session: Session, key: str) -> User | None:
    """The user an approved claim links to this author name, if any (the earliest approved claim)."""
    return session.scalar(select(User).join(AuthorClaim, AuthorClaim.user_id == User.id).where(
        AuthorClaim.author_key == key, AuthorClaim.status == APPROVED).order_by(AuthorClaim.decided_at).limit(1))

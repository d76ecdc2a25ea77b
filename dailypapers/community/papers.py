"""Papers as the community sees them: a hidden paper exists only for administrators."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from dailypapers.errors import NotFound
from dailypapers.store.models import DailyEntry, Paper

# Built once, the id bound at each call: building the statement cost more than running it.
_BY_ARXIV_ID = (select(Paper).options(joinedload(Paper.daily_entry).joinedload(DailyEntry.submitted_by))
                .where(Paper.arxiv_id == bindparam("arxiv_id")))


def load_paper(session: Session, arxiv_id: str, *, include_hidden: bool = False) -> Paper:
    """The paper with this id, its feed entry and submitter loaded in the same query; NotFound when absent
    or hidden (unless `include_hidden`, for administrators)."""
    paper = session.scalar(_BY_ARXIV_ID, {"arxiv_id": arxiv_id})
    if paper is None or (paper.hidden and not include_hidden):
        raise NotFound(f"no paper {arxiv_id}")
    return paper

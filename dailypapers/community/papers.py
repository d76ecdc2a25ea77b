"""Papers as the community sees them: a hidden paper exists only for administrators."""

from __future__ import annotations

from dailypapers.errors import NotFound
from dailypapers.store.db import Session
from dailypapers.store.models import Paper
from dailypapers.store.reads import paper_by_arxiv_id


def load_paper(session: Session, arxiv_id: str, *, include_hidden: bool = False) -> Paper:
    """The paper with this id, its feed entry and submitter loaded in the same query; NotFound when absent
    or hidden (unless `include_hidden`, for administrators)."""
    paper = paper_by_arxiv_id(session, arxiv_id)
    if paper is None or (paper.hidden and not include_hidden):
        raise NotFound(f"no paper {arxiv_id}")
    return paper

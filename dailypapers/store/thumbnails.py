"""Which papers have a first-page thumbnail, and of which version (`papers.thumbnail_version`)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Engine, or_, select, update

from dailypapers.store.models import Paper

PAPERS = Paper.__table__
_LOOKUP_CHUNK = 500


def _lacking() -> ColumnElement[bool]:
    return or_(PAPERS.c.thumbnail_version.is_(None), PAPERS.c.thumbnail_version < PAPERS.c.version)


def papers_lacking_thumbnails(
    engine: Engine, arxiv_ids: list[str] | None = None, limit: int | None = None
) -> list[tuple[str, int]]:
    """(arxiv_id, version) of the papers with no thumbnail of their latest version: all of them (the most
    recently added first), or those among `arxiv_ids`."""
    query = select(PAPERS.c.arxiv_id, PAPERS.c.version).where(_lacking())
    with engine.connect() as conn:
        if arxiv_ids is None:
            newest_first = query.order_by(PAPERS.c.id.desc()).limit(limit)
            return [(row.arxiv_id, row.version) for row in conn.execute(newest_first)]
        found: list[tuple[str, int]] = []
        for start in range(0, len(arxiv_ids), _LOOKUP_CHUNK):
            chunk = arxiv_ids[start : start + _LOOKUP_CHUNK]
            found += [(row.arxiv_id, row.version) for row in conn.execute(query.where(PAPERS.c.arxiv_id.in_(chunk)))]
    return found[:limit]


def record_thumbnail(engine: Engine, arxiv_id: str, version: int) -> None:
    with engine.begin() as conn:
        conn.execute(update(PAPERS).where(PAPERS.c.arxiv_id == arxiv_id).values(thumbnail_version=version))

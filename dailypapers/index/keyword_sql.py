"""What the two in-database keyword engines (FTS5, PostgreSQL) share: the filters as SQL over `papers p`."""

from __future__ import annotations

import html
from datetime import timedelta

import numpy as np
from sqlalchemy import Engine, text

from dailypapers.index.protocols import Filters, KeywordHit


def conditions(filters: Filters) -> tuple[str, dict]:
    """ " AND ..." conditions on p for everything but authors (each engine matches names its own way)."""
    parts, params = [], {}
    if not filters.include_hidden:
        parts.append("NOT p.hidden")
    if filters.date_from:
        parts.append("p.published_at >= :date_from")
        params["date_from"] = filters.date_from.isoformat()
    if filters.date_to:
        parts.append("p.published_at < :date_to")  # inclusive of the whole last day
        params["date_to"] = (filters.date_to + timedelta(days=1)).isoformat()
    if filters.has_code:
        parts.append("p.code_url IS NOT NULL AND p.code_url != ''")
    if filters.category:
        category = filters.category.strip()
        # An archive ("cs") matches all its categories ("cs.CL", "cs.LG"); a full name matches exactly.
        parts.append("(' ' || p.categories || ' ') LIKE :category")
        params["category"] = f"% {category}.%" if "." not in category else f"% {category} %"
    if filters.exclude_ids:
        parts.append(f"p.id NOT IN ({','.join(str(int(i)) for i in filters.exclude_ids)})")
    return "".join(f" AND {c}" for c in parts), params


def matching_ids(engine: Engine, filters: Filters, among: np.ndarray | None, extra: str, params: dict) -> np.ndarray:
    """Sorted ids of the papers passing the filters; `extra` is the engine's own author condition."""
    where, base = conditions(filters)
    if among is not None:
        if len(among) == 0:
            return np.array([], dtype=np.int64)
        where += f" AND p.id IN ({','.join(str(int(i)) for i in among)})"
    with engine.connect() as conn:
        rows = (
            conn.execute(text(f"SELECT p.id FROM papers p WHERE 1=1 {where}{extra} ORDER BY p.id"), {**base, **params})
            .scalars()
            .all()
        )
    return np.array(rows, dtype=np.int64)


def hits_from_rows(rows, with_snippets: bool) -> list[KeywordHit]:
    """Hits of rows (id, rank[, snip, title_marked]) whose snippets carry \x02/\x03 match markers."""
    if not with_snippets:
        return [KeywordHit(r.id, -r.rank, None) for r in rows]
    return [KeywordHit(r.id, -r.rank, mark(r.snip if "\x02" in (r.snip or "") else r.title_marked)) for r in rows]


def mark(snippet: str | None) -> str | None:
    """Escape for HTML, then turn the engines' match markers into <mark> tags."""
    if snippet is None:
        return None
    return html.escape(snippet).replace("\x02", "<mark>").replace("\x03", "</mark>")

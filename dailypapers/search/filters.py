"""Search filters (date range, category, author, has code) as SQL over `papers p`, shared by every retriever."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from sqlalchemy import text

from dailypapers.index.keyword import column_phrase
from dailypapers.index.keyword_postgres import to_tsquery_text


@dataclass
class Filters:
    where: str = ""  # " AND ..." conditions on p, appended after NOT p.hidden
    params: dict = field(default_factory=dict)
    fts: list[str] = field(default_factory=list)  # FTS5 column filters (authors, categories)

    @property
    def active(self) -> bool:
        return bool(self.where or self.fts)

    def with_fts(self, match: str) -> str:
        """A keyword MATCH expression narrowed by the column filters."""
        return " AND ".join([f"({match})", *self.fts]) if self.fts else match

    def fts_where(self, dialect: str = "sqlite") -> tuple[str, dict]:
        """The column filters as an SQL condition, for retrievers that do not MATCH."""
        if not self.fts:
            return "", {}
        match = " AND ".join(self.fts)
        if dialect == "postgresql":
            return (" AND p.search_vector @@ to_tsquery('english', :filter_match)",
                    {"filter_match": to_tsquery_text(match)})
        return (" AND p.id IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH :filter_match)",
                {"filter_match": match})


def build_filters(query) -> Filters:
    """Filters of a validated SearchQuery."""
    f = Filters()
    conditions = []
    if query.date_from:
        conditions.append("p.published_at >= :date_from")
        f.params["date_from"] = query.date_from.isoformat()
    if query.date_to:
        conditions.append("p.published_at < :date_to")  # inclusive of the whole last day
        f.params["date_to"] = (query.date_to + timedelta(days=1)).isoformat()
    if query.has_code:
        conditions.append("p.code_url IS NOT NULL AND p.code_url != ''")
    if query.category:
        category = query.category.strip()
        # An archive ("cs") matches all its categories ("cs.CL", "cs.LG"); a full name matches exactly.
        pattern = f"% {category}.%" if "." not in category else f"% {category} %"
        conditions.append("(' ' || p.categories || ' ') LIKE :category")
        f.params["category"] = pattern
        phrase = column_phrase("categories", category)
        if phrase:
            f.fts.append(phrase)
    if query.author:
        phrase = column_phrase("authors", query.author)
        if phrase:
            f.fts.append(phrase)
    f.where = "".join(f" AND {c}" for c in conditions)
    return f


def keep_matching(conn, filters: Filters, paper_ids: np.ndarray) -> np.ndarray:
    """Those of these papers that are visible and pass the filters."""
    if len(paper_ids) == 0:
        return paper_ids
    ids = ",".join(str(int(i)) for i in paper_ids)
    extra, params = filters.fts_where(conn.dialect.name)
    rows = conn.execute(text(f"SELECT p.id FROM papers p WHERE p.id IN ({ids}) AND NOT p.hidden "
                             f"{filters.where}{extra}"), {**filters.params, **params}).scalars().all()
    return np.array(rows, dtype=np.int64)


def all_matching(conn, filters: Filters) -> np.ndarray:
    """Every visible paper that passes the filters, in id order."""
    extra, params = filters.fts_where(conn.dialect.name)
    rows = conn.execute(text(f"SELECT p.id FROM papers p WHERE NOT p.hidden {filters.where}{extra} ORDER BY p.id"),
                        {**filters.params, **params}).scalars().all()
    return np.array(rows, dtype=np.int64)

"""The FTS5 keyword engine: SQLite FTS5 over title, authors, abstract and categories, ranked by bm25.

The FTS5 table is external-content over `papers`. Writes do not touch it: `sync()` indexes the papers changed
after its watermark (`keyword_fts5_watermark`, migration 0006) and moves the watermark, in one transaction, so
only the engine that serves search pays for indexing and a crash between the paper write and the sync is
caught up by the next one. Field weights: title > authors > abstract.
"""

from __future__ import annotations

import re

import numpy as np
from sqlalchemy import Engine, text

from dailypapers.index.keyword_sql import conditions, hits_from_rows, matching_ids
from dailypapers.index.protocols import Filters, KeywordHit, KeywordQuery
from dailypapers.store.reads import last_change_seq

# bm25 weights per FTS column: title, authors, abstract, categories.
FIELD_WEIGHTS = (10.0, 4.0, 1.0, 0.5)
BM25 = "bm25(papers_fts, {}, {}, {}, {})".format(*FIELD_WEIGHTS)
FTS_COLUMNS = "title, authors, abstract, categories"
# A write statement first, so the transaction holds the write lock before it reads the watermark.
_INDEX_CHANGED = (
    f"INSERT INTO papers_fts(rowid, {FTS_COLUMNS}) SELECT id, {FTS_COLUMNS} FROM papers "
    "WHERE change_seq > (SELECT seq FROM keyword_fts5_watermark)"
)
_WATERMARK = "SELECT seq FROM keyword_fts5_watermark"
_MOVE_WATERMARK = "UPDATE keyword_fts5_watermark SET seq = :seq"
_VOCABULARY = "CREATE VIRTUAL TABLE IF NOT EXISTS temp.papers_fts_vocab USING fts5vocab(main, papers_fts, row)"

_TOKEN = re.compile(r"\w+", re.UNICODE)


def match_expression(query: KeywordQuery, filters: Filters = Filters()) -> str:
    """The words ORed (bm25 rewards papers that have more of them, and rarer ones), ANDed with author filters.

    Every token is \\w+ and quoted, so nothing a person types becomes FTS5 syntax.
    """
    parts = ['"' + " ".join(p) + '"' for p in query.phrases]
    parts += [f'"{t}"' for t in query.terms] + [f'"{p}"*' for p in query.prefixes]
    match = " OR ".join(parts)
    authors = author_match(filters)
    return f"({match}) AND {authors}" if authors else match


def author_match(filters: Filters) -> str:
    """authors : "geoffrey hinton" for each author filter, ANDed."""
    phrases = [" ".join(_TOKEN.findall(a)) for a in filters.authors]
    return " AND ".join(f'authors : "{p}"' for p in phrases if p)


class Fts5Index:
    def __init__(self, engine: Engine):
        self.engine = engine

    def search(
        self, query: KeywordQuery, filters: Filters, limit: int, offset: int = 0, with_snippets: bool = False
    ) -> list[KeywordHit]:
        self.catch_up()
        where, params = conditions(filters)
        extras = (
            (
                ", snippet(papers_fts, 2, '\x02', '\x03', '…', 24) AS snip, "
                "highlight(papers_fts, 0, '\x02', '\x03') AS title_marked"
            )
            if with_snippets
            else ""
        )
        sql = (
            f"SELECT p.id, {BM25} AS rank{extras} FROM papers_fts JOIN papers p ON p.id = papers_fts.rowid "
            f"WHERE papers_fts MATCH :match {where} ORDER BY rank LIMIT :limit OFFSET :offset"
        )
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(sql), {**params, "match": match_expression(query, filters), "limit": limit, "offset": offset}
            ).all()
        return hits_from_rows(rows, with_snippets)

    def count(self, query: KeywordQuery, cap: int) -> int:
        with self.engine.connect() as conn:
            return conn.execute(
                text("SELECT count(*) FROM (SELECT rowid FROM papers_fts WHERE papers_fts MATCH :t LIMIT :cap)"),
                {"t": match_expression(query), "cap": cap + 1},
            ).scalar_one()

    def matching(
        self, filters: Filters, among: np.ndarray | None = None, query: KeywordQuery | None = None
    ) -> np.ndarray:
        self.catch_up()
        match = match_expression(query, filters) if query is not None else author_match(filters)
        if query is not None and not match_expression(query):
            return np.array([], dtype=np.int64)
        extra = " AND p.id IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH :match)" if match else ""
        return matching_ids(self.engine, filters, among, extra, {"match": match} if match else {})

    def expansions(self, prefix: str, cap: int) -> int:
        """The terms of the FTS5 index (fts5vocab: a view of it in this connection's temp schema, which changes
        nothing in the database) from the prefix to the last word that starts with it."""
        self.catch_up()
        with self.engine.connect() as conn:
            conn.execute(text(_VOCABULARY))
            return conn.execute(
                text(
                    "SELECT count(*) FROM (SELECT term FROM temp.papers_fts_vocab WHERE term >= :p "
                    "AND term < :p || char(1114111) LIMIT :cap)"
                ),
                {"p": prefix.lower(), "cap": cap + 1},
            ).scalar_one()

    def catch_up(self) -> None:
        """Before a read: index what the store has and the table lacks (another process's write, a crash)."""
        with self.engine.connect() as conn:
            behind = last_change_seq(conn) > conn.execute(text(_WATERMARK)).scalar_one()
        if behind:
            self.sync()

    def lag(self) -> int:
        self.catch_up()
        with self.engine.connect() as conn:
            return max(0, last_change_seq(conn) - conn.execute(text(_WATERMARK)).scalar_one())

    def sync(self) -> int:
        with self.engine.begin() as conn:
            applied = conn.execute(text(_INDEX_CHANGED)).rowcount
            if applied:
                conn.execute(text(_MOVE_WATERMARK), {"seq": last_change_seq(conn)})
        return applied

    def refresh(self, rebuild: bool = False) -> int:
        """Sync, or rebuild from the store on request, and merge the FTS5 segments so queries stay fast."""
        if not rebuild:
            self.sync()
        with self.engine.begin() as conn:
            if rebuild:
                conn.execute(text("INSERT INTO papers_fts(papers_fts) VALUES ('rebuild')"))
                conn.execute(text(_MOVE_WATERMARK), {"seq": last_change_seq(conn)})
            conn.execute(text("INSERT INTO papers_fts(papers_fts) VALUES ('optimize')"))
            return conn.execute(text("SELECT count(*) FROM papers")).scalar() or 0

"""The PostgreSQL keyword engine: the FTS5 match expressions (keyword_fts5.py) answered by tsvector/tsquery.

The match language is small: "quoted words" (a term or phrase), a trailing * (prefix), `column : "words"`
(authors only), joined by OR and AND. Every token in it is \\w+, so translating it into a tsquery string is
safe. Ranking is ts_rank over the weighted vector of migration 0002 (title A > authors B > abstract C >
categories D), matching FTS5's field weights. The vector is a generated column: never stale.
"""

from __future__ import annotations

import re

import numpy as np
from sqlalchemy import Engine, text

from dailypapers.errors import InvalidInput
from dailypapers.index.keyword_fts5 import author_match, match_expression
from dailypapers.index.keyword_sql import conditions, hits_from_rows, matching_ids
from dailypapers.index.protocols import Filters, KeywordHit, KeywordQuery

# ts_rank weights for D, C, B, A: the FTS5 field weights 0.5, 1, 4, 10 scaled to at most 1.
WEIGHTS = "'{0.05, 0.1, 0.4, 1.0}'"
RANK = f"ts_rank({WEIGHTS}, p.search_vector, to_tsquery('english', :tsquery))"
COLUMN_WEIGHT = {"title": "A", "authors": "B", "abstract": "C", "categories": "D"}
SNIPPET_COLUMNS = (
    ", ts_headline('english', p.abstract, to_tsquery('english', :tsquery), "
    "'StartSel=\x02, StopSel=\x03, MaxWords=35, MinWords=15, MaxFragments=1, "
    "FragmentDelimiter=…') AS snip, "
    "ts_headline('english', p.title, to_tsquery('english', :tsquery), "
    "'StartSel=\x02, StopSel=\x03, HighlightAll=true') AS title_marked"
)

# The lexemes starting with a prefix, in the papers its tsquery matches (the prefix stemmed as to_tsquery does).
_PREFIX_WORDS = (
    "SELECT word FROM papers p, unnest(tsvector_to_array(p.search_vector)) AS word "
    "WHERE p.search_vector @@ to_tsquery('english', :tsquery) "
    "AND starts_with(word, (ts_lexize('english_stem', :prefix))[1])"
)
_TERM = re.compile(r'(?:(\w+)\s*:\s*)?"([^"]*)"(\*?)')
_TOKEN = re.compile(r"\w+", re.UNICODE)


def to_tsquery_text(match: str) -> str:
    """Translate an FTS5 match expression into a to_tsquery() string."""
    out, pos = [], 0
    for found in _TERM.finditer(match):
        between = match[pos : found.start()].strip(" ()")
        if between:
            out.append(_operator(between))
        column, words, prefix = found.groups()
        tokens = _TOKEN.findall(words)
        if not tokens:
            raise InvalidInput("the search query has no words to look for")
        weight = COLUMN_WEIGHT.get(column, "") if column else ""
        suffix = ":" + ("*" if prefix else "") + weight if (prefix or weight) else ""
        out.append("(" + " <-> ".join(f"'{t.lower()}'{suffix}" for t in tokens) + ")")
        pos = found.end()
    if not out:
        raise InvalidInput("the search query has no words to look for")
    return " ".join(out)


def _operator(text_: str) -> str:
    words = text_.replace("(", " ").replace(")", " ").split()
    if words and all(w in ("AND", "OR") for w in words) and len(set(words)) == 1:
        return "|" if words[0] == "OR" else "&"
    raise InvalidInput(f"cannot search for {text_!r}")


class PostgresIndex:
    def __init__(self, engine: Engine):
        self.engine = engine

    def search(
        self, query: KeywordQuery, filters: Filters, limit: int, offset: int = 0, with_snippets: bool = False
    ) -> list[KeywordHit]:
        where, params = conditions(filters)
        extras = SNIPPET_COLUMNS if with_snippets else ""
        # Negated so that, as with FTS5's bm25(), smaller is better.
        sql = (
            f"SELECT p.id, -{RANK} AS rank{extras} FROM papers p "
            f"WHERE p.search_vector @@ to_tsquery('english', :tsquery) {where} "
            "ORDER BY rank, p.id LIMIT :limit OFFSET :offset"
        )
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(sql),
                {
                    **params,
                    "tsquery": to_tsquery_text(match_expression(query, filters)),
                    "limit": limit,
                    "offset": offset,
                },
            ).all()
        return hits_from_rows(rows, with_snippets)

    def count(self, query: KeywordQuery, cap: int) -> int:
        with self.engine.connect() as conn:
            return conn.execute(
                text(
                    "SELECT count(*) FROM (SELECT 1 FROM papers WHERE search_vector @@ "
                    "to_tsquery('english', :t) LIMIT :cap) AS f"
                ),
                {"t": to_tsquery_text(match_expression(query)), "cap": cap + 1},
            ).scalar_one()

    def matching(
        self, filters: Filters, among: np.ndarray | None = None, query: KeywordQuery | None = None
    ) -> np.ndarray:
        match = match_expression(query, filters) if query is not None else author_match(filters)
        if query is not None and not match_expression(query):
            return np.array([], dtype=np.int64)
        extra = " AND p.search_vector @@ to_tsquery('english', :match)" if match else ""
        params = {"match": to_tsquery_text(match)} if match else {}
        return matching_ids(self.engine, filters, among, extra, params)

    def expansions(self, prefix: str, cap: int) -> int:
        """PostgreSQL keeps no word list to read: the lexemes of the papers the prefix matches, read as a stream
        until `cap` is passed, so a prefix of many words stops early and a rare one has few papers to read."""
        words: set[str] = set()
        with self.engine.connect() as conn:
            rows = conn.execution_options(stream_results=True, yield_per=500).execute(
                text(_PREFIX_WORDS),
                {"tsquery": to_tsquery_text(match_expression(KeywordQuery(prefixes=(prefix,)))), "prefix": prefix},
            )
            for (word,) in rows:
                words.add(word)
                if len(words) > cap:
                    break
            rows.close()
        return len(words)

    def sync(self) -> int:
        return 0  # a generated column, written with the row

    def lag(self) -> int:
        return 0  # written in the same transaction as the paper

    def refresh(self, rebuild: bool = False) -> int:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM papers")).scalar() or 0

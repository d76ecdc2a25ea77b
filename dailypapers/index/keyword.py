"""The keyword index: SQLite FTS5 over title, authors, abstract and categories, ranked by bm25.

The FTS5 table is external-content and kept in step with `papers` by triggers (migration 0001), so every
upsert updates it in the same transaction: it is never stale. Field weights: title > authors > abstract.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from sqlalchemy import Engine, text

from dailypapers.errors import InvalidInput
from dailypapers.index import keyword_postgres

# bm25 weights per FTS column: title, authors, abstract, categories.
FIELD_WEIGHTS = (10.0, 4.0, 1.0, 0.5)
BM25 = "bm25(papers_fts, {}, {}, {}, {})".format(*FIELD_WEIGHTS)

# Words so common in abstracts that they only slow the OR query down and blur the ranking.
STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between
both but by can could did do does doing down during each few for from further had has have having he her here
hers how i if in into is it its itself just me more most my no nor not now of off on once only or other our out
over own same she should so some such than that the their them then there these they this those through to too
under until up very was we were what when where which while who whom why will with would you your via using use
used based new towards toward paper study approach method methods
""".split())

_TOKEN = re.compile(r"\w+", re.UNICODE)
_PART = re.compile(r'"([^"]*)"|(\S+)')


@dataclass
class KeywordHit:
    paper_id: int
    score: float  # bm25, larger is better
    snippet: str | None


def match_terms(query: str) -> list[str]:
    """Safe FTS5 terms from what a person typed.

    "quoted phrases" stay phrases, a trailing * makes a prefix query, other words are quoted one by one.
    Stopwords are dropped unless nothing else is left.
    """
    phrases, words = [], []
    for phrase, word in _PART.findall(query):
        if phrase:
            tokens = _TOKEN.findall(phrase)
            if tokens:
                phrases.append('"' + " ".join(tokens) + '"')
        else:
            prefix = word.endswith("*")
            for token in _TOKEN.findall(word):
                words.append((token.lower(), prefix))
    useful = [(t, p) for t, p in words if p or t not in STOPWORDS] or words
    seen, parts = set(), list(phrases)
    for token, prefix in useful:
        term = f'"{token}"' + ("*" if prefix else "")
        if term not in seen:
            seen.add(term)
            parts.append(term)
    if not parts:
        raise InvalidInput("the search query has no words to look for")
    return parts


def match_expression(query: str) -> str:
    """The terms ORed: bm25 rewards papers that have more of them, and rarer ones."""
    return " OR ".join(match_terms(query))


def without_common_terms(conn, terms: list[str], max_docs: int) -> list[str]:
    """The terms found in at most `max_docs` papers (phrases always stay).

    On a large collection bm25 over an OR of common words scores most of the collection for every query;
    the rare words carry the lexical evidence that meaning-based search lacks. Counting stops at the cap,
    so the probe stays cheap.
    """
    kept = []
    for term in terms:
        if " " in term:  # a phrase: specific by nature
            kept.append(term)
            continue
        if conn.dialect.name == "postgresql":
            found = conn.execute(text("SELECT count(*) FROM (SELECT 1 FROM papers WHERE search_vector @@ "
                                      "to_tsquery('english', :t) LIMIT :cap) AS f"),
                                 {"t": keyword_postgres.to_tsquery_text(term), "cap": max_docs + 1}).scalar()
        else:
            found = conn.execute(text("SELECT count(*) FROM (SELECT rowid FROM papers_fts WHERE papers_fts MATCH :t "
                                      "LIMIT :cap)"), {"t": term, "cap": max_docs + 1}).scalar()
        if found <= max_docs:
            kept.append(term)
    return kept


def column_phrase(column: str, value: str) -> str | None:
    """An FTS5 filter on one column, e.g. authors : "geoffrey hinton"."""
    tokens = _TOKEN.findall(value)
    return f'{column} : "{" ".join(tokens)}"' if tokens else None


def search(conn, match: str, where: str = "", params: dict | None = None, limit: int = 100,
           offset: int = 0, with_snippets: bool = True) -> list[KeywordHit]:
    """bm25-ranked papers for a MATCH expression, with extra SQL conditions on `p` (papers).

    Snippets cost more than the ranking itself; leave them out for candidate lists.
    """
    if conn.dialect.name == "postgresql":
        extras = keyword_postgres.SNIPPET_COLUMNS if with_snippets else ""
        rows = conn.execute(text(keyword_postgres.search_sql(extras, where)),
                            {**(params or {}), "tsquery": keyword_postgres.to_tsquery_text(match), "limit": limit,
                             "offset": offset}).all()
    else:
        extras = (", snippet(papers_fts, 2, '\x02', '\x03', '…', 24) AS snip, "
                  "highlight(papers_fts, 0, '\x02', '\x03') AS title_marked") if with_snippets else ""
        sql = (
            f"SELECT p.id, {BM25} AS rank{extras} "
            "FROM papers_fts JOIN papers p ON p.id = papers_fts.rowid "
            f"WHERE papers_fts MATCH :match AND NOT p.hidden {where} ORDER BY rank LIMIT :limit OFFSET :offset"
        )
        rows = conn.execute(text(sql), {**(params or {}), "match": match, "limit": limit, "offset": offset}).all()
    if not with_snippets:
        return [KeywordHit(r.id, -r.rank, None) for r in rows]
    return [KeywordHit(r.id, -r.rank, mark(r.snip if "\x02" in (r.snip or "") else r.title_marked)) for r in rows]


def mark(snippet: str | None) -> str | None:
    """Escape for HTML, then turn the FTS5 markers into <mark> tags."""
    if snippet is None:
        return None
    return html.escape(snippet).replace("\x02", "<mark>").replace("\x03", "</mark>")


def refresh(engine: Engine, rebuild: bool = False) -> int:
    """Rebuild (on request) and merge the FTS5 segments so queries stay fast; returns the number of papers."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # a generated column (migration 0002): nothing to merge
            return conn.execute(text("SELECT count(*) FROM papers")).scalar() or 0
        if rebuild:
            conn.execute(text("INSERT INTO papers_fts(papers_fts) VALUES ('rebuild')"))
        conn.execute(text("INSERT INTO papers_fts(papers_fts) VALUES ('optimize')"))
        return conn.execute(text("SELECT count(*) FROM papers")).scalar() or 0

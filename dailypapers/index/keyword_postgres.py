"""The keyword index on PostgreSQL: the same match expressions as FTS5, answered by tsvector/tsquery.

`keyword.match_terms` builds a small FTS5 language: "quoted words" (a term or phrase), a trailing * (prefix),
`column : "words"` (authors or categories only), joined by OR and AND. Every token in it is \\w+, so
translating it into a tsquery string is safe. Ranking is ts_rank over the weighted vector of migration
0002 (title A > authors B > abstract C > categories D), matching FTS5's field weights.
"""

from __future__ import annotations

import re

from dailypapers.errors import InvalidInput

# ts_rank weights for D, C, B, A: the FTS5 field weights 0.5, 1, 4, 10 scaled to at most 1.
WEIGHTS = "'{0.05, 0.1, 0.4, 1.0}'"
RANK = f"ts_rank({WEIGHTS}, p.search_vector, to_tsquery('english', :tsquery))"
COLUMN_WEIGHT = {"title": "A", "authors": "B", "abstract": "C", "categories": "D"}

_TERM = re.compile(r'(?:(\w+)\s*:\s*)?"([^"]*)"(\*?)')
_TOKEN = re.compile(r"\w+", re.UNICODE)


def to_tsquery_text(match: str) -> str:
    """Translate our FTS5 match expression into a to_tsquery() string."""
    out, pos = [], 0
    for found in _TERM.finditer(match):
        between = match[pos:found.start()].strip(" ()")
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


def _operator(text: str) -> str:
    words = text.replace("(", " ").replace(")", " ").split()
    if words and all(w in ("AND", "OR") for w in words) and len(set(words)) == 1:
        return "|" if words[0] == "OR" else "&"
    raise InvalidInput(f"cannot search for {text!r}")


def search_sql(extras: str, where: str) -> str:
    # Negated so that, as with FTS5's bm25(), smaller is better and callers share one convention.
    return (f"SELECT p.id, -{RANK} AS rank{extras} FROM papers p "
            "WHERE p.search_vector @@ to_tsquery('english', :tsquery) AND NOT p.hidden "
            f"{where} ORDER BY rank, p.id LIMIT :limit OFFSET :offset")


SNIPPET_COLUMNS = (", ts_headline('english', p.abstract, to_tsquery('english', :tsquery), "
                   "'StartSel=\x02, StopSel=\x03, MaxWords=35, MinWords=15, MaxFragments=1, "
                   "FragmentDelimiter=…') AS snip, "
                   "ts_headline('english', p.title, to_tsquery('english', :tsquery), "
                   "'StartSel=\x02, StopSel=\x03, HighlightAll=true') AS title_marked")

"""Turning ranked paper ids into `Hit`s: titles from the store, ranks per retriever, and a snippet."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from dailypapers.search.explain import highlight
from dailypapers.search.query import Hit


def load_hits(session: Session, scored: list[tuple[int, float]], ranks: dict[str, dict[int, int]],
              snippets: dict[int, str] | None = None, highlight_query: str | None = None) -> list[Hit]:
    """Hits for (paper id, score) pairs in that order, skipping papers that are gone or hidden.

    With `highlight_query`, each hit's snippet shows that query's words in its abstract (search/explain.py).
    """
    if not scored:
        return []
    ids = ",".join(str(int(pid)) for pid, _ in scored)
    abstract = ", abstract" if highlight_query else ""
    rows = {r.id: r for r in session.execute(
        text(f"SELECT id, arxiv_id, title{abstract} FROM papers WHERE id IN ({ids}) AND NOT hidden")).all()}
    hits = []
    for pid, score in scored:
        row = rows.get(pid)
        if row is None:
            continue
        hit_ranks = {name: r[pid] for name, r in ranks.items() if pid in r}
        snippet = (snippets or {}).get(pid)
        if snippet is None and highlight_query:
            snippet = highlight(highlight_query, row.title, row.abstract)
        hits.append(Hit(pid, row.arxiv_id, row.title, float(score), hit_ranks, snippet))
    return hits

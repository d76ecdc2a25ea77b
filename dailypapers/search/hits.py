"""Turning ranked paper ids into `Hit`s: titles from the store, ranks per retriever, and a snippet."""

from __future__ import annotations

from dailypapers.search.explain import highlight
from dailypapers.search.query import Hit
from dailypapers.store.db import Session
from dailypapers.store.reads import visible_papers


def load_hits(
    session: Session,
    scored: list[tuple[int, float]],
    ranks: dict[str, dict[int, int]],
    snippets: dict[int, str | None] | None = None,
    highlight_query: str | None = None,
) -> list[Hit]:
    """Hits for (paper id, score) pairs in that order, skipping papers that are gone or hidden.

    With `highlight_query`, a hit without an engine's snippet shows that query's words in its abstract
    (search/explain.py).
    """
    rows = visible_papers(session.connection(), [pid for pid, _ in scored], with_abstract=bool(highlight_query))
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

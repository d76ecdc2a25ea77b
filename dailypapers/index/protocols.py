"""The two protocols under search: what a keyword engine and a vector index must do. Read this file to add an engine.

search/ speaks to the indexes only in the types below: a structured `KeywordQuery` (already split into
terms, phrases and prefixes) and `Filters`. It writes no engine syntax and runs no SQL; each engine turns
these into its own language (FTS5 MATCH, tsquery, tantivy queries).

Keyword engines (chosen by `index/engines.py:keyword_index` from the `keyword_engine` setting and the
database URL):
    keyword_tantivy.py   tantivy files in `<data dir>/keyword/`, kept in step with the store by a watermark
    keyword_fts5.py      SQLite FTS5, kept in step by a watermark in the database (one transaction per sync)
    keyword_postgres.py  PostgreSQL tsvector, a generated column (same transaction as every write)

Keeping in step: every paper write (upsert, hide, unhide) sets `papers.change_seq` to a number larger than
any before (store/papers.py). An engine that lives outside the database records the last number it applied,
with its own commit, and `sync()` applies every paper changed after it; so a crash between the database
commit and the index commit is repaired by the next `sync()` (after each write, on `serve` start, on
`dailypapers index`, and before a search when the store is ahead).

Vector indexes (chosen by `index/engines.py:vector_index` from the database URL):
    vectors.py           `FileVectorIndex`: float32 matrix files in `<data dir>/vectors/`, an HNSW graph (usearch)
                         when large (SQLite)
    vectors_pgvector.py  `PgVectorIndex`: the `embedding` column of `embeddings`, an HNSW index per model (PostgreSQL)
Callers (search/, ranking/) ask only what `VectorIndex` declares: how an index holds its vectors is its own affair.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import numpy as np

# A vector search's callbacks and answer, named once for the protocol and every index.
Keep = Callable[[np.ndarray], np.ndarray] | None  # keep(ids) -> the ids that pass the filters
Allowed = Callable[[], np.ndarray] | None  # allowed() -> every id that passes them
VectorHits = list[tuple[int, float]]  # (paper id, similarity), best first


@dataclass(frozen=True)
class KeywordQuery:
    """Lowercased words: `terms` ORed (more and rarer ones rank higher), exact `phrases`, `prefixes` (word*)."""

    terms: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    prefixes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.terms or self.phrases or self.prefixes)


@dataclass(frozen=True)
class Filters:
    """Conditions every retriever applies the same way. Dates are inclusive; an archive ("cs") matches its
    categories ("cs.CL"), a full category matches exactly; an author matches the words of a name, in order."""

    authors: tuple[str, ...] = ()
    category: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    has_code: bool = False
    include_hidden: bool = False
    exclude_ids: tuple[int, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.authors or self.category or self.date_from or self.date_to or self.has_code)


@dataclass
class KeywordHit:
    paper_id: int
    score: float  # larger is better; comparable only within one answer
    snippet: str | None  # HTML-safe (<mark> around matches), or None: search/ highlights it itself


class KeywordIndex(Protocol):
    def search(
        self, query: KeywordQuery, filters: Filters, limit: int, offset: int = 0, with_snippets: bool = False
    ) -> list[KeywordHit]:
        """The best matches, best first. Snippets cost more than the ranking: candidate lists leave them out."""

    def count(self, query: KeywordQuery, cap: int) -> int:
        """How many visible papers match, counting stops past `cap` (cheap probes of common words)."""

    def matching(
        self, filters: Filters, among: np.ndarray | None = None, query: KeywordQuery | None = None
    ) -> np.ndarray:
        """Sorted ids of the visible papers passing the filters (of `among`, when given) and, with `query`,
        having any part of it: semantic filtering, and every match of a query, unranked (topic trends)."""

    def expansions(self, prefix: str, cap: int) -> int:
        """How many words of the index `prefix*` stands for, as a query's prefix matches them; counting stops
        past `cap` (the work of a prefix grows with them: topic trends bound it)."""

    def sync(self) -> int:
        """Apply every paper change the store committed since the last sync; returns how many were applied."""

    def refresh(self, rebuild: bool = False) -> int:
        """`dailypapers index`: sync (or rebuild from the store) and tidy; returns the papers indexed."""

    def lag(self) -> int:
        """Catch up as a read would, then say how many paper changes the index still lacks (0: in step);
        above 0 when it cannot catch up (another process holds the writer, a rebuild is running)."""


class VectorIndex(Protocol):
    model: str  # the embedder's name: vectors of another model are never mixed in
    ids: np.ndarray  # sorted paper ids; a position in it is a row

    @property
    def approximate(self) -> bool:
        """True when `search` walks an approximate structure (an HNSW graph): asking it for the best few
        beats scoring every row. False: every search is an exact scan."""

    def __len__(self) -> int: ...

    def contains(self, paper_id: int) -> bool: ...

    def vector(self, paper_id: int) -> np.ndarray | None: ...

    def rows(self, positions: np.ndarray) -> np.ndarray:
        """The float32 vectors of `ids[positions]`, one row each, in that order."""

    def score_rows(self, score: Callable[[np.ndarray], np.ndarray], positions: np.ndarray) -> np.ndarray:
        """`score(rows(positions))`, one number per row; an index holding its vectors in memory may score
        them all in place and pick the positions' scores, when that is cheaper than copying the rows."""

    def search(
        self, query: np.ndarray, k: int, keep: Keep = None, allowed: Allowed = None, filters: Filters | None = None
    ) -> VectorHits:
        """The k best (paper id, similarity). `keep(ids) -> ids` drops candidates failing the filters;
        `allowed() -> ids` lists all that pass, for an exact scan when selective filters starve the graph.
        An index inside the database applies `filters` itself instead (then the callbacks are not called;
        they must say the same thing)."""

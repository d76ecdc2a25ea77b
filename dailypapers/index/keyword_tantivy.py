"""The tantivy keyword engine: one stemmed text field (title + abstract) ranked by BM25, filters as fields.

Files live in `<data dir>/keyword/`: the tantivy index and `watermark.json`, the last paper change number
(`papers.change_seq`) it applied and the id of the database it came from, written after each tantivy commit.
An index of another database, or one ahead of its store (a restored backup), is rebuilt. `sync()` re-applies
every paper changed after it (delete by id, then add unless hidden), so a crash between the database commit
and the index commit, or between the index commit and the watermark, is repaired by the next sync: applying
twice is harmless.

The index is a cache of the database. One that tantivy cannot open (a garbled `meta.json`, a missing or
damaged segment file, a file where the folder should be) is moved aside as `keyword.damaged-<UTC time>`,
never deleted, logged, and rebuilt from the database when it is opened: `serve` opens it before it listens,
so the site starts with keyword search whole again (a rebuild from the database runs at about 6,000
papers/s, benchmarks/RESULTS.md: seconds for most sites, minutes at a million papers).
A folder this process may not write is refused with an error naming it: a rebuild would not mend that.

Chosen by measurement (benchmarks/RESULTS.md): one field beats separate, boosted title
fields.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import threading
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import tantivy
from tantivy import FieldType, Filter, Occur, Query, TextAnalyzerBuilder, Tokenizer

from dailypapers.errors import IndexUnavailable
from dailypapers.index.protocols import Filters, KeywordHit, KeywordQuery
from dailypapers.store.db import Engine
from dailypapers.store.reads import changed_documents, last_change_seq
from dailypapers.store.state import database_id

TEXT_ANALYZER = "dp_text"
NAME_ANALYZER = "dp_name"
WRITER_HEAP = 256_000_000
WRITER_THREADS = 2
log = logging.getLogger(__name__)


def _analyzers() -> dict[str, tantivy.TextAnalyzer]:
    text = (
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.remove_long(40))
        .filter(Filter.lowercase())
        .filter(Filter.stopword("english"))
        .filter(Filter.stemmer("english"))
        .build()
    )
    names = TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.lowercase()).build()
    return {TEXT_ANALYZER: text, NAME_ANALYZER: names}


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    builder.add_text_field("text", tokenizer_name=TEXT_ANALYZER)  # positions kept: phrases
    builder.add_text_field("authors", tokenizer_name=NAME_ANALYZER)
    builder.add_text_field("category", tokenizer_name="raw")  # each category and its archive, lowercased
    builder.add_integer_field("published", indexed=True, fast=True)  # date ordinal
    builder.add_integer_field("has_code", indexed=True)
    return builder.build()


class TantivyIndex:
    def __init__(self, engine: Engine, folder: Path):
        self.engine = engine
        self.folder = Path(folder)
        self.schema = _schema()
        self.analyzers = _analyzers()
        self.moved_aside: Path | None = None  # where this process put a damaged index it found
        self.index = self._open()
        self._lock = threading.Lock()  # one writer per process; other processes are kept out by tantivy's lock
        self._verified = False  # the index was built from this database

    # --- opening: a damaged index is moved aside and rebuilt ------------------------------------------------

    def _open(self) -> tantivy.Index:
        try:
            return self._open_as_is()
        except (ValueError, FileExistsError):  # what tantivy raises for every kind of damage; a file in the way
            with _repair_lock(self.folder):
                try:
                    return self._open_as_is()  # another process repaired it meanwhile
                except (ValueError, FileExistsError) as damage:
                    self.moved_aside = _move_aside(self.folder)
                    log.warning(
                        "the keyword index at %s was damaged (%s); moved aside to %s, rebuilding it from the database",
                        self.folder,
                        str(damage).splitlines()[0][:200],
                        self.moved_aside,
                    )
                return self._open_as_is()  # empty: the first sync fills it from change number 0

    def _open_as_is(self) -> tantivy.Index:
        self.folder.mkdir(parents=True, exist_ok=True)
        if not os.access(self.folder, os.W_OK | os.X_OK):
            raise IndexUnavailable(
                f"the keyword index folder {self.folder} is not writable by this user; "
                "make it writable, or point DAILYPAPERS_DATA_DIR elsewhere"
            )
        index = tantivy.Index(self.schema, path=str(self.folder))
        for name, analyzer in self.analyzers.items():
            index.register_tokenizer(name, analyzer)
        return index

    # --- reading ---------------------------------------------------------------------------------------

    def search(
        self, query: KeywordQuery, filters: Filters, limit: int, offset: int = 0, with_snippets: bool = False
    ) -> list[KeywordHit]:
        self.catch_up()
        matched = self._text_query(query)
        if matched is None:
            return []
        searcher = self.index.searcher()
        found = searcher.search(self._filtered(matched, filters), limit, offset=offset).hits
        # Snippets come from search/explain.py (HTML-escaped, <mark>), which knows the query's words.
        return [KeywordHit(int(searcher.doc(address)["id"][0]), float(score), None) for score, address in found]

    def count(self, query: KeywordQuery, cap: int) -> int:
        matched = self._text_query(query)
        if matched is None:
            return 0
        found = self.index.searcher().search(matched, cap + 1)
        return min(found.count, cap + 1)  # type: ignore[attr-defined]  # tantivy's stubs leave out `count`

    def matching(
        self, filters: Filters, among: np.ndarray | None = None, query: KeywordQuery | None = None
    ) -> np.ndarray:
        self.catch_up()
        if among is not None and len(among) == 0:
            return np.array([], dtype=np.int64)
        scope = None if query is None else self._text_query(query)
        if query is not None and scope is None:  # a query without a word to look for
            return np.array([], dtype=np.int64)
        if among is not None:
            listed = Query.term_set_query(self.schema, "id", [int(i) for i in among])
            scope = listed if scope is None else Query.boolean_query([(Occur.Must, scope), (Occur.Must, listed)])
        elif scope is None:
            scope = Query.all_query()
        searcher = self.index.searcher()
        limit = len(among) if among is not None else max(searcher.num_docs, 1)
        # ordered by the id fast field: the ids come without reading a stored document per hit
        hits = searcher.search(self._filtered(scope, filters), limit, order_by_field="id").hits
        return np.sort(np.array([value for value, _ in hits], dtype=np.int64))

    def expansions(self, prefix: str, cap: int) -> int:
        self.catch_up()
        terms = self.index.searcher().terms_with_prefix("text", self._prefix_stem(prefix), limit=cap + 1)
        return len(terms)

    def _prefix_stem(self, prefix: str) -> str:
        return (self._stems(prefix) or [prefix.lower()])[0]

    def _text_query(self, query: KeywordQuery):
        """The words ORed, as BM25 term queries on their stems: built directly, no query language involved."""
        clauses = [
            Query.term_query(self.schema, "text", stem)
            for stem in dict.fromkeys(s for t in query.terms for s in self._stems(t))
        ]
        for phrase in query.phrases:
            # Stopwords leave gaps in the indexed positions; the offsets keep them.
            words = [(offset, stems[0]) for offset, stems in enumerate(map(self._stems, phrase)) if stems]
            if len(words) > 1:
                clauses.append(Query.phrase_query(self.schema, "text", [*words]))  # a list of str | (offset, str)
            elif words:
                clauses.append(Query.term_query(self.schema, "text", words[0][1]))
        for prefix in query.prefixes:
            clauses.append(Query.regex_query(self.schema, "text", re.escape(self._prefix_stem(prefix)) + ".*"))
        return Query.boolean_query([(Occur.Should, c) for c in clauses]) if clauses else None

    def _stems(self, word: str) -> list[str]:
        return self.analyzers[TEXT_ANALYZER].analyze(word)

    def _filtered(self, query, filters: Filters):
        conditions = []
        for author in filters.authors:
            tokens = self.analyzers[NAME_ANALYZER].analyze(author)  # as the names were indexed
            if tokens:
                conditions.append(
                    Query.phrase_query(self.schema, "authors", [*tokens])
                    if len(tokens) > 1
                    else Query.term_query(self.schema, "authors", tokens[0])
                )
        if filters.category:
            category = filters.category.strip().lower()
            # "cs" is an archive: every "cs.*" category (and the bare name, as indexes before 2026-12 held it)
            conditions.append(
                Query.term_query(self.schema, "category", category)
                if "." in category
                else Query.regex_query(self.schema, "category", re.escape(category) + r"(\..*)?")
            )
        if filters.date_from or filters.date_to:
            low = filters.date_from.toordinal() if filters.date_from else None
            high = filters.date_to.toordinal() if filters.date_to else None
            conditions.append(Query.range_query(self.schema, "published", FieldType.Integer, low, high))
        if filters.has_code:
            conditions.append(Query.term_query(self.schema, "has_code", 1))
        clauses = [(Occur.Must, query)] + [(Occur.Must, Query.const_score_query(c, 0.0)) for c in conditions]
        clauses += [(Occur.MustNot, Query.term_query(self.schema, "id", int(i))) for i in filters.exclude_ids]
        return query if len(clauses) == 1 else Query.boolean_query(clauses)

    # --- keeping in step ---------------------------------------------------------------------------------

    def _mark(self) -> tuple[int, str | None]:
        """(change number, database id) of the last sync; files of older versions carry no id."""
        try:
            mark = json.loads((self.folder / "watermark.json").read_text())
            return int(mark["seq"]), mark.get("database")
        except (FileNotFoundError, ValueError, KeyError, TypeError, AttributeError):
            return 0, None

    @property
    def watermark(self) -> int:
        return self._mark()[0]

    def _set_watermark(self, seq: int, database: str | None) -> None:
        tmp = self.folder / f".watermark-{os.getpid()}.json"
        tmp.write_text(json.dumps({"seq": seq, "database": database}))
        os.replace(tmp, self.folder / "watermark.json")

    def _of_this_database(self, conn) -> bool:
        """Whether the index was built from this database (checked once per process while it holds)."""
        if not self._verified:
            built_from = self._mark()[1]
            self._verified = built_from is None or built_from == database_id(conn)
        return self._verified

    def catch_up(self) -> None:
        """Before a read: apply what the store has and the index lacks (another process's write, a crash).
        A store behind the index (a restored backup) or another database altogether means starting again."""
        with self.engine.connect() as conn:
            stale = last_change_seq(conn) != self.watermark or not self._of_this_database(conn)
        if stale:
            self.sync()

    def lag(self) -> int:
        self.catch_up()
        with self.engine.connect() as conn:
            last = last_change_seq(conn)
            seq, built_from = self._mark()
            if seq > last or (built_from is not None and built_from != database_id(conn)):
                return max(last, 1)  # another database's index, or one ahead of its store: all of it is wrong
        return last - seq

    def sync(self) -> int:
        with self._lock:
            try:
                writer = self.index.writer(heap_size=WRITER_HEAP, num_threads=WRITER_THREADS)
            except ValueError:  # another process holds the writer and will apply the changes itself
                return 0
            after, built_from = self._mark()
            with self.engine.connect() as conn:
                database, last = database_id(conn), last_change_seq(conn)
            if (built_from is not None and built_from != database) or after > last:
                writer.delete_all_documents()  # another database's index: its change numbers mean nothing here
                after = 0
            return self._apply(writer, after, database)

    def _apply(self, writer, after: int, database: str | None) -> int:
        applied, seq = 0, after
        empty = self.index.searcher().num_docs == 0  # nothing to replace: skip the deletes (a bulk load)
        with self.engine.connect() as conn:
            for rows in changed_documents(conn, after):
                for row in rows:
                    if not empty:
                        writer.delete_documents_by_term("id", row.id)
                    if not row.hidden:
                        writer.add_json(row.document)
                applied += len(rows)
                seq = rows[-1].change_seq
        if applied or after == 0:
            writer.commit()
        writer.wait_merging_threads()
        if seq != after or after == 0:
            self._set_watermark(seq, database)
        self._verified = False  # checked again, against the mark just written
        self.index.reload()
        return applied

    def refresh(self, rebuild: bool = False) -> int:
        if not rebuild:
            self.sync()
            return self.index.searcher().num_docs
        with self._lock:
            writer = self.index.writer(heap_size=WRITER_HEAP, num_threads=WRITER_THREADS)
            writer.delete_all_documents()
            with self.engine.connect() as conn:
                database = database_id(conn)
            self._set_watermark(0, database)
            self._apply(writer, 0, database)
        return self.index.searcher().num_docs


@contextmanager
def _repair_lock(folder: Path):
    """One process at a time decides an index is damaged (several web workers may open it at once)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.repair.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _move_aside(folder: Path) -> Path:
    """Rename a damaged index out of the way, kept for a look: `keyword.damaged-20261206T212700Z`."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside, n = folder.with_name(f"{folder.name}.damaged-{stamp}"), 1
    while aside.exists():
        n += 1
        aside = folder.with_name(f"{folder.name}.damaged-{stamp}-{n}")
    os.rename(folder, aside)
    return aside

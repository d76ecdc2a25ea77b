"""Bulk import of JSON-lines paper files (arXiv snapshot or our export) and export back to JSON lines.

Streams the file in batches; each batch is one transaction, so a killed import keeps whole batches and
a rerun completes the rest without duplicates (upserts are idempotent). A large file is parsed and validated
by a pool of processes, chunk by chunk, while this one writes; the keyword index syncs at the end.
"""

from __future__ import annotations

import json
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from multiprocessing import get_context
from pathlib import Path

from dailypapers.config import Settings, get_settings
from dailypapers.errors import InvalidInput
from dailypapers.index.engines import keyword_index
from dailypapers.ingest.batches import write_rows
from dailypapers.ingest.parse import ParsedChunk, exit_with, parse_chunk
from dailypapers.ingest.rejects import RejectFile, reject_path
from dailypapers.sources.snapshot import open_lines, record_to_export
from dailypapers.store.db import Engine, Session
from dailypapers.store.papers import UpsertResult, iter_records

ByteProgress = Callable[[int, int], None]  # (bytes done, bytes total)
CHUNK_LINES = 5000
# Parsing is most of an import's CPU: one process per core but the writer's, at least two, at most eight.
PARSE_WORKERS = max(2, min(8, (os.cpu_count() or 2) - 1))
PARALLEL_FROM_BYTES = 8_000_000  # below this, starting the pool costs more than it saves


@dataclass
class ImportReport:
    lines: int = 0
    rejected: int = 0
    rejects_path: Path | None = None
    seconds: float = 0.0
    result: UpsertResult = field(default_factory=UpsertResult)

    @property
    def rate(self) -> float:
        return self.lines / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {
            "lines": self.lines,
            "inserted": self.result.inserted,
            "updated": self.result.updated,
            "unchanged": self.result.unchanged,
            "rejected": self.rejected,
            "rejects_file": str(self.rejects_path) if self.rejects_path and self.rejected else None,
            "seconds": round(self.seconds, 3),
            "papers_per_second": round(self.rate),
        }

    def summary(self) -> str:
        r = self.result
        return (
            f"{self.lines} records in {self.seconds:.1f}s ({self.rate:,.0f}/s): {r.inserted} new, "
            f"{r.updated} updated, {r.unchanged} unchanged, {self.rejected} rejected"
            + (f" (reasons in {self.rejects_path})" if self.rejected else "")
        )


def _chunks(stream: Iterable[bytes]) -> Iterator[tuple[int, list[bytes]]]:
    first = 1
    while lines := list(islice(stream, CHUNK_LINES)):
        yield first, lines
        first += len(lines)


def _parsed(stream: Iterable[bytes], parallel: bool) -> Iterator[ParsedChunk]:
    """The chunks of the file parsed, in file order; by the pool when `parallel`, a few chunks ahead."""
    if not parallel:
        yield from (parse_chunk(*chunk) for chunk in _chunks(stream))
        return
    # spawn: a fresh interpreter, none of this process's threads and connections
    with ProcessPoolExecutor(
        PARSE_WORKERS, mp_context=get_context("spawn"), initializer=exit_with, initargs=(os.getpid(),)
    ) as pool:
        ahead: deque = deque()
        for chunk in _chunks(stream):
            ahead.append(pool.submit(parse_chunk, *chunk))
            if len(ahead) > 2 * PARSE_WORKERS:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()


def import_file(
    engine: Engine,
    path: Path,
    rejects_path: Path | None = None,
    batch_size: int = 5000,
    progress: ByteProgress | None = None,
    *,
    settings: Settings | None = None,
    stage: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import every record of the file; malformed lines go to `rejects_path` (default: the data dir's).
    `stage` is told when the papers are in and the keyword index syncs (minutes for the whole of arXiv)."""
    if not path.is_file():
        raise InvalidInput(f"no such file: {path}")
    if rejects_path is None:
        rejects_path = reject_path((settings or get_settings()).data_dir, path.name)
    report = ImportReport(rejects_path=rejects_path)
    total = os.path.getsize(path)
    started = time.perf_counter()
    stream, raw = open_lines(path)
    try:
        with RejectFile(rejects_path) as rejects:
            pending: list[tuple] = []
            for chunk in _parsed(stream, parallel=total >= PARALLEL_FROM_BYTES):
                report.lines += chunk.lines
                for number, reason, text in chunk.rejects:
                    rejects.add(reason, text, line=number)
                pending += chunk.rows
                while len(pending) >= batch_size:
                    report.result += write_rows(engine, pending[:batch_size], index=False)
                    del pending[:batch_size]
                    if progress:
                        progress(raw.tell(), total)
            if pending:
                report.result += write_rows(engine, pending, index=False)
    finally:
        stream.close()
        raw.close()
    if stage:
        stage(f"keyword index: {report.result.inserted + report.result.updated:,} papers written, indexing")
    keyword_index(engine, settings).sync()  # once, at the end: searchable at once, counted in the rate
    if progress:
        progress(total, total)
    report.rejected = rejects.count
    report.seconds = time.perf_counter() - started
    return report


def export_file(engine: Engine, path: Path, progress: Callable[[int], None] | None = None) -> int:
    """Write every paper as our JSON-lines export; written to a temp file first, so a crash leaves no half file."""
    if not path.parent.is_dir():  # said of the folder the user gave, not of our temporary file in it
        raise InvalidInput(f"no such folder: {path.parent} (to export into {path})")
    tmp = path.with_name(path.name + ".partial")
    count = 0
    with Session(engine) as session, open(tmp, "w", encoding="utf-8") as out:
        for record in iter_records(session):
            out.write(json.dumps(record_to_export(record), ensure_ascii=False) + "\n")
            count += 1
            if progress and count % 1000 == 0:
                progress(count)
    tmp.replace(path)
    return count

"""Bulk import of JSON-lines paper files (arXiv snapshot or our export) and export back to JSON lines.

Streams the file in batches; each batch is one transaction, so a killed import keeps whole batches and
a rerun completes the rest without duplicates (upserts are idempotent).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dailypapers.config import Settings, get_settings
from dailypapers.errors import InvalidInput
from dailypapers.ingest.batches import write_batch
from dailypapers.ingest.rejects import RejectFile, reject_path
from dailypapers.sources.snapshot import iter_jsonl, open_lines, record_to_export
from dailypapers.store.papers import UpsertResult, iter_records

ByteProgress = Callable[[int, int], None]  # (bytes done, bytes total)


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
        return (f"{self.lines} records in {self.seconds:.1f}s ({self.rate:,.0f}/s): {r.inserted} new, "
                f"{r.updated} updated, {r.unchanged} unchanged, {self.rejected} rejected"
                + (f" (reasons in {self.rejects_path})" if self.rejected else ""))


def import_file(engine: Engine, path: Path, rejects_path: Path | None = None, batch_size: int = 5000,
                progress: ByteProgress | None = None, *, settings: Settings | None = None) -> ImportReport:
    """Import every record of the file; malformed lines go to `rejects_path` (default: the data dir's)."""
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
            batch = []
            for line in iter_jsonl(stream):
                report.lines += 1
                if line.record is None:
                    rejects.add(line.error or "invalid", line.text.rstrip("\n"), line=line.number)
                    continue
                batch.append(line.record)
                if len(batch) >= batch_size:
                    report.result += write_batch(engine, batch)
                    batch = []
                    if progress:
                        progress(raw.tell(), total)
            if batch:
                report.result += write_batch(engine, batch)
            if progress:
                progress(total, total)
    finally:
        stream.close()
        raw.close()
    report.rejected = rejects.count
    report.seconds = time.perf_counter() - started
    return report


def export_file(engine: Engine, path: Path, progress: Callable[[int], None] | None = None) -> int:
    """Write every paper as our JSON-lines export; written to a temp file first, so a crash leaves no half file."""
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

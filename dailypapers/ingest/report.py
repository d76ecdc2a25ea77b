"""What an ingest or a harvest did, for the command line (a summary line, or JSON) and for the web app."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from dailypapers.ingest.rejects import RejectFile
from dailypapers.store.papers import UpsertResult

Progress = Callable[[int, int | None], None]  # (items done, total if known)


class Client(Protocol):
    def close(self) -> None: ...


@dataclass
class IngestReport:
    source: str
    requested: int = 0
    pages: int = 0
    records: int = 0
    rejected: int = 0
    deleted: int = 0
    not_found: list[str] = field(default_factory=list)
    rejects_path: Path | None = None
    resumed_from: str | None = None
    restarted: bool = False
    seconds: float = 0.0
    thumbnails: int | None = None  # made; None when thumbnails were off
    thumbnail_failures: int = 0
    result: UpsertResult = field(default_factory=UpsertResult)

    @contextmanager
    def running(self, client: Client, close: bool) -> Iterator[RejectFile]:
        """Times the run and counts its rejects; closes the client when the run made it itself."""
        assert self.rejects_path is not None, "a run needs somewhere to write its rejects"
        started = time.perf_counter()
        try:
            with RejectFile(self.rejects_path) as rejects:
                yield rejects
        finally:
            if close:
                client.close()
        self.rejected = rejects.count
        self.seconds = time.perf_counter() - started

    def as_dict(self) -> dict:
        data = {
            "source": self.source,
            "pages": self.pages,
            "records": self.records,
            "inserted": self.result.inserted,
            "updated": self.result.updated,
            "unchanged": self.result.unchanged,
            "rejected": self.rejected,
            "rejects_file": str(self.rejects_path) if self.rejected and self.rejects_path else None,
            "seconds": round(self.seconds, 3),
        }
        if self.thumbnails is not None:
            data["thumbnails"] = self.thumbnails
            data["thumbnail_failures"] = self.thumbnail_failures
        if self.source == "ids":
            data["requested"] = self.requested
            data["not_found"] = self.not_found
        if self.source == "harvest":
            data["deleted"] = self.deleted
            data["resumed_from"] = self.resumed_from
            data["restarted"] = self.restarted
        return data

    def summary(self) -> str:
        r = self.result
        text = (
            f"{self.records} papers from {self.pages} page{'s' if self.pages != 1 else ''} "
            f"in {self.seconds:.1f}s: {r.inserted} new, {r.updated} updated, {r.unchanged} unchanged, "
            f"{self.rejected} rejected"
        )
        if self.rejected:
            text += f" (reasons in {self.rejects_path})"
        if self.thumbnails is not None:
            text += f", {self.thumbnails} thumbnail{'s' if self.thumbnails != 1 else ''}"
            if self.thumbnail_failures:
                text += f" ({self.thumbnail_failures} PDFs could not be fetched or rendered)"
        if self.deleted:
            text += f", {self.deleted} deleted upstream (kept)"
        return text

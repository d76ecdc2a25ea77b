"""What an ingest or a harvest did, for the command line (a summary line, or JSON) and for the web app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dailypapers.store.papers import UpsertResult

Progress = Callable[[int, int | None], None]  # (items done, total if known)


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
    result: UpsertResult = field(default_factory=UpsertResult)

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
        text = (f"{self.records} papers from {self.pages} page{'s' if self.pages != 1 else ''} "
                f"in {self.seconds:.1f}s: {r.inserted} new, {r.updated} updated, {r.unchanged} unchanged, "
                f"{self.rejected} rejected")
        if self.rejected:
            text += f" (reasons in {self.rejects_path})"
        if self.deleted:
            text += f", {self.deleted} deleted upstream (kept)"
        return text

"""Reject files: what a source sent that could not be stored, with the reason, one JSON object a line."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from dailypapers.sources.records import RecordError


def reject_path(data_dir: Path, name: str) -> Path:
    """The one naming rule: <data dir>/rejects/<what was read>.<UTC time>.rejects.jsonl."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return data_dir / "rejects" / f"{name}.{stamp}.rejects.jsonl"


class RejectFile:
    """Appends rejects to `path`; the file (and its folder) is made on the first one, so a clean run leaves none."""

    def __init__(self, path: Path):
        self.path = path
        self.count = 0
        self._file: TextIO | None = None

    def add(self, reason: str, record: str, **where) -> None:
        """One reject: where it came from (`line=` or `id=`), why, and the record as it was received."""
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._file.write(json.dumps({**where, "reason": reason, "record": record}, ensure_ascii=False) + "\n")
        # Flushed at once: a killed run keeps the rejects of every batch it committed.
        self._file.flush()
        self.count += 1

    def add_errors(self, errors: Iterable[RecordError]) -> None:
        for error in errors:
            self.add(error.reason, error.xml, id=error.arxiv_id)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> RejectFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

"""The manifest of a backup, written last: what made it, when, and the sha256 of every file, so a copy can be checked.

A backup without a manifest is unfinished (the manifest is the last file written, and the directory is
renamed into place only after it), one whose files differ from it is damaged: neither is restored.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dailypapers.errors import InvalidInput

MANIFEST = "manifest.json"
FORMAT = "dailypapers-backup"
FORMAT_VERSION = 1
DATABASE_FILES = {"sqlite": "dailypapers.db", "postgresql": "database.pgdump"}


@dataclass
class Manifest:
    database: str  # sqlite | postgresql
    schema: list[str]  # the migrations the database was at
    created_at: str  # UTC, ISO 8601: the moment of the database snapshot
    version: str  # of dailypapers
    tables: dict[str, int] = field(default_factory=dict)  # rows per table in the snapshot
    files: dict[str, dict] = field(default_factory=dict)  # relative path -> {"sha256", "bytes"}
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    @property
    def database_file(self) -> str:
        return DATABASE_FILES[self.database]

    def add_file(self, folder: Path, relative: str) -> None:
        path = folder / relative
        self.files[relative] = {"sha256": sha256_of(path), "bytes": path.stat().st_size}

    def write(self, folder: Path) -> None:
        path = folder / MANIFEST
        with open(path, "w") as handle:
            json.dump(asdict(self), handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        if not folder.is_dir():
            raise InvalidInput(f"{folder} is not a directory; a backup is the directory `dailypapers backup` made")
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise InvalidInput(f"{folder} is not a whole dailypapers backup: it has no {MANIFEST}") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"{path} is not readable JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InvalidInput(f"{path} is not the manifest of a dailypapers backup")
        if data.get("format_version") != FORMAT_VERSION:
            raise InvalidInput(
                f"{folder} is a backup in format {data.get('format_version')!r}; this dailypapers "
                f"reads format {FORMAT_VERSION}: use the version that made it"
            )
        try:
            manifest = cls(**data)
        except TypeError as exc:
            raise InvalidInput(f"{path} is not a manifest this version understands: {exc}") from None
        if manifest.database not in DATABASE_FILES or manifest.database_file not in manifest.files:
            raise InvalidInput(f"{path} names no database file")
        return manifest

    def damage(self, folder: Path) -> list[str]:
        """What differs between the files and the manifest, one line each (empty: every file is whole)."""
        problems = []
        for relative, expected in sorted(self.files.items()):
            path = folder / relative
            if not _inside(folder, path) or not path.is_file():
                problems.append(f"{relative} is missing")
            elif path.stat().st_size != expected.get("bytes"):
                problems.append(f"{relative} has {path.stat().st_size} bytes, not {expected.get('bytes')}")
            elif sha256_of(path) != expected.get("sha256"):
                problems.append(f"{relative} does not match its sha256")
        return problems


def _inside(folder: Path, path: Path) -> bool:
    """A manifest names files inside its backup only (never ../ or an absolute path)."""
    return path.resolve().is_relative_to(folder.resolve())


def sha256_of(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()

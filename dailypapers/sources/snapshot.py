"""JSON-lines paper files: the arXiv metadata snapshot format, our own export format and the seed list.

Each parser is a pure function of one decoded JSON object; reading files stays in `iter_jsonl`.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, BinaryIO

from dailypapers.errors import InvalidInput
from dailypapers.sources.ids import parse_arxiv_id
from dailypapers.sources.records import DATES, FIELDS, LINES, LINKS, PaperRecord

EXPORT_FORMAT = "dailypapers/1"


def parse_date(value: Any, field: str) -> datetime | None:
    """Dates as arXiv writes them: RFC 2822 ('Sat, 31 Mar 2007 02:26:18 GMT'), ISO 8601 or YYYY-MM-DD."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field}: not a date: {value!r}")
    try:
        if value[:1].isdigit():
            if len(value) == 10:
                return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        else:
            parsed = _arxiv_date(value) or parsedate_to_datetime(value)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"{field}: not a date: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1
    )
}


def _arxiv_date(value: str) -> datetime | None:
    """The one RFC 2822 shape arXiv writes ('Sat, 31 Mar 2007 02:26:18 GMT'), read without the email parser
    (a fifth of its time, on every version of every paper); None for any other shape."""
    parts = value.split()
    if len(parts) != 6 or parts[5] != "GMT" or parts[2] not in _MONTHS:
        return None
    clock = parts[4].split(":")
    if len(clock) != 3 or not (parts[1] + parts[3] + "".join(clock)).isdigit():
        return None
    return datetime(
        int(parts[3]), _MONTHS[parts[2]], int(parts[1]), int(clock[0]), int(clock[1]), int(clock[2]), tzinfo=UTC
    )


def _version_number(text: Any) -> int:
    if isinstance(text, int):
        return text
    if isinstance(text, str) and text.lower().startswith("v") and text[1:].isdigit():
        return int(text[1:])
    raise InvalidInput(f"bad version label {text!r}")


def split_authors(authors: str) -> list[str]:
    """The snapshot's one-string author list: 'A, B and C' (sometimes with newlines)."""
    text = " ".join(authors.split())
    parts: list[str] = []
    for chunk in text.split(","):
        for name in chunk.split(" and "):
            name = name.strip()
            if name:
                parts.append(name)
    return parts


def _authors_from_parsed(parsed: Any) -> list[str] | None:
    if not isinstance(parsed, list) or not parsed:
        return None
    names = []
    for entry in parsed:
        if not isinstance(entry, list) or not entry or not all(isinstance(part, str) for part in entry):
            return None
        last, first, suffix = (list(entry) + ["", "", ""])[:3]
        name = " ".join(p for p in (first, last, suffix) if p)
        if name:
            names.append(name)
    return names or None


def parse_snapshot_record(obj: dict[str, Any]) -> PaperRecord:
    """One line of arxiv-metadata-oai-snapshot.json."""
    arxiv_id = parse_arxiv_id(_require_str(obj, "id")).id
    versions = _snapshot_versions(obj)
    authors = _snapshot_authors(obj)
    categories = obj.get("categories") or ""
    if not isinstance(categories, str):
        raise InvalidInput("categories must be one space-separated string")
    updated = _last_update(versions[-1][1], obj.get("update_date"))
    first = next((created for n, created in versions if n == 1), None)
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=versions[-1][0],
        title=_require_str(obj, "title"),
        abstract=obj.get("abstract") or "",
        authors=authors,
        categories=categories.split(),  # arXiv lists the primary first: validate() makes it the primary
        published_at=parse_date(first, "versions.created") if first else None,
        updated_at=updated,
        **{name: obj.get(name.replace("_", "-")) for name in LINES},  # "journal-ref", "report-no"
    ).validate()


def _snapshot_versions(obj: dict[str, Any]) -> list[tuple[int, Any]]:
    """(number, created) of every version, by number alone: the dates may be of any JSON type."""
    versions = obj.get("versions") or []
    if not isinstance(versions, list) or not versions or not all(isinstance(v, dict) for v in versions):
        raise InvalidInput("no versions")
    return sorted(((_version_number(v.get("version")), v.get("created")) for v in versions), key=lambda pair: pair[0])


def _snapshot_authors(obj: dict[str, Any]) -> list[str]:
    authors = _authors_from_parsed(obj.get("authors_parsed"))
    if authors is not None:
        return authors
    raw = obj.get("authors")
    if not isinstance(raw, str):
        raise InvalidInput("no authors")
    return split_authors(raw)


def _last_update(latest_created: Any, update_date: Any) -> datetime | None:
    """When the latest version was made, or the snapshot's `update_date` when that is later."""
    updated = parse_date(latest_created, "versions.created")
    later = parse_date(update_date, "update_date")
    return later if later and (updated is None or later > updated) else updated


def parse_export_record(obj: dict[str, Any]) -> PaperRecord:
    """Our own export format (also the demo seed's shape: arxiv_id, title, authors, published, ...)."""
    categories = obj.get("categories") or []
    return PaperRecord(
        arxiv_id=_require_str(obj, "arxiv_id"),
        version=obj.get("version") or 1,
        title=_require_str(obj, "title"),
        abstract=obj.get("abstract") or "",
        authors=obj.get("authors") or [],
        categories=categories.split() if isinstance(categories, str) else categories,  # validate() checks it
        primary_category=obj.get("primary_category"),
        published_at=parse_date(obj.get("published_at", obj.get("published")), "published_at"),
        updated_at=parse_date(obj.get("updated_at"), "updated_at"),
        **{name: obj.get(name) for name in LINES + LINKS},
    ).validate()


def parse_any_record(obj: Any) -> PaperRecord:
    """Pick the parser by shape: snapshot lines carry `id` and `versions`, ours carry `arxiv_id`."""
    if not isinstance(obj, dict):
        raise InvalidInput("not a JSON object")
    if "arxiv_id" in obj:
        return parse_export_record(obj)
    if "id" in obj:
        return parse_snapshot_record(obj)
    raise InvalidInput("neither a snapshot record (id) nor an export record (arxiv_id)")


def record_to_export(record: PaperRecord) -> dict[str, Any]:
    """One line of our export format: every field of the record, its dates in ISO 8601."""
    values = {name: getattr(record, name) for name in FIELDS}
    for name in DATES:
        values[name] = values[name].isoformat() if values[name] else None
    return {"format": EXPORT_FORMAT, **values}


def _require_str(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"missing {key}")
    return value


@dataclass(slots=True)
class Line:
    number: int
    text: str
    record: PaperRecord | None
    error: str | None


def open_lines(path: Path) -> tuple[BinaryIO | gzip.GzipFile, BinaryIO]:
    """Open a (possibly gzipped) JSON-lines file as bytes; also return the raw file so progress can follow it."""
    raw = open(path, "rb")  # noqa: SIM115 - the caller closes it
    if raw.peek(2)[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw), raw
    return raw, raw


def iter_jsonl(stream: Iterable[bytes]) -> Iterator[Line]:
    """Parse a JSON-lines byte stream lazily; a bad line becomes a Line with its error, never an exception."""
    for number, data in enumerate(stream, start=1):
        if not data.strip():
            continue
        text = data.decode("utf-8", errors="replace")
        try:
            record = parse_any_record(json.loads(data))
            yield Line(number, text, record, None)
        except json.JSONDecodeError as exc:
            yield Line(number, text, None, f"invalid JSON: {exc.msg} at column {exc.colno}")
        except InvalidInput as exc:
            yield Line(number, text, None, str(exc))
        except UnicodeDecodeError as exc:
            yield Line(number, text, None, f"not UTF-8: {exc.reason}")
        except (ValueError, RecursionError) as exc:  # json refuses 5000-digit numbers and arrays nested too deep
            yield Line(number, text, None, f"invalid JSON: {str(exc).split(';')[0]}")

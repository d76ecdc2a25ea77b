"""arXiv's OAI-PMH interface: ListRecords pages in the `arXiv` and `arXivRaw` metadata formats, parsed into
PaperRecords, and a client that follows resumption tokens.

`parse_list_records` is a pure function of the response bytes. Storing pages and the resumption token
(so an interrupted harvest resumes) is the caller's job: see `dailypapers.ingest.harvest`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from dailypapers.errors import DailyPapersError, InvalidInput, SourceError
from dailypapers.sources.http import PagedSource, PoliteClient
from dailypapers.sources.records import LINES, PaperRecord, RecordError, clean_text
from dailypapers.sources.snapshot import parse_date, split_authors
from dailypapers.sources.xml_answers import parse_root
from dailypapers.sources.xml_answers import text as _text

OAI = "{http://www.openarchives.org/OAI/2.0/}"
RAW = "{http://arxiv.org/OAI/arXivRaw/}"
ARXIV = "{http://arxiv.org/OAI/arXiv/}"
FORMATS = ("arXivRaw", "arXiv")
_PARENTHESES = re.compile(r"\([^()]*\)")


class OAIError(SourceError):
    """An OAI-PMH <error code="...">; the code tells a bad token from a bad argument."""

    def __init__(self, code: str, message: str):
        super().__init__(f"OAI-PMH error {code}: {message}")
        self.code = code


@dataclass(slots=True)
class OAIPage:
    records: list[PaperRecord] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    token: str | None = None  # None: the list is complete
    complete_list_size: int | None = None
    cursor: int | None = None


def normalize_format(name: str) -> str:
    """'arxivraw' -> 'arXivRaw'; anything else is a one-line InvalidInput."""
    for known in FORMATS:
        if name.lower() == known.lower():
            return known
    raise InvalidInput(f"unknown metadata format {name!r} (use {' or '.join(FORMATS)})")


def _lines(meta: ET.Element, namespace: str) -> dict[str, str | None]:
    """arXiv's optional lines of metadata (records.LINES), as both formats name them (journal-ref, report-no).
    The arXiv format has no submitter: None."""
    return {name: _text(meta, namespace + name.replace("_", "-")) for name in LINES}


def _raw_authors(text: str) -> list[str]:
    """arXivRaw authors are one string: 'A (Inst, City), B and C'. Affiliations go; names stay in order."""
    previous = None
    while previous != text:
        previous, text = text, _PARENTHESES.sub("", text)
    return split_authors(text)


def parse_arxivraw(meta: ET.Element) -> PaperRecord:
    """<arXivRaw>: every version with its date, so the version number and both times are exact."""
    versions = []
    for element in meta.findall(f"{RAW}version"):
        label = element.get("version") or ""
        if not (label[:1] == "v" and label[1:].isdigit()):
            raise InvalidInput(f"bad version label {label!r}")
        versions.append((int(label[1:]), parse_date(_text(element, f"{RAW}date"), "version date")))
    if not versions:
        raise InvalidInput("no versions")
    versions.sort(key=lambda v: v[0])
    first = next((when for number, when in versions if number == 1), versions[0][1])
    return PaperRecord(
        arxiv_id=_text(meta, f"{RAW}id") or "",
        version=versions[-1][0],
        title=_text(meta, f"{RAW}title") or "",
        abstract=_text(meta, f"{RAW}abstract") or "",
        authors=_raw_authors(_text(meta, f"{RAW}authors") or ""),
        categories=(_text(meta, f"{RAW}categories") or "").split(),  # the primary first: validate() takes it
        published_at=first,
        updated_at=versions[-1][1],
        **_lines(meta, RAW),
    ).validate()


def parse_arxiv(meta: ET.Element) -> PaperRecord:
    """<arXiv>: structured authors, but only dates (created, updated) and no version numbers.

    The version is a lower bound: 1 when the paper was never updated, else 2. The store never lowers a
    version, so a later arXivRaw harvest or API ingest sets the exact number.
    """
    authors = []
    for author in meta.findall(f"{ARXIV}authors/{ARXIV}author"):
        parts = [_text(author, f"{ARXIV}{name}") for name in ("forenames", "keyname", "suffix")]
        name = " ".join(p for p in parts if p)
        if name:
            authors.append(name)
    created = parse_date(_text(meta, f"{ARXIV}created"), "created")
    updated = parse_date(_text(meta, f"{ARXIV}updated"), "updated")
    return PaperRecord(
        arxiv_id=_text(meta, f"{ARXIV}id") or "",
        version=2 if updated else 1,
        title=_text(meta, f"{ARXIV}title") or "",
        abstract=_text(meta, f"{ARXIV}abstract") or "",
        authors=authors,
        categories=(_text(meta, f"{ARXIV}categories") or "").split(),  # the primary first: validate() takes it
        published_at=created,
        updated_at=updated or created,
        **_lines(meta, ARXIV),
    ).validate()


def _parse_record(record: ET.Element) -> PaperRecord:
    meta = record.find(f"{OAI}metadata")
    if meta is None or len(meta) == 0:
        raise InvalidInput("record without metadata")
    payload = meta[0]
    if payload.tag == f"{RAW}arXivRaw":
        return parse_arxivraw(payload)
    if payload.tag == f"{ARXIV}arXiv":
        return parse_arxiv(payload)
    raise InvalidInput(f"unsupported metadata format <{payload.tag}>")


def _identifier(header: ET.Element | None) -> str | None:
    if header is None:
        return None
    identifier = _text(header, f"{OAI}identifier")
    return identifier.rsplit(":", 1)[-1] if identifier and identifier.startswith("oai:arXiv.org:") else identifier


def parse_list_records(data: bytes) -> OAIPage:
    """An OAI-PMH response body -> records, per-record errors, deleted ids and the resumption token.

    `noRecordsMatch` is an empty, complete list; any other OAI error raises OAIError naming its code.
    """
    root = _response(data)
    page = OAIPage()
    if _no_records_match(root):
        return page
    for record in root.iter(f"{OAI}record"):
        _add_record(page, record)
    token = root.find(f"{OAI}ListRecords/{OAI}resumptionToken")
    if token is not None:
        _read_token(page, token)
    return page


def _response(data: bytes) -> ET.Element:
    """The <OAI-PMH> root element; SourceError for anything else."""
    return parse_root(data, f"{OAI}OAI-PMH", "the OAI-PMH server", "an OAI-PMH response")


def _no_records_match(root: ET.Element) -> bool:
    """True for the `noRecordsMatch` error (an empty list); OAIError for any other error, False for none."""
    error = root.find(f"{OAI}error")
    if error is None:
        return False
    code = error.get("code") or "unknown"
    if code == "noRecordsMatch":
        return True
    raise OAIError(code, clean_text(error.text) or "no explanation given")


def _add_record(page: OAIPage, record: ET.Element) -> None:
    """A record becomes a PaperRecord, a deleted id or a RecordError on the page."""
    header = record.find(f"{OAI}header")
    identifier = _identifier(header)
    if header is not None and header.get("status") == "deleted":
        page.deleted.append(identifier or "?")
        return
    try:
        page.records.append(_parse_record(record))
    except (DailyPapersError, ValueError, TypeError) as exc:
        page.errors.append(RecordError(identifier, str(exc), ET.tostring(record, "unicode")))


def _read_token(page: OAIPage, token: ET.Element) -> None:
    page.token = (token.text or "").strip() or None
    size, cursor = token.get("completeListSize"), token.get("cursor")
    page.complete_list_size = int(size) if size and size.isdigit() else None
    page.cursor = int(cursor) if cursor and cursor.isdigit() else None


class OAIClient(PagedSource[OAIPage]):
    """ListRecords at the polite pace, one parsed page per request, following resumption tokens."""

    def __init__(self, url: str, http: PoliteClient):
        # Some OAI servers send their <error> with a 4xx status: prefer the OAI explanation.
        super().__init__(url, http, parse_list_records, lambda error: isinstance(error, OAIError))

    def list_records(
        self,
        metadata_prefix: str,
        set_spec: str | None = None,
        from_date: date | None = None,
        until: date | None = None,
        resume_token: str | None = None,
    ) -> Iterator[OAIPage]:
        """Pages of ListRecords; starts from `resume_token` when given (the other arguments are then
        carried by the token, as OAI-PMH requires)."""
        token = resume_token
        while True:
            if token:
                params = {"verb": "ListRecords", "resumptionToken": token}
            else:
                params = {"verb": "ListRecords", "metadataPrefix": normalize_format(metadata_prefix)}
                if set_spec:
                    params["set"] = set_spec
                if from_date:
                    params["from"] = from_date.isoformat()
                if until:
                    params["until"] = until.isoformat()
            page = self.fetch(params)
            yield page
            if not page.token:
                return
            token = page.token

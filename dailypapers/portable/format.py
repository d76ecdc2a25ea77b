"""The member export's format, defined once: these pydantic models write an export and validate an import,
and docs/member-export.schema.json is their JSON Schema (a test keeps the two equal).

A file names papers by arXiv id (without the version) plus the version and title the member saw, so another
instance matches them by id whatever version it holds. Unknown fields are refused rather than dropped: a file
from a later version says so by its `version`, and nothing in it is silently lost.

Version 2 adds the For-you profile's settings (`profile.for_you`); a version 1 file, which has none, still
imports.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from dailypapers.errors import InvalidInput
from dailypapers.sources.ids import parse_arxiv_id

FORMAT: Final = "dailypapers.member"
VERSION: Final = 2  # what an export writes
READS: Final = (1, 2)  # what an import reads: version 2 added collections' feeds (absent in 1: off) and the
# For-you profile's controls (absent in 1: none)
MAX_BYTES = 16 * 1024 * 1024  # a full library (20,000 papers) with as many collection items is about 8 MB
MAX_SUBSCRIPTIONS = 5  # each one mails a confirmation to its address: a file cannot mail a crowd
Text = Annotated[str, Field(max_length=2000)]


def _bare_id(value: str) -> str:
    try:
        return parse_arxiv_id(value).id
    except InvalidInput as exc:
        raise ValueError(str(exc)) from None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Signal(Strict):
    """A paper the member marked, and when."""

    arxiv_id: Annotated[str, Field(max_length=300), AfterValidator(_bare_id)]
    version: Annotated[int, Field(ge=1, le=1000)] | None = None  # the version the member saw, for the record
    title: Text = ""  # to recognise a paper this instance lacks
    at: AwareDatetime

    @model_validator(mode="before")
    @classmethod
    def _version_in_id(cls, data: Any) -> Any:
        """'2501.00100v2' names its version: kept in `version`, the id matched without it."""
        if isinstance(data, dict) and isinstance(data.get("arxiv_id"), str) and data.get("version") is None:
            try:
                data = {**data, "version": parse_arxiv_id(data["arxiv_id"]).version}
            except InvalidInput:
                pass  # the field's own validator names the bad id
        return data


class CollectionFeedEntry(Strict):
    """A collection turned into a feed of papers like it (version 2)."""

    enabled: bool = False
    in_digest: bool = False  # a "New for <collection>" section in the member's digest


class CollectionEntry(Strict):
    name: Annotated[str, Field(max_length=500)]
    public: bool = False
    created_at: AwareDatetime
    items: list[Signal] = []
    feed: CollectionFeedEntry = CollectionFeedEntry()


class SavedSearchEntry(Strict):
    name: Annotated[str, Field(max_length=500)]
    query: Text
    mode: Literal["hybrid", "keyword", "semantic"] = "hybrid"
    category: Annotated[str, Field(max_length=64)] | None = None
    author: Annotated[str, Field(max_length=255)] | None = None
    date_from: date | None = None
    date_to: date | None = None
    has_code: bool = False
    email: bool = False  # in the member's digest
    created_at: AwareDatetime


class Subscription(Strict):
    """An email digest linked to the account. Importing one asks its address to confirm again."""

    email: Annotated[str, Field(max_length=255)]
    frequency: Literal["daily", "weekly"] = "daily"
    interests: list[Text] = []
    categories: list[Annotated[str, Field(max_length=64)]] = []
    active: bool = True  # confirmed, and not unsubscribed, when exported


ArxivId = Annotated[str, Field(max_length=300), AfterValidator(_bare_id)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


class ForYou(Strict):
    """The For-you profile's controls (version 2)."""

    ignored: list[ArxivId] = []  # papers whose signals do not train the model (the marks themselves stay)
    paused_at: AwareDatetime | None = None  # learning paused then: later signals wait until it resumes
    community: Share = 0.0  # how much the community's upvotes count against personal fit
    diversity: Share = 0.0  # how much closeness is traded for breadth


class Profile(Strict):
    username: Annotated[str, Field(max_length=40)]
    fullname: Annotated[str, Field(max_length=120)] | None = None
    member_since: AwareDatetime
    feed_reset_at: AwareDatetime | None = None  # For you learns only from signals since then
    feed_seed: int = Field(ge=0, le=2**31 - 1)  # its sample of the corpus: with the signals, the model itself
    for_you: ForYou = ForYou()  # version 2


class MemberExport(Strict):
    """Everything a member has on a dailypapers instance."""

    format: Literal["dailypapers.member"] = FORMAT
    version: Literal[1, 2] = VERSION
    exported_at: AwareDatetime
    site: Annotated[str, Field(max_length=500)] | None = None  # where it came from
    profile: Profile
    library: list[Signal] = []  # saved papers (a seed saves too)
    upvotes: list[Signal] = []
    dismissals: list[Signal] = []  # "not interested"
    collections: list[CollectionEntry] = []  # private ones too: the file is its owner's
    saved_searches: list[SavedSearchEntry] = []
    subscriptions: Annotated[list[Subscription], Field(max_length=MAX_SUBSCRIPTIONS)] = []


def json_schema() -> dict:
    """The format as JSON Schema (docs/member-export.schema.json)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{FORMAT}/v{VERSION}",
        **MemberExport.model_json_schema(mode="serialization"),
    }


def parse_export(data: bytes) -> MemberExport:
    """The file as a MemberExport; InvalidInput, in one line, for anything else: a file over MAX_BYTES, bad JSON,
    another format or version, a field that does not fit."""
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_BYTES // 2**20} MB, the most an import takes")
    try:
        raw = json.loads(data)
    except ValueError as exc:  # UnicodeDecodeError too
        raise InvalidInput(f"not a dailypapers export: the file is not JSON ({exc})") from None
    _check_kind(raw)
    try:
        return MemberExport.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise InvalidInput(f"not a valid dailypapers export: {where}: {error['msg']}{more}") from None


def _check_kind(raw: object) -> None:
    """Another file, or a version this instance cannot read, is named as such before any field is checked."""
    kind = raw.get("format") if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or kind != FORMAT:
        raise InvalidInput(f"not a dailypapers export: its format is {str(kind)[:60]!r}, not {FORMAT!r}")
    version = raw.get("version")
    if version not in READS or isinstance(version, bool):
        raise InvalidInput(
            f"this export is version {str(version)[:20]} of {FORMAT}; this site reads versions "
            f"{' and '.join(map(str, READS))}: upgrade it (or export again from a site of the same version)"
        )

"""What requests may send: the JSON bodies of the API and the fields of the site's forms, one model each.

FastAPI validates them before a route runs (a bad value answers 400 naming the field), so routes take
these models instead of checking fields by hand. The CSRF token is not a field here: the write guard in
auth.py reads it. Values are checked against the data (does the paper exist, is the name taken) by
dailypapers.community.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated

from annotated_types import Ge, Le
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictStr,
    field_validator,
    model_validator,
)

from dailypapers.community.library import MAX_COLLECTION_NAME, MAX_SEED_CHARS, ListKey
from dailypapers.community.saved_searches import MAX_NAME
from dailypapers.dates import parse_day
from dailypapers.search import SearchQuery
from dailypapers.validators import arxiv_category, xml_safe

MAX_DB_INT = 2**31 - 1  # ids are INTEGER columns: 32 bits on PostgreSQL
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


def _ascii_int(value: object) -> object:
    """Digits as text become an int only when they are ASCII digits: int() also reads "²" and "٣"."""
    if isinstance(value, bool):
        raise ValueError("not a whole number: a boolean")
    if isinstance(value, str):
        if not _ASCII_DIGITS.fullmatch(value):
            raise ValueError(f"not a whole number: {value[:30]!r}")
        return int(value)
    return value


# Every id and cursor a request carries, in a path, a query or a body: huge or odd numbers answer 400.
# (The bounds come before the validator, so that the OpenAPI document shows them as minimum and maximum.)
DbId = Annotated[int, Ge(1), Le(MAX_DB_INT), BeforeValidator(_ascii_int)]
Cursor = Annotated[int, Ge(0), Le(MAX_DB_INT), BeforeValidator(_ascii_int)]  # `cursor=` is no page either
Position = Annotated[int, Ge(0), Le(MAX_DB_INT), BeforeValidator(_ascii_int)]  # a place in a list, from 0
# Where the next page of a library or a collection starts (the `cursor` of its Link), as the route gets it.
if TYPE_CHECKING:  # what a route receives: the validator turns the page token into a ListKey
    ListCursor = ListKey
else:
    ListCursor = Annotated[str, Field(max_length=40), AfterValidator(ListKey.from_token)]


def _storable(value: object) -> object:
    if isinstance(value, str) and xml_safe(value) != value:
        raise ValueError("holds a control character or a lone surrogate, which no page or database can keep")
    return value


# Text from a query string: what no database can store (PostgreSQL refuses NUL) and no page, feed or SVG
# can show (the other characters XML 1.0 forbids, lone surrogates) answers 400. Input applies it to bodies.
Text = Annotated[str, AfterValidator(_storable)]


class Input(BaseModel):
    """Every body and form: no text field may hold what no database can store (PostgreSQL refuses NUL) and no
    page or feed can show (the other characters XML 1.0 forbids, lone surrogates)."""

    @field_validator("*")
    @classmethod
    def _storable(cls, value: object) -> object:
        return _storable(value)


# --- JSON API bodies --------------------------------------------------------------------------------


class PaperRef(Input):
    arxivId: str = Field(..., max_length=300, description="An arXiv id or URL, e.g. 2501.01234")


class CommentIn(Input):
    comment: str = Field(..., description="Markdown subset; rendered to sanitised HTML")
    parentId: DbId | None = Field(None, description="The comment this one replies to (its id, a number or text)")

    @property
    def parent_id(self) -> int | None:
        return self.parentId


class HiddenIn(Input):
    hidden: bool = True


class LinksIn(Input):
    """Hugging Face's shape; a key left out keeps its link, a null clears it."""

    githubRepo: str | None = Field(None, max_length=2000, description="https://github.com/OWNER/REPO, or another forge")
    projectPage: str | None = Field(None, max_length=2000, description="An http(s) URL")

    def changes(self) -> dict:
        names = {"githubRepo": "github_repo", "projectPage": "project_page"}
        return {names[key]: getattr(self, key) for key in self.model_fields_set}


# --- HTML forms ---------------------------------------------------------------------------------------


class SubmitForm(Input):
    paper: str = ""


class VoteForm(Input):
    vote: str | None = None

    @property
    def up(self) -> bool | None:
        """The form sends the wanted state ("1"/"0"), so a double submit cannot flip it back; None toggles."""
        if self.vote in ("1", "true", "up", "on"):
            return True
        if self.vote in ("0", "false", "down", "off"):
            return False
        return None


class CommentForm(Input):
    body: str = ""
    parent: DbId | None = None  # the comment this one replies to (new comments only)


class LinksForm(Input):
    githubRepo: str = Field("", max_length=2000)  # empty clears the link
    projectPage: str = Field("", max_length=2000)


class ClaimForm(Input):
    author: Position  # the author's position on the paper
    claim: str = "1"  # "1" claims the author, "0" withdraws the claim

    @property
    def wanted(self) -> bool:
        return self.claim == "1"


class DecisionForm(Input):
    decision: str = Field(..., pattern="^(approve|reject)$")


class HideForm(Input):
    hidden: str = "1"

    @property
    def is_hidden(self) -> bool:
        return self.hidden == "1"


class SignupForm(Input):
    username: str = ""
    password: str = ""
    email: str = ""
    fullname: str = ""
    next: str = "/papers"


class LoginForm(Input):
    username: str = ""
    password: str = ""
    next: str = "/papers"


class TokenForm(Input):
    name: str = "api"


class PasswordForm(Input):
    current: str = ""
    new: str = ""


# --- library, collections and the personal feed (web/library.py) -------------------------------------------


class MarkForm(Input):
    on: str | None = None  # "1" or "0": the wanted state, like VoteForm; absent toggles

    @property
    def wanted(self) -> bool | None:
        return VoteForm(vote=self.on).up


Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]  # a control of the For-you profile


class ProfileForm(Input):
    """The profile page's two sliders, sent together."""

    community: Share = 0.0
    diversity: Share = 0.0


class ProfileIn(Input):
    """The profile's controls by API: each one given changes, each one left out stays."""

    paused: bool | None = Field(None, description="true: new signals wait (do not train) until false")
    community: Share | None = Field(None, description="How much the community's upvotes count: 0 personal only")
    diversity: Share | None = Field(None, description="0: the closest papers; 1: the broadest among the best")


class CollectionForm(Input):
    name: str = ""
    public: str | None = None  # a checkbox: present when ticked

    @property
    def is_public(self) -> bool:
        return self.public in ("1", "on", "true")


class CollectItemForm(Input):
    paper: str = Field("", max_length=300)
    on: str = "1"


class CollectionIn(Input):
    name: str = Field(..., min_length=1, max_length=MAX_COLLECTION_NAME)
    public: bool = False


class CollectionFeedForm(MarkForm):
    """The collection page's feed switch: `on` ("1"/"0") and its digest checkbox."""

    in_digest: str | None = None  # a checkbox: present when ticked

    @property
    def wants_digest(self) -> bool:
        return self.in_digest in ("1", "on", "true")


class CollectionFeedIn(Input):
    enabled: bool = Field(..., description="Whether the collection is a feed of papers like it")
    in_digest: bool = Field(False, description="A “New for <collection>” section in your email digest")


class SearchForm(Input):
    """The search page's query and filters (GET /search), the search export's, and what a saved search keeps.
    `query()` checks the values (the search page shows what is wrong beside the form)."""

    model_config = ConfigDict(populate_by_name=True)

    q: str = Field("", description="Words, phrases in quotes, or a question")
    mode: str = Field("hybrid", description="hybrid, keyword or semantic")
    category: str = Field("", description="An arXiv category (cs.CL) or archive (cs)")
    author: str = ""
    date_from: str = Field("", alias="from", description="First published on or after, YYYY-MM-DD")
    date_to: str = Field("", alias="to", description="First published on or before, YYYY-MM-DD")
    has_code: bool = False

    @property
    def filters(self) -> dict:
        """What the search form shows again, by field name."""
        return {
            "mode": self.mode,
            "category": self.category.strip(),
            "author": self.author.strip(),
            "from": self.date_from.strip(),
            "to": self.date_to.strip(),
            "has_code": self.has_code,
        }

    def params(self, without: str | None = None) -> dict[str, str]:
        """The query string of this search (the filters that are set), less `without`: for its feeds, exports,
        pages, and links that remove one filter."""
        given = {"q": self.q, **{name: value for name, value in self.filters.items() if value}}
        if self.has_code:
            given["has_code"] = "true"
        if given.get("mode") == "hybrid":  # the default
            del given["mode"]
        return {name: value for name, value in given.items() if name != without}

    def query(self, limit: int, offset: int = 0) -> SearchQuery:
        """The search asked for; InvalidInput when a date, the category or the query is not acceptable."""
        f = self.filters
        return SearchQuery(
            text=self.q,
            mode=self.mode,
            limit=limit,
            offset=offset,
            category=arxiv_category(f["category"]) if f["category"] else None,
            author=f["author"] or None,
            date_from=parse_day(f["from"]) if f["from"] else None,
            date_to=parse_day(f["to"]) if f["to"] else None,
            has_code=self.has_code,
        ).validate()


class SavedSearchForm(SearchForm):
    name: str = ""
    email: str | None = None  # a checkbox: "email me new papers for this search"

    @property
    def wants_email(self) -> bool:
        return self.email in ("1", "on", "true")


class SavedSearchIn(SearchForm):
    name: str = Field(..., min_length=1, max_length=MAX_NAME, description="Unique among your saved searches")
    email: bool = Field(False, description="Add its new papers to your email digest")


class RenameForm(Input):
    name: str = Field("", max_length=200)


class SubscriptionForm(Input):
    """The subscribe form, and the manage page's (which adds what its button asks)."""

    email: str = Field("", max_length=320)
    frequency: str = "daily"
    interests: str = ""
    categories: str = ""
    action: str = "save"  # manage: save, unsubscribe or resubscribe


class SubscriptionIn(Input):
    """`POST /api/subscriptions`: interests and categories as a list, or as text (one a line; space-separated).
    The address and the preferences are checked by `validate_preferences` and the subscription itself."""

    email: StrictStr = Field("", max_length=320, description="The address the digest goes to")
    frequency: StrictStr | None = Field(None, description="daily or weekly (daily when left out)")
    interests: StrictStr | list[StrictStr] | None = Field(None, description="What to look for in new papers")
    categories: StrictStr | list[StrictStr] | None = Field(None, description="arXiv categories, e.g. cs.LG")

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, body: object) -> object:
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        return body

    @field_validator("interests", "categories", mode="wrap")
    @classmethod
    def _strings(cls, value: object, handler):  # one message, not pydantic's one per alternative
        try:
            return handler(value)
        except ValueError:
            raise ValueError("must be a string or a list of strings") from None


class SeedIn(Input):
    references: str = Field(..., max_length=MAX_SEED_CHARS, description="arXiv ids or URLs, or the text of a .bib file")


# --- reading groups (web/routes/groups.py) -------------------------------------------------------------------


class GroupForm(Input):
    name: str = Field("", max_length=300)
    slug: str = Field("", max_length=100)


class GroupIn(Input):
    name: str = Field(..., max_length=300, description="What members call the group")
    slug: str = Field(..., max_length=100, description="Its address: /groups/{slug}; lower case, digits, '-'")


class GroupPaperForm(Input):
    paper: str = Field("", max_length=300)
    note: str = Field("", max_length=10_000)


class GroupPaperIn(Input):
    paper: str = Field(..., max_length=300, description="An arXiv id or URL")
    note: str = Field("", max_length=10_000, description="Why the group should read it")


class GroupCommentForm(CommentForm):
    paper: str = Field("", max_length=300)


class GroupCommentIn(CommentIn):
    paper: str = Field(..., max_length=300, description="A paper of the group's collection")


class InviteForm(Input):
    days: Annotated[int, Ge(0), Le(365), BeforeValidator(_ascii_int)] = 14  # 0: until revoked

    @property
    def lasts(self) -> int | None:
        return self.days or None


class InviteIn(InviteForm):
    pass


class JoinIn(Input):
    invite: str = Field(..., max_length=500, description="The token of an invite link (the part after /invites/)")


class GroupPreferencesForm(Input):
    shares: str | None = None  # "1" or "0"; absent keeps
    digest: str | None = None

    @property
    def changes(self) -> dict[str, bool | None]:
        return {"shares": VoteForm(vote=self.shares).up, "digest": VoteForm(vote=self.digest).up}


class GroupPreferencesIn(Input):
    shares: bool | None = Field(None, description="Show my upvotes and saves to the group and let them train its feed")
    digest: bool | None = Field(None, description="Send me the group's weekly email")

"""What requests may send: the JSON bodies of the API and the fields of the site's forms, one model each.

FastAPI validates them before a route runs (a bad value answers 400 naming the field), so routes take
these models instead of checking fields by hand. The CSRF token is not a field here: the write guard in
auth.py reads it. Values are checked against the data (does the paper exist, is the name taken) by
dailypapers.community.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

# --- JSON API bodies --------------------------------------------------------------------------------


class PaperRef(BaseModel):
    arxivId: str = Field(..., max_length=300, description="An arXiv id or URL, e.g. 2501.01234")


class CommentIn(BaseModel):
    comment: str = Field(..., description="Markdown subset; rendered to sanitised HTML")
    parentId: str | None = Field(None, description="The comment this one replies to")

    @field_validator("parentId")
    @classmethod
    def _comment_id(cls, value: str | None) -> str | None:
        if value is not None and not value.isdigit():
            raise ValueError(f"not a comment id: {value!r}")
        return value

    @property
    def parent_id(self) -> int | None:
        return int(self.parentId) if self.parentId is not None else None


class HiddenIn(BaseModel):
    hidden: bool = True


# --- HTML forms ---------------------------------------------------------------------------------------


class SubmitForm(BaseModel):
    paper: str = ""


class VoteForm(BaseModel):
    vote: str | None = None

    @property
    def up(self) -> bool | None:
        """The form sends the wanted state ("1"/"0"), so a double submit cannot flip it back; None toggles."""
        if self.vote in ("1", "true", "up", "on"):
            return True
        if self.vote in ("0", "false", "down", "off"):
            return False
        return None


class CommentForm(BaseModel):
    body: str = ""
    parent: int | None = None  # the comment this one replies to (new comments only)


class HideForm(BaseModel):
    hidden: str = "1"

    @property
    def is_hidden(self) -> bool:
        return self.hidden == "1"


class SignupForm(BaseModel):
    username: str = ""
    password: str = ""
    email: str = ""
    fullname: str = ""
    next: str = "/papers"


class LoginForm(BaseModel):
    username: str = ""
    password: str = ""
    next: str = "/papers"


class TokenForm(BaseModel):
    name: str = "api"


class PasswordForm(BaseModel):
    current: str = ""
    new: str = ""


# --- library, collections and the personal feed (web/library.py) -------------------------------------------


class MarkForm(BaseModel):
    on: str | None = None  # "1" or "0": the wanted state, like VoteForm; absent toggles

    @property
    def wanted(self) -> bool | None:
        return VoteForm(vote=self.on).up


class CollectionForm(BaseModel):
    name: str = ""
    public: str | None = None  # a checkbox: present when ticked

    @property
    def is_public(self) -> bool:
        return self.public in ("1", "on", "true")


class CollectItemForm(BaseModel):
    paper: str = Field("", max_length=300)
    on: str = "1"


class CollectionIn(BaseModel):
    name: str = Field(..., max_length=200)
    public: bool = False


class SeedIn(BaseModel):
    references: str = Field(..., max_length=250_000, description="arXiv ids or URLs, or the text of a .bib file")

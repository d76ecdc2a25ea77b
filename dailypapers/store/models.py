"""The SQL schema of dailypapers (SQLAlchemy 2 models). Alembic migrations in `migrations/` create it."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_link_key() -> int:
    """A random number signed into an object's links beside its id. SQLite hands a deleted row's id out again
    (and a restored sequence may too): the new row gets another key, so links made for the old one open
    nothing. Below 2**30, so a version counter started here has room to count up in a 32-bit column."""
    return secrets.randbelow(2**30) + 1


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as UTC on every backend, always read back as an aware UTC datetime (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime}
    if TYPE_CHECKING:
        # Every model here maps one Table (none a join or a select), so core statements may name its table.
        __table__: ClassVar[Table]


class Paper(Base):
    __tablename__ = "papers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    arxiv_id: Mapped[str] = mapped_column(String(64), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str] = mapped_column(Text, default="")
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)  # ordered as on the paper
    categories: Mapped[str] = mapped_column(Text, default="")  # space separated, primary first
    primary_category: Mapped[str | None] = mapped_column(String(32))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # first version
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # latest version
    comments: Mapped[str | None] = mapped_column(Text)
    journal_ref: Mapped[str | None] = mapped_column(Text)
    doi: Mapped[str | None] = mapped_column(String(255))
    license: Mapped[str | None] = mapped_column(String(255))
    submitter: Mapped[str | None] = mapped_column(String(255))
    report_no: Mapped[str | None] = mapped_column(String(255))
    # Confirmed links (by the submitter, a claimed author or an administrator, or our own export): what the
    # pages, the API and "has code" use. The suggested ones are found in arXiv's comments and abstract.
    code_url: Mapped[str | None] = mapped_column(String(500))
    project_page: Mapped[str | None] = mapped_column(String(500))
    suggested_code_url: Mapped[str | None] = mapped_column(String(500))
    suggested_project_page: Mapped[str | None] = mapped_column(String(500))
    author_keys: Mapped[str] = mapped_column(Text, default="")  # names.author_keys_text(authors)
    # Computed by `dailypapers index` (index/keyphrases.py) from the title and abstract whose hash is kept.
    ai_keywords: Mapped[list[str] | None] = mapped_column(JSON)
    ai_summary: Mapped[str | None] = mapped_column(Text)
    ai_source_hash: Mapped[str | None] = mapped_column(String(32))
    # The arXiv version whose first page is in the data dir as a thumbnail (ingest/thumbnails.py); None: none.
    thumbnail_version: Mapped[int | None] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(32))
    upvotes: Mapped[int] = mapped_column(Integer, default=0)  # kept equal to count(votes) in each vote's transaction
    num_comments: Mapped[int] = mapped_column(Integer, default=0)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0)  # bumped by every write: index watermark

    daily_entry: Mapped[DailyEntry | None] = relationship(back_populates="paper", uselist=False)

    # published_at first: date ranges; hidden and id too, so trends' month counts need no table reads
    __table_args__ = (
        Index("ix_papers_published_hidden_id", "published_at", "hidden", "id"),
        Index("ix_papers_change_seq", "change_seq"),
    )

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.arxiv_id}"

    @property
    def category_list(self) -> list[str]:
        return self.categories.split() if self.categories else []


class PaperVersion(Base):
    """A paper's metadata as one arXiv version had it (its last known state), with when the store learned of it.

    Written by `upsert_papers` once a paper has more than one version (store/versions.py): a paper seen at one
    version only has no rows, its `papers` row is its whole history, so an import of new papers writes nothing
    here."""

    __tablename__ = "paper_versions"

    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    date: Mapped[datetime | None] = mapped_column(UTCDateTime())  # arXiv's date of the version
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str] = mapped_column(Text, default="")
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    comments: Mapped[str | None] = mapped_column(Text)
    journal_ref: Mapped[str | None] = mapped_column(Text)
    doi: Mapped[str | None] = mapped_column(String(255))
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)  # when this site first saw it


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    fullname: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))  # argon2; None for demo users
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)  # made by `dailypapers demo`
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # set by an administrator: no login


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the token; the token is shown once
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginSession(Base):
    """A signed-in browser: its cookie holds a random secret, this row the secret's sha256."""

    __tablename__ = "sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LoginAddress(Base):
    """An address a user has signed in from (a keyed hash of it, not the address): a right password from
    one of these passes the per-account login limit that strangers' failures may have closed."""

    __tablename__ = "login_addresses"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DailyEntry(Base):
    """A paper on the daily feed: once per paper, on one date."""

    __tablename__ = "daily_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), unique=True)
    date: Mapped[date] = mapped_column(Date, index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    paper: Mapped[Paper] = relationship(back_populates="daily_entry")
    submitted_by: Mapped[User | None] = relationship()


class PaperMark:
    """A user's mark on a paper, at most one per pair, and when it was made."""

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Vote(PaperMark, Base):
    __tablename__ = "votes"

    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)  # added by `dailypapers demo`


class Save(PaperMark, Base):
    """A paper in a user's private library."""

    __tablename__ = "saves"

    # The paper's arXiv version when saved, or when its user last marked its update seen; None: not known.
    seen_version: Mapped[int | None] = mapped_column(Integer)
    # Its journal reference, DOI and comments line then: news on the same version flags it too.
    seen_journal_ref: Mapped[str | None] = mapped_column(Text)
    seen_doi: Mapped[str | None] = mapped_column(String(255))
    seen_comments: Mapped[str | None] = mapped_column(Text)


class Dismissal(PaperMark, Base):
    """ "Not interested": a paper the user does not want recommended, and a negative for their model."""

    __tablename__ = "dismissals"


class Collection(Base):
    """A named list of papers, public or private, with a shareable URL (/collections/{id})."""

    __tablename__ = "collections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    owner: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_collection_user_name"),)


class CollectionItem(Base):
    __tablename__ = "collection_items"

    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    seen_version: Mapped[int | None] = mapped_column(Integer)  # as `Save.seen_version`, and the rest
    seen_journal_ref: Mapped[str | None] = mapped_column(Text)
    seen_doi: Mapped[str | None] = mapped_column(String(255))
    seen_comments: Mapped[str | None] = mapped_column(Text)


class CollectionFeed(Base):
    """A collection turned into a feed of papers like it (ranking/collection_feed.py): present while the feed is
    on. Turning it off deletes the row, and with it the key its signed links carry."""

    __tablename__ = "collection_feeds"

    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True)
    in_digest: Mapped[bool] = mapped_column(Boolean, default=False)  # a "New for <collection>" digest section
    link_key: Mapped[int] = mapped_column(
        Integer, default=new_link_key
    )  # signed into its feed links; a new one revokes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SavedSearch(Base):
    """A search (query plus filters) a user keeps under a name: its own page, signed feeds, and optionally
    a section of their email digest."""

    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    query: Mapped[str] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(String(16), default="hybrid")
    category: Mapped[str | None] = mapped_column(String(64))
    author: Mapped[str | None] = mapped_column(String(255))
    date_from: Mapped[date | None] = mapped_column(Date)
    date_to: Mapped[date | None] = mapped_column(Date)
    has_code: Mapped[bool] = mapped_column(Boolean, default=False)
    email: Mapped[bool] = mapped_column(Boolean, default=False)  # "email me new papers for this search"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    link_key: Mapped[int] = mapped_column(Integer, default=new_link_key)  # signed into its feed links

    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_search_user_name"),)


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)  # Markdown as typed; rendered and sanitised on output
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)  # by an admin

    user: Mapped[User] = relationship()


class AuthorClaim(Base):
    """A user saying "this is me" of one author of one paper; an administrator approves or rejects it.
    Several users may claim the same author (the administrator picks); a rejected claim stays, so that its
    user waits before claiming that author again."""

    __tablename__ = "author_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"))
    author_index: Mapped[int] = mapped_column(Integer)  # position in Paper.authors
    author_key: Mapped[str] = mapped_column(String(255), index=True)  # names.author_key of that name
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | approved | rejected
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
    paper: Mapped[Paper] = relationship()

    __table_args__ = (UniqueConstraint("paper_id", "author_index", "user_id", name="uq_claim_paper_author_user"),)


class Subscriber(Base):
    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    frequency: Mapped[str] = mapped_column(String(16), default="daily")  # daily (weekdays) | weekly
    interests: Mapped[str] = mapped_column(Text, default="")  # free text / saved searches, one per line
    categories: Mapped[str] = mapped_column(Text, default="")  # space separated
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # permanent SMTP failure
    bounce_reason: Mapped[str | None] = mapped_column(Text)
    # Signed into every link mailed to the address; bumped to retire them. It starts at a random number, not 1,
    # so a subscriber who gets a deleted one's id opens none of the old links.
    token_version: Mapped[int] = mapped_column(Integer, default=new_link_key)


# An email's `status` (a digest's row, an outbox row). pending: an outbox row, queued; sending: the body is with
# the server, the final "." maybe; failed: refused, or still transient after every retry (may be sent again);
# bounced: the address was refused for good; unknown: the connection broke after the final "." (digest/send.py).
DeliveryState = Literal["pending", "sending", "sent", "failed", "bounced", "unknown"]


class DigestDelivery(Base):
    """One digest for one subscriber and one period: the record that makes sending exactly-once."""

    __tablename__ = "digest_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(32))  # e.g. daily:2026-11-26, weekly:2026-W48
    status: Mapped[DeliveryState] = mapped_column(String(16), default="pending")
    message_id: Mapped[str | None] = mapped_column(String(255))
    num_papers: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("subscriber_id", "period", name="uq_delivery_subscriber_period"),)


class OutboxMail(Base):
    """A one-off email (a confirmation, a notice) queued for digest/send.py's `deliver`, and its outcome.

    Stored as it goes on the wire, so it is sent byte for byte as composed; states as in DigestDelivery."""

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int | None] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # confirm | notice
    recipient: Mapped[str] = mapped_column(String(255))
    message_id: Mapped[str] = mapped_column(String(255))
    message: Mapped[bytes] = mapped_column(LargeBinary)  # CRLF lines, ready for SMTP DATA
    status: Mapped[DeliveryState] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Embedding(Base):
    """A paper's vector under one model; `content_hash` tells when the paper changed and needs re-embedding."""

    __tablename__ = "embeddings"

    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(128), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(32))
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little endian
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class KeyValue(Base):
    """Small durable state: harvest resumption tokens, index build marks, ..."""

    __tablename__ = "state"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RateEvent(Base):
    """Write and login attempts per key, for rate limits that hold across workers and restarts."""

    __tablename__ = "rate_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), index=True)
    at: Mapped[float] = mapped_column(Float, index=True)  # unix time


class ReadingGroup(Base):
    """A reading group: a few members who share a collection, a discussion and a feed (community/groups.py)."""

    __tablename__ = "reading_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)  # its page is /groups/{slug}
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    link_key: Mapped[int] = mapped_column(Integer, default=new_link_key)  # signed into its invite and feed links


class GroupMember(Base):
    """A user in a group. `shares`: their upvotes and saves show in the group's week and train its feed."""

    __tablename__ = "group_members"

    group_id: Mapped[int] = mapped_column(ForeignKey("reading_groups.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16), default="member")  # owner | member
    shares: Mapped[bool] = mapped_column(Boolean, default=False)
    digest: Mapped[bool] = mapped_column(Boolean, default=True)  # the group's weekly email
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()


class GroupInvite(Base):
    """An invite link: it names this row (id and random key), so revoking the row retires the link."""

    __tablename__ = "group_invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("reading_groups.id", ondelete="CASCADE"), index=True)
    link_key: Mapped[int] = mapped_column(Integer, default=new_link_key)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None: until revoked
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class GroupPaper(Base):
    """A paper in a group's shared collection, with the note of the member who added it."""

    __tablename__ = "group_papers"

    group_id: Mapped[int] = mapped_column(ForeignKey("reading_groups.id", ondelete="CASCADE"), primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True, index=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    added_by: Mapped[User | None] = relationship()


class GroupComment(Base):
    """A comment in a group's thread on one of its papers: shaped as Comment, kept apart so that no query of the
    public comments can ever show it."""

    __tablename__ = "group_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("reading_groups.id", ondelete="CASCADE"))
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("group_comments.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)  # never set: the shape thread_order reads

    user: Mapped[User] = relationship()

    __table_args__ = (Index("ix_group_comments_group_paper", "group_id", "paper_id"),)

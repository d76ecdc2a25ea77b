"""Composing emails: pure functions from a subscriber and papers to an `EmailMessage`.

No database and no network here: `deliver` (send.py) sends what these return. Every message has a
plain-text part and an HTML alternative (inline CSS, table layout, 600px: what common mail clients
render), and every message to a subscriber carries the manage and one-click unsubscribe links
(RFC 8058 `List-Unsubscribe` + `List-Unsubscribe-Post`).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from dailypapers.config import Settings, get_settings
from dailypapers.digest.content import DigestPaper
from dailypapers.digest.periods import DigestPeriod
from dailypapers.digest.tokens import MAX_AGE, confirm_link, subscriber_links
from dailypapers.store.models import Subscriber

TEMPLATES = Path(__file__).parent / "templates"
FREQUENCY_WORDS = {"daily": "daily (weekdays)", "weekly": "weekly"}


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, auto_reload=False)


def _render(name: str, **context) -> str:
    return _environment().get_template(name).render(**context)


def mail_domain(settings: Settings) -> str:
    address = parseaddr(settings.mail_from)[1]
    return address.rpartition("@")[2] or urlsplit(settings.base_url).hostname or "localhost"


def message_id(settings: Settings, kind: str, *parts: object) -> str:
    """A Message-ID that is the same every time the same email is composed: were a digest ever sent
    twice, mail clients that collapse duplicates by Message-ID would show it once."""
    key = ":".join(str(p) for p in (kind, *parts))
    tag = hmac.new(settings.get_secret_key().encode(), key.encode(), hashlib.sha256).hexdigest()[:20]
    return f"<{kind}.{tag}@{mail_domain(settings)}>"


def _message(settings: Settings, to: str, subject: str, text: str, html: str, msgid: str,
             now: datetime | None) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = msgid
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    return message


def _list_headers(message: EmailMessage, settings: Settings, links: dict[str, str]) -> None:
    message["List-Id"] = f"{settings.site_name} digest <digest.{mail_domain(settings)}>"
    message["List-Unsubscribe"] = f"<{links['unsubscribe']}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Precedence"] = "bulk"
    message["Auto-Submitted"] = "auto-generated"  # no vacation auto-replies to a digest
    message["X-Auto-Response-Suppress"] = "OOF, AutoReply"


def digest_subject(settings: Settings, period: DigestPeriod, count: int) -> str:
    noun = "paper" if count == 1 else "papers"
    kind = "daily" if period.frequency == "daily" else "weekly"
    return f"{settings.site_name} {kind} · {period.label} · {count} {noun}"


def compose(subscriber: Subscriber, period: DigestPeriod, trending: list[DigestPaper],
            personal: list[DigestPaper], *, settings: Settings | None = None,
            now: datetime | None = None) -> EmailMessage | None:
    """The digest of `period` for `subscriber`, or None when it would hold no paper (nothing is sent)."""
    settings = settings or get_settings()
    count = len(trending) + len(personal)
    if count == 0:
        return None
    links = subscriber_links(subscriber, settings)
    home = settings.base_url.rstrip("/")
    subject = digest_subject(settings, period, count)
    heading = ("Daily papers" if period.frequency == "daily" else "This week's papers") + f" · {period.label}"
    intro = f"Papers of {period.covers}: the {len(trending)} trending on {settings.site_name}"
    intro += f", then {len(personal)} picked for your interests." if personal else "."
    context = dict(
        subject=subject, heading=heading, intro=intro, preheader=_preheader(trending, personal),
        trending=trending, personal=personal, email=subscriber.email, site_name=settings.site_name,
        frequency_words=FREQUENCY_WORDS[period.frequency], home_url=home,
        manage_url=links["manage"], unsubscribe_url=links["unsubscribe"],
    )
    message = _message(settings, subscriber.email, subject, _render("digest.txt", **context),
                       _render("digest.html", **context),
                       message_id(settings, "digest", period.key, subscriber.id), now)
    _list_headers(message, settings, links)
    return message


def _preheader(trending: list[DigestPaper], personal: list[DigestPaper]) -> str:
    """The grey line inbox lists show after the subject: the first titles."""
    titles = [p.title for p in (trending + personal)[:2]]
    return " · ".join(titles)[:140]


def compose_confirmation(subscriber: Subscriber, *, settings: Settings | None = None,
                         now: datetime | None = None) -> EmailMessage:
    """The double opt-in email: the only email an unconfirmed address ever gets."""
    settings = settings or get_settings()
    subject = f"Confirm your {settings.site_name} digest subscription"
    context = dict(subject=subject, preheader="One click to start receiving papers; nothing is sent until then.",
                   email=subscriber.email, site_name=settings.site_name, home_url=settings.base_url.rstrip("/"),
                   frequency_words=FREQUENCY_WORDS.get(subscriber.frequency, subscriber.frequency),
                   confirm_url=confirm_link(subscriber, settings), confirm_days=MAX_AGE["confirm"] // 86400)
    now = now or datetime.now(UTC)
    return _message(settings, subscriber.email, subject, _render("confirm.txt", **context),
                    _render("confirm.html", **context),
                    message_id(settings, "confirm", subscriber.id, subscriber.token_version, now.timestamp()), now)


def compose_already_subscribed(subscriber: Subscriber, *, settings: Settings | None = None,
                               now: datetime | None = None) -> EmailMessage:
    """Sent instead of a confirmation when the address is subscribed already: the owner learns of the
    attempt and gets the link to change preferences, the person at the form learns nothing."""
    settings = settings or get_settings()
    links = subscriber_links(subscriber, settings)
    subject = f"You are already subscribed to {settings.site_name}"
    context = dict(subject=subject, preheader="Nothing changed; here is the link to your preferences.",
                   email=subscriber.email, site_name=settings.site_name, home_url=settings.base_url.rstrip("/"),
                   frequency_words=FREQUENCY_WORDS.get(subscriber.frequency, subscriber.frequency),
                   manage_url=links["manage"], unsubscribe_url=links["unsubscribe"])
    now = now or datetime.now(UTC)
    message = _message(settings, subscriber.email, subject, _render("already.txt", **context),
                       _render("already.html", **context),
                       message_id(settings, "notice", subscriber.id, now.timestamp()), now)
    _list_headers(message, settings, links)
    return message

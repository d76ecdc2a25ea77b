"""Composing emails: pure functions from a subscriber and papers to an `EmailMessage`.

No database, no network, no settings here: the caller passes the site (identity.py), and `deliver`
(send.py) sends what these return. Every message has a
plain-text part and an HTML alternative (inline CSS, table layout, 600px: what common mail clients
render), and every message to a subscriber carries the manage and one-click unsubscribe links
(RFC 8058 `List-Unsubscribe` + `List-Unsubscribe-Post`).
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import secrets
import textwrap
from datetime import UTC, datetime
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from dailypapers.digest.content import DigestPaper, DigestSection
from dailypapers.digest.identity import MailSite
from dailypapers.digest.schedule import DigestPeriod
from dailypapers.digest.tokens import MAX_AGE, confirm_link, subscriber_links
from dailypapers.store.models import Subscriber

TEMPLATES = Path(__file__).parent / "templates"
FREQUENCY_WORDS = {"daily": "daily (weekdays)", "weekly": "weekly"}


@lru_cache(maxsize=4096)
def _wrap(text: str, width: int, indent: int) -> str:
    """Word-wrapped for the plain-text part, lines after the first indented; cached, as the same titles and
    abstracts recur in thousands of digests."""
    return ("\n" + " " * indent).join(textwrap.wrap(text, width)) if text else ""


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["wrap"] = _wrap
    return env


def _render(name: str, **context) -> str:
    return _environment().get_template(name).render(**context)


_ROWS_CACHE: dict[tuple, tuple[Markup, str]] = {}


def _rows(papers: list[DigestPaper], start: int, shared: bool) -> tuple[Markup, str]:
    """The HTML and text of a list of papers. The trending list is the same in every digest of a period,
    so it is rendered once (`shared`); personal picks are rendered per subscriber."""
    key = (start, tuple((p.paper_id, p.url, p.upvotes, p.why) for p in papers)) if shared else None
    if key is not None and key in _ROWS_CACHE:
        return _ROWS_CACHE[key]
    rendered = (
        Markup(_render("_rows.html", papers=papers, start=start)),
        _render("_rows.txt", papers=papers, start=start),
    )
    if key is not None:
        if len(_ROWS_CACHE) > 64:
            _ROWS_CACHE.clear()
        _ROWS_CACHE[key] = rendered
    return rendered


def mail_domain(site: MailSite) -> str:
    address = parseaddr(site.mail_from)[1]
    return address.rpartition("@")[2] or urlsplit(site.base_url).hostname or "localhost"


def message_id(site: MailSite, kind: str, *parts: object) -> str:
    """A Message-ID that is the same every time the same email is composed: were a digest ever sent
    twice, mail clients that collapse duplicates by Message-ID would show it once."""
    key = ":".join(str(p) for p in (kind, *parts))
    tag = hmac.new(site.secret.encode(), key.encode(), hashlib.sha256).hexdigest()[:20]
    return f"<{kind}.{tag}@{mail_domain(site)}>"


def _encoded(value: str, name: str) -> str:
    """A header value as 7-bit text: RFC 2047 encoded words when it is not ASCII."""
    return value if value.isascii() else Header(value, "utf-8", header_name=name).encode()


class DigestMessage(EmailMessage):
    """An EmailMessage whose headers and parts compose.py wrote as ready 7-bit text, so it can be put on the
    wire as it is (`wire`), without the email package's generator re-parsing every header."""

    def wire(self) -> bytes | None:
        """The bytes to send (CRLF lines), or None if the message was changed into something this cannot
        write (then the caller uses the email package's generator)."""

        def header_block(message: EmailMessage) -> list[str] | None:
            lines = []
            for name, value in message.raw_items():
                if type(value) is not str or not value.isascii():  # a parsed header: let the generator fold it
                    return None
                lines.append(f"{name}: {value}")
            return lines

        head = header_block(self)
        parts = self.get_payload()
        if head is None or not isinstance(parts, list) or self.get_content_subtype() != "alternative":
            return None
        boundary = self.get_boundary()
        out = head + ["", ""]
        for part in parts:
            if not isinstance(part, EmailMessage):
                return None
            part_head = header_block(part)
            payload = part.get_payload()
            if part_head is None or not isinstance(payload, str) or not payload.isascii():
                return None
            out += [f"--{boundary}", *part_head, "", payload.rstrip("\n")]
        out += [f"--{boundary}--", ""]
        text = "\n".join(out)
        return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("ascii")


def _text_part(content: str, subtype: str) -> DigestMessage:
    part = DigestMessage(policy=SMTP)
    part.set_raw("Content-Type", f'text/{subtype}; charset="utf-8"')
    part.set_raw("Content-Transfer-Encoding", "quoted-printable")
    part.set_payload(binascii.b2a_qp(content.encode("utf-8"), istext=True).decode("ascii"))
    return part


def _message(
    site: MailSite, to: str, subject: str, text: str, html: str, msgid: str, now: datetime | None
) -> EmailMessage:
    """multipart/alternative: plain text first, HTML last (clients show the last part they can render).

    Built from ready 7-bit header values and C-encoded quoted-printable parts rather than through the
    email package's header parser: a digest run builds thousands, and parsing was most of their cost.
    Reading a header back (message["Subject"]) still gives the decoded value."""
    name, address = parseaddr(site.mail_from)
    message = DigestMessage(policy=SMTP)
    message.set_raw("From", formataddr((name, address), charset="utf-8"))
    message.set_raw("To", to)
    message.set_raw("Subject", _encoded(subject, "Subject"))
    message.set_raw("Date", format_datetime(now or datetime.now(UTC)))
    message.set_raw("Message-ID", msgid)
    message.set_raw("MIME-Version", "1.0")
    message.set_raw("Content-Type", f'multipart/alternative; boundary="{_boundary()}"')
    message.attach(_text_part(text, "plain"))
    message.attach(_text_part(html, "html"))
    return message


def _boundary() -> str:
    return "=_dailypapers_" + secrets.token_hex(12)


def _list_headers(message: EmailMessage, site: MailSite, links: dict[str, str]) -> None:
    message.set_raw("List-Id", _encoded(f"{site.name} digest <digest.{mail_domain(site)}>", "List-Id"))
    message.set_raw("List-Unsubscribe", f"<{links['unsubscribe']}>")
    message.set_raw("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
    message.set_raw("Precedence", "bulk")
    message.set_raw("Auto-Submitted", "auto-generated")  # no vacation auto-replies to a digest
    message.set_raw("X-Auto-Response-Suppress", "OOF, AutoReply")


TRENDING = "Trending"
MATCHING_INTERESTS = "Matching your interests"  # the subscription's interests; "For you" is the account's model


def digest_subject(site: MailSite, period: DigestPeriod, count: int) -> str:
    noun = "paper" if count == 1 else "papers"
    kind = "daily" if period.frequency == "daily" else "weekly"
    return f"{site.name} {kind} · {period.label} · {count} {noun}"


def compose(
    subscriber: Subscriber,
    period: DigestPeriod,
    trending: list[DigestPaper],
    personal: list[DigestPaper],
    *,
    site: MailSite,
    now: datetime | None = None,
    sections: list[DigestSection] | None = None,
) -> EmailMessage | None:
    """The digest of `period` for `subscriber`, or None when it would hold no paper (nothing is sent).
    `sections` come after the shared ones: an account's saved searches and For you."""
    shown = [DigestSection(TRENDING, trending), DigestSection(MATCHING_INTERESTS, personal), *(sections or [])]
    shown = [section for section in shown if section.papers]
    count = sum(len(section.papers) for section in shown)
    if count == 0:
        return None
    links = subscriber_links(subscriber, site.base_url, site.secret)
    subject = digest_subject(site, period, count)
    heading = ("Daily papers" if period.frequency == "daily" else "This week's papers") + f" · {period.label}"
    rendered, start = [], 0
    for section in shown:
        rows_html, rows_text = _rows(section.papers, start, shared=section.papers is trending)
        rendered.append((section.title, rows_html, rows_text))
        start += len(section.papers)
    context = dict(
        subject=subject,
        heading=heading,
        intro=_intro(period, site, shown, count),
        preheader=_preheader(trending, personal),
        email=subscriber.email,
        site_name=site.name,
        frequency_words=FREQUENCY_WORDS[period.frequency],
        home_url=site.base_url,
        manage_url=links["manage"],
        unsubscribe_url=links["unsubscribe"],
        **_week_map(site, period),
    )
    message = _message(
        site,
        subscriber.email,
        subject,
        _render("digest.txt", sections=[(t, text) for t, _, text in rendered], **context),
        _render("digest.html", sections=[(t, html) for t, html, _ in rendered], **context),
        message_id(site, "digest", period.key, subscriber.id),
        now,
    )
    _list_headers(message, site, links)
    return message


def _week_map(site: MailSite, period: DigestPeriod) -> dict[str, str | None]:
    """A weekly digest shows the week's papers on the site's map: a picture the site draws (and keeps: however many
    mail clients fetch it, it is computed once), linked to the map itself. A daily digest stays text and rows."""
    if period.frequency != "weekly":
        return {"map_url": None, "map_image_url": None}
    days = urlencode({"from": period.first_day.isoformat(), "to": period.last_day.isoformat()})
    base = site.base_url.rstrip("/")
    return {"map_url": f"{base}/map?{days}", "map_image_url": f"{base}/map.png?{days}"}


def _intro(period: DigestPeriod, site: MailSite, shown: list[DigestSection], count: int) -> str:
    """'12 papers of Mon, Nov 23 on dailypapers: Trending (5) · For you (7).': read from the sections below
    it, so its counts are theirs."""
    noun = "paper" if count == 1 else "papers"
    parts = " · ".join(f"{section.title} ({len(section.papers)})" for section in shown)
    return f"{count} {noun} of {period.covers} on {site.name}: {parts}."


def _preheader(trending: list[DigestPaper], personal: list[DigestPaper]) -> str:
    """The grey line inbox lists show after the subject: the first titles."""
    titles = [p.title for p in (trending + personal)[:2]]
    return " · ".join(titles)[:140]


def _notice_context(subscriber: Subscriber, site: MailSite, subject: str, preheader: str, **links: str | int) -> dict:
    """What the one-off emails to a subscriber (confirm, already subscribed) show besides their links."""
    return dict(
        subject=subject,
        preheader=preheader,
        email=subscriber.email,
        site_name=site.name,
        home_url=site.base_url,
        frequency_words=FREQUENCY_WORDS.get(subscriber.frequency, subscriber.frequency),
        **links,
    )


def compose_confirmation(subscriber: Subscriber, *, site: MailSite, now: datetime | None = None) -> EmailMessage:
    """The double opt-in email: the only email an unconfirmed address ever gets."""
    subject = f"Confirm your {site.name} digest subscription"
    context = _notice_context(
        subscriber,
        site,
        subject,
        "One click to start receiving papers; nothing is sent until then.",
        confirm_url=confirm_link(subscriber, site.base_url, site.secret),
        confirm_days=MAX_AGE["confirm"] // 86400,
        manage_url=subscriber_links(subscriber, site.base_url, site.secret)["manage"],
    )
    now = now or datetime.now(UTC)
    return _message(
        site,
        subscriber.email,
        subject,
        _render("confirm.txt", **context),
        _render("confirm.html", **context),
        message_id(site, "confirm", subscriber.id, subscriber.token_version, now.timestamp()),
        now,
    )


def compose_already_subscribed(subscriber: Subscriber, *, site: MailSite, now: datetime | None = None) -> EmailMessage:
    """Sent instead of a confirmation when the address is subscribed already: the owner learns of the
    attempt and gets the link to change preferences, the person at the form learns nothing."""
    links = subscriber_links(subscriber, site.base_url, site.secret)
    subject = f"You are already subscribed to {site.name}"
    context = _notice_context(
        subscriber,
        site,
        subject,
        "Nothing changed; here is the link to your preferences.",
        manage_url=links["manage"],
        unsubscribe_url=links["unsubscribe"],
    )
    now = now or datetime.now(UTC)
    message = _message(
        site,
        subscriber.email,
        subject,
        _render("already.txt", **context),
        _render("already.html", **context),
        message_id(site, "notice", subscriber.id, now.timestamp()),
        now,
    )
    _list_headers(message, site, links)
    return message

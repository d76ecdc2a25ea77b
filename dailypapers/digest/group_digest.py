"""The reading groups' weekly email: what the group did this week and the papers its feed picked, sent to each
member who wants it (`GroupMember.digest`, on by default) at the address of their own confirmed digest
subscription, beside the weekly digest (`run.send_due_digests`). It goes through the same delivery as every
digest (`send.deliver`), recorded in `digest_deliveries` under a period key of its own per group
("group7:weekly:2026-W49"), so each member gets it exactly once per group and week, and an unsubscribe
link in it ends it with the subscription.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING

from markupsafe import escape

from dailypapers.community import groups
from dailypapers.community.groups import Activity
from dailypapers.config import Settings, get_settings
from dailypapers.digest.compose import _list_headers, _message, message_id
from dailypapers.digest.identity import MailSite, mail_site
from dailypapers.digest.records import IN_DOUBT, RETRYABLE, Outgoing
from dailypapers.digest.schedule import DigestPeriod
from dailypapers.digest.send import deliver
from dailypapers.digest.tokens import subscriber_links
from dailypapers.ranking.recommend import Pick
from dailypapers.store import mail
from dailypapers.store.db import Session, get_engine
from dailypapers.store.models import Paper, ReadingGroup, Subscriber

if TYPE_CHECKING:  # run.py calls this module, with the result it reports
    from dailypapers.digest.run import PeriodResult

PICKS = 5


def group_period_key(group: ReadingGroup, period: DigestPeriod) -> str:
    return f"group{group.id}:{period.key}"


def compose_group_digest(
    subscriber: Subscriber,
    group: ReadingGroup,
    period: DigestPeriod,
    week: list[Activity],
    picks: list[Pick],
    *,
    site: MailSite,
    now: datetime | None = None,
) -> EmailMessage | None:
    """The group's email for one member, or None when the group had a quiet week and its feed has nothing."""
    if not week and not picks:
        return None
    links = subscriber_links(subscriber, site.base_url, site.secret)
    page = f"{site.base_url}/groups/{group.slug}"
    subject = f"{site.name} · {group.name} · {period.label}"
    lines = [f"This week in {group.name} ({period.label})", page, ""]
    html = [f"<h1>This week in {escape(group.name)}</h1>", f'<p><a href="{escape(page)}">{escape(page)}</a></p>']
    if week:
        _section(lines, html, "What members shared", [(f"{a.who} {a.kind}", a.paper) for a in week], site)
        lines.append("")
    if picks:
        _section(lines, html, "For the group", [("", p.paper) for p in picks], site)
    why = f"You get this as a member of {group.name}; turn it off on the group's page."
    lines += ["", why, f"Unsubscribe: {links['unsubscribe']}"]
    html.append(f'<p>{escape(why)} <a href="{escape(links["unsubscribe"])}">Unsubscribe</a></p>')
    message = _message(
        site,
        subscriber.email,
        subject,
        "\n".join(lines) + "\n",
        "<!doctype html><html><body>" + "\n".join(html) + "</body></html>\n",
        message_id(site, "group", group_period_key(group, period), subscriber.id),
        now,
    )
    _list_headers(message, site, links)
    return message


def _section(lines: list[str], html: list[str], heading: str, papers: list[tuple[str, Paper]], site: MailSite):
    """A heading and its papers, in both parts of the email; each paper after its lead ("Ada saved"), if any."""
    lines.append(f"{heading}:")
    html.append(f"<h2>{heading}</h2><ul>")
    for lead, paper in papers:
        url = f"{site.base_url}/papers/{paper.arxiv_id}"
        lines.append(f"- {lead + ': ' if lead else ''}{paper.title}\n  {url}")
        html.append(f'<li>{escape(lead) + " " if lead else ""}<a href="{escape(url)}">{escape(paper.title)}</a></li>')
    html.append("</ul>")


def _due(
    session: Session, period: DigestPeriod, result: PeriodResult, site: MailSite, now: datetime | None
) -> Iterator[Outgoing]:
    for group, members in groups.all_groups(session):
        key = group_period_key(group, period)
        states = mail.delivery_states(session, key)
        week = groups.week(session, group, now=period.ends_at)
        picks = groups.group_for_you(session, group, limit=PICKS)
        for member in members:
            subscriber = mail.account_subscriber(session, member.user_id) if member.digest else None
            if subscriber is None:
                continue
            result.subscribers += 1
            status = states.get(subscriber.id)
            if status in IN_DOUBT:
                result.in_doubt += 1
                continue
            if status is not None and status not in RETRYABLE:
                result.already += 1
                continue
            result.due += 1
            message = compose_group_digest(subscriber, group, period, week, picks, site=site, now=now)
            if message is None:
                result.empty += 1
                continue
            result.composed += 1
            yield Outgoing.of(message, subscriber_id=subscriber.id, period=key, num_papers=len(week) + len(picks))


def send_group_digests(
    period: DigestPeriod,
    result: PeriodResult,
    *,
    settings: Settings | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PeriodResult:
    """Send each group's email of `period` to its members who are due it (counted in `result`); what was sent
    before is not sent again."""
    settings = settings or get_settings()
    engine = get_engine(settings)
    with Session(engine, expire_on_commit=False) as session:
        messages = _due(session, period, result, mail_site(settings), now)
        if dry_run:
            for _ in messages:
                pass
            return result
        result.report = deliver(messages, engine=engine, settings=settings)
    return result

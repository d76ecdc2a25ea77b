"""Email digest commands: `subscribe`, `unsubscribe`, `digest send|status|preview`."""

from __future__ import annotations

import signal
import sys
from datetime import UTC, datetime

import typer

from dailypapers.commands import app, err, json_option, print_json
from dailypapers.commands.progress import progress_bar
from dailypapers.config import get_settings
from dailypapers.dates import optional_day
from dailypapers.digest.identity import mail_site
from dailypapers.digest.outbox import drain, queue_subscription_mail, status_of
from dailypapers.digest.run import preview, send_due_digests
from dailypapers.digest.schedule import latest_period, parse_periods
from dailypapers.digest.send import DeliveryReport
from dailypapers.digest.status import delivery_status
from dailypapers.digest.subscribe import admin_subscribe, find_subscriber, unsubscribe, validate_preferences
from dailypapers.errors import InvalidInput, NotFound
from dailypapers.store.db import migrate, session_scope

digest_app = typer.Typer(help="Email digests: send them, see what was sent, preview one.", no_args_is_help=True)
app.add_typer(digest_app, name="digest")

PERIOD_HELP = (
    "daily, weekly, daily:YYYY-MM-DD (the issue day, a weekday) or weekly:YYYY-Www; "
    "default: every digest due today (daily on weekdays, and last week's weekly)"
)


def say(text: str) -> None:
    """A line on stderr, never wrapped (scripts and logs read whole lines)."""
    err.print(text, soft_wrap=True, markup=False)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


@app.command("subscribe")
def subscribe_command(
    email: str = typer.Argument(..., help="The subscriber's email address."),
    interests: str | None = typer.Option(
        None, help="What to personalise on: free text; several searches separated by newlines or ';'."
    ),
    frequency: str = typer.Option("daily", help="daily (weekdays) or weekly."),
    category: list[str] | None = typer.Option(
        None, "--category", "-c", help="An arXiv category such as cs.LG; repeat for several."
    ),
    confirmed: bool = typer.Option(
        False,
        "--confirmed",
        help="Subscribe at once, without the confirmation email (only when the owner of the address asked you to).",
    ),
) -> None:
    """Add or update a subscriber. Without --confirmed, a confirmation email goes out first."""
    lines = (interests or "").replace(";", "\n")
    prefs = validate_preferences(frequency, lines, category or [])
    settings = get_settings()
    migrate()
    with session_scope() as session:
        subscriber, action = admin_subscribe(session, email, prefs, confirmed)
        address = subscriber.email
        queued = None
        if action == "confirm":
            queued = queue_subscription_mail(session, subscriber, action, mail_site(settings)).id
    if queued is not None:
        drain(settings)
        with session_scope() as session:
            outcome, _ = status_of(session, queued)
        if outcome != "sent":
            raise InvalidInput(
                f"{address}: the confirmation email was {outcome} by the SMTP server; rerun later or use --confirmed"
            )
        say(f"{address}: confirmation email sent; digests start once the link in it is followed")
    else:
        say(
            f"{address}: {action}, {prefs.frequency} digest"
            + (f", interests: {'; '.join(prefs.interests)}" if prefs.interests else "")
            + (f", categories: {' '.join(prefs.categories)}" if prefs.categories else "")
        )


@app.command("unsubscribe")
def unsubscribe_command(email: str = typer.Argument(..., help="The subscriber's email address.")) -> None:
    """Stop every email to a subscriber."""
    with session_scope() as session:
        subscriber = find_subscriber(session, email)
        if subscriber is None:
            raise NotFound(f"no subscriber {email!r}")
        changed = unsubscribe(subscriber)
    say(f"{subscriber.email}: {'unsubscribed' if changed else 'was unsubscribed already'}")


@digest_app.command("send")
def send_command(
    period: str | None = typer.Option(None, "--period", help=PERIOD_HELP),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Compose every digest and count them; send nothing, record nothing."
    ),
    today: str | None = typer.Option(None, help="Pretend today is this day (YYYY-MM-DD), for catching up."),
    resend_in_doubt: bool = typer.Option(
        False,
        "--resend-in-doubt",
        help="Also send digests a killed run left in doubt (check the SMTP server's log first: it may have them).",
    ),
    json_output: bool = json_option("Print the results as JSON."),
) -> None:
    """Send the digests that are due, each exactly once; rerun freely, or after a crash, to send the rest.
    Confirmations still queued (the SMTP server was down when they were asked for) go out first."""
    settings = get_settings()
    periods = parse_periods(period, optional_day(today, "--today") or datetime.now(UTC).date())
    # `kill` / a service manager's stop: unwind like Ctrl-C, so the message on the wire is settled cleanly.
    signal.signal(signal.SIGTERM, _interrupt)
    results = send_due_digests(
        periods,
        settings=settings,
        dry_run=dry_run,
        resend_in_doubt=resend_in_doubt,
        progress=progress_bar,
        on_outbox=_say_outbox,
        on_result=None if json_output else lambda result: say(result.summary(dry_run)),
    )
    if json_output:
        print_json([r.as_dict() for r in results])


def _say_outbox(queued: DeliveryReport) -> None:
    if queued.anything:
        say(f"outbox: {queued.counts()}")


@digest_app.command("status")
def status_command(
    period: str | None = typer.Option(None, "--period", help=PERIOD_HELP),
    json_output: bool = json_option("Print as JSON."),
) -> None:
    """What was recorded for each period: sent, failed, bounced, in doubt."""
    keys = [p.key for p in parse_periods(period, datetime.now(UTC).date())] if period else None
    with session_scope() as session:
        report = delivery_status(session, keys)
    if json_output:
        print_json(report.as_dict())
        return
    say(f"{report.active_subscribers} active subscribers")
    for key, by_status in report.periods.items():
        say(f"{key}: " + ", ".join(f"{n} {status}" for status, n in sorted(by_status.items())))
    for doubt in report.in_doubt:
        say(f"in doubt: {doubt.period} {doubt.email}: {doubt.error}")
    if report.outbox:
        say("outbox: " + ", ".join(f"{n} {status}" for status, n in sorted(report.outbox.items())))


@digest_app.command("preview")
def preview_command(
    email: str = typer.Argument(..., help="A subscriber's email address."),
    period: str | None = typer.Option(
        None,
        "--period",
        help="daily:YYYY-MM-DD or weekly:YYYY-Www; default: the "
        "latest digest of the subscriber's frequency (on a weekend, Friday's daily)",
    ),
    html: bool = typer.Option(False, "--html", help="Print only the HTML part (to open in a browser)."),
) -> None:
    """Print the digest a subscriber would get (the whole email, or its HTML), without sending or recording."""
    with session_scope() as session:
        subscriber = find_subscriber(session, email)
        if subscriber is None:
            raise NotFound(f"no subscriber {email!r}")
        today = datetime.now(UTC).date()
        first = parse_periods(period, today)[0] if period else latest_period(subscriber.frequency, today)
        message = preview(session, subscriber, first)
    body = message.get_body(("html",)) if html else None
    if body is not None:
        sys.stdout.write(body.get_content())
    else:
        sys.stdout.buffer.write(message.as_bytes())

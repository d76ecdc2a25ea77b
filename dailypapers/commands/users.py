"""`dailypapers users ...`: accounts from the command line (the first administrator, tokens for scripts)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import typer

from dailypapers.commands import app, err, json_option, out, print_json, print_rows
from dailypapers.community.tokens import create_api_token
from dailypapers.community.users import (
    create_user,
    get_user,
    list_users,
    set_admin,
    set_disabled,
    set_password,
    validate_password,
    validate_username,
)
from dailypapers.config import get_settings
from dailypapers.digest.identity import mail_site
from dailypapers.digest.outbox import drain_quietly
from dailypapers.errors import InvalidInput
from dailypapers.portable.export import export_json, library_bibtex
from dailypapers.portable.format import MAX_BYTES, parse_export
from dailypapers.portable.load import import_member
from dailypapers.store.db import migrate, session_scope

users_app = typer.Typer(
    help="User accounts: create, list, make administrators, API tokens, export and import.", no_args_is_help=True
)
app.add_typer(users_app, name="users")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise InvalidInput("no password on standard input")
        return password
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


def _usage_checked(check, *args) -> str:
    """`check(*args)`, its InvalidInput a usage error: one line, exit 2, before anything is stored."""
    try:
        return check(*args)
    except InvalidInput as exc:
        raise click.UsageError(str(exc)) from exc


@users_app.command("create")
def create(
    username: str = typer.Argument(..., help="3 to 40 letters, digits, - or _."),
    admin: bool = typer.Option(False, "--admin", help="Make the user an administrator."),
    email: str | None = typer.Option(None, help="E-mail address (optional)."),
    fullname: str | None = typer.Option(None, help="Full name (optional)."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input."),
) -> None:
    """Create an account (asks for the password unless --password-stdin)."""
    username = _usage_checked(validate_username, username)  # before asking for a password
    password = _usage_checked(validate_password, _read_password(password_stdin), username)
    migrate()  # the first administrator is often made before anything else
    with session_scope() as session:
        user = create_user(session, username, password, email=email, fullname=fullname, is_admin=admin)
        err.print(f"created {'administrator' if user.is_admin else 'user'} {user.username}")


@users_app.command("list")
def list_accounts(json_output: bool = json_option("Print JSON.")) -> None:
    """List the accounts (demo voters left out)."""
    with session_scope() as session:
        rows = [
            {"username": u.username, "email": u.email, "admin": u.is_admin, "created": u.created_at.isoformat()}
            for u in list_users(session)
        ]
    print_rows(
        rows, json_output, lambda row: f"{row['username']}{' (admin)' if row['admin'] else ''}  {row['email'] or ''}"
    )


@users_app.command("admin")
def make_admin(username: str, revoke: bool = typer.Option(False, "--revoke", help="Take the role away.")) -> None:
    """Make a user an administrator (or, with --revoke, no longer one)."""
    with session_scope() as session:
        set_admin(session, username, not revoke)
    err.print(f"{username} is {'no longer ' if revoke else ''}an administrator")


@users_app.command("disable")
def disable(username: str, enable: bool = typer.Option(False, "--enable", help="Let the user log in again.")) -> None:
    """Disable an account: no more logins, its sessions end and its API tokens are revoked."""
    with session_scope() as session:
        set_disabled(session, username, not enable)
    err.print(f"{username} is {'enabled' if enable else 'disabled; their sessions and API tokens have ended'}")


@users_app.command("password")
def change_password(username: str, password_stdin: bool = typer.Option(False, "--password-stdin")) -> None:
    """Set a new password (ends the user's other sessions)."""
    password = _usage_checked(validate_password, _read_password(password_stdin), username)
    with session_scope() as session:
        set_password(session, get_user(session, username), password)
    err.print(f"password of {username} changed")


@users_app.command("token")
def token(username: str, name: str = typer.Option("cli", help="A name to recognise the token by.")) -> None:
    """Create a personal API token and print it (only once) on standard output."""
    with session_scope() as session:
        value = create_api_token(session, get_user(session, username), name)
    sys.stdout.write(value + "\n")
    err.print("use it as 'Authorization: Bearer <token>'; it is not shown again")


@users_app.command("export")
def export(
    username: str,
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the JSON here, not to standard output."),
    bib: Path | None = typer.Option(None, "--bib", help="Also write the library as BibTeX to this file."),
) -> None:
    """Everything USERNAME has (private collections and saved searches too) as one JSON file another
    dailypapers site imports: it is theirs, hand it only to them."""
    settings = get_settings()
    with session_scope() as session:
        user = get_user(session, username)
        text = export_json(session, user, settings.origin())
        bibtex = library_bibtex(session, user) if bib else None
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
    if bib is not None and bibtex is not None:
        bib.write_text(bibtex, encoding="utf-8")
    if output is not None:
        err.print(f"wrote the data of {username} to {output}" + (f" and their library to {bib}" if bib else ""))


@users_app.command("import")
def import_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A file from 'users export' or the site."),
    as_user: str | None = typer.Option(
        None,
        "--as",
        help="The account to import into (default: the file's own username). It must exist: 'users create' makes it.",
    ),
    json_output: bool = json_option("Print the report as JSON."),
) -> None:
    """Import a member's export into an account: all or nothing, papers matched by arXiv id."""
    with file.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    try:
        export = parse_export(data)
    except InvalidInput as exc:  # a file that is not an export: a usage error (exit 2), nothing stored
        raise click.UsageError(str(exc)) from exc
    username = as_user or export.profile.username
    with session_scope() as session:
        report = import_member(session, get_user(session, username), export, mail_site(get_settings()))
    if report.confirmations:
        drain_quietly()
    if json_output:
        print_json(report.as_json())
        return
    err.print(
        f"imported into {username}: {report.saved} saved, {report.upvoted} upvoted, {report.dismissed} not "
        f"interested, {report.collected} papers in {len(report.collections)} new and {len(report.merged)} "
        f"merged collections, {len(report.saved_searches)} saved searches"
    )
    for address in report.confirmations:
        err.print(f"a confirmation email went to {address}: digests start once its link is followed")
    for paper in report.unmatched:
        out.print(f"not on this site: {paper}")
    if report.unmatched:
        err.print("fetch them with 'dailypapers ingest ID ...', then import the same file again")

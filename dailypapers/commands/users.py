"""`dailypapers users ...`: accounts from the command line (the first administrator, tokens for scripts)."""

from __future__ import annotations

import sys

import click
import typer

from dailypapers.commands import app, err, out, print_json
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
from dailypapers.errors import InvalidInput
from dailypapers.store.db import migrate, session_scope

users_app = typer.Typer(help="User accounts: create, list, make administrators, API tokens.", no_args_is_help=True)
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
def list_accounts(json_output: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the accounts (demo voters left out)."""
    with session_scope() as session:
        rows = [{"username": u.username, "email": u.email, "admin": u.is_admin, "created": u.created_at.isoformat()}
                for u in list_users(session)]
    if json_output:
        print_json(rows)
        return
    for row in rows:
        out.print(f"{row['username']}{' (admin)' if row['admin'] else ''}  {row['email'] or ''}")


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

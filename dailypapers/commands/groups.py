"""`dailypapers groups ...`: reading groups from the command line: create one, make invite links, list groups
and members, remove a member. The same functions as the web pages, acting as the user named by --as."""

from __future__ import annotations

from typing import Any

import typer

from dailypapers.commands import app, json_option, out, print_rows
from dailypapers.community import groups
from dailypapers.community.users import get_user
from dailypapers.config import get_settings
from dailypapers.store.db import session_scope

groups_app = typer.Typer(help="Reading groups: create, invite, list, members, remove.", no_args_is_help=True)
app.add_typer(groups_app, name="groups")


@groups_app.command("create")
def create(
    slug: str = typer.Argument(..., help="The group's address: /groups/SLUG (lower case, digits, '-')."),
    name: str = typer.Argument(..., help="The group's name."),
    owner: str = typer.Option(..., "--owner", help="The user who owns the group."),
) -> None:
    """Create a reading group owned by --owner."""
    with session_scope() as session:
        group = groups.create_group(session, get_user(session, owner), name, slug)
        out.print(f"created {group.slug}: {get_settings().origin()}/groups/{group.slug}")


@groups_app.command("invite")
def invite(
    slug: str = typer.Argument(..., help="The group."),
    as_user: str = typer.Option(..., "--as", help="An owner of the group, who makes the link."),
    days: int = typer.Option(14, "--days", min=0, max=groups.MAX_INVITE_DAYS, help="Days it works; 0: until revoked."),
) -> None:
    """Print a new invite link of the group."""
    with session_scope() as session:
        made = groups.create_invite(session, get_user(session, as_user), slug, days or None)
        link = f"{get_settings().origin()}/invites/{groups.invite_token(made)}"
    out.print(link)


@groups_app.command("list")
def list_groups(as_json: bool = json_option("Print JSON.")) -> None:
    """Every reading group, with its owners and its number of members."""
    with session_scope() as session:
        rows: list[dict[str, Any]] = [
            {
                "slug": group.slug,
                "name": group.name,
                "members": len(members),
                "owners": [m.user.username for m in members if m.role == groups.OWNER],
            }
            for group, members in groups.all_groups(session)
        ]
    print_rows(
        rows,
        as_json,
        lambda row: f"{row['slug']}  {row['name']}  ({row['members']} members; owner {', '.join(row['owners'])})",
    )
    if not rows and not as_json:
        out.print("no reading groups yet: `dailypapers groups create SLUG NAME --owner USER`")


@groups_app.command("members")
def members(
    slug: str = typer.Argument(..., help="The group."),
    as_json: bool = json_option("Print JSON."),
) -> None:
    """The group's members and their roles."""
    with session_scope() as session:
        rows = [{"username": m.user.username, "role": m.role} for m in groups.group_members(session, slug)]
    print_rows(rows, as_json, lambda row: f"{row['username']}  {row['role']}")


@groups_app.command("remove")
def remove(
    slug: str = typer.Argument(..., help="The group."),
    username: str = typer.Argument(..., help="The member to remove."),
    as_user: str = typer.Option(..., "--as", help="An owner of the group."),
) -> None:
    """Remove a member from the group; they lose access at once."""
    with session_scope() as session:
        groups.remove_member(session, get_user(session, as_user), slug, username)
    out.print(f"removed {username} from {slug}")

"""`dailypapers backup`: a copy of the instance that restores (see dailypapers/backup/)."""

from __future__ import annotations

from pathlib import Path

import typer

from dailypapers.backup.take import check_backup, take_backup
from dailypapers.commands import app, err, json_option, print_json
from dailypapers.commands.progress import progress_bar
from dailypapers.config import get_settings


def summary(manifest) -> str:
    rows = manifest.tables
    return (
        f"{manifest.database} database at {manifest.created_at}, dailypapers {manifest.version}: "
        f"{rows.get('papers', 0)} papers, {rows.get('users', 0)} users, {len(manifest.files)} files"
    )


@app.command("backup")
def backup_command(
    dest: Path = typer.Argument(
        ...,
        help="The new directory to write the backup into (it must not exist), "
        "e.g. /var/backups/dailypapers/2026-12-01; with --check, a backup to check.",
    ),
    check: bool = typer.Option(
        False,
        "--check",
        help="Check the backup at DEST against its manifest instead (every file's sha256, the database's integrity).",
    ),
    json_output: bool = json_option("Print the manifest as JSON."),
) -> None:
    """Back up the database (a consistent snapshot, taken while the site serves) and the data dir's own files
    (signing key, thumbnails) into a new directory, with a manifest. Indexes are left out: a restore rebuilds them."""
    if check:
        if not dest.is_dir():
            raise typer.BadParameter(f"{dest} is not a directory", param_hint="DEST")
        manifest = check_backup(dest)
        verdict = "whole"
    else:
        if dest.exists():
            raise typer.BadParameter(f"{dest} exists; a backup goes into a new directory", param_hint="DEST")
        with progress_bar("backing up") as bar:
            manifest = take_backup(get_settings(), dest, bar.update_stage)
        verdict = "written"
    if json_output:
        print_json(manifest.__dict__)
    else:
        err.print(f"backup {verdict}: {dest} ({summary(manifest)})", soft_wrap=True, markup=False)

"""`dailypapers restore`: a backup back into the configured data dir and database, then the indexes rebuilt."""

from __future__ import annotations

from pathlib import Path

import typer

from dailypapers.backup.restore import restore_backup
from dailypapers.commands import app, err
from dailypapers.commands.backup import summary
from dailypapers.config import get_settings
from dailypapers.index.build import rebuild_from_store


@app.command("restore")
def restore_command(
    src: Path = typer.Argument(
        ..., exists=True, file_okay=False, help="A backup directory made by `dailypapers backup`."
    ),
    force: bool = typer.Option(False, "--force", help="Replace a database that already holds data."),
) -> None:
    """Restore a backup into the configured data dir and database, after checking it. Refuses while dailypapers
    runs on this data dir, and replaces existing data only with --force; then rebuilds the search indexes."""
    settings = get_settings()
    restored = restore_backup(settings, src, force=force)
    err.print(
        f"restored {src} ({summary(restored.manifest)}); {restored.thumbnails} thumbnails"
        + ("; signing key" if restored.signing_key else ""),
        soft_wrap=True,
        markup=False,
    )
    err.print("rebuilding the search indexes from the database...", markup=False)
    report = rebuild_from_store(settings)
    err.print(
        f"keyword index: {report.keyword_rows} papers"
        + "".join(f"; {m.model}: {m.vectors} vectors" for m in report.models),
        soft_wrap=True,
        markup=False,
    )

"""Commands that move papers in and out of the store: import, export, stats, db upgrade."""

from __future__ import annotations

from pathlib import Path

import typer

from dailypapers.commands import app, db_app, err, json_option, print_json
from dailypapers.commands.progress import progress_bar
from dailypapers.config import get_settings
from dailypapers.index.embedders import model_label, runtime_of
from dailypapers.ingest.snapshot import export_file, import_file
from dailypapers.ingest.thumbnails import backfill_thumbnails
from dailypapers.store.db import current_revision, get_engine, migrate, session_scope
from dailypapers.store.feed import count_daily_entries
from dailypapers.store.reads import count_papers


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database or apply pending migrations."""
    engine = migrate()
    err.print(f"database at revision {current_revision(engine)}")


@app.command("import")
def import_command(
    file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        help="JSON lines: the arXiv metadata snapshot or a dailypapers export; .gz ok.",
    ),
    rejects: Path | None = typer.Option(None, help="Where malformed records go (default: data dir/rejects/)."),
    batch_size: int = typer.Option(5000, min=1, help="Records per transaction."),
    thumbnails: bool = typer.Option(
        False,
        "--thumbnails",
        help="Then fetch the PDFs of the papers without a "
        "first-page thumbnail, as `dailypapers thumbnails` does (slow: one PDF a paper).",
    ),
    json_output: bool = json_option("Print the report as JSON."),
) -> None:
    """Import papers from a snapshot or export file. Idempotent; an interrupted import resumes on rerun."""
    engine = migrate()  # an import may be the first command run in a new data dir
    with progress_bar(f"importing {file.name}", in_bytes=True) as bar:
        report = import_file(
            engine,
            file,
            rejects,
            batch_size=batch_size,
            progress=bar.update,
            stage=lambda name: bar.update_stage(name, 0, None),
        )
    made = None
    if thumbnails:
        with progress_bar("making thumbnails") as bar:
            made = backfill_thumbnails(engine, get_settings(), progress=bar.update)
    if json_output:
        print_json(report.as_dict() | ({"thumbnails": made.made, "thumbnail_failures": made.failed} if made else {}))
    else:
        err.print(report.summary())
        if made:
            err.print(f"{made.made} thumbnails made, {made.failed} failed")


@app.command("export")
def export_command(file: Path = typer.Argument(..., help="Where to write the JSON lines.")) -> None:
    """Export every paper as JSON lines that `dailypapers import` reads back unchanged."""
    count = export_file(get_engine(), file)
    err.print(f"exported {count} papers to {file}")


@app.command("stats")
def stats_command(json_output: bool = json_option("Print JSON.")) -> None:
    """Counts of what the store holds, and what embeds papers here."""
    settings = get_settings()
    with session_scope() as session:
        data: dict[str, int | str] = {"papers": count_papers(session), "daily_entries": count_daily_entries(session)}
    data["embedding_model"] = model_label(settings.embedding_model)
    data["embedding_runtime"] = runtime_of(
        settings.embedding_model, settings.embedding_device, settings.embedding_precision
    )
    if json_output:
        print_json(data)
    else:
        for key, value in data.items():
            print(f"{key}: {value}")

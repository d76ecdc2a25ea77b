"""`dailypapers migrate --to URL`: move this instance into another database (SQLite to PostgreSQL)."""

from __future__ import annotations

import typer

from dailypapers.commands import app, json_option, out, print_json
from dailypapers.commands.progress import progress_bar
from dailypapers.config import get_settings
from dailypapers.errors import InvalidInput, StoreError
from dailypapers.store.db import get_engine, migrate, same_database
from dailypapers.store.transfer import compare, copy_table, fix_sequences, tables


@app.command("migrate")
def migrate_command(
    to: str = typer.Option(
        ...,
        "--to",
        help="The target database, e.g. postgresql+psycopg://user@host/dailypapers (PostgreSQL >= 15 with pgvector).",
    ),
    json_output: bool = json_option("Print the comparison as JSON."),
) -> None:
    """Copy every table (papers, users, votes, comments, subscribers, deliveries, vectors...) into the target,
    ids kept, then compare row counts and checksums on both sides; non-zero exit if anything differs.
    Safe to rerun: rows already there are updated, never duplicated."""
    settings = get_settings()
    if same_database(to, settings.db_url):
        raise InvalidInput("--to names the database this instance already uses")
    source = get_engine(settings)
    target = migrate(settings.model_copy(update={"database_url": to}))
    for table in tables():
        with progress_bar(f"copying {table.name}") as bar:
            copy_table(source, target, table, bar.update)
    fix_sequences(target)
    checks = compare(source, target)
    if json_output:
        print_json([check.as_dict() for check in checks])
    else:
        for c in checks:
            mark = "ok" if c.equal else "DIFFERENT"
            out.print(
                f"{c.table:<18} {c.source_rows:>9} -> {c.target_rows:<9} {c.source_checksum[:16]} "
                f"{c.target_checksum[:16]}  {mark}"
            )
    different = [c.table for c in checks if not c.equal]
    if different:
        raise StoreError(f"the copy differs from the source in: {', '.join(different)}")

"""`dailypapers mcp`: the read-only MCP server over stdio, for agents that launch it themselves."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from dailypapers.commands import app
from dailypapers.config import Settings, get_settings, reset_settings
from dailypapers.errors import StoreError
from dailypapers.mcp_server.server import build_server
from dailypapers.store.db import session_scope
from dailypapers.store.reads import count_papers


def check_store(settings: Settings) -> None:
    """Refuse to start on a missing or empty store, in one line that says where it looked: an agent's client
    starts the server in a folder of its choosing, and would otherwise see every tool call fail."""
    if settings.database_url:
        where = "the database of DAILYPAPERS_DATABASE_URL"
    else:
        where = f"the data dir {settings.data_dir.resolve()}"
        if not settings.sqlite_file.is_file():  # checked first: opening it would create an empty one
            raise StoreError(
                f"no dailypapers database in {where}; give --data-dir (or DAILYPAPERS_DATA_DIR) "
                "the data dir of your site"
            )
    try:
        with session_scope(settings) as session:
            papers = count_papers(session)
    except StoreError as exc:
        raise StoreError(f"{where}: {exc}") from None
    if not papers:
        raise StoreError(
            f"no papers in {where} yet: load some (dailypapers demo --no-serve, ingest or import) "
            "or give --data-dir the data dir of your site"
        )


@app.command("mcp")
def mcp_command(
    data_dir: Path | None = typer.Option(
        None, "--data-dir", file_okay=False, help="The site's data dir (default: DAILYPAPERS_DATA_DIR, else ./data)."
    ),
) -> None:
    """Serve the read-only MCP tools (search, read, daily, trending, related papers) over stdio."""
    if data_dir is not None:  # through the environment, like every other setting, so it holds process-wide
        os.environ["DAILYPAPERS_DATA_DIR"] = str(data_dir.resolve())
        reset_settings()
    check_store(get_settings())
    build_server().run("stdio")

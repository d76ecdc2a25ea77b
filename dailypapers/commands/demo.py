"""`dailypapers demo` and `dailypapers serve`."""

from __future__ import annotations

import typer
import uvicorn

from dailypapers.commands import app, err
from dailypapers.config import get_settings
from dailypapers.index.build import build_index
from dailypapers.index.engines import keyword_index
from dailypapers.ingest.demo import load_demo
from dailypapers.store.db import migrate, session_scope


@app.command("demo")
def demo_command(
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Start the site after loading."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    index: bool = typer.Option(True, "--index/--no-index", help="Build the search indexes (a few seconds)."),
) -> None:
    """Load the 64 demo papers into the daily feed (idempotent), index them for search, then start the site."""
    migrate()
    with session_scope() as session:
        result, added = load_demo(session)
    err.print(f"demo papers: {result.inserted} new, {result.updated} updated, {result.unchanged} unchanged; "
              f"{added} new feed entries")
    if index:
        for line in build_index().lines():
            err.print(line, soft_wrap=True)
    if serve:
        serve_command(host=host, port=port, workers=1)


@app.command("serve")
def serve_command(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
) -> None:
    """Serve the web site and the JSON API."""
    keyword_index(migrate()).sync()  # before the first request; repairs an index a crash left behind
    get_settings().signing_key  # noqa: B018  created now, never while answering a request
    err.print(f"dailypapers at http://{host}:{port}/")
    uvicorn.run("dailypapers.web.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning", access_log=False)

"""`dailypapers index`: build or refresh every search index."""

from __future__ import annotations

from contextlib import contextmanager

import typer

from dailypapers.commands import app, err
from dailypapers.commands.progress import progress_bar
from dailypapers.index.build import build_index


@app.command("index")
def index_command(
    model: list[str] = typer.Option(
        None, "--model", "-m", help="Embedding model(s) to index (default: the embedding_model setting)."
    ),
    batch_size: int = typer.Option(256, min=1, max=4096, help="Papers embedded per committed batch."),
    rebuild_keyword: bool = typer.Option(
        False, "--rebuild", "--rebuild-keyword", help="Rebuild the keyword index from the database."
    ),
) -> None:
    """Build or refresh every search index: keyword (catch up), vectors of new or changed papers, vector index.

    Incremental and resumable: an interrupted run keeps its finished batches; rerun it to finish.
    """
    report = build_index(
        models=model or None, batch_size=batch_size, rebuild_keyword=rebuild_keyword, progress=_progress
    )
    for line in report.lines():
        err.print(line, soft_wrap=True)


@contextmanager
def _progress(description: str, total: int):
    """build_index's progress protocol: a context manager per model that yields advance(n)."""
    with progress_bar(description, total) as bar:
        yield bar.advance

"""`dailypapers recommend` and `dailypapers library ...`: a user's For you feed and signals without the web."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from dailypapers.commands import app, err, json_option, out, print_json
from dailypapers.community.library import dismiss, save, seed_library
from dailypapers.community.updates import updated_papers
from dailypapers.community.users import get_user
from dailypapers.ranking.recommend import MAX_WINDOW_DAYS, recommend
from dailypapers.store.db import session_scope

library_app = typer.Typer(
    help="A user's library: save papers, mark them not interested, seed from BibTeX.", no_args_is_help=True
)
app.add_typer(library_app, name="library")


@app.command("recommend")
def recommend_command(
    username: str = typer.Argument(..., help="The user whose feed to show."),
    limit: int = typer.Option(20, "--limit", min=1, max=1000, help="How many papers."),
    days: int = typer.Option(
        7, "--days", min=1, max=MAX_WINDOW_DAYS, help="Only papers new on this site (arrived) in the last DAYS days."
    ),
    as_json: bool = json_option("Print JSON: a list of {id, title, score, because}."),
) -> None:
    """The papers For you ranks highest for USERNAME, each with the liked paper it is closest to."""
    with session_scope() as session:
        picks = recommend(session, get_user(session, username), days, limit=limit)
        rows: list[dict[str, Any]] = [
            {
                "id": p.paper.arxiv_id,
                "title": p.paper.title,
                "score": round(p.score, 6),
                "because": p.because.arxiv_id if p.because else None,
                "terms": p.terms,
            }
            for p in picks
        ]
    if as_json:
        print_json([{key: row[key] for key in ("id", "title", "score", "because")} for row in rows])
        return
    if not rows:
        err.print("nothing to recommend yet: add papers with `dailypapers library add`, or widen --days")
    for row in rows:
        out.print(f"{row['score']:8.3f}  {row['id']}  {row['title']}")
        if row["because"]:
            terms = f" ({', '.join(row['terms'])})" if row["terms"] else ""
            out.print(f"          because of {row['because']}{terms}")


def _mark(username: str, ids: list[str], action, verb: str) -> None:
    with session_scope() as session:
        user = get_user(session, username)
        for arxiv_id in ids:
            action(session, user, arxiv_id, True)
    err.print(f"{verb} {len(ids)} paper{'' if len(ids) == 1 else 's'} for {username}")


@library_app.command("add")
def add(username: str = typer.Argument(...), ids: list[str] = typer.Argument(..., help="arXiv ids.")) -> None:
    """Save papers to USERNAME's library (a positive signal for For you)."""
    _mark(username, ids, save, "saved")


@library_app.command("dismiss")
def dismiss_command(
    username: str = typer.Argument(...), ids: list[str] = typer.Argument(..., help="arXiv ids.")
) -> None:
    """Mark papers not interested for USERNAME (never recommended again, a negative signal)."""
    _mark(username, ids, dismiss, "marked not interested")


@library_app.command("seed")
def seed(
    username: str = typer.Argument(...),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A .bib file, or a file of arXiv ids."),
) -> None:
    """Save every paper a BibTeX file (or a list of ids) names; prints what could not be matched."""
    with session_scope() as session:
        report = seed_library(session, get_user(session, username), file.read_text(encoding="utf-8", errors="replace"))
    err.print(f"saved {len(report.added)} paper{'' if len(report.added) == 1 else 's'} for {username}")
    for label in report.unmatched:
        out.print(f"not matched: {label}")


@library_app.command("updates")
def updates_command(
    username: str = typer.Argument(..., help="The user whose saved and collected papers to look at."),
    as_json: bool = json_option("Print JSON: a list of {id, seenVersion, version, summary}."),
) -> None:
    """The papers USERNAME keeps (library, collections) that changed since they saw them, one a line."""
    with session_scope() as session:
        flags = updated_papers(session, get_user(session, username))
    if as_json:
        print_json(
            [
                {"id": f.arxiv_id, "seenVersion": f.seen_version, "version": f.version, "summary": f.summary}
                for f in flags
            ]
        )
        return
    if not flags:
        err.print(f"no updates of papers {username} keeps")
    for flag in flags:
        out.print(f"{flag.arxiv_id}  {flag.summary}", markup=False)  # a journal reference may hold [brackets]

"""`dailypapers search` and `dailypapers related` (`index` lives in commands/indexing.py: searching does not
load what building the indexes needs)."""

from __future__ import annotations

import html
from pathlib import Path

import click
import typer
from rich.markup import escape

from dailypapers.commands import app, err, json_option, out, print_json
from dailypapers.community.reading import TypedId, typed_id
from dailypapers.dates import optional_day
from dailypapers.errors import InvalidInput
from dailypapers.search import Hit, SearchQuery, related, search_detailed
from dailypapers.sources.ids import parse_arxiv_id
from dailypapers.store.db import session_scope
from dailypapers.store.reads import get_paper


def _hit_json(hit) -> dict:
    return {
        "id": hit.arxiv_id,
        "title": hit.title,
        "score": round(hit.score, 6),
        "ranks": hit.ranks,
        "snippet": hit.snippet,
        "url": f"https://arxiv.org/abs/{hit.arxiv_id}",
    }


@app.command("search")
def search_command(
    query: str = typer.Argument(None, help='What to look for: words, "a phrase", or prefix*.'),
    mode: str = typer.Option("hybrid", "--mode", help="hybrid | keyword | semantic"),
    limit: int = typer.Option(10, "--limit", "-n", help="Results per page (1-200)."),
    offset: int = typer.Option(0, "--offset", help="Skip this many results (pagination)."),
    category: str = typer.Option(None, "--category", help="Only this category (cs.CL) or archive (cs)."),
    author: str = typer.Option(None, "--author", help="Only papers with this author."),
    since: str = typer.Option(None, "--from", help="Published on or after this day (YYYY-MM-DD)."),
    until: str = typer.Option(None, "--to", help="Published on or before this day (YYYY-MM-DD)."),
    has_code: bool = typer.Option(False, "--has-code", help="Only papers with a code link."),
    model: str = typer.Option(None, "--model", help="Embedding model (default: the embedding_model setting)."),
    queries_file: Path = typer.Option(
        None, "--queries-file", help="Answer one query per line of this file.", exists=True, dir_okay=False
    ),
    as_json: bool = json_option("Print JSON: a list of hits (one list per query line)."),
) -> None:
    """Search papers by words and by meaning."""
    if (query is None) == (queries_file is None):
        raise click.UsageError(
            "give a query or --queries-file, not both"
            if query is not None
            else 'give a query, e.g. dailypapers search "graph neural networks"'
        )
    options = dict(
        mode=mode,
        limit=limit,
        offset=offset,
        category=category,
        author=author,
        date_from=optional_day(since, "--from"),
        date_to=optional_day(until, "--to"),
        has_code=has_code,
        model=model,
    )
    if queries_file is None:
        with session_scope() as session:
            typed = typed_id(session, query)
            if typed is None:
                result = search_detailed(session, SearchQuery(query, **options))
        if typed is not None:
            _print_typed_id(typed, as_json)
            return
        for note in result.notes:
            err.print(f"note: {note}")
        if as_json:
            print_json([_hit_json(h) for h in result.hits])
        else:
            _print_hits(result.hits)
        return
    _answer_file(queries_file, options, as_json)


def _print_typed_id(typed: TypedId, as_json: bool) -> None:
    """An arXiv id or URL asks for that paper: it alone, or how to bring it in."""
    hits = [] if typed.paper is None else [Hit(typed.paper.id, typed.arxiv_id, typed.paper.title, 1.0, {"id": 1})]
    if as_json:
        print_json([_hit_json(h) for h in hits])
    elif hits:
        _print_hits(hits)
    if not hits:  # on stderr with --json, so the output stays JSON
        line = f"{typed.arxiv_id} is not on this site yet; fetch it with: dailypapers ingest {typed.arxiv_id}"
        (err if as_json else out).print(line, soft_wrap=True, markup=False)


def _answer_file(path: Path, options: dict, as_json: bool) -> None:
    """One answer line per query line; a bad line gets {"error": ...} so answers stay aligned with queries."""
    lines = path.read_text(encoding="utf-8").splitlines()
    failed, notes = [], set()
    with session_scope() as session:
        for number, line in enumerate(lines, start=1):
            try:
                result = search_detailed(session, SearchQuery(line, **options))
            except InvalidInput as exc:
                failed.append(number)
                print_json({"error": f"line {number}: {exc}"}) if as_json else out.print(f"line {number}: {exc}")
                continue
            notes.update(result.notes)
            if as_json:
                print_json([_hit_json(h) for h in result.hits])
            else:
                out.print(f"[bold]{line}[/bold]")
                _print_hits(result.hits)
    for note in sorted(notes):
        err.print(f"note: {note}")
    if failed:
        raise InvalidInput(
            f"{len(failed)} of {len(lines)} queries could not be run (lines "
            f"{', '.join(map(str, failed[:10]))}{', ...' if len(failed) > 10 else ''})"
        )


def _print_hits(hits) -> None:
    if not hits:
        out.print("no results")
    for n, hit in enumerate(hits, start=1):
        ranks = " ".join(f"{k}#{v}" for k, v in hit.ranks.items())
        out.print(f"{n:>3}. [bold]{escape(hit.title)}[/bold]  {hit.arxiv_id}  score {hit.score:.4f}  {ranks}")
        if hit.snippet:
            marked = html.unescape(hit.snippet.replace("<mark>", "\x02").replace("</mark>", "\x03"))
            out.print("     " + escape(marked).replace("\x02", "[reverse]").replace("\x03", "[/reverse]"))


@app.command("related")
def related_command(
    paper: str = typer.Argument(..., help="arXiv id or URL of a paper in the store."),
    limit: int = typer.Option(5, "--limit", "-n", min=1, max=100, help="How many related papers."),
    as_json: bool = json_option("Print JSON: a list of papers."),
) -> None:
    """Papers most similar in meaning to this one (itself excluded)."""
    arxiv_id = parse_arxiv_id(paper).id
    with session_scope() as session:
        target = get_paper(session, arxiv_id)
        hits = related(session, target.id, limit)
    if as_json:
        print_json([_hit_json(h) for h in hits])
    else:
        out.print(f"related to {arxiv_id}:")
        _print_hits(hits)

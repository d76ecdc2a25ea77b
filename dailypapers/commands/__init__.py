"""Commands: the `dailypapers` CLI, a thin shell; each module adds the commands of one area."""

import json
import sys
from collections.abc import Callable
from typing import Any

import typer
import typer.core
from rich.console import Console

# Typer's help gives a flag a value type ("--json <bool>"), though a flag takes no value: show none.
_value_type = typer.core.TyperOption.display_type_rich
typer.core.TyperOption.display_type_rich = (  # type: ignore[method-assign]  # replaced on purpose: Typer has no hook
    lambda self, ctx: None if self.is_flag else _value_type(self, ctx)
)

app = typer.Typer(
    name="dailypapers",
    help="dailypapers: your own research-paper feed with hybrid search and email digests.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")

# Progress bars and notes go to stderr so stdout stays clean for --json output.
err = Console(stderr=True, highlight=False)
out = Console(highlight=False, soft_wrap=True)


def json_option(help: str):
    """The `--json` flag of a command that reports something; `help` says what it prints."""
    return typer.Option(False, "--json", help=help)


def print_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")


def print_rows(rows: list[dict[str, Any]], as_json: bool, line: Callable[[dict[str, Any]], str]) -> None:
    """A listing's rows: one JSON list with --json, else `line(row)` each, one a line."""
    if as_json:
        print_json(rows)
        return
    for row in rows:
        out.print(line(row))

"""The `dailypapers` command: a thin shell over the same functions the web app calls.

Errors a person can act on end as one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import importlib
import os
import sys

import click
import typer

from dailypapers.commands import app
from dailypapers.errors import BadSetting, DailyPapersError

# The module of dailypapers.commands that registers each top-level command (or group) on `app`. A command
# imports only its own module: `import` does not pay for the digest's scikit-learn or the MCP SDK.
COMMAND_MODULES = {
    "ingest": "arxiv",
    "harvest": "arxiv",
    "demo": "demo",
    "serve": "demo",
    "digest": "digest",
    "subscribe": "digest",
    "unsubscribe": "digest",
    "scheduler": "jobs",
    "worker": "jobs",
    "jobs": "jobs",
    "library": "library",
    "recommend": "library",
    "mcp": "mcp",
    "migrate": "migrate",
    "db": "papers",
    "import": "papers",
    "export": "papers",
    "stats": "papers",
    "index": "indexing",
    "search": "search",
    "related": "search",
    "trends": "trends",
    "map": "maps",
    "users": "users",
    "groups": "groups",
    "thumbnails": "arxiv",
    "backup": "backup",
    "restore": "restore",
}


def load_commands(argv: list[str]) -> None:
    """Import the module of the command named in `argv`, or every module (help, a typo, no command)."""
    name = next((arg for arg in argv if not arg.startswith("-")), None)
    modules = [COMMAND_MODULES[name]] if name in COMMAND_MODULES else sorted(set(COMMAND_MODULES.values()))
    for module in modules:
        importlib.import_module(f"dailypapers.commands.{module}")


# Typer ships its own copy of Click: its errors are typer.TyperException, Click's own are click.ClickException.
CLICK_ERRORS = (click.ClickException, typer.TyperException)


def report_click_error(exc: click.ClickException | typer.TyperException) -> int:
    """Click's message on one line, with where the help is; Click's exit code (2 for a usage error)."""
    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError":  # a group named without a command: its help is the answer
        if exc.format_message() and hasattr(exc, "show"):  # Typer's rich help has been printed already
            exc.show()
        return exc.exit_code
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    print(f"error: {exc.format_message()}{hint}", file=sys.stderr)
    return exc.exit_code


def main(argv: list[str] | None = None) -> int:
    load_commands(sys.argv[1:] if argv is None else argv)
    command = typer.main.get_command(app)
    try:
        # Without standalone mode click returns (not raises) the code of a typer.Exit.
        code = command.main(args=argv, prog_name="dailypapers", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except CLICK_ERRORS as exc:
        return report_click_error(exc)
    except (click.Abort, typer.Abort):
        print("error: interrupted", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("error: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    except BadSetting as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 78  # EX_CONFIG: the configuration, not the command line, is wrong
    except DailyPapersError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    except Exception as exc:  # a bug or an unexpected failure: still one line, the traceback on request
        if os.environ.get("DAILYPAPERS_DEBUG"):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(
            f"error: unexpected {type(exc).__name__}: {first[:300]} (set DAILYPAPERS_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 70
    return code if isinstance(code, int) else 0


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()

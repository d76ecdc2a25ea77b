"""The `dailypapers` command: a thin shell over the same functions the web app calls.

Errors a person can act on end as one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import os
import sys

import click
import typer

from dailypapers.commands import app
from dailypapers.errors import DailyPapersError

# Importing a command module registers its commands on `app`.
from dailypapers.commands import (  # noqa: E402,F401  isort: skip
    arxiv, demo, digest, jobs, library, mcp, migrate, papers, search, trends, users,
)


def main(argv: list[str] | None = None) -> int:
    command = typer.main.get_command(app)
    try:
        # Without standalone mode click returns (not raises) the code of a typer.Exit.
        code = command.main(args=argv, prog_name="dailypapers", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        print("error: interrupted", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("error: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
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
        print(f"error: unexpected {type(exc).__name__}: {first[:300]} (set DAILYPAPERS_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return 70
    return code if isinstance(code, int) else 0


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()

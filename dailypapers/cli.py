"""The `dailypapers` command: a thin shell over the same functions the web app calls.

Errors a person can act on end as one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys

import click
import typer

from dailypapers.commands import app
from dailypapers.errors import DailyPapersError

# Importing a command module registers its commands on `app`.
from dailypapers.commands import demo, papers  # noqa: E402,F401  isort: skip


def main(argv: list[str] | None = None) -> int:
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name="dailypapers", standalone_mode=False)
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
    return 0


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()

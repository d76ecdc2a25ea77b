"""The one progress bar of long CLI work, drawn on stderr (hidden when stderr is not a terminal)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from dailypapers.commands import err


class Bar:
    """A running bar; its methods are the callbacks the work takes (the total may be known only on the way)."""

    def __init__(self, progress: Progress, task: TaskID):
        self._progress = progress
        self._task = task

    def update(self, done: int, total: int | None) -> None:
        self._progress.update(self._task, completed=done, total=total)

    def set_total(self, total: int | None) -> None:
        self._progress.update(self._task, total=total)

    def advance(self, n: int = 1) -> None:
        self._progress.advance(self._task, n)


@contextmanager
def progress_bar(description: str, total: int | None = None, *, in_bytes: bool = False) -> Iterator[Bar]:
    """A bar counting items (done/total), or bytes of input (percent and speed) with `in_bytes`."""
    counted = [TaskProgressColumn(), TransferSpeedColumn()] if in_bytes else [MofNCompleteColumn()]
    columns = [TextColumn("{task.description}"), BarColumn(), *counted, TimeElapsedColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=err, transient=False, disable=not err.is_terminal) as progress:
        yield Bar(progress, progress.add_task(description, total=total))

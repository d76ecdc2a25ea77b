"""The one progress bar of long CLI work, drawn on stderr (hidden when stderr is not a terminal)."""

from __future__ import annotations

import logging
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

    def update_stage(self, stage: str, done: int, total: int | None) -> None:
        """Work in stages, one bar: each stage names itself and counts from its own start."""
        self._progress.update(self._task, description=stage, completed=done, total=total)

    def set_total(self, total: int | None) -> None:
        self._progress.update(self._task, total=total)

    def advance(self, n: int = 1) -> None:
        self._progress.advance(self._task, n)


class _Notes(logging.Handler):
    """Log lines printed on stderr, above the bar: what a long wait (an arXiv retry) is waiting for."""

    def emit(self, record: logging.LogRecord) -> None:
        err.print(record.getMessage(), markup=False, soft_wrap=True)


@contextmanager
def _notes_shown(logger_name: str = "dailypapers.sources.http") -> Iterator[None]:
    logger, handler = logging.getLogger(logger_name), _Notes(logging.INFO)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@contextmanager
def progress_bar(description: str, total: int | None = None, *, in_bytes: bool = False) -> Iterator[Bar]:
    """A bar counting items (done/total), or bytes of input (percent and speed) with `in_bytes`."""
    counted = [TaskProgressColumn(), TransferSpeedColumn()] if in_bytes else [MofNCompleteColumn()]
    columns = [TextColumn("{task.description}"), BarColumn(), *counted, TimeElapsedColumn(), TimeRemainingColumn()]
    with _notes_shown(), Progress(*columns, console=err, transient=False, disable=not err.is_terminal) as progress:
        yield Bar(progress, progress.add_task(description, total=total))

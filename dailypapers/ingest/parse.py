"""The work of the import's parse pool: lines in, store rows and rejects out.

Apart from the import itself so that each pool process (a fresh interpreter) imports only what parsing
needs, not the keyword engines.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

from dailypapers.sources.snapshot import iter_jsonl
from dailypapers.store.papers import paper_row


@dataclass
class ParsedChunk:
    lines: int  # non-blank lines read
    rows: list[tuple]  # store/papers.py paper_row of each valid record
    rejects: list[tuple[int, str, str]]  # (line number, reason, line)


def parse_chunk(first: int, lines: list[bytes]) -> ParsedChunk:
    """Parse, validate and make rows of lines numbered from `first`: the work the pool's processes do."""
    chunk = ParsedChunk(0, [], [])
    for line in iter_jsonl(lines):
        chunk.lines += 1
        if line.record is None:
            chunk.rejects.append((first + line.number - 1, line.error or "invalid", line.text.rstrip("\n")))
        else:
            chunk.rows.append(paper_row(line.record))
    return chunk


def exit_with(parent: int) -> None:
    """In a pool process: exit when the import that started it is gone (killed), instead of waiting forever."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()

"""Keywords and summaries over every core: batches of papers handed to a pool of processes, results back in order.

The static-vector method is Python's walk over words and the tokenizer, one core per process whatever the
machine has; a pool of such processes is how an index run uses them all. The caller keeps reading the batches
and writing every result itself, in order, so the store sees one writer and a progress bar the true rate.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

from threadpoolctl import threadpool_limits

from dailypapers.index.keyphrases import Description, describe_with_tokens
from dailypapers.index.token_vectors import TokenVectors

Key = TypeVar("Key")
AHEAD = 2  # batches queued per worker: enough that none waits for the next, few enough to hold little memory

_tokens: TokenVectors | None = None  # a worker's method, received once when it starts


def cores() -> int:
    """The cores this process may run on (a container's or taskset's share, not the whole machine's)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def describe_in_pool(
    batches: Iterable[tuple[Key, list[tuple[str, str]]]], tokens: TokenVectors, workers: int
) -> Iterator[tuple[Key, list[Description]]]:
    """`describe_with_tokens` of each batch's (title, abstract) pairs on `workers` processes, yielded with its key
    in the batches' order. A batch without papers is passed through, and no process starts until one has them."""
    # forkserver, not fork: the index run's parent has threads (OpenVINO's, the tokenizer's) that fork would copy
    context = multiprocessing.get_context("forkserver")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start, initargs=(tokens,))
    waiting: deque[tuple[Key, Future[list[Description]] | None]] = deque()
    try:
        for key, papers in batches:
            waiting.append((key, pool.submit(_describe, papers) if papers else None))
            if len(waiting) > AHEAD * workers:
                yield _result(*waiting.popleft())
        while waiting:
            yield _result(*waiting.popleft())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # a failed write stops the queued batches too


def _result(key: Key, future: Future[list[Description]] | None) -> tuple[Key, list[Description]]:
    return key, future.result() if future else []


def _start(tokens: TokenVectors) -> None:
    global _tokens
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops the pool, saved batches kept
    os.environ["TOKENIZERS_PARALLELISM"] = "false"  # one core per worker: the pool is the parallelism
    threadpool_limits(1)  # and BLAS's threads likewise
    _tokens = tokens


def _describe(papers: list[tuple[str, str]]) -> list[Description]:
    assert _tokens is not None, "the pool's initializer sets it"
    return describe_with_tokens(papers, _tokens)

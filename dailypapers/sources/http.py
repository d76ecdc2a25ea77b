"""A polite HTTP client for arXiv, shared by the API and OAI-PMH sources.

arXiv asks for at most one request every 3 seconds, a User-Agent that says who we are, and backing off
when it answers 429/503 (often with Retry-After). Every request of the process to one host goes through
one pacer, so two clients in the same process (a harvest and a web submission) still keep the pace.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Generic, TypeVar
from urllib.parse import urlsplit

import httpx

from dailypapers import USER_AGENT
from dailypapers.errors import SourceError

log = logging.getLogger(__name__)

# Waiting longer than this on one Retry-After is not worth holding a command open: we give up with a
# message instead, and the user reruns later (ingests and harvests resume where they stopped).
MAX_RETRY_AFTER = 300.0
MAX_BACKOFF = 120.0


class UpstreamHTTPError(SourceError):
    """A 4xx answer (other than 429): retrying will not help. Keeps the body, which may explain why."""

    def __init__(self, message: str, status: int, body: bytes):
        super().__init__(message)
        self.status = status
        self.body = body


class _Pacer:
    """Spaces the starts of requests to one host at least `interval` seconds apart (monotonic clock; tests give
    a clock and a sleep of their own, so they check the pace without waiting for it)."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.lock = threading.Lock()
        self.last: float | None = None
        self.clock, self.sleep = clock, sleep

    def wait(self, interval: float) -> None:
        with self.lock:
            if self.last is not None:
                remaining = self.last + interval - self.clock()
                if remaining > 0:
                    self.sleep(remaining)
            self.last = self.clock()


_pacers: dict[str, _Pacer] = {}
_pacers_lock = threading.Lock()


def _pacer_for(host: str) -> _Pacer:
    with _pacers_lock:
        return _pacers.setdefault(host, _Pacer())


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date. None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


class PoliteClient:
    """GET with pacing, retries (exponential backoff with jitter, Retry-After honoured) and one-line errors."""

    def __init__(self, *, delay: float, retries: int, timeout: float):
        self.delay = delay
        self.retries = retries
        self._client = httpx.Client(headers={"User-Agent": USER_AGENT}, timeout=timeout, follow_redirects=True)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _backoff(self, attempt: int) -> float:
        # Starts at the polite delay (at least 0.1 s) and doubles; jitter keeps clients from retrying in step.
        base = max(self.delay, 0.1)
        return min(MAX_BACKOFF, base * 2.0**attempt) * random.uniform(0.75, 1.25)

    def get(self, url: str, params: Mapping[str, str | int] | None = None) -> bytes:
        """The body of a 2xx answer. Raises SourceError when it gives up, UpstreamHTTPError on a 4xx."""
        host = urlsplit(url).netloc or url
        pacer = _pacer_for(host)
        problem = "no attempt made"
        for attempt in range(self.retries + 1):
            pacer.wait(self.delay)
            wait: float | None = None
            try:
                response = self._client.get(url, params=params)
            except httpx.TimeoutException:
                problem = f"no answer within {self._client.timeout.read:g} s"
            except httpx.TransportError as exc:
                problem = f"cannot connect ({_transport_reason(exc)})"
            else:
                status = response.status_code
                if status < 300:
                    return response.content
                if not _retryable_status(status):
                    raise UpstreamHTTPError(
                        f"{host} answered HTTP {status} {response.reason_phrase} for {response.url}",
                        status,
                        response.content,
                    )
                problem = f"HTTP {status} {response.reason_phrase}"
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                if wait is not None and wait > MAX_RETRY_AFTER:
                    raise SourceError(f"{host} asks us to come back in {wait:.0f} s ({problem}); try again later")
            if attempt == self.retries:
                break
            if wait is None:
                wait = self._backoff(attempt)
            # The CLI shows this line on stderr: a long wait says what it is waiting for.
            log.info(
                "arXiv at %s: %s; retrying in %.1f s, attempt %d of %d",
                host,
                problem,
                wait,
                attempt + 2,
                self.retries + 1,
            )
            time.sleep(wait)
        attempts = self.retries + 1
        raise SourceError(f"{host}: {problem} (gave up after {attempts} attempt{'s' if attempts > 1 else ''})")


Page = TypeVar("Page")


class PagedSource(Generic[Page]):
    """One parsed page per polite GET of `url`. Some servers send their own error document with a 4xx:
    when the body parses to an error that `explains` accepts, that error is raised instead, for it says why."""

    def __init__(
        self, url: str, http: PoliteClient, parse: Callable[[bytes], Page], explains: Callable[[SourceError], bool]
    ):
        self.url = url
        self.http = http
        self._parse = parse
        self._explains = explains

    def close(self) -> None:
        self.http.close()

    def fetch(self, params: Mapping[str, str | int]) -> Page:
        try:
            return self._parse(self.http.get(self.url, params))
        except UpstreamHTTPError as exc:
            try:
                self._parse(exc.body)
            except SourceError as explained:
                if self._explains(explained):
                    raise explained from None
            raise exc from None


def _transport_reason(exc: httpx.TransportError) -> str:
    text = str(exc).strip() or type(exc).__name__
    # httpx wraps OS errors as "[Errno 111] Connection refused": keep the readable part.
    return text.split("] ", 1)[-1] if text.startswith("[Errno") else text

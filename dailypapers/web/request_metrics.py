"""The request counters of `/metrics`: the access-log middleware records each answer, the metrics route
reports them (both import this module; a middleware never imports a route)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}  # any other is counted as "other"
LABELS = ["method", "route", "status"]  # route: the template (/papers/{arxiv_id:path}), or "unmatched"
REQUESTS = Counter(
    "dailypapers_http_requests", "Requests answered, per route template, method and status class", LABELS
)
REQUEST_SECONDS = Histogram(
    "dailypapers_http_request_duration_seconds",
    "Time to answer a request, per route template, method and status class",
    LABELS,
)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    labels = (method if method in METHODS else "other", route, f"{status // 100}xx")
    REQUESTS.labels(*labels).inc()
    REQUEST_SECONDS.labels(*labels).observe(seconds)

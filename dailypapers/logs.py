"""What a log line holds: the id of the request it was written in, plain text or one JSON object per line, and
never a full email address or an API token. `config.configure_logging()` puts these on the one handler.

The request id lives in a context variable that web/middleware/request_log.py sets for each request; every record made
while that request runs (in its task, the threads it hands work to, and the tasks it starts) carries it,
uvicorn's own error for that request included.
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
_STAMPED = "_dailypapers_request_id"  # marks our record factory, so it is installed once
# Addresses: the first character and the domain stay (enough to tell two readers apart, not to mail one).
_EMAIL = re.compile(r"\b([A-Za-z0-9])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_API_TOKEN = re.compile(r"\bdp_[A-Za-z0-9_-]{20,}")  # community/tokens.py: dp_ and 43 URL-safe characters
# The attributes every record has; anything else was passed as `extra` and belongs in a JSON line.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id", "request_tag"}


def redact(text: str) -> str:
    """`text` without a full email address (a***@example.org) or an API token (dp_***)."""
    return _API_TOKEN.sub("dp_***", _EMAIL.sub(r"\1***@\2", text))


def stamp_request_ids() -> None:
    """Give every record the id of the request it was made in (None outside requests). A record factory, not
    a handler's filter, so every handler sees the id: pytest's capture as well as ours."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, _STAMPED, False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = REQUEST_ID.get()
        return record

    setattr(factory, _STAMPED, True)
    logging.setLogRecordFactory(factory)


class TextFormatter(logging.Formatter):
    """`time LEVEL logger [request id]: message`, redacted."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(request_tag)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        record.request_tag = f" [{request_id}]" if request_id else ""
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, what the caller passed as `extra`
    (the access line's method, route, path, status, duration_ms), and the traceback if any; redacted."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            line["request_id"] = request_id
        line.update((key, value) for key, value in vars(record).items() if key not in _STANDARD)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return redact(json.dumps(line, ensure_ascii=False, default=str))

"""Log formatting: one JSON object per line for log collectors, or plain lines for a developer's terminal.

Both carry the request id (see `core.request_id`), so the lines one request wrote can be found together.
Selected with LOG_FORMAT in settings ("json" by default when DEBUG is off, "plain" otherwise).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest

from servicecycle.core.request_id import current_request_id

# Attributes every LogRecord has; anything else on a record came from `extra=` and is worth keeping.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", logging.INFO, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "request_id",
    "taskName",
}


class RequestIdFilter(logging.Filter):
    """Give each record a `request_id` attribute ("-" outside a request) for %-style formats to use."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id() or "-"
        return True


def _jsonable(value: Any) -> Any:
    """What to write for a value json cannot encode: a request as its method and path, anything else as text."""
    if isinstance(value, HttpRequest):
        return f"{value.method} {value.path}"
    return str(value)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id, exception, extras."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        if request_id in (None, "-"):
            request_id = current_request_id()
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                entry.setdefault(key, value)
        try:
            return json.dumps(entry, default=_jsonable, ensure_ascii=False)
        except (TypeError, ValueError):  # e.g. an extra that is a dict with non-string keys, or circular
            plain = {key: value if _is_json_scalar(value) else _jsonable(value) for key, value in entry.items()}
            return json.dumps(plain, ensure_ascii=False)


def _is_json_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)

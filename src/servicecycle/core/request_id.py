"""One id per request, so every log line a request causes can be found together.

The id comes from the `X-Request-ID` header when the proxy (or the caller) sent one that looks sane, otherwise a
new one is made. It lives in a context variable for the duration of the request, where the log formatter reads it,
and goes back to the caller in the `X-Request-ID` response header.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
_META_KEY = "HTTP_X_REQUEST_ID"
# What we accept from outside: short, and only characters that cannot break a log line or a header.
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

# Probes and scrapes arrive every few seconds; their access lines would drown the rest.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

_current: ContextVar[str | None] = ContextVar("servicecycle_request_id", default=None)
access_log = logging.getLogger("servicecycle.requests")


def current_request_id() -> str | None:
    """The id of the request being handled in this thread or task, or None outside a request."""
    return _current.get()


def accepted_request_id(offered: str | None) -> str:
    """The offered id when it is at most 64 characters of [A-Za-z0-9._-]; otherwise a fresh random one."""
    if offered and _SANE_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


def _forget_request_id(**_kwargs: object) -> None:
    _current.set(None)


# Django logs a 4xx/5xx response ("Forbidden: /path") after the whole middleware chain has returned, so the id
# stays bound until the response is closed (request_finished), not just until this middleware returns.
request_finished.connect(_forget_request_id, dispatch_uid="servicecycle.core.request_id.forget")


class RequestIdMiddleware:
    """Bind a request id for the request's lifetime, echo it in the response and write one access line."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = accepted_request_id(request.META.get(_META_KEY))
        _current.set(request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        response[HEADER] = request_id
        if request.path_info not in QUIET_PATHS:
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            access_log.info(
                "%s %s %s %.1fms",
                request.method,
                request.path,
                response.status_code,
                duration_ms,
                extra={
                    "http_method": request.method,
                    "http_path": request.path,
                    "http_status": response.status_code,
                    "duration_ms": duration_ms,
                },
            )
        return response

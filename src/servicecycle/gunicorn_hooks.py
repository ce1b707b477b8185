"""gunicorn settings that `servicecycle serve` loads (`--config python:servicecycle.gunicorn_hooks`).

`serve` sets Django up before gunicorn reads this module, so gunicorn's own lines (booting, worker exits,
timeouts) go through the app's logging set-up: one JSON object per line like every other line, or plain text
when LOG_FORMAT=plain. Access lines are left to the app's request log (one line per request, with its id).
"""

from __future__ import annotations

import copy
from typing import Any


def _logconfig() -> dict[str, Any]:
    from django.conf import settings

    config: dict[str, Any] = copy.deepcopy(settings.LOGGING)
    config["loggers"] = {
        **config.get("loggers", {}),
        "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
    }
    return config


logconfig_dict = _logconfig()

# Keep idle connections longer than a client's pause between clicks (gunicorn's default is 2 s): a browser or a
# proxy reusing a connection the server has just closed sees "connection reset" on a plain GET.
keepalive = 65


def child_exit(server: Any, worker: Any) -> None:
    """A worker that stopped leaves its Prometheus samples behind; mark it dead so its live gauges are dropped."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)

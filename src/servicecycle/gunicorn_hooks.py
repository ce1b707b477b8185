"""gunicorn settings that `servicecycle serve` loads (`--config python:servicecycle.gunicorn_hooks`)."""

from __future__ import annotations

from typing import Any


def child_exit(server: Any, worker: Any) -> None:
    """A worker that stopped leaves its Prometheus samples behind; mark it dead so its live gauges are dropped."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)

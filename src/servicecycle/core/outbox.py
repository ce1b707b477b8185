"""Queue background tasks inside the transaction of the change that asks for them (a transactional outbox).

Tasks live in the application's own database (django-tasks' database backend), so writing the task row in the
same transaction makes the two one unit: a rolled-back change queues nothing, and a committed change always has
its task, which ``transaction.on_commit`` could lose if the process died between the commit and the enqueue. It
is also one commit instead of two: each commit waits for the disk to flush (about 4 ms on this project's CI
machine), which was a large share of a case intake's time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django_tasks_db import DatabaseBackend


def enqueue(task: Any, /, *args: Any, run_after: datetime | None = None, **kwargs: Any) -> None:
    """Queue ``task`` with these arguments as part of the current transaction (or at once in autocommit)."""
    if not isinstance(task.get_backend(), DatabaseBackend):  # pragma: no cover - settings.TASKS says otherwise
        raise RuntimeError("core.outbox needs the database task backend: the task row must share the transaction")
    (task.using(run_after=run_after) if run_after is not None else task).enqueue(*args, **kwargs)

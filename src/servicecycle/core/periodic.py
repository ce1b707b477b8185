"""Periodic tasks, and tasks abandoned by a dead worker: both looked after by ``servicecycle worker``.

django-tasks' database worker runs queued tasks but has no schedule and, when a worker process is killed in
the middle of a task, leaves that task marked running for good. Every worker process therefore also runs a
small loop (``beat``) that, every ``WORKER_BEAT_SECONDS``:

- puts back in the queue any task that has been running longer than ``TASK_LEASE_SECONDS`` (its worker died
  or hung), so it runs again — our tasks are written to be idempotent (claims by conditional UPDATE), so
  running one twice has its effect once;
- queues each registered periodic task whose interval has passed. The interval is claimed with a
  conditional UPDATE on its ``PeriodicRun`` row, so with any number of workers each run is queued once.

Apps register their periodic tasks in their ``tasks`` module: ``periodic.register(task, every=timedelta(...))``;
the loop imports every installed app's ``tasks`` module first.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from servicecycle.core.models import PeriodicRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    task: Any  # a django-tasks Task
    every: timedelta
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.task.module_path


_PERIODIC: dict[str, Periodic] = {}


def register(task: Any, *, every: timedelta, **kwargs: Any) -> None:
    periodic = Periodic(task=task, every=every, kwargs=kwargs)
    _PERIODIC[periodic.name] = periodic


def registered() -> list[Periodic]:
    return sorted(_PERIODIC.values(), key=lambda p: p.name)


def sweep(
    ids: Iterable[int],
    *,
    handle: Callable[[int], Any],
    postpone: Callable[[int], object],
    counts: dict[str, int],
    what: str,
    logger: logging.Logger,
) -> dict[str, int]:
    """The loop of a deadline sweep: ``handle`` each id and count the ``event`` of what it returns (None: nothing).

    An id whose handling fails is logged, ``postpone``d and counted as ``failed``, so one bad row never stops the
    sweep or makes it loop.
    """
    for pk in ids:
        try:
            handled = handle(pk)
        except Exception:
            logger.exception("deadline of %s %s could not be handled; trying again later", what, pk)
            postpone(pk)
            counts["failed"] += 1
            continue
        if handled is not None:
            counts[handled.event] += 1
    return counts


def enqueue_due(now: datetime | None = None) -> list[str]:
    """Queue every periodic task whose interval has passed; returns the names queued by this call."""
    now = now or timezone.now()
    queued = []
    for periodic in registered():
        PeriodicRun.objects.get_or_create(name=periodic.name, defaults={"last_enqueued_at": now - periodic.every})
        claimed = PeriodicRun.objects.filter(name=periodic.name, last_enqueued_at__lte=now - periodic.every).update(
            last_enqueued_at=now
        )
        if claimed:
            periodic.task.enqueue(**periodic.kwargs)
            queued.append(periodic.name)
    return queued


def requeue_abandoned(now: datetime | None = None) -> int:
    """Put tasks running longer than the lease back in the queue; returns how many."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    lease = timedelta(seconds=settings.TASK_LEASE_SECONDS)
    stale = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=now - lease)
    count = stale.update(status=TaskResultStatus.READY, started_at=None)
    if count:
        log.warning("put %d abandoned task(s) back in the queue (running longer than %s)", count, lease)
    return count


def beat_once() -> None:
    try:
        requeue_abandoned()
        enqueue_due()
    except Exception:  # the loop must outlive a database restart
        log.exception("periodic beat failed; trying again at the next beat")
    finally:
        close_old_connections()


def beat(stop: threading.Event) -> None:
    autodiscover_modules("tasks")
    while not stop.is_set():
        beat_once()
        stop.wait(settings.WORKER_BEAT_SECONDS)


def start_beat() -> threading.Event:
    """Run the beat in a daemon thread of this process; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=beat, args=(stop,), name="servicecycle-beat", daemon=True).start()
    return stop

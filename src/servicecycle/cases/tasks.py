"""Background work for cases: the per-case deadline check and the periodic sweep (the safety net).

Both call the same action, ``actions.handle_deadline``, which claims a case with a conditional UPDATE, so any
number of workers, scheduled checks and sweeps can run side by side and each warning or escalation is recorded
once. Tests call these with ``.call()`` (or the task's ``func``), without a worker.
"""

from __future__ import annotations

import logging

from django.utils import timezone
from django_tasks import task

from servicecycle.cases import actions

log = logging.getLogger(__name__)


@task()
def check_case_deadline(case_id: int) -> str:
    """Scheduled at the case's next warning or due instant; returns what was recorded ("" when nothing was due)."""
    handled = actions.handle_deadline(case_id=case_id)
    return handled.event if handled else ""


@task()
def sweep_case_deadlines(limit: int = 500) -> dict[str, int]:
    """Handle every open, unpaused case whose warning or due instant has passed and was not handled yet.

    A case whose handling fails has its passed instants moved a few minutes ahead (and the error logged),
    so one bad row never stops the sweep or makes it loop.
    """
    now = timezone.now()
    counts = {"warning": 0, "breached": 0, "failed": 0}
    for case_id in actions.due_case_ids(now, limit):
        try:
            handled = actions.handle_deadline(case_id=case_id, now=now)
        except Exception:
            log.exception("deadline of case %s could not be handled; trying again later", case_id)
            actions.postpone(case_id, now)
            counts["failed"] += 1
            continue
        if handled is not None:
            counts[handled.event] += 1
    return counts

"""Background work for promises: the per-promise deadline check and the periodic sweep (the safety net).

Both call ``actions.handle_promise_deadline``, which claims its work with a conditional UPDATE, so any number of
workers, scheduled checks and sweeps can run side by side and each escalation, risk notice and break is recorded
once. The sweep is registered with ``core.periodic`` (like the case deadline sweep): every worker's beat queues
it every five minutes, once across all workers; ``manage sweep_promises`` runs it by hand.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from servicecycle.core import periodic
from servicecycle.promises import actions, figures

log = logging.getLogger(__name__)


@task()
def check_promise(promise_id: int) -> str:
    """Scheduled at the promise's next instant; returns what was recorded ("" when nothing was due)."""
    handled = actions.handle_promise_deadline(promise_id=promise_id)
    return handled.event if handled else ""


@task()
def sweep_promises(limit: int = 500) -> dict[str, int]:
    """Handle every promise whose confirmation target, risk instant or due time has passed unhandled.

    A promise whose handling fails has its passed instants moved a few minutes ahead (and the error logged),
    so one bad row never stops the sweep or makes it loop.
    """
    now = timezone.now()
    counts = {"escalated": 0, "at_risk": 0, "broken": 0, "failed": 0}
    return periodic.sweep(
        actions.due_promise_ids(now, limit),
        handle=lambda pk: actions.handle_promise_deadline(promise_id=pk, now=now),
        postpone=lambda pk: actions.postpone(pk, now),
        counts=counts,
        what="promise",
        logger=log,
    )


# the safety net: every worker's beat queues the sweep every five minutes (once across all workers)
periodic.register(sweep_promises, every=timedelta(minutes=5))


@task()
def reconcile_promise_figures(days: int = figures.RECONCILE_DAYS) -> int:
    """Count the kept-rate summary of the last few days (and of recently updated promises) again; returns the
    number of days recounted.

    Not a repair of the app's own writes: each of them refreshes the summary inside its own transaction, so the
    summary and the promises never disagree for them. This is for rows written outside the app (bulk imports,
    manual SQL), which bypass the actions; ``manage rebuild_promise_figures`` recounts everything.
    """
    return figures.reconcile_recent(days=days)


# once a day, once across all workers
periodic.register(reconcile_promise_figures, every=timedelta(days=1))

"""Background work for cases: the per-case deadline check and the periodic sweep (the safety net).

Both call the same action, ``actions.handle_deadline``, which claims a case with a conditional UPDATE, so any
number of workers, scheduled checks and sweeps can run side by side and each warning or escalation is recorded
once. Tests call these with ``.call()`` (or the task's ``func``), without a worker.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from servicecycle.cases import actions
from servicecycle.core import periodic

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
    return periodic.sweep(
        actions.due_case_ids(now, limit),
        handle=lambda pk: actions.handle_deadline(case_id=pk, now=now),
        postpone=lambda pk: actions.postpone(pk, now),
        counts=counts,
        what="case",
        logger=log,
    )


# the safety net: every worker's beat queues the sweep every five minutes (once across all workers)
periodic.register(sweep_case_deadlines, every=timedelta(minutes=5))


@task()
def fetch_case_mail() -> dict[str, dict[str, int]]:
    """Read every mailbox of ``CASE_MAILBOXES`` into cases (see ``cases.inbound``); one failing mailbox (server
    down, wrong password) is logged and the others are still read. Returns what each mailbox gave."""
    from servicecycle.cases import inbound

    results: dict[str, dict[str, int]] = {}
    for mailbox in inbound.configured_mailboxes():
        try:
            results[mailbox.label] = inbound.fetch(mailbox).as_dict()
        except Exception:
            log.exception("case mailbox %s could not be read; trying again on the next run", mailbox.label)
            results[mailbox.label] = {"failed": 1}
    return results


def _register_mail_fetch() -> None:
    from datetime import timedelta

    from django.conf import settings

    from servicecycle.core import periodic

    if getattr(settings, "CASE_MAILBOXES", None):
        periodic.register(fetch_case_mail, every=timedelta(seconds=settings.CASE_MAIL_EVERY_SECONDS))


# configured mailboxes are read every CASE_MAIL_EVERY_SECONDS (two minutes by default) by the workers' beat
_register_mail_fetch()

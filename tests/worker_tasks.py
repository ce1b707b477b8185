"""A slow task for the worker-recovery test (tests/core/test_worker_recovery.py), run by a real worker process.

It wraps the real deadline check of a case, with pauses before and after it so the test can kill the worker
in the middle; ``prepare`` builds an organization with a case whose acknowledgement target passed long ago.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from servicecycle.cases import actions


@task()
def slow_deadline_check(case_id: int, before: float, after: float) -> str:
    time.sleep(before)
    handled = actions.handle_deadline(case_id=case_id)
    time.sleep(after)
    return handled.event if handled else ""


def prepare(before: float, after: float) -> int:
    """A breached case and the slow check queued for it; returns the case id."""
    from django_tasks_db.models import DBTaskResult

    from tests import factories
    from tests.cases import builders

    w = factories.world()
    builders.policy(w.manager, acknowledgement=1)
    case = builders.complaint(w, received_at=timezone.now() - timedelta(days=8)).case
    DBTaskResult.objects.all().delete()  # the case's own deadline check would do the work: only the slow one runs
    slow_deadline_check.enqueue(case_id=case.pk, before=before, after=after)
    return case.pk

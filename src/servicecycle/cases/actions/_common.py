"""Helpers shared by the case actions: locking, the transition table, the version check and saving."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import F
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from servicecycle.accounts.models import Staff
from servicecycle.accounts.permissions import require
from servicecycle.cases import sla
from servicecycle.cases.models import Case, Status
from servicecycle.core import audit, outbox
from servicecycle.core.errors import DomainError

OPEN = frozenset(Case.OPEN_STATUSES)
WORKING = frozenset({Status.ACKNOWLEDGED, Status.ASSESSED, Status.INVESTIGATING, Status.REOPENED})

# step -> statuses it may start from (the ISO 10002 flow; re-assessing and re-assigning stay possible while open)
TRANSITIONS: dict[str, frozenset[str]] = {
    "acknowledge": frozenset({Status.RECEIVED}),
    "assess": WORKING,
    "assign": OPEN - {Status.COMMUNICATED},
    "add_message": OPEN,
    "decide_response": frozenset({Status.INVESTIGATING, Status.REOPENED}),
    "communicate": frozenset({Status.RESPONSE_DECIDED}),
    "close": frozenset({Status.COMMUNICATED}),
    "close_without_response": OPEN,  # suggestions, compliments and questions need no decided response
    "reopen": frozenset({Status.CLOSED}),
    "wait_for_customer": OPEN - {Status.RECEIVED},
    "resume": OPEN,
    "customer_add_information": OPEN,
    "rate_satisfaction": frozenset({Status.CLOSED}),
    "escalate": OPEN,
}

STEP_NAMES = {
    "acknowledge": gettext_noop("acknowledged"),
    "assess": gettext_noop("assessed"),
    "assign": gettext_noop("assigned"),
    "add_message": gettext_noop("answered"),
    "decide_response": gettext_noop("given a decided response"),
    "communicate": gettext_noop("communicated"),
    "close": gettext_noop("closed"),
    "close_without_response": gettext_noop("closed"),
    "reopen": gettext_noop("reopened"),
    "wait_for_customer": gettext_noop("put on hold for the customer"),
    "resume": gettext_noop("resumed"),
    "customer_add_information": gettext_noop("given more information"),
    "rate_satisfaction": gettext_noop("rated"),
    "escalate": gettext_noop("escalated"),
}


def step_not_allowed_message(step: str, status: str) -> str:
    return _("This case is “%(status)s”, so it cannot be %(step)s now.") % {
        "status": Status(status).label,
        "step": _(STEP_NAMES[step]),
    }


def allow(case: Case, step: str) -> None:
    if case.status not in TRANSITIONS[step]:
        raise DomainError(step_not_allowed_message(step, case.status), field="status")


def require_worker(acting_user: Any, case: Case) -> Staff:
    """The acting staff member when they may work cases of the case's organization (404 for other organizations)."""
    staff = require(acting_user, "case.work")
    if staff.organization_id != case.organization_id:
        raise Http404
    return staff


def locked(case: Case) -> Case:
    """The case re-read under a row lock, so concurrent steps on it run one after the other."""
    try:
        return Case.objects.select_for_update().select_related("organization").get(pk=case.pk)
    except Case.DoesNotExist:
        raise Http404 from None


def save_step(
    *,
    acting_user: Any,
    case: Case,
    verb: str,
    changes: dict[str, Any],
    now: datetime,
    fields: list[str],
    extra: dict[str, Any] | None = None,
) -> Case:
    """Recompute the SLA columns, bump the version, save the given fields, audit, and schedule the deadline check."""
    before_check = sla.next_check_at(case)
    sla_changes = sla.apply_deadlines(case, now)
    case.version = F("version") + 1  # type: ignore[assignment]
    case.save(update_fields=sorted({*fields, *sla_changes, "version", "updated_at"}))
    case.refresh_from_db(fields=["version"])
    audit.record(
        actor=acting_user,
        organization_id=case.organization_id,
        verb=verb,
        obj=case,
        changes={**changes, **sla_changes, **(extra or {})},
    )
    schedule_check(case, before_check)
    return case


def schedule_check(case: Case, before: datetime | None) -> None:
    """Queue (with the change) the deadline task for the case's next warning or due instant when it moved."""
    when = sla.next_check_at(case)
    if when is None or when == before:
        return
    from servicecycle.cases.tasks import check_case_deadline

    outbox.enqueue(check_case_deadline, case.pk, run_after=when)

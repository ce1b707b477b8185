"""SLA warnings and escalations, and recomputing stored deadlines when the calendar or a policy changes.

Escalation levels: 0 none; 1 the team lead(s) of the case's team (the service's owner team when the case has no
team); 2 the organization's service managers (administrators when it has none). The first breached target
escalates to level 1, a later breached target (or a manual escalation from level 1) to level 2.

Who is told is written into the audit event (``notify_staff_ids``); ``cases.mail`` puts it under their bell and
emails them, each in their own language.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicecycle.accounts.models import Organization, Role, Staff
from servicecycle.cases import mail as case_mail
from servicecycle.cases import sla
from servicecycle.cases.actions._common import allow, locked, require_worker, save_step, schedule_check
from servicecycle.cases.models import Case, SlaState
from servicecycle.core import audit
from servicecycle.core.changes import check_version
from servicecycle.core.errors import DomainError
from servicecycle.core.validation import fail

log = logging.getLogger(__name__)

MAX_LEVEL = 2
RETRY_DELAY = timedelta(minutes=5)


def managers_of(organization_id: int) -> list[Staff]:
    """Level 2: the service managers, or the administrators when there are none."""
    managers = list(Staff.objects.filter(organization_id=organization_id, role=Role.MANAGER).order_by("pk"))
    return managers or list(Staff.objects.filter(organization_id=organization_id, role=Role.ADMIN).order_by("pk"))


def team_leads_of(case: Case) -> list[Staff]:
    """Level 1: the team leads of the case's team, or of the service's owner team when no team is set."""
    team_id = case.team_id or case.service.owner_team_id
    return list(Staff.objects.filter(teams__id=team_id, role=Role.TEAM_LEAD).order_by("pk"))


def warned_staff(case: Case) -> list[Staff]:
    """A warning goes to the assignee, or to the members of the case's team when nobody is assigned."""
    if case.assignee_id is not None:
        return [case.assignee] if case.assignee else []
    if case.team_id is not None:
        return list(Staff.objects.filter(teams__id=case.team_id).exclude(role=Role.VIEWER).order_by("pk"))
    return team_leads_of(case)


def recipients_for(case: Case, level: int) -> list[Staff]:
    if level >= MAX_LEVEL:
        return managers_of(case.organization_id)
    if level == 1:
        return team_leads_of(case) or managers_of(case.organization_id)
    return warned_staff(case)


@dataclass(frozen=True)
class Handled:
    case_id: int
    event: str  # "warning" or "breached"
    level: int


def _what_is_due(case: Case, now: datetime) -> tuple[str, int] | None:
    if not case.is_open or case.sla_state not in Case.TIMED_STATES:
        return None
    if case.due_at is not None and case.due_at <= now:
        return SlaState.BREACHED, min(case.escalation_level + 1, MAX_LEVEL)
    if case.sla_state == SlaState.ON_TRACK and case.warn_at is not None and case.warn_at <= now:
        return SlaState.WARNING, case.escalation_level
    return None


@transaction.atomic
def handle_deadline(*, acting_user: None = None, case_id: int, now: datetime | None = None) -> Handled | None:
    """Record the warning or the breach escalation of one case whose stored instant has passed.

    The case is claimed with a conditional UPDATE on the state it was read in: only one worker's update
    matches, so a warning or an escalation is recorded once however many sweeps and deadline tasks run.
    """
    now = now or timezone.now()
    case = Case.objects.select_related("organization", "service", "assignee", "team").filter(pk=case_id).first()
    if case is None:
        return None
    due = _what_is_due(case, now)
    if due is None:
        return None
    new_state, new_level = due
    claimed = Case.objects.filter(
        pk=case.pk, sla_state=case.sla_state, escalation_level=case.escalation_level, sla_target=case.sla_target
    ).update(sla_state=new_state, escalation_level=new_level, sla_warned=True)
    if claimed != 1:
        return None
    old_state, old_level = case.sla_state, case.escalation_level
    case.sla_state, case.escalation_level, case.sla_warned = new_state, new_level, True
    if new_state == SlaState.WARNING:
        notify = recipients_for(case, 0)
        verb = "case.sla_warning"
    else:
        notify = recipients_for(case, new_level)
        verb = "case.escalated"
    audit.record(
        actor=None,
        organization_id=case.organization_id,
        verb=verb,
        obj=case,
        changes={
            "sla_state": [old_state, new_state],
            "escalation_level": [old_level, new_level],
            "sla_target": case.sla_target,
            "warn_at": case.warn_at,
            "due_at": case.due_at,
            "notify_staff_ids": [s.pk for s in notify],
        },
    )
    if new_state == SlaState.WARNING:
        case_mail.sla_warning(case, notify)
        schedule_check(case, case.warn_at)
    else:
        case_mail.escalated(case, notify)
    return Handled(case_id=case.pk, event=new_state, level=new_level)


def due_case_ids(now: datetime, limit: int = 500) -> list[int]:
    """Open, timed cases whose warning or due instant has passed and was not handled yet (the partial indexes)."""
    from django.db.models import Q

    timed = Case.objects.filter(status__in=Case.OPEN_STATUSES, sla_state__in=Case.TIMED_STATES)
    return list(
        timed.filter(Q(due_at__lte=now) | Q(sla_state=SlaState.ON_TRACK, warn_at__lte=now))
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def postpone(case_id: int, now: datetime) -> None:
    """After a failure, move the passed instants of a case a little ahead so the sweep does not loop on it."""
    later = now + RETRY_DELAY
    Case.objects.filter(pk=case_id, warn_at__lte=now).update(warn_at=later)
    Case.objects.filter(pk=case_id, due_at__lte=now).update(due_at=later)


@transaction.atomic
def escalate(*, acting_user: Any, case: Case, reason: str, expected_version: int | None = None) -> Case:
    """A staff member raises the case one level (team lead, then managers) without waiting for a breach."""
    case = locked(case)
    require_worker(acting_user, case)
    check_version(case, expected_version)
    allow(case, "escalate")
    reason = str(reason or "").strip()
    if not reason:
        raise fail("reason", _("Say why the case needs escalating."))
    if case.escalation_level >= MAX_LEVEL:
        raise DomainError(_("The case is already escalated to the managers."), field="escalation_level")
    old = case.escalation_level
    case.escalation_level = old + 1
    notify = recipients_for(case, case.escalation_level)
    case = save_step(
        acting_user=acting_user,
        case=case,
        verb="case.escalated",
        changes={"escalation_level": [old, case.escalation_level], "reason": reason},
        extra={"notify_staff_ids": [s.pk for s in notify]},
        now=timezone.now(),
        fields=["escalation_level"],
    )
    case_mail.escalated(case, notify, reason=reason)
    return case


@transaction.atomic
def recompute_open_deadlines(
    organization: Organization, *, kind: str | None = None, priority: str | None = None
) -> int:
    """Recompute the stored deadlines of the organization's open cases (after its calendar or a policy changed).

    Returns how many cases' deadlines moved. Versions are not bumped: nobody's edit is overwritten by this.
    """
    now = timezone.now()
    cases = Case.objects.select_for_update().filter(organization=organization, status__in=Case.OPEN_STATUSES)
    if kind is not None:
        cases = cases.filter(kind=kind)
    if priority is not None:
        cases = cases.filter(priority=priority)
    moved = 0
    calendar = sla.calendar_for(organization)
    for case in cases.select_related("organization"):
        before = sla.next_check_at(case)
        changes = sla.apply_deadlines(case, now, calendar)
        if changes:
            case.save(update_fields=[*changes, "updated_at"])
            schedule_check(case, before)
            moved += 1
    if moved:
        audit.record(
            actor=None,
            organization_id=organization.pk,
            verb="cases.deadlines_recomputed",
            obj=organization,
            changes={"cases": moved, "kind": kind or "", "priority": priority or ""},
        )
    return moved


def clock_changed(sender: Any, organization: Organization, **kwargs: Any) -> None:
    """The organization's business clock changed: its open cases' deadlines follow at once (same transaction)."""
    recompute_open_deadlines(organization)

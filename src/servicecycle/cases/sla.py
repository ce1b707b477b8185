"""The stored SLA deadlines of a case, computed on the organization's business clock.

Targets come from the organization's SlaPolicy for the case's kind and priority, in business minutes:

* acknowledgement, met by ``acknowledged_at``, counted from receipt;
* first response, met by ``first_response_at`` (the first public reply), counted from receipt;
* resolution, met by ``resolved_at`` (the response communicated), counted from receipt, or from the last
  reopening once the customer has disputed the outcome.

The case stores the *next* unmet target (the one due first), its warning (80 %) and due instants, and a state.
The state says what has already been handled for that target, not what the clock says now: a target whose
instant has passed stays ``on_track`` until the sweep claims it and records the warning or the breach. That is
what keeps a warning from being sent twice when an unrelated edit recomputes the deadlines. ``sla_warned``
remembers that the current target's warning was recorded, across a pause (while paused the state reads
``paused``), so resuming does not warn again.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from servicecycle.accounts.models import CalendarDate, Organization, WorkingInterval
from servicecycle.cases.models import Case, CasePause, SlaPolicy, SlaState, SlaTarget
from servicecycle.core import clock

TARGET_ORDER = (SlaTarget.ACKNOWLEDGEMENT, SlaTarget.FIRST_RESPONSE, SlaTarget.RESOLUTION)
SLA_FIELDS = ("sla_target", "warn_at", "due_at", "sla_state", "sla_warned")


# The calendar and the SLA policies are read on every intake and every deadline computation but change rarely:
# each process keeps them per organization and settings stamp (renewed by every change to either, see
# Organization.settings_stamp, random from the organization's creation on, so a new organization that reuses an
# id (a rolled-back test, a restored database) never meets an older one's copy).
_SETTINGS_CACHE = 512


def _key(organization: Organization) -> tuple[Any, ...]:
    return (
        organization.pk,
        organization.settings_stamp,
        organization.time_zone,
        organization.holiday_country,
        organization.holiday_subdivision,
    )


@functools.lru_cache(maxsize=_SETTINGS_CACHE)
def _calendar(key: tuple[Any, ...]) -> clock.Calendar:
    organization_id, _stamp, time_zone, country, subdivision = key
    return clock.calendar_from_rows(
        time_zone,
        WorkingInterval.objects.filter(organization_id=organization_id).values_list("weekday", "opens", "closes"),
        country,
        subdivision,
        CalendarDate.objects.filter(organization_id=organization_id).values_list("date", "kind"),
    )


@functools.lru_cache(maxsize=_SETTINGS_CACHE)
def _policies(key: tuple[Any, ...]) -> dict[tuple[str, str], SlaPolicy]:
    return {(p.kind, p.priority): p for p in SlaPolicy.objects.filter(organization_id=key[0])}


def calendar_for(organization: Organization) -> clock.Calendar:
    """The organization's working calendar: weekly intervals, time zone, public holidays and own dates."""
    return _calendar(_key(organization))


def policies_for(organization: Organization) -> list[SlaPolicy]:
    """Every SLA policy of the organization."""
    return list(_policies(_key(organization)).values())


def policy_for(case: Case) -> SlaPolicy | None:
    return _policies(_key(case.organization)).get((case.kind, case.priority))


def pauses_of(case: Case) -> list[tuple[datetime, datetime | None]]:
    if case.pk is None:  # a case being received has no pauses yet
        return []
    return list(CasePause.objects.filter(case=case).order_by("started_at").values_list("started_at", "ended_at"))


def _start_and_met(case: Case, target: str) -> tuple[datetime, datetime | None]:
    if target == SlaTarget.ACKNOWLEDGEMENT:
        return case.received_at, case.acknowledged_at
    if target == SlaTarget.FIRST_RESPONSE:
        return case.received_at, case.first_response_at
    return case.reopened_at or case.received_at, case.resolved_at


@dataclass(frozen=True)
class Deadline:
    target: str
    warn_at: datetime | None
    due_at: datetime | None  # None: paused before this target ran out


def pending_deadlines(
    case: Case,
    policy: SlaPolicy | None,
    calendar: clock.Calendar,
    pauses: list[tuple[datetime, datetime | None]],
) -> list[Deadline]:
    """The deadlines of the targets the case has not met yet (empty when none is set or all are met)."""
    if policy is None:
        return []
    found = []
    for target in TARGET_ORDER:
        minutes = policy.minutes_for(target)
        start, met_at = _start_and_met(case, target)
        if minutes is None or met_at is not None:
            continue
        seconds = minutes * 60
        found.append(
            Deadline(
                target=target,
                warn_at=clock.warning_at(calendar, start, seconds, pauses),
                due_at=clock.due_at(calendar, start, seconds, pauses),
            )
        )
    return found


def has_any_target(policy: SlaPolicy | None) -> bool:
    return policy is not None and any(policy.minutes_for(t) is not None for t in TARGET_ORDER)


def apply_deadlines(case: Case, now: datetime, calendar: clock.Calendar | None = None) -> dict[str, list[object]]:
    """Recompute the stored SLA columns of the case in memory; return the changed ones as {field: [old, new]}."""
    before = {name: getattr(case, name) for name in SLA_FIELDS}
    policy = policy_for(case)
    if not case.is_open or not has_any_target(policy):
        case.sla_target, case.warn_at, case.due_at, case.sla_warned = "", None, None, False
        if not has_any_target(policy):
            case.sla_state = SlaState.NONE
        else:  # a closed case keeps the record of whether any target was breached (escalated) on the way
            case.sla_state = SlaState.BREACHED if case.escalation_level else SlaState.MET
        return _changes(before, case)
    pending = pending_deadlines(case, policy, calendar or calendar_for(case.organization), pauses_of(case))
    if not pending:
        case.sla_target, case.warn_at, case.due_at, case.sla_warned = "", None, None, False
        case.sla_state = SlaState.MET
        return _changes(before, case)
    known = [d for d in pending if d.due_at is not None]
    if not known:  # every pending target is waiting on the customer: deadline unknown until resumed
        case.sla_warned = case.sla_warned and before["sla_target"] == pending[0].target
        case.sla_target, case.warn_at, case.due_at = pending[0].target, None, None
        case.sla_state = SlaState.PAUSED
        return _changes(before, case)
    nearest = min(known, key=lambda d: d.due_at or now)
    same_target = before["sla_target"] == nearest.target
    state = SlaState.ON_TRACK
    # what was already handled for this target stays handled while its instant is still behind us
    if (
        same_target
        and before["sla_state"] == SlaState.BREACHED
        and nearest.due_at is not None
        and nearest.due_at <= now
    ):
        state = SlaState.BREACHED
    elif same_target and case.sla_warned and nearest.warn_at is not None and nearest.warn_at <= now:
        state = SlaState.WARNING
    case.sla_warned = same_target and case.sla_warned
    case.sla_target, case.warn_at, case.due_at, case.sla_state = nearest.target, nearest.warn_at, nearest.due_at, state
    return _changes(before, case)


def _changes(before: dict[str, object], case: Case) -> dict[str, list[object]]:
    return {name: [old, getattr(case, name)] for name, old in before.items() if getattr(case, name) != old}


def next_check_at(case: Case) -> datetime | None:
    """When the deadline task should look at the case next: its warning, else its due instant, else never."""
    if not case.is_open:
        return None
    if case.sla_state == SlaState.ON_TRACK and case.warn_at is not None:
        return case.warn_at
    if case.sla_state in (SlaState.ON_TRACK, SlaState.WARNING):
        return case.due_at
    return None

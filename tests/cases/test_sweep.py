"""Warnings at 80 % and escalations at breach, found by the sweep and the per-case deadline task.

The organization works 09:00-18:00 Monday to Friday in London. Time is frozen with time-machine; the tasks are
called synchronously (no worker).
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from servicecycle.accounts import actions as accounts
from servicecycle.cases import actions
from servicecycle.cases.actions import deadlines
from servicecycle.cases.models import Case
from servicecycle.cases.tasks import check_case_deadline, sweep_case_deadlines
from servicecycle.core.errors import DomainError, ValidationFailed
from servicecycle.core.models import AuditEvent
from tests.cases import builders
from tests.factories import World

LONDON = ZoneInfo("Europe/London")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


@pytest.fixture
def london(world: World) -> World:
    accounts.update_organization(
        acting_user=world.admin.user, organization=world.org, time_zone="Europe/London", holiday_country="GB"
    )
    world.org.refresh_from_db()
    # acknowledge within 1 business hour, resolve within 10
    builders.policy(world.manager, acknowledgement=60, resolution=600)
    return world


def _monday_case(w: World, assign: bool = True) -> Case:
    with time_machine.travel(local(2026, 4, 20, 9, 0), tick=False):
        case = builders.complaint(w).case
        if assign:
            case = actions.assign(acting_user=w.agent.user, case=case, assignee_id=w.agent.pk)
    return case


def _sweep_at(moment: datetime) -> dict[str, int]:
    with time_machine.travel(moment, tick=False):
        return sweep_case_deadlines.call()


def _events(case: Case, verb: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(verb=verb, object_id=case.pk).order_by("id"))


def test_nothing_happens_before_the_warning(london: World) -> None:
    case = _monday_case(london)
    assert _sweep_at(local(2026, 4, 20, 9, 47)) == {"warning": 0, "breached": 0, "failed": 0}
    assert builders.fresh(case).sla_state == Case.SlaState.ON_TRACK


def test_the_assignee_is_warned_once_at_80_percent(london: World) -> None:
    case = _monday_case(london)
    assert _sweep_at(local(2026, 4, 20, 9, 48)) == {"warning": 1, "breached": 0, "failed": 0}
    assert _sweep_at(local(2026, 4, 20, 9, 49)) == {"warning": 0, "breached": 0, "failed": 0}
    (warning,) = _events(case, "case.sla_warning")
    assert warning.changes["notify_staff_ids"] == [london.agent.pk]
    assert warning.changes["sla_target"] == "acknowledgement"
    assert warning.changes["sla_state"] == ["on_track", "warning"]
    assert builders.fresh(case).sla_state == Case.SlaState.WARNING


def test_an_unassigned_case_warns_its_team(london: World) -> None:
    with time_machine.travel(local(2026, 4, 20, 9, 0), tick=False):
        case = builders.complaint(london).case
        actions.assign(acting_user=london.agent.user, case=case, team_id=london.other_team.pk)
    _sweep_at(local(2026, 4, 20, 9, 50))
    (warning,) = _events(case, "case.sla_warning")
    assert set(warning.changes["notify_staff_ids"]) == {london.lead_other.pk, london.agent.pk}


def test_breaches_escalate_to_the_team_lead_then_the_managers_once_per_level(london: World) -> None:
    case = _monday_case(london)
    _sweep_at(local(2026, 4, 20, 9, 48))  # warning
    assert _sweep_at(local(2026, 4, 20, 10, 0))["breached"] == 1
    assert _sweep_at(local(2026, 4, 20, 10, 1))["breached"] == 0
    stored = builders.fresh(case)
    assert (stored.sla_state, stored.escalation_level) == (Case.SlaState.BREACHED, 1)
    (first,) = _events(case, "case.escalated")
    # the case has no team, so the team lead of the service's owner team hears of it
    assert first.changes["notify_staff_ids"] == [london.lead.pk]
    assert first.changes["escalation_level"] == [0, 1]
    assert first.actor is None

    with time_machine.travel(local(2026, 4, 20, 10, 30), tick=False):
        case = actions.acknowledge(acting_user=london.agent.user, case=case)
    # the resolution target (10 business hours from Monday 09:00) is next: Tuesday 10:00
    assert (case.sla_target, case.sla_state, case.due_at) == ("resolution", "on_track", local(2026, 4, 21, 10, 0))
    assert _sweep_at(local(2026, 4, 21, 10, 0)) == {"warning": 0, "breached": 1, "failed": 0}
    assert _sweep_at(local(2026, 4, 21, 10, 0)) == {"warning": 0, "breached": 0, "failed": 0}
    stored = builders.fresh(case)
    assert (stored.sla_state, stored.escalation_level) == (Case.SlaState.BREACHED, 2)
    first, second = _events(case, "case.escalated")
    assert second.changes["notify_staff_ids"] == [london.manager.pk]
    assert second.changes["escalation_level"] == [1, 2]
    assert second.changes["sla_target"] == "resolution"
    # an unrelated edit does not reset what was already handled
    with time_machine.travel(local(2026, 4, 21, 11, 0), tick=False):
        actions.add_message(acting_user=london.agent.user, case=case, kind="internal_note", body="Chasing")
    assert builders.fresh(case).sla_state == Case.SlaState.BREACHED
    assert _sweep_at(local(2026, 4, 21, 12, 0))["breached"] == 0
    with time_machine.travel(local(2026, 4, 21, 13, 0), tick=False):
        closed = builders.closed(london, builders.fresh(case))
    assert closed.sla_state == Case.SlaState.BREACHED  # the record that a target was missed stays after closing


def test_the_deadline_task_and_the_sweep_together_record_a_breach_once(london: World) -> None:
    case = _monday_case(london)
    with time_machine.travel(local(2026, 4, 20, 10, 5), tick=False):
        assert check_case_deadline.call(case.pk) == "breached"
        assert check_case_deadline.call(case.pk) == ""
        assert sweep_case_deadlines.call()["breached"] == 0
    assert len(_events(case, "case.escalated")) == 1
    assert _events(case, "case.sla_warning") == []  # past both instants: the breach alone is recorded


def test_a_worker_that_is_beaten_to_the_claim_records_nothing(london: World) -> None:
    case = _monday_case(london)
    real = deadlines._what_is_due
    calls: list[int] = []

    def other_worker_claims_in_between(read: Case, now: datetime) -> Any:
        calls.append(1)
        decision = real(read, now)  # this worker decided on the state it read...
        if len(calls) == 1:  # ...and another worker claims the case before this one's update
            assert actions.handle_deadline(case_id=read.pk, now=now) is not None
        return decision

    with pytest.MonkeyPatch.context() as mp, time_machine.travel(local(2026, 4, 20, 10, 5), tick=False):
        mp.setattr(deadlines, "_what_is_due", other_worker_claims_in_between)
        assert actions.handle_deadline(case_id=case.pk) is None
    assert len(calls) == 2
    assert len(_events(case, "case.escalated")) == 1
    assert builders.fresh(case).escalation_level == 1


def test_a_paused_case_is_not_swept(london: World) -> None:
    case = _monday_case(london)
    with time_machine.travel(local(2026, 4, 20, 9, 0), tick=False):
        case = actions.acknowledge(acting_user=london.agent.user, case=case)
    with time_machine.travel(local(2026, 4, 20, 9, 30), tick=False):
        actions.wait_for_customer(acting_user=london.agent.user, case=case)
    assert _sweep_at(local(2026, 4, 28, 9, 0)) == {"warning": 0, "breached": 0, "failed": 0}
    assert builders.fresh(case).sla_state == Case.SlaState.PAUSED


def test_a_case_that_fails_is_pushed_forward_and_the_others_are_handled(london: World) -> None:
    bad = _monday_case(london)
    good = _monday_case(london)
    real = deadlines.recipients_for

    def broken(case: Case, level: int) -> Any:
        if case.pk == bad.pk:
            raise RuntimeError("mail directory unavailable")
        return real(case, level)

    now = local(2026, 4, 20, 10, 0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(deadlines, "recipients_for", broken)
        assert _sweep_at(now) == {"warning": 0, "breached": 1, "failed": 1}
        assert _sweep_at(now) == {"warning": 0, "breached": 0, "failed": 0}  # not retried in a loop
    stored = builders.fresh(bad)
    assert (stored.sla_state, stored.escalation_level) == (Case.SlaState.ON_TRACK, 0)
    assert stored.due_at == now + timedelta(minutes=5)
    assert _events(bad, "case.escalated") == []
    assert builders.fresh(good).escalation_level == 1
    assert _sweep_at(now + timedelta(minutes=5))["breached"] == 1
    assert builders.fresh(bad).escalation_level == 1


def test_after_a_warning_the_check_is_queued_for_the_due_instant(
    london: World, django_capture_on_commit_callbacks: Any
) -> None:
    case = _monday_case(london)
    queued_before = list(DBTaskResult.objects.values_list("pk", flat=True))  # the intake's check and mail
    with time_machine.travel(local(2026, 4, 20, 9, 50), tick=False), django_capture_on_commit_callbacks(execute=True):
        assert check_case_deadline.call(case.pk) == "warning"
    queued = DBTaskResult.objects.exclude(pk__in=queued_before).get(
        task_path="servicecycle.cases.tasks.check_case_deadline"
    )
    assert queued.run_after == local(2026, 4, 20, 10, 0)


def test_staff_escalate_by_hand_one_level_at_a_time(london: World) -> None:
    case = _monday_case(london)
    with pytest.raises(ValidationFailed) as no_reason:
        actions.escalate(acting_user=london.agent.user, case=case, reason=" ")
    assert (no_reason.value.field, no_reason.value.message) == ("reason", "Say why the case needs escalating.")
    case = actions.escalate(acting_user=london.agent.user, case=case, reason="Customer is a hospital")
    case = actions.escalate(acting_user=london.agent.user, case=case, reason="Still no van")
    assert case.escalation_level == 2
    with pytest.raises(DomainError) as top:
        actions.escalate(acting_user=london.agent.user, case=case, reason="More")
    assert top.value.message == "The case is already escalated to the managers."
    first, second = _events(case, "case.escalated")
    assert first.actor == london.agent.user
    assert (first.changes["notify_staff_ids"], second.changes["notify_staff_ids"]) == (
        [london.lead.pk],
        [london.manager.pk],
    )


def test_the_sweep_command_reports_what_it_recorded(london: World) -> None:
    _monday_case(london)
    out = io.StringIO()
    with time_machine.travel(local(2026, 4, 20, 9, 50), tick=False):
        call_command("sweep_case_deadlines", stdout=out)
    assert out.getvalue().strip() == "warnings: 1, escalations: 0, postponed after an error: 0"
    out = io.StringIO()
    call_command("sweep_case_deadlines", "--enqueue", stdout=out)
    assert out.getvalue().startswith("sweep queued as task ")
    assert DBTaskResult.objects.filter(task_path="servicecycle.cases.tasks.sweep_case_deadlines").count() == 1


def test_a_warning_given_before_a_pause_is_not_repeated_after_it(london: World) -> None:
    case = _monday_case(london)
    with time_machine.travel(local(2026, 4, 20, 9, 0), tick=False):
        case = actions.acknowledge(acting_user=london.agent.user, case=case)
    # resolution: 600 business minutes from Monday 09:00, warning at 480 (Monday 17:00)
    assert _sweep_at(local(2026, 4, 20, 17, 0))["warning"] == 1
    with time_machine.travel(local(2026, 4, 20, 17, 30), tick=False):
        case = actions.wait_for_customer(acting_user=london.agent.user, case=case)
    assert builders.fresh(case).sla_state == Case.SlaState.PAUSED
    with time_machine.travel(local(2026, 4, 21, 9, 0), tick=False):
        case = actions.resume(acting_user=london.agent.user, case=case)
    # 510 minutes used before the pause, 90 left from Tuesday 09:00
    assert (case.sla_state, case.due_at) == (Case.SlaState.WARNING, local(2026, 4, 21, 10, 30))
    assert _sweep_at(local(2026, 4, 21, 9, 5)) == {"warning": 0, "breached": 0, "failed": 0}
    assert _sweep_at(local(2026, 4, 21, 10, 30)) == {"warning": 0, "breached": 1, "failed": 0}
    assert len(_events(case, "case.sla_warning")) == 1


def test_the_worker_runs_a_queued_sweep(london: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """`servicecycle worker` is django-tasks' db_worker: a queued sweep really runs and records the warning."""
    # Between tasks the worker closes stale connections; here that connection holds the test's transaction.
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    case = _monday_case(london)
    # the check the intake queued for the case would record the warning before the sweep gets to it
    DBTaskResult.objects.filter(task_path="servicecycle.cases.tasks.check_case_deadline").delete()
    with time_machine.travel(local(2026, 4, 20, 9, 50), tick=False):
        call_command("sweep_case_deadlines", "--enqueue", stdout=io.StringIO())
        call_command("db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO(), stderr=io.StringIO())
    result = DBTaskResult.objects.get(task_path="servicecycle.cases.tasks.sweep_case_deadlines")
    assert result.status == "SUCCESSFUL"
    assert result.return_value == {"warning": 1, "breached": 0, "failed": 0}
    assert len(_events(case, "case.sla_warning")) == 1

"""Stored SLA deadlines on the business clock: hours, holidays, own closed dates, pauses and recomputation.

The organization works 09:00-18:00 Monday to Friday in London, with the English bank holidays.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_tasks_db.models import DBTaskResult

from servicecycle.accounts import actions as accounts
from servicecycle.cases import actions
from servicecycle.cases.models import Case
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
    return world


def _received(w: World, at: datetime, **kwargs: Any) -> Case:
    with time_machine.travel(at, tick=False):
        return builders.complaint(w, **kwargs).case


def test_friday_1750_with_a_one_hour_first_response_target_is_due_monday_0950(london: World) -> None:
    builders.policy(london.manager, first_response=60)
    case = _received(london, local(2026, 4, 17, 17, 50))
    assert case.sla_target == Case.SlaTarget.FIRST_RESPONSE
    assert case.sla_state == Case.SlaState.ON_TRACK
    stored = builders.fresh(case)
    assert stored.due_at == local(2026, 4, 20, 9, 50)
    assert stored.warn_at == local(2026, 4, 20, 9, 38)  # 80 % of 60 minutes: 10 on Friday, 38 on Monday


def test_a_public_holiday_on_the_monday_moves_the_deadline_to_tuesday(london: World) -> None:
    builders.policy(london.manager, first_response=60)
    case = _received(london, local(2026, 5, 1, 17, 50))  # Monday 4 May 2026 is the Early May bank holiday
    assert builders.fresh(case).due_at == local(2026, 5, 5, 9, 50)


def test_the_organizations_own_closed_monday_moves_the_deadline_to_tuesday(london: World) -> None:
    accounts.set_calendar_date(
        acting_user=london.admin.user, organization=london.org, date=date(2026, 4, 20), kind="closed", note="Stocktake"
    )
    builders.policy(london.manager, first_response=60)
    case = _received(london, local(2026, 4, 17, 17, 50))
    assert builders.fresh(case).due_at == local(2026, 4, 21, 9, 50)


def test_a_worked_public_holiday_keeps_the_monday_deadline(london: World) -> None:
    accounts.set_calendar_date(
        acting_user=london.admin.user, organization=london.org, date=date(2026, 5, 4), kind="worked"
    )
    builders.policy(london.manager, first_response=60)
    case = _received(london, local(2026, 5, 1, 17, 50))
    assert builders.fresh(case).due_at == local(2026, 5, 4, 9, 50)


def test_waiting_for_the_customer_stops_the_clock_and_resuming_recomputes(london: World) -> None:
    builders.policy(london.manager, first_response=60)
    case = _received(london, local(2026, 4, 17, 17, 50))
    with time_machine.travel(local(2026, 4, 20, 9, 0), tick=False):
        case = actions.acknowledge(acting_user=london.agent.user, case=case)
    with time_machine.travel(local(2026, 4, 20, 9, 30), tick=False):
        case = actions.wait_for_customer(acting_user=london.agent.user, case=case, reason="Which order?")
    stored = builders.fresh(case)
    assert (stored.sla_state, stored.due_at, stored.warn_at) == (Case.SlaState.PAUSED, None, None)
    assert stored.sla_target == Case.SlaTarget.FIRST_RESPONSE
    with time_machine.travel(local(2026, 4, 20, 11, 0), tick=False):
        actions.resume(acting_user=london.agent.user, case=case)
    stored = builders.fresh(case)
    # 40 minutes used before the pause (10 on Friday, 30 on Monday), 20 left after 11:00
    assert (stored.sla_state, stored.due_at) == (Case.SlaState.ON_TRACK, local(2026, 4, 20, 11, 20))
    event = AuditEvent.objects.filter(verb="case.resumed", object_id=case.pk).get()
    assert event.changes["sla_state"] == ["paused", "on_track"]


def test_the_customers_information_resumes_the_clock(london: World) -> None:
    builders.policy(london.manager, first_response=60)
    with time_machine.travel(local(2026, 4, 17, 17, 50), tick=False):
        created = builders.public_complaint(london)
    with time_machine.travel(local(2026, 4, 20, 9, 30), tick=False):
        case = actions.acknowledge(acting_user=london.agent.user, case=created.case)
        actions.wait_for_customer(acting_user=london.agent.user, case=case)
    with time_machine.travel(local(2026, 4, 20, 14, 0), tick=False):
        actions.customer_add_information(token=created.status_token or "", body="Order 4711")
    assert builders.fresh(case).due_at == local(2026, 4, 20, 14, 20)


def test_the_next_target_follows_as_each_is_met(london: World) -> None:
    builders.policy(london.manager, acknowledgement=30, first_response=120, resolution=9 * 60 * 3)
    case = _received(london, local(2026, 4, 20, 9, 0))
    assert (case.sla_target, case.due_at) == (Case.SlaTarget.ACKNOWLEDGEMENT, local(2026, 4, 20, 9, 30))
    with time_machine.travel(local(2026, 4, 20, 9, 10), tick=False):
        case = actions.acknowledge(acting_user=london.agent.user, case=case)
    assert (case.sla_target, case.due_at) == (Case.SlaTarget.FIRST_RESPONSE, local(2026, 4, 20, 11, 0))
    with time_machine.travel(local(2026, 4, 20, 10, 0), tick=False):
        actions.add_message(acting_user=london.agent.user, case=case, kind="internal_note", body="Looking")
    assert builders.fresh(case).sla_target == Case.SlaTarget.FIRST_RESPONSE
    with time_machine.travel(local(2026, 4, 20, 10, 30), tick=False):
        actions.add_message(acting_user=london.agent.user, case=case, kind="public_reply", body="On it")
    stored = builders.fresh(case)
    assert (stored.sla_target, stored.due_at) == (Case.SlaTarget.RESOLUTION, local(2026, 4, 22, 18, 0))
    with time_machine.travel(local(2026, 4, 21, 10, 0), tick=False):
        stored = builders.closed(london, stored)
    assert (stored.sla_state, stored.sla_target, stored.due_at) == (Case.SlaState.MET, "", None)


def test_a_case_without_a_policy_has_no_deadline(london: World) -> None:
    case = _received(london, local(2026, 4, 20, 9, 0))
    assert (case.sla_state, case.due_at, case.warn_at) == (Case.SlaState.NONE, None, None)


def test_the_priority_set_at_assessment_picks_the_policy(london: World) -> None:
    builders.policy(london.manager, priority="normal", resolution=9 * 60)
    builders.policy(london.manager, priority="urgent", resolution=60)
    case = _received(london, local(2026, 4, 20, 9, 0))
    assert case.due_at == local(2026, 4, 20, 18, 0)
    with time_machine.travel(local(2026, 4, 20, 9, 5), tick=False):
        case = actions.acknowledge(acting_user=london.agent.user, case=case)
        case = actions.assess(acting_user=london.agent.user, case=case, severity="critical", priority="urgent")
    assert case.due_at == local(2026, 4, 20, 10, 0)


def test_reopening_restarts_the_resolution_clock(london: World) -> None:
    builders.policy(london.manager, resolution=120)
    with time_machine.travel(local(2026, 4, 20, 9, 0), tick=False):
        created = builders.public_complaint(london)
        builders.closed(london, created.case)
    with time_machine.travel(local(2026, 4, 22, 15, 0), tick=False):
        case = actions.reopen(acting_user=None, token=created.status_token or "", reason="Still broken")
    assert (case.sla_target, case.due_at) == (Case.SlaTarget.RESOLUTION, local(2026, 4, 22, 17, 0))


def test_changing_the_calendar_recomputes_open_cases(london: World) -> None:
    """Closing the Monday moves the open case's deadline to Tuesday as part of the calendar change itself."""
    builders.policy(london.manager, first_response=60)
    case = _received(london, local(2026, 4, 17, 17, 50))
    done = builders.closed(london, _received(london, local(2026, 4, 17, 17, 55)))
    with time_machine.travel(local(2026, 4, 18, 12, 0), tick=False):
        accounts.set_calendar_date(
            acting_user=london.admin.user, organization=london.org, date=date(2026, 4, 20), kind="closed"
        )
        assert actions.recompute_open_deadlines(london.org) == 0  # nothing left to move
    assert builders.fresh(case).due_at == local(2026, 4, 21, 9, 50)
    assert builders.fresh(done).due_at is None
    event = AuditEvent.objects.filter(verb="cases.deadlines_recomputed").order_by("pk").first()
    assert event is not None and event.changes["cases"] == 1


def test_changing_a_policy_recomputes_the_open_cases_it_covers(london: World) -> None:
    builders.policy(london.manager, first_response=60)
    case = _received(london, local(2026, 4, 17, 17, 50))
    with time_machine.travel(local(2026, 4, 18, 12, 0), tick=False):
        builders.policy(london.manager, first_response=120)
    assert builders.fresh(case).due_at == local(2026, 4, 20, 10, 50)


def test_the_deadline_check_is_queued_after_commit_at_the_warning(
    london: World, django_capture_on_commit_callbacks: Any
) -> None:
    builders.policy(london.manager, first_response=60)
    with django_capture_on_commit_callbacks(execute=True):
        case = _received(london, local(2026, 4, 17, 17, 50))
    queued = DBTaskResult.objects.get(task_path="servicecycle.cases.tasks.check_case_deadline")
    assert queued.run_after == local(2026, 4, 20, 9, 38)
    assert queued.args_kwargs["args"] == [case.pk]
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_message(acting_user=london.agent.user, case=case, kind="internal_note", body="No change")
    assert DBTaskResult.objects.count() == 1  # the instant did not move, so nothing more is queued


def test_stored_instants_are_utc(london: World) -> None:
    builders.policy(london.manager, first_response=60)
    case = builders.fresh(_received(london, local(2026, 4, 17, 17, 50)))
    assert case.due_at is not None
    assert case.due_at.astimezone(UTC) == datetime(2026, 4, 20, 8, 50, tzinfo=UTC)

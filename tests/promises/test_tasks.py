"""The deadline tasks of promises: the per-promise check scheduled on commit, and the sweep (the safety net)."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from servicecycle.core.models import Notification
from servicecycle.promises import actions
from servicecycle.promises.models import State
from servicecycle.promises.tasks import check_promise, sweep_promises
from tests.factories import World
from tests.promises import builders
from tests.promises.builders import MONDAY_10

pytestmark = pytest.mark.django_db


def test_each_step_schedules_the_check_at_the_promises_next_instant(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(MONDAY_10, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            promise = builders.awaiting(world, due_at=MONDAY_10 + timedelta(hours=6))
        with django_capture_on_commit_callbacks(execute=True):
            actions.confirm(acting_user=world.lead.user, promise=promise)
    checks = DBTaskResult.objects.filter(task_path="servicecycle.promises.tasks.check_promise").order_by("run_after")
    assert [(r.args_kwargs["args"], r.run_after) for r in checks] == [
        ([promise.pk], MONDAY_10 + timedelta(minutes=60)),  # the team's answer is due
        ([promise.pk], MONDAY_10 + timedelta(hours=4)),  # at risk two hours before due
    ]


def test_the_scheduled_check_breaks_an_overdue_promise_under_frozen_time(world: World, run_tasks: Any) -> None:
    with time_machine.travel(MONDAY_10, tick=False):
        promise = builders.given(world, due_at=MONDAY_10 + timedelta(hours=1))
    with time_machine.travel(MONDAY_10 + timedelta(hours=1, seconds=1), tick=False):
        assert check_promise.call(promise.pk) == "broken"
        assert check_promise.call(promise.pk) == ""
    stored = builders.fresh(promise)
    assert (stored.state, stored.escalation_level) == (State.BROKEN, 1)


def test_the_sweep_handles_every_passed_instant_once(world: World) -> None:
    with time_machine.travel(MONDAY_10, tick=False):
        unanswered = builders.awaiting(world, due_at=MONDAY_10 + timedelta(days=3))
        at_risk = builders.given(world, due_at=MONDAY_10 + timedelta(hours=3))
        overdue = builders.given(world, due_at=MONDAY_10 + timedelta(hours=1))
        kept = builders.given(world, due_at=MONDAY_10 + timedelta(hours=1))
        actions.mark_kept(acting_user=world.lead.user, promise=kept)
    with time_machine.travel(MONDAY_10 + timedelta(hours=1, minutes=30), tick=False):
        assert sweep_promises.call() == {"escalated": 1, "at_risk": 1, "broken": 1, "failed": 0}
        assert sweep_promises.call() == {"escalated": 0, "at_risk": 0, "broken": 0, "failed": 0}
    assert builders.fresh(unanswered).escalation_level == 1
    assert builders.fresh(at_risk).risk_notified
    assert builders.fresh(overdue).state == State.BROKEN
    assert builders.fresh(kept).state == State.KEPT
    assert Notification.objects.filter(kind="promise.broken").exists()


def test_a_failing_promise_is_postponed_and_does_not_stop_the_sweep(world: World, monkeypatch: Any) -> None:
    with time_machine.travel(MONDAY_10, tick=False):
        bad = builders.given(world, due_at=MONDAY_10 + timedelta(hours=1))
        good = builders.given(world, due_at=MONDAY_10 + timedelta(hours=1))
    real = actions.handle_promise_deadline

    def flaky(*, promise_id: int, now: Any = None) -> Any:
        if promise_id == bad.pk:
            raise RuntimeError("mail server exploded")
        return real(promise_id=promise_id, now=now)

    monkeypatch.setattr(actions, "handle_promise_deadline", flaky)
    later = MONDAY_10 + timedelta(hours=2)
    with time_machine.travel(later, tick=False):
        assert sweep_promises.call() == {"escalated": 0, "at_risk": 0, "broken": 1, "failed": 1}
    assert builders.fresh(good).state == State.BROKEN
    stored = builders.fresh(bad)
    assert stored.state == State.GIVEN and stored.due_at == later + actions.RETRY_DELAY


def test_the_sweep_command_runs_or_queues_the_sweep(world: World) -> None:
    out = io.StringIO()
    call_command("sweep_promises", stdout=out)
    assert "broken: 0" in out.getvalue()
    call_command("sweep_promises", "--enqueue", stdout=io.StringIO())
    assert DBTaskResult.objects.filter(task_path="servicecycle.promises.tasks.sweep_promises").count() == 1


def test_the_sweep_is_registered_with_the_workers_beat() -> None:
    from servicecycle.core import periodic

    assert any(entry.task is sweep_promises for entry in periodic.registered())

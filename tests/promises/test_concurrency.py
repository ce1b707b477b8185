"""Two members of the fulfilling team answer the same confirmation request at the same instant, and two writes
change promises due the same day at once (threads, each with its own database connection, on PostgreSQL only:
SQLite serializes every writer)."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
from django.db import connection
from django.utils import timezone

from servicecycle.core.errors import Conflict
from servicecycle.core.models import AuditEvent
from servicecycle.promises import actions, queries
from servicecycle.promises.models import Promise, State
from tests import factories
from tests.concurrency import run_together
from tests.factories import World
from tests.promises import builders
from tests.promises.test_figures import assert_exact

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


@pytest.mark.parametrize("rounds", range(3))
def test_two_members_confirm_at_once_and_exactly_one_wins(world: World, rounds: int) -> None:
    colleague = factories.staff(world.org, "agent", [world.owner_team])
    promise = builders.awaiting(world)
    results = run_together(
        [partial(actions.confirm, acting_user=s.user, promise=promise) for s in (world.lead, colleague)]
    )
    winners = [r for r in results if isinstance(r, Promise)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert (len(winners), len(losers)) == (1, 1), results
    stored = builders.fresh(promise)
    assert stored.state == State.CONFIRMED
    assert stored.version == promise.version + 1
    assert "already confirmed this promise" in losers[0].message
    assert str(stored.confirmed_by) in losers[0].message
    assert AuditEvent.objects.filter(object_id=promise.pk, verb="promise.confirmed").count() == 1


def test_a_confirmation_and_a_decline_at_once_leave_one_answer(world: World) -> None:
    promise = builders.awaiting(world)
    results = run_together(
        [
            lambda: actions.confirm(acting_user=world.lead.user, promise=promise),
            lambda: actions.decline(acting_user=world.manager.user, promise=promise, reason="No truck today"),
        ]
    )
    assert sum(isinstance(r, Promise) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 1
    stored = builders.fresh(promise)
    assert stored.state in (State.CONFIRMED, State.DECLINED)
    assert (stored.confirmed_at is None) != (stored.declined_at is None)


# The per-day kept-rate summary under concurrent writes ------------------------------------------------------


@pytest.mark.parametrize("rounds", range(3))
def test_two_promises_due_the_same_day_kept_at_once_leave_exact_figures(world: World, rounds: int) -> None:
    """Two transactions change promises due the same local day at the same instant: each refreshes the day
    under the day's lock, so the second counts after the first committed and the summary holds both."""
    due = timezone.now() + timedelta(days=2)
    first, second = builders.given(world, due_at=due), builders.given(world, due_at=due + timedelta(minutes=1))
    results = run_together(
        [partial(actions.mark_kept, acting_user=world.agent.user, promise=p) for p in (first, second)]
    )
    assert all(isinstance(r, Promise) for r in results), results
    assert_exact(world)
    team = {r.key_id: r for r in queries.kept_rates(world.org, by="team")}[world.owner_team.pk]
    assert (team.given, team.kept) == (2, 2)


def test_a_due_date_moved_into_a_day_while_another_promise_of_that_day_changes(world: World) -> None:
    """One transaction moves a promise into a day (and out of its old one) while another breaks a promise due
    that day: the summary of both days is exact afterwards, and the locks taken in day order never deadlock."""
    day_due = timezone.now() + timedelta(days=3)
    breaking = builders.given(world, due_at=day_due)
    moving = builders.awaiting(world, due_at=timezone.now() + timedelta(days=1))
    moving = actions.decline(
        acting_user=world.lead.user,
        promise=moving,
        reason="Not that day",
        alternative_text="Later that week",
        alternative_due_at=day_due + timedelta(minutes=5),
    )
    results = run_together(
        [
            partial(actions.accept_alternative, acting_user=world.agent.user, promise=moving),
            partial(actions.handle_promise_deadline, promise_id=breaking.pk, now=day_due + timedelta(minutes=1)),
        ]
    )
    assert not any(isinstance(r, Exception) for r in results), results
    assert builders.fresh(breaking).state == State.BROKEN
    assert_exact(world)

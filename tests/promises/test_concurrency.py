"""Two members of the fulfilling team answer the same confirmation request at the same instant (threads, each
with its own database connection, on PostgreSQL only: SQLite serializes every writer)."""

from __future__ import annotations

from functools import partial

import pytest
from django.db import connection

from servicecycle.core.errors import Conflict
from servicecycle.core.models import AuditEvent
from servicecycle.promises import actions
from servicecycle.promises.models import Promise, State
from tests import factories
from tests.concurrency import run_together
from tests.factories import World
from tests.promises import builders

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

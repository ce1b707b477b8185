"""Real concurrent requests (threads, each with its own database connection), on PostgreSQL only:
SQLite serializes every writer, so it cannot show the row locks at work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from servicecycle.cases import actions
from servicecycle.cases.models import Case
from servicecycle.core.errors import Conflict
from tests.cases import builders
from tests.concurrency import run_together
from tests.factories import World

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def test_concurrent_intakes_get_distinct_consecutive_references(world: World) -> None:
    results = run_together([lambda: builders.public_complaint(world).case.reference for _ in range(8)])
    year = str(results[0])[2:6]
    assert sorted(results) == [f"C-{year}-{n:05d}" for n in range(1, 9)]


def test_concurrent_requests_with_one_idempotency_key_make_one_case(world: World) -> None:
    results = run_together([lambda: builders.public_complaint(world, idempotency_key="retry-1") for _ in range(4)])
    assert all(not isinstance(r, Exception) for r in results), results
    assert len({r.case.pk for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert Case.objects.count() == 1


def test_two_agents_saving_the_same_version_at_once_get_exactly_one_conflict(world: World) -> None:
    case = actions.acknowledge(acting_user=world.agent.user, case=builders.complaint(world).case)
    version = case.version

    def save(user: Any, priority: str) -> Callable[[], Any]:
        return lambda: actions.assess(
            acting_user=user, case=case, severity="minor", priority=priority, expected_version=version
        )

    results = run_together([save(world.agent.user, "low"), save(world.lead.user, "high")])
    conflicts = [r for r in results if isinstance(r, Conflict)]
    saved = [r for r in results if isinstance(r, Case)]
    assert (len(conflicts), len(saved)) == (1, 1)
    stored = builders.fresh(case)
    assert (stored.priority, stored.version) == (saved[0].priority, version + 1)

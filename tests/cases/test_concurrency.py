"""Real concurrent requests (threads, each with its own database connection), on PostgreSQL only:
SQLite serializes every writer, so it cannot show the row locks at work."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from servicecycle.cases import actions
from servicecycle.cases.models import Case
from servicecycle.core.errors import Conflict
from tests.cases import builders
from tests.factories import World

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def _run_together(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Start the jobs at the same instant; each result is the job's return value or the exception it raised."""
    results: list[Any] = [None] * len(jobs)
    start = threading.Barrier(len(jobs))

    def run(index: int, job: Callable[[], Any]) -> None:
        try:
            start.wait()
            results[index] = job()
        except Exception as exc:  # collected for the test to inspect
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_concurrent_intakes_get_distinct_consecutive_references(world: World) -> None:
    results = _run_together([lambda: builders.public_complaint(world).case.reference for _ in range(8)])
    year = str(results[0])[2:6]
    assert sorted(results) == [f"C-{year}-{n:05d}" for n in range(1, 9)]


def test_concurrent_requests_with_one_idempotency_key_make_one_case(world: World) -> None:
    results = _run_together([lambda: builders.public_complaint(world, idempotency_key="retry-1") for _ in range(4)])
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

    results = _run_together([save(world.agent.user, "low"), save(world.lead.user, "high")])
    conflicts = [r for r in results if isinstance(r, Conflict)]
    saved = [r for r in results if isinstance(r, Case)]
    assert (len(conflicts), len(saved)) == (1, 1)
    stored = builders.fresh(case)
    assert (stored.priority, stored.version) == (saved[0].priority, version + 1)

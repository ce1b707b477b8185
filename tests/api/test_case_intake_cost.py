"""What one case intake through the API costs the database, and that its shortcuts stay correct.

The calendar and SLA policies are kept per process and organization settings stamp (cases.sla), the tasks are
queued inside the intake's transaction (core.outbox), and the insert has no savepoint of its own."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from servicecycle.accounts import actions as accounts
from servicecycle.accounts.models import Organization
from servicecycle.cases import sla
from servicecycle.cases.models import Case
from servicecycle.core import clock
from servicecycle.core.errors import Conflict
from servicecycle.core.models import AuditEvent
from tests.cases import builders
from tests.factories import World

BODY = {
    "kind": "complaint",
    "channel": "email",
    "subject": "Parcel arrived damaged",
    "description": "The box was crushed and two plates inside were broken.",
    "contact_name": "Ana Pérez",
    "contact_email": "ana.perez@example.com",
}


def _create(api: Any, world: World, **extra: Any) -> Any:
    body = {**BODY, "service_id": world.service.pk, **extra}
    return api.call("post", "/cases", body, headers={"Idempotency-Key": str(uuid.uuid4())})


def test_an_intake_reads_the_calendar_and_policies_once_per_settings_stamp(world: World, api_for: Any) -> None:
    builders.policy(world.manager, first_response=60)
    api = api_for("agent")
    assert _create(api, world).status_code == 201
    with CaptureQueriesContext(connection) as second:
        assert _create(api, world).status_code == 201
    tables = " ".join(q["sql"] for q in second.captured_queries)
    for table in ("accounts_workinginterval", "accounts_calendardate", "cases_slapolicy"):
        assert table not in tables
    # token, service, reference, case, audit event, deadline task, acknowledgement mail task (a repeated key is
    # caught by the insert, not looked up first);
    # the test's own transaction turns the intake's into a savepoint (in production: BEGIN and COMMIT)
    statements = [q["sql"].split()[0] for q in second.captured_queries]
    work = [s for s in statements if s not in ("SAVEPOINT", "RELEASE")]
    assert work == ["SELECT", "SELECT", "UPDATE", "INSERT", "INSERT", "INSERT", "INSERT"], statements
    assert statements.count("SAVEPOINT") == 1  # the intake's transaction only, none around the insert


def test_a_policy_changed_elsewhere_is_used_by_the_next_intake(world: World, api_for: Any) -> None:
    builders.policy(world.manager, first_response=60)
    api = api_for("agent")
    assert _create(api, world).status_code == 201  # the policies are now kept by this process
    before = Organization.objects.get(pk=world.org.pk).settings_stamp
    # the change as another process makes it: through the action, with its own copy of the organization
    other = accounts.create_staff(
        acting_user=world.admin.user,
        organization=Organization.objects.get(pk=world.org.pk),
        email="elsewhere@example.test",
        first_name="Other",
        last_name="Process",
        role="manager",
    )
    builders.policy(other, first_response=600)
    assert Organization.objects.get(pk=world.org.pk).settings_stamp != before
    created = _create(api, world).json()
    case = Case.objects.get(pk=created["id"])
    calendar = sla.calendar_for(Organization.objects.get(pk=world.org.pk))
    assert case.due_at == clock.due_at(calendar, case.received_at, 600 * 60)


def test_changing_the_hours_renews_the_stamp(world: World) -> None:
    before = Organization.objects.get(pk=world.org.pk).settings_stamp
    accounts.set_working_hours(acting_user=world.admin.user, organization=world.org, intervals=[(0, 540, 1020)])
    assert Organization.objects.get(pk=world.org.pk).settings_stamp not in (before, 0)


def test_the_tasks_of_a_rolled_back_intake_are_rolled_back_with_it(world: World) -> None:
    builders.policy(world.manager, first_response=60)
    with pytest.raises(RuntimeError), transaction.atomic():
        builders.complaint(world, contact_email="ana@example.test")
        assert DBTaskResult.objects.count() == 2  # the deadline check and the acknowledgement, queued together
        raise RuntimeError("the request failed after the intake")
    assert DBTaskResult.objects.count() == 0
    assert not Case.objects.exists()


def test_a_repeated_key_is_answered_with_the_first_case_and_leaves_nothing_behind(world: World) -> None:
    """No look-up before the insert: the repeat's insert fails on the key's unique constraint, its transaction
    rolls back (reference number, audit event and tasks with it) and the answer is the first request's case."""
    made = builders.complaint(world, idempotency_key="race-1", contact_email="ana@example.test").case
    events, tasks = AuditEvent.objects.count(), DBTaskResult.objects.count()
    again = builders.complaint(world, idempotency_key="race-1", contact_email="ana@example.test")
    assert (again.case.pk, again.created, again.status_token) == (made.pk, False, None)
    assert Case.objects.count() == 1
    assert (AuditEvent.objects.count(), DBTaskResult.objects.count()) == (events, tasks)
    following = builders.complaint(world, idempotency_key="race-2").case
    number = int(made.reference.rsplit("-", 1)[1])
    assert following.reference.endswith(f"-{number + 1:05d}")  # the repeat used no number


def test_a_repeated_key_with_another_body_is_a_conflict(world: World) -> None:
    builders.complaint(world, idempotency_key="race-1", contact_email="ana@example.test")
    with pytest.raises(Conflict):
        builders.complaint(world, idempotency_key="race-1", contact_email="other@example.test")
    assert Case.objects.count() == 1

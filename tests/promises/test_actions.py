"""Every promise step, its bad input (clear error, nothing changed), audit events and who is told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.http import Http404
from django.utils import timezone

from servicecycle.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from servicecycle.core.models import AuditEvent, Notification
from servicecycle.promises import actions, queries
from servicecycle.promises.models import Promise, PromiseSettings, Recovery, State
from tests import factories
from tests.factories import World
from tests.promises import builders
from tests.promises.builders import MONDAY_10

pytestmark = pytest.mark.django_db


def _verbs(promise: Promise) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="promises.promise", object_id=promise.pk)
        .order_by("id")
        .values_list("verb", flat=True)
    )


def _unchanged(promise: Promise) -> None:
    stored = builders.fresh(promise)
    assert (stored.state, stored.version, stored.text, stored.due_at) == (
        promise.state,
        promise.version,
        promise.text,
        promise.due_at,
    )


# Creating --------------------------------------------------------------------------------------------------


def test_a_drafted_promise_belongs_to_its_promiser_and_is_audited(world: World) -> None:
    promise = builders.draft(world, moment_id=world.moments[0].pk)
    assert (promise.state, promise.promiser, promise.fulfilling_team) == (State.DRAFT, world.agent, world.owner_team)
    assert promise.moment == world.moments[0]
    assert _verbs(promise) == ["promise.created"]
    assert queries.get_promise_by_token(actions.status_token(promise)) == promise


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"due_at": "past"}, "due_at"),
        ({"fulfilling_team_id": 987654}, "fulfilling_team"),
        ({"fulfilling_team_id": "warehouse"}, "fulfilling_team"),
        ({"service_id": 987654}, "service"),
        ({"moment_id": 987654}, "moment"),
        ({"customer_id": 987654}, "customer"),
        ({"case_id": 987654}, "case"),
        ({"text": "   "}, "text"),
        ({"due_at": "tomorrow-ish"}, "due_at"),
        ({"due_at": datetime(2030, 1, 1, 9, 0)}, "due_at"),  # no time zone
        ({"language": "xx"}, "language"),
        ({"customer_email": "not an address"}, "customer_email"),
    ],
)
def test_bad_input_to_create_names_the_field_and_saves_nothing(
    world: World, change: dict[str, Any], field: str
) -> None:
    if change.get("due_at") == "past":
        change = {"due_at": timezone.now() - timedelta(minutes=1)}
    with pytest.raises(ValidationFailed) as raised:
        builders.draft(world, **change)
    assert raised.value.field == field
    assert Promise.objects.count() == 0
    assert not AuditEvent.objects.filter(verb="promise.created").exists()


def test_a_team_of_another_organization_is_unknown(world: World) -> None:
    foreign_team = factories.team(world.outsider, "Their warehouse")
    with pytest.raises(ValidationFailed) as raised:
        builders.draft(world, fulfilling_team_id=foreign_team.pk)
    assert raised.value.field == "fulfilling_team"
    assert Promise.objects.count() == 0


def test_viewers_cannot_make_promises(world: World) -> None:
    with pytest.raises(PermissionDenied):
        builders.draft(world, by=world.viewer)
    assert Promise.objects.count() == 0


def test_repeating_a_create_with_its_idempotency_key_returns_the_same_promise(world: World) -> None:
    due = timezone.now() + timedelta(days=2)
    first = builders.draft(world, due_at=due, idempotency_key="k-1")
    again = builders.draft(world, due_at=due, idempotency_key="k-1")
    assert again.pk == first.pk
    assert Promise.objects.count() == 1
    with pytest.raises(Conflict) as raised:
        builders.draft(world, due_at=due, text="Something else", idempotency_key="k-1")
    assert raised.value.field == "idempotency_key"
    assert Promise.objects.count() == 1


# Asking the team -------------------------------------------------------------------------------------------


def test_requesting_confirmation_sets_a_business_clock_target_and_tells_the_team(
    world: World, run_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    member = factories.staff(world.org, "agent", [world.owner_team])
    member.language = "es"
    member.save()
    friday_evening = datetime(2026, 3, 6, 17, 30, tzinfo=UTC)
    with time_machine.travel(friday_evening, tick=False):
        promise = builders.draft(world, due_at=friday_evening + timedelta(days=3))
        with django_capture_on_commit_callbacks(execute=True):
            promise = actions.request_confirmation(acting_user=world.agent.user, promise=promise)
        run_tasks()
    assert promise.state == State.AWAITING
    assert promise.requested_at == friday_evening
    # 30 business minutes left on Friday, the other 30 on Monday morning
    assert promise.confirm_due_at == datetime(2026, 3, 9, 9, 30, tzinfo=UTC)
    told = set(Notification.objects.filter(kind="promise.confirmation_requested").values_list("recipient", flat=True))
    assert told == {world.lead.pk, member.pk}
    recipients = {m.to[0] for m in mail.outbox}
    assert recipients == {world.lead.user.email, member.user.email}
    spanish = next(m for m in mail.outbox if m.to == [member.user.email])
    assert "marzo" in spanish.body  # the due date is written the Spanish way
    assert _verbs(promise) == ["promise.created", "promise.confirmation_requested"]


def test_the_team_has_as_long_to_answer_as_the_organization_sets(world: World) -> None:
    PromiseSettings.objects.create(organization=world.org, confirm_within_minutes=15)
    with time_machine.travel(MONDAY_10, tick=False):
        promise = builders.awaiting(world)
    assert promise.confirm_due_at == MONDAY_10 + timedelta(minutes=15)


def test_a_member_of_the_fulfilling_team_confirms_and_the_promiser_hears_of_it(world: World) -> None:
    promise = actions.confirm(acting_user=world.lead.user, promise=builders.awaiting(world))
    assert (promise.state, promise.confirmed_by) == (State.CONFIRMED, world.lead)
    assert promise.risk_at == promise.due_at - timedelta(minutes=120)
    assert Notification.objects.filter(kind="promise.confirmed", recipient=world.agent).count() == 1
    assert _verbs(promise)[-1] == "promise.confirmed"


@pytest.mark.parametrize("role", ["agent", "lead_other", "viewer"])
def test_only_the_fulfilling_team_managers_and_admins_answer(world: World, role: str) -> None:
    promise = builders.awaiting(world)
    with pytest.raises(PermissionDenied):
        actions.confirm(acting_user=world.by_role[role].user, promise=promise)
    with pytest.raises(PermissionDenied):
        actions.decline(acting_user=world.by_role[role].user, promise=promise, reason="No")
    _unchanged(promise)


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_may_answer_for_any_team(world: World, role: str) -> None:
    promise = actions.confirm(acting_user=world.by_role[role].user, promise=builders.awaiting(world))
    assert promise.state == State.CONFIRMED


def test_staff_of_another_organization_never_see_the_promise(world: World) -> None:
    promise = builders.awaiting(world)
    with pytest.raises(Http404):
        actions.confirm(acting_user=world.outsider.user, promise=promise)
    with pytest.raises(Http404):
        actions.withdraw(acting_user=world.outsider.user, promise=promise, reason="x")
    _unchanged(promise)


def test_a_second_answer_is_told_who_answered_first(world: World) -> None:
    promise = builders.awaiting(world)
    actions.confirm(acting_user=world.lead.user, promise=promise)
    confirmed = builders.fresh(promise)
    with pytest.raises(Conflict) as raised:
        actions.decline(acting_user=world.manager.user, promise=promise, reason="Too late")
    assert str(world.lead) in raised.value.message
    assert "already confirmed" in raised.value.message
    _unchanged(confirmed)


def test_confirming_a_withdrawn_promise_is_refused_and_changes_nothing(world: World) -> None:
    promise = builders.awaiting(world)
    promise = actions.withdraw(acting_user=world.agent.user, promise=promise, reason="The customer cancelled")
    with pytest.raises(DomainError) as raised:
        actions.confirm(acting_user=world.lead.user, promise=promise)
    assert raised.value.field == "state"
    assert "Withdrawn" in raised.value.message
    with pytest.raises(DomainError):
        actions.give(acting_user=world.agent.user, promise=promise, unconfirmed_reason="Customer insisted")
    with pytest.raises(DomainError):
        actions.decline(acting_user=world.lead.user, promise=promise, reason="No")
    _unchanged(promise)
    assert _verbs(promise)[-1] == "promise.withdrawn"


def test_declining_needs_a_reason_and_a_future_alternative(world: World) -> None:
    promise = builders.awaiting(world)
    with pytest.raises(ValidationFailed) as raised:
        actions.decline(acting_user=world.lead.user, promise=promise, reason=" ")
    assert raised.value.field == "reason"
    with pytest.raises(ValidationFailed) as raised:
        actions.decline(
            acting_user=world.lead.user,
            promise=promise,
            reason="No truck today",
            alternative_text="Tomorrow morning",
            alternative_due_at=timezone.now() - timedelta(hours=1),
        )
    assert raised.value.field == "alternative_due_at"
    _unchanged(promise)


def test_the_warehouse_declines_for_today_and_the_seller_gives_tomorrow_morning(
    world: World, run_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(MONDAY_10, tick=False):
        promise = builders.awaiting(world, due_at=MONDAY_10 + timedelta(hours=6))
        tomorrow_9 = MONDAY_10 + timedelta(hours=23)
        promise = actions.decline(
            acting_user=world.lead.user,
            promise=promise,
            reason="The only truck is out until tonight.",
            alternative_text="All goods at the north warehouse by tomorrow 09:00.",
            alternative_due_at=tomorrow_9,
        )
        assert promise.state == State.DECLINED
        assert Notification.objects.filter(kind="promise.declined", recipient=world.agent).exists()
        original_due = promise.due_at
        promise = actions.accept_alternative(
            acting_user=world.agent.user, promise=promise, expected_version=promise.version
        )
        assert promise.state == State.CONFIRMED
        assert (promise.text, promise.due_at, promise.original_due_at) == (
            "All goods at the north warehouse by tomorrow 09:00.",
            tomorrow_9,
            original_due,
        )
        with django_capture_on_commit_callbacks(execute=True):
            promise = actions.give(acting_user=world.agent.user, promise=promise)
        run_tasks()
    assert (promise.state, promise.given_unconfirmed) == (State.GIVEN, False)
    assert [m.to for m in mail.outbox if m.to == ["mia@example.test"]] == [["mia@example.test"]]
    assert _verbs(promise) == [
        "promise.created",
        "promise.confirmation_requested",
        "promise.declined",
        "promise.alternative_accepted",
        "promise.given",
    ]


def test_accepting_without_an_alternative_is_refused(world: World) -> None:
    promise = actions.decline(acting_user=world.lead.user, promise=builders.awaiting(world), reason="No stock")
    with pytest.raises(DomainError) as raised:
        actions.accept_alternative(acting_user=world.agent.user, promise=promise)
    assert raised.value.field == "alternative_text"
    _unchanged(promise)


# Giving, keeping, withdrawing ------------------------------------------------------------------------------


def test_giving_without_confirmation_needs_a_reason_and_is_flagged(world: World) -> None:
    promise = builders.draft(world)
    with pytest.raises(ValidationFailed) as raised:
        actions.give(acting_user=world.agent.user, promise=promise)
    assert raised.value.field == "unconfirmed_reason"
    _unchanged(promise)
    promise = actions.give(
        acting_user=world.agent.user, promise=promise, unconfirmed_reason="The customer could not wait for an answer"
    )
    assert (promise.state, promise.given_unconfirmed) == (State.GIVEN, True)
    assert promise.unconfirmed_reason == "The customer could not wait for an answer"


@pytest.mark.parametrize(("language", "month"), [("es", "marzo"), ("ru", "марта"), ("en", "March")])
def test_the_customer_is_told_in_their_language_with_the_status_link(
    world: World, run_tasks: Any, django_capture_on_commit_callbacks: Any, language: str, month: str
) -> None:
    person = builders.customer(world, language=language)
    with time_machine.travel(MONDAY_10, tick=False):
        promise = builders.confirmed(world, customer_id=person.pk, customer_email="", customer_name="")
        with django_capture_on_commit_callbacks(execute=True):
            actions.give(acting_user=world.agent.user, promise=promise)
        run_tasks()
    [message] = [m for m in mail.outbox if m.to == [person.email]]
    assert month in message.body
    assert "/p/" + actions.status_token(promise) + "/" in message.body
    assert promise.text in message.body


def test_the_promise_own_language_wins_over_the_customer_preference(
    world: World, run_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    person = builders.customer(world, language="en")
    with time_machine.travel(MONDAY_10, tick=False):
        promise = builders.confirmed(world, customer_id=person.pk, customer_email="", language="es")
        with django_capture_on_commit_callbacks(execute=True):
            actions.give(acting_user=world.agent.user, promise=promise)
        run_tasks()
    [message] = [m for m in mail.outbox if m.to == [person.email]]
    assert "marzo" in message.body


def test_a_promise_with_a_past_due_time_cannot_be_asked_or_given(world: World) -> None:
    with time_machine.travel(MONDAY_10, tick=False):
        promise = builders.draft(world, due_at=MONDAY_10 + timedelta(hours=1))
    with time_machine.travel(MONDAY_10 + timedelta(hours=2), tick=False):
        with pytest.raises(ValidationFailed) as raised:
            actions.request_confirmation(acting_user=world.agent.user, promise=promise)
        assert raised.value.field == "due_at"
        with pytest.raises(ValidationFailed):
            actions.give(acting_user=world.agent.user, promise=promise, unconfirmed_reason="x")
    _unchanged(promise)


def test_kept_only_after_it_was_given(world: World) -> None:
    promise = builders.confirmed(world)
    with pytest.raises(DomainError):
        actions.mark_kept(acting_user=world.agent.user, promise=promise)
    _unchanged(promise)
    promise = actions.mark_kept(
        acting_user=world.lead.user, promise=actions.give(acting_user=world.agent.user, promise=promise)
    )
    assert promise.state == State.KEPT and promise.kept_at is not None
    with pytest.raises(DomainError):
        actions.withdraw(acting_user=world.agent.user, promise=promise, reason="Too late")
    assert _verbs(promise)[-1] == "promise.kept"


def test_withdrawing_needs_a_reason(world: World) -> None:
    promise = builders.draft(world)
    with pytest.raises(ValidationFailed) as raised:
        actions.withdraw(acting_user=world.agent.user, promise=promise, reason="")
    assert raised.value.field == "reason"
    _unchanged(promise)


def test_a_stale_version_is_refused_and_nothing_changes(world: World) -> None:
    promise = builders.confirmed(world)
    stale = promise.version - 1
    for step in (
        lambda: actions.give(acting_user=world.agent.user, promise=promise, expected_version=stale),
        lambda: actions.withdraw(acting_user=world.agent.user, promise=promise, reason="x", expected_version=stale),
    ):
        with pytest.raises(Conflict) as raised:
            step()
        assert raised.value.field == "version"
    awaiting = builders.awaiting(world)
    with pytest.raises(Conflict):
        actions.confirm(acting_user=world.lead.user, promise=awaiting, expected_version=awaiting.version + 3)
    _unchanged(promise)
    _unchanged(awaiting)


def test_each_step_bumps_the_version(world: World) -> None:
    promise = builders.draft(world)
    versions = [promise.version]
    promise = actions.request_confirmation(acting_user=world.agent.user, promise=promise, expected_version=1)
    versions.append(promise.version)
    promise = actions.confirm(acting_user=world.lead.user, promise=promise, expected_version=promise.version)
    versions.append(promise.version)
    promise = actions.give(acting_user=world.agent.user, promise=promise, expected_version=promise.version)
    versions.append(promise.version)
    assert versions == [1, 2, 3, 4]


# Deadlines and recovery ------------------------------------------------------------------------------------


def test_an_unanswered_request_escalates_to_the_team_lead_then_the_managers(world: World) -> None:
    with time_machine.travel(MONDAY_10, tick=False):
        promise = builders.awaiting(world, due_at=MONDAY_10 + timedelta(days=2))
    assert actions.handle_promise_deadline(promise_id=promise.pk, now=MONDAY_10 + timedelta(minutes=59)) is None
    first = actions.handle_promise_deadline(promise_id=promise.pk, now=MONDAY_10 + timedelta(minutes=60))
    assert first is not None and (first.event, first.level) == ("escalated", 1)
    assert actions.handle_promise_deadline(promise_id=promise.pk, now=MONDAY_10 + timedelta(minutes=61)) is None
    assert set(Notification.objects.filter(kind="promise.escalated").values_list("recipient", flat=True)) == {
        world.lead.pk
    }
    assert builders.fresh(promise).confirm_due_at == MONDAY_10 + timedelta(minutes=120)
    second = actions.handle_promise_deadline(promise_id=promise.pk, now=MONDAY_10 + timedelta(minutes=120))
    assert second is not None and second.level == 2
    assert set(Notification.objects.filter(kind="promise.escalated").values_list("recipient", flat=True)) == {
        world.lead.pk,
        world.manager.pk,
    }
    stored = builders.fresh(promise)
    assert (stored.state, stored.escalation_level, stored.confirm_due_at) == (State.AWAITING, 2, None)
    assert _verbs(promise).count("promise.escalated") == 2


def test_a_given_promise_is_at_risk_then_broken_and_escalated(world: World) -> None:
    with time_machine.travel(MONDAY_10, tick=False):
        promise = builders.given(world, due_at=MONDAY_10 + timedelta(hours=5))
    risk = actions.handle_promise_deadline(promise_id=promise.pk, now=MONDAY_10 + timedelta(hours=3))
    assert risk is not None and risk.event == "at_risk"
    at_risk = set(Notification.objects.filter(kind="promise.at_risk").values_list("recipient", flat=True))
    assert at_risk == {world.agent.pk, world.lead.pk}
    assert actions.handle_promise_deadline(promise_id=promise.pk, now=MONDAY_10 + timedelta(hours=4)) is None
    broken = actions.handle_promise_deadline(promise_id=promise.pk, now=MONDAY_10 + timedelta(hours=5))
    assert broken is not None and (broken.event, broken.level) == ("broken", 1)
    stored = builders.fresh(promise)
    assert stored.state == State.BROKEN and stored.broken_at == MONDAY_10 + timedelta(hours=5)
    assert set(Notification.objects.filter(kind="promise.broken").values_list("recipient", flat=True)) == {
        world.agent.pk,
        world.lead.pk,
    }
    assert _verbs(promise)[-2:] == ["promise.at_risk", "promise.broken"]


def test_a_kept_promise_is_never_broken(world: World) -> None:
    with time_machine.travel(MONDAY_10, tick=False):
        promise = builders.given(world, due_at=MONDAY_10 + timedelta(hours=5))
        actions.mark_kept(acting_user=world.lead.user, promise=promise)
    assert actions.handle_promise_deadline(promise_id=promise.pk, now=MONDAY_10 + timedelta(days=1)) is None
    assert builders.fresh(promise).state == State.KEPT


def _broken(world: World, **kwargs: Any) -> Promise:
    with time_machine.travel(MONDAY_10, tick=False):
        promise = builders.given(world, due_at=MONDAY_10 + timedelta(hours=5), **kwargs)
    actions.handle_promise_deadline(promise_id=promise.pk, now=MONDAY_10 + timedelta(hours=6))
    return builders.fresh(promise)


def test_a_new_date_recovery_is_told_to_the_customer(
    world: World, run_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    person = builders.customer(world, language="es")
    promise = _broken(world, customer_id=person.pk, customer_email="")
    later = MONDAY_10 + timedelta(hours=7)
    with time_machine.travel(later, tick=False):
        with pytest.raises(ValidationFailed) as raised:
            actions.record_recovery(acting_user=world.agent.user, promise=promise, recovery=Recovery.NEW_DATE)
        assert raised.value.field == "new_due_at"
        with pytest.raises(ValidationFailed) as raised:
            actions.record_recovery(
                acting_user=world.agent.user,
                promise=promise,
                recovery=Recovery.NEW_DATE,
                new_due_at=later - timedelta(hours=1),
            )
        assert raised.value.field == "new_due_at"
        _unchanged(promise)
        run_tasks()  # what was queued with the promise and its breaking
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            promise = actions.record_recovery(
                acting_user=world.agent.user,
                promise=promise,
                recovery=Recovery.NEW_DATE,
                new_due_at=later + timedelta(days=1),
                note="We will bring the goods to your door.",
            )
        run_tasks()
    assert (promise.state, promise.recovery, promise.recovery_due_at) == (
        State.BROKEN,
        Recovery.NEW_DATE,
        later + timedelta(days=1),
    )
    [message] = [m for m in mail.outbox if m.to == [person.email]]
    assert "marzo" in message.body and "We will bring the goods to your door." in message.body
    with pytest.raises(DomainError):
        actions.record_recovery(acting_user=world.agent.user, promise=promise, recovery=Recovery.APOLOGY, note="x")
    assert _verbs(promise)[-1] == "promise.recovered"


def test_compensation_needs_an_amount_and_only_a_broken_promise_is_recovered(world: World) -> None:
    promise = _broken(world)
    with pytest.raises(ValidationFailed) as raised:
        actions.record_recovery(acting_user=world.agent.user, promise=promise, recovery=Recovery.COMPENSATION)
    assert raised.value.field == "amount"
    with pytest.raises(ValidationFailed) as raised:
        actions.record_recovery(acting_user=world.agent.user, promise=promise, recovery="hug")
    assert raised.value.field == "recovery"
    promise = actions.record_recovery(
        acting_user=world.agent.user, promise=promise, recovery=Recovery.COMPENSATION, amount="25.5"
    )
    assert promise.recovery_amount == Decimal("25.50")
    with pytest.raises(DomainError):
        actions.record_recovery(
            acting_user=world.agent.user, promise=builders.given(world), recovery=Recovery.APOLOGY, note="Sorry"
        )


def test_a_calendar_token_is_shown_once_and_only_its_hash_is_stored(world: World) -> None:
    raw = actions.issue_calendar_token(acting_user=world.lead.user, team=world.owner_team)
    assert queries.team_by_calendar_token(raw) == world.owner_team
    assert raw not in str(list(world.owner_team.promise_calendar.__dict__.values()))
    newer = actions.issue_calendar_token(acting_user=world.manager.user, team=world.owner_team)
    with pytest.raises(Http404):
        queries.team_by_calendar_token(raw)
    assert queries.team_by_calendar_token(newer) == world.owner_team
    with pytest.raises(PermissionDenied):
        actions.issue_calendar_token(acting_user=world.agent.user, team=world.owner_team)

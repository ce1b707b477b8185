from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.http import Http404

from servicecycle.accounts import actions as accounts
from servicecycle.cases import actions
from servicecycle.cases.models import Case, CaseMessage, CasePause, Category
from servicecycle.cases.queries import get_case_by_token, get_case_for_user, public_messages
from servicecycle.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from servicecycle.core.models import AuditEvent
from tests import factories
from tests.cases import builders
from tests.factories import World


def _verbs(case: Case) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="cases.case", object_id=case.pk)
        .order_by("id")
        .values_list("verb", flat=True)
    )


def _counts() -> tuple[int, int, int, int]:
    return Case.objects.count(), CaseMessage.objects.count(), CasePause.objects.count(), AuditEvent.objects.count()


# Intake ------------------------------------------------------------------------------------------------------


def test_a_public_complaint_gets_a_reference_and_a_status_token_stored_only_as_a_hash(world: World) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=UTC), tick=False):
        created = builders.public_complaint(world, contact_name=" Ana ")
    case = created.case
    assert created.created
    assert case.reference == "C-2026-00001"
    assert case.status == Case.Status.RECEIVED
    assert case.customer is None
    assert (case.contact_name, case.contact_email) == ("Ana", "ana@example.test")
    assert case.subject == "Nobody answered the phone for an hour."
    assert created.status_token and len(created.status_token) >= 40
    assert created.status_token not in case.status_token_hash
    assert case.status_token_hash == actions.hash_token(created.status_token)
    assert get_case_by_token(created.status_token) == case
    event = AuditEvent.objects.get(verb="case.created", object_id=case.pk)
    assert event.actor is None
    assert event.changes["kind"] == "complaint"


def test_references_count_up_per_organization_and_restart_each_year(world: World) -> None:
    with time_machine.travel(datetime(2026, 12, 31, 10, 0, tzinfo=UTC), tick=False):
        first = builders.complaint(world).case
        second = builders.complaint(world).case
        foreign_service = factories.service(world.outsider, factories.team(world.outsider))
        foreign = actions.create_case(
            acting_user=world.outsider.user,
            kind="question",
            channel="email",
            service_id=foreign_service.pk,
            description="When do you open?",
        ).case
    with time_machine.travel(datetime(2027, 1, 2, 10, 0, tzinfo=UTC), tick=False):
        next_year = builders.complaint(world).case
    assert [first.reference, second.reference, foreign.reference, next_year.reference] == [
        "C-2026-00001",
        "C-2026-00002",
        "C-2026-00001",
        "C-2027-00001",
    ]


def test_a_hotline_call_keeps_its_log(world: World) -> None:
    customer = accounts.create_customer(acting_user=world.agent.user, name="Rosa Diaz", email="rosa@example.test")
    case = builders.complaint(
        world,
        channel="hotline",
        customer_id=customer.pk,
        hotline_caller="Rosa Diaz",
        hotline_duration_seconds="185",
        hotline_notes="Angry about the second missed delivery.",
        moment_id=world.moments[1].pk,
    ).case
    assert (case.hotline_caller, case.hotline_duration_seconds, case.customer, case.moment) == (
        "Rosa Diaz",
        185,
        customer,
        world.moments[1],
    )


def test_a_claim_records_what_is_asked(world: World) -> None:
    case = builders.public_complaint(
        world, kind="claim", claim_request="refund", claim_amount="49.90", claim_currency="eur"
    ).case
    assert (case.claim_request, case.claim_amount, case.claim_currency) == ("refund", Decimal("49.90"), "EUR")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"description": "   "}, "description", "Describe what happened."),
        ({"kind": "rant"}, "kind", "Choose what kind of case this is."),
        ({"channel": "pigeon"}, "channel", "Choose the channel the case came through."),
        ({"service_id": None}, "service", "Choose one of your organization's services."),
        ({"service_id": "abc"}, "service", "Choose one of your organization's services."),
        ({"channel": "hotline"}, "hotline_caller", "Note who called, or choose the customer."),
        ({"hotline_duration_seconds": "-3"}, "hotline_duration_seconds", "Give the call duration in whole seconds."),
        ({"kind": "claim"}, "claim_request", "Say what the customer asks for."),
        (
            {"kind": "claim", "claim_request": "refund", "contact_email": ""},
            "contact_email",
            "A claim needs a way to reach the customer: give an email address.",
        ),
        ({"contact_email": "not an email"}, "contact_email", "Enter a valid email address."),
        ({"customer_id": 999999}, "customer", "Unknown customer: choose one of your organization's customers."),
    ],
)
def test_bad_intake_names_the_field_and_saves_nothing(
    world: World, fields: dict[str, Any], field: str, message: str
) -> None:
    before = _counts()
    with pytest.raises(ValidationFailed) as caught:
        builders.public_complaint(world, **fields)
    assert (caught.value.field, caught.value.message) == (field, message)
    assert _counts() == before


def test_a_moment_of_another_service_is_refused_at_intake(world: World) -> None:
    other_service = factories.service(world.admin, world.other_team, "Installation")
    foreign_moment = factories.moment(world.admin, other_service, name="Fitter arrives")
    before = _counts()
    with pytest.raises(ValidationFailed) as caught:
        builders.complaint(world, moment_id=foreign_moment.pk)
    assert (caught.value.field, caught.value.message) == ("moment", "Choose a moment of truth of the case's service.")
    assert _counts() == before


def test_a_service_of_another_organization_is_unknown(world: World) -> None:
    foreign_service = factories.service(world.outsider, factories.team(world.outsider))
    with pytest.raises(ValidationFailed) as caught:
        builders.complaint(world, service_id=foreign_service.pk)
    assert caught.value.field == "service"


def test_repeating_an_idempotency_key_returns_the_same_case_once(world: World) -> None:
    first = builders.complaint(world, idempotency_key="order-77-complaint")
    again = builders.complaint(world, idempotency_key="order-77-complaint")
    assert again.case.pk == first.case.pk
    assert (again.created, again.status_token) == (False, None)
    assert first.status_token is not None
    assert Case.objects.count() == 1
    assert AuditEvent.objects.filter(verb="case.created").count() == 1


def test_reusing_an_idempotency_key_for_other_content_is_a_conflict(world: World) -> None:
    builders.complaint(world, idempotency_key="k-1")
    before = _counts()
    with pytest.raises(Conflict) as caught:
        builders.complaint(world, idempotency_key="k-1", description="Something else entirely.")
    assert caught.value.field == "idempotency_key"
    assert caught.value.message.startswith("This idempotency key was already used for a different case.")
    assert _counts() == before


def test_the_same_idempotency_key_in_two_organizations_makes_two_cases(world: World) -> None:
    foreign_service = factories.service(world.outsider, factories.team(world.outsider))
    ours = builders.complaint(world, idempotency_key="shared")
    theirs = actions.create_case(
        acting_user=world.outsider.user,
        kind="complaint",
        channel="email",
        service_id=foreign_service.pk,
        description="Late.",
        idempotency_key="shared",
    )
    assert ours.case.pk != theirs.case.pk and theirs.created


def test_viewers_cannot_record_cases(world: World) -> None:
    with pytest.raises(PermissionDenied):
        builders.complaint(world, by=world.viewer)


# The handling flow ----------------------------------------------------------------------------------------------


def test_a_complaint_walks_the_iso_10002_steps_and_each_is_audited(world: World) -> None:
    case = builders.complaint(world).case
    agent = world.agent.user
    case = actions.acknowledge(acting_user=agent, case=case, expected_version=1)
    assert (case.status, case.version) == (Case.Status.ACKNOWLEDGED, 2)
    category = actions.create_category(acting_user=world.manager.user, name="Late delivery")
    case = actions.assess(
        acting_user=agent,
        case=case,
        severity="major",
        priority="high",
        category_id=category.pk,
        moment_id=world.moments[2].pk,
        expected_version=2,
    )
    assert (case.status, case.severity, case.priority, case.category, case.moment) == (
        Case.Status.ASSESSED,
        "major",
        "high",
        category,
        world.moments[2],
    )
    case = actions.assign(acting_user=agent, case=case, assignee_id=world.lead.pk, team_id=world.owner_team.pk)
    assert (case.status, case.assignee, case.team) == (Case.Status.INVESTIGATING, world.lead, world.owner_team)
    case = actions.decide_response(acting_user=agent, case=case, decision="Refund the delivery fee and apologise.")
    case = actions.communicate(acting_user=agent, case=case, body="We are sorry: the delivery fee is refunded.")
    assert case.status == Case.Status.COMMUNICATED
    assert case.resolved_at is not None and case.first_response_at is not None
    case = actions.close(
        acting_user=agent,
        case=case,
        outcome="upheld",
        remedy="compensation",
        remedy_amount="12.50",
        remedy_currency="myr",
    )
    assert (case.status, case.outcome, case.remedy, case.remedy_amount, case.remedy_currency) == (
        Case.Status.CLOSED,
        "upheld",
        "compensation",
        Decimal("12.50"),
        "MYR",
    )
    assert case.closed_at is not None
    assert _verbs(case) == [
        "case.created",
        "case.acknowledged",
        "case.assessed",
        "case.assigned",
        "case.response_decided",
        "case.communicated",
        "case.closed",
    ]
    assessed = AuditEvent.objects.get(verb="case.assessed", object_id=case.pk)
    assert assessed.changes["priority"] == ["normal", "high"]
    assert assessed.changes["status"] == ["acknowledged", "assessed"]


def test_a_step_out_of_order_is_refused_with_a_clear_message(world: World) -> None:
    case = builders.complaint(world).case
    with pytest.raises(DomainError) as caught:
        actions.communicate(acting_user=world.agent.user, case=case)
    assert caught.value.message == "This case is “Received”, so it cannot be communicated now."
    assert caught.value.field == "status"
    assert builders.fresh(case).version == 1


def test_a_complaint_cannot_be_closed_before_the_response_is_communicated(world: World) -> None:
    case = builders.to_investigating(world, builders.complaint(world).case)
    with pytest.raises(DomainError) as caught:
        actions.close(acting_user=world.agent.user, case=case, outcome="upheld", remedy="apology")
    assert caught.value.message == "This case is “Investigating”, so it cannot be closed now."


def test_a_compliment_closes_without_an_outcome(world: World) -> None:
    case = builders.complaint(world, kind="compliment", description="The driver was lovely.").case
    case = actions.close(acting_user=world.agent.user, case=case)
    assert (case.status, case.outcome, case.remedy) == (Case.Status.CLOSED, "", "none")


def test_a_moment_of_another_service_is_refused_at_assessment_and_nothing_changes(world: World) -> None:
    case = actions.acknowledge(acting_user=world.agent.user, case=builders.complaint(world).case)
    other_service = factories.service(world.admin, world.other_team, "Installation")
    foreign_moment = factories.moment(world.admin, other_service, name="Fitter arrives")
    before = _counts()
    with pytest.raises(ValidationFailed) as caught:
        actions.assess(
            acting_user=world.agent.user, case=case, severity="minor", priority="low", moment_id=foreign_moment.pk
        )
    assert caught.value.field == "moment"
    assert _counts() == before
    stored = builders.fresh(case)
    assert (stored.status, stored.priority, stored.version) == (Case.Status.ACKNOWLEDGED, "normal", 2)


def test_moving_a_case_to_another_service_takes_a_moment_of_that_service(world: World) -> None:
    case = actions.acknowledge(acting_user=world.agent.user, case=builders.complaint(world).case)
    other_service = factories.service(world.admin, world.other_team, "Installation")
    fitter = factories.moment(world.admin, other_service, name="Fitter arrives")
    case = actions.assess(
        acting_user=world.agent.user,
        case=case,
        severity="minor",
        priority="low",
        service_id=other_service.pk,
        moment_id=fitter.pk,
    )
    assert (case.service, case.moment) == (other_service, fitter)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"severity": "huge"}, "severity", "Choose how severe the case is."),
        ({"priority": ""}, "priority", "Choose a priority."),
        ({"category_id": 424242}, "category", "Choose one of your organization's case categories."),
    ],
)
def test_bad_assessment_names_the_field(world: World, fields: dict[str, Any], field: str, message: str) -> None:
    case = actions.acknowledge(acting_user=world.agent.user, case=builders.complaint(world).case)
    kwargs = {"severity": "minor", "priority": "low", **fields}
    with pytest.raises(ValidationFailed) as caught:
        actions.assess(acting_user=world.agent.user, case=case, **kwargs)
    assert (caught.value.field, caught.value.message) == (field, message)


def test_the_assignee_must_be_a_case_worker_of_the_organization(world: World) -> None:
    case = builders.complaint(world).case
    foreign_team = factories.team(world.outsider, "Foreign")
    before = _counts()
    for staff_id in (world.outsider.pk, world.viewer.pk, "x"):
        with pytest.raises(ValidationFailed) as caught:
            actions.assign(acting_user=world.agent.user, case=case, assignee_id=staff_id)
        assert caught.value.field == "assignee"
        assert caught.value.message == "Choose a staff member of your organization who handles cases."
    with pytest.raises(ValidationFailed) as caught:
        actions.assign(acting_user=world.agent.user, case=case, team_id=foreign_team.pk)
    assert caught.value.field == "team"
    assert _counts() == before
    assert builders.fresh(case).assignee is None


def test_an_internal_note_is_not_a_first_response_but_a_public_reply_is(world: World) -> None:
    case = builders.complaint(world).case
    actions.add_message(acting_user=world.agent.user, case=case, kind="internal_note", body="Check with the depot.")
    assert builders.fresh(case).first_response_at is None
    with time_machine.travel(datetime(2026, 3, 3, 11, 0, tzinfo=UTC), tick=False):
        actions.add_message(acting_user=world.agent.user, case=case, kind="public_reply", body="We are on it.")
    actions.add_message(acting_user=world.agent.user, case=case, kind="public_reply", body="Still on it.")
    assert builders.fresh(case).first_response_at == datetime(2026, 3, 3, 11, 0, tzinfo=UTC)
    assert [m.body for m in public_messages(case)] == ["We are on it.", "Still on it."]


def test_an_empty_message_is_refused(world: World) -> None:
    case = builders.complaint(world).case
    with pytest.raises(ValidationFailed) as caught:
        actions.add_message(acting_user=world.agent.user, case=case, kind="public_reply", body="  ")
    assert caught.value.field == "body"
    assert CaseMessage.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"remedy": "compensation"}, "remedy_amount", "Give the amount of the compensation."),
        (
            {"remedy": "compensation", "remedy_amount": "20"},
            "remedy_currency",
            "Give the currency of the compensation.",
        ),
        (
            {"remedy": "compensation", "remedy_amount": "-1"},
            "remedy_amount",
            "The amount must be a number of zero or more.",
        ),
        ({"outcome": ""}, "outcome", "Choose whether the case was upheld, partly upheld or not upheld."),
        ({"remedy": "a hug"}, "remedy", "Choose the remedy given to the customer."),
        (
            {"remedy": "apology", "remedy_amount": "5"},
            "remedy_amount",
            "Only a refund or a compensation has an amount.",
        ),
    ],
)
def test_bad_closing_names_the_field_and_leaves_the_case_open(
    world: World, fields: dict[str, Any], field: str, message: str
) -> None:
    case = builders.to_communicated(world, builders.complaint(world).case)
    before = _counts()
    kwargs = {"outcome": "upheld", **fields}
    with pytest.raises(ValidationFailed) as caught:
        actions.close(acting_user=world.agent.user, case=case, **kwargs)
    assert (caught.value.field, caught.value.message) == (field, message)
    assert _counts() == before
    assert builders.fresh(case).status == Case.Status.COMMUNICATED


def test_two_agents_saving_the_same_version_get_one_conflict(world: World) -> None:
    case = actions.acknowledge(acting_user=world.agent.user, case=builders.complaint(world).case)
    seen_by_both = case.version
    actions.assess(
        acting_user=world.agent.user, case=case, severity="minor", priority="low", expected_version=seen_by_both
    )
    with pytest.raises(Conflict) as caught:
        actions.assess(
            acting_user=world.lead.user, case=case, severity="major", priority="high", expected_version=seen_by_both
        )
    assert caught.value.message == (
        "Someone else changed this record while you were editing it. "
        "Reload to see their changes, then apply yours again."
    )
    stored = builders.fresh(case)
    assert (stored.severity, stored.priority, stored.version) == ("minor", "low", seen_by_both + 1)


def test_the_customer_reopens_a_closed_case_and_work_resumes(world: World) -> None:
    created = builders.public_complaint(world)
    case = builders.closed(world, created.case)
    with pytest.raises(ValidationFailed) as caught:
        actions.reopen(acting_user=None, token=created.status_token, reason=" ")
    assert caught.value.field == "reason"
    case = actions.reopen(acting_user=None, token=created.status_token, reason="The refund never arrived.")
    assert (case.status, case.closed_at, case.resolved_at, case.reopen_count) == (Case.Status.REOPENED, None, None, 1)
    assert case.reopened_at is not None
    assert CaseMessage.objects.filter(case=case, kind="customer", body="The refund never arrived.").exists()
    case = actions.assign(acting_user=world.agent.user, case=case, assignee_id=world.agent.pk)
    assert case.status == Case.Status.INVESTIGATING
    with pytest.raises(DomainError) as refused:
        actions.reopen(acting_user=world.agent.user, case=case, reason="Again")
    assert refused.value.message == "This case is “Investigating”, so it cannot be reopened now."


def test_waiting_for_the_customer_and_their_information_ends_the_wait(world: World) -> None:
    created = builders.public_complaint(world)
    case = actions.acknowledge(acting_user=world.agent.user, case=created.case)
    case = actions.wait_for_customer(acting_user=world.agent.user, case=case, reason="Need the order number")
    with pytest.raises(DomainError):
        actions.wait_for_customer(acting_user=world.agent.user, case=case)
    message = actions.customer_add_information(token=created.status_token, body="Order 4711.")
    assert message.kind == "customer"
    assert not CasePause.objects.filter(case=case, ended_at__isnull=True).exists()
    with pytest.raises(DomainError) as caught:
        actions.resume(acting_user=world.agent.user, case=case)
    assert caught.value.message == "The case is not waiting for the customer."
    assert _verbs(case)[-2:] == ["case.paused", "case.customer_added_information"]


def test_satisfaction_is_rated_once_after_closing(world: World) -> None:
    created = builders.public_complaint(world)
    token = created.status_token
    assert token is not None
    with pytest.raises(DomainError) as early:
        actions.rate_satisfaction(token=token, score=5)
    assert early.value.message == "This case is “Received”, so it cannot be rated now."
    builders.closed(world, created.case)
    for bad in (0, 6, "five", None):
        with pytest.raises(ValidationFailed) as caught:
            actions.rate_satisfaction(token=token, score=bad)
        assert (caught.value.field, caught.value.message) == ("score", "Choose a score from 1 to 5.")
    case = actions.rate_satisfaction(token=token, score="4", comment=" Quick refund ")
    assert (case.satisfaction_score, case.satisfaction_comment) == (4, "Quick refund")
    with pytest.raises(DomainError) as twice:
        actions.rate_satisfaction(token=token, score=1)
    assert twice.value.message == "You have already rated how this case was handled. Thank you."
    assert builders.fresh(case).satisfaction_score == 4


@pytest.mark.parametrize("token", ["", "forged-token", "x" * 43])
def test_a_forged_status_token_finds_nothing(world: World, token: str) -> None:
    builders.public_complaint(world)
    before = _counts()
    with pytest.raises(Http404):
        get_case_by_token(token)
    with pytest.raises(Http404):
        actions.customer_add_information(token=token, body="Hello")
    with pytest.raises(Http404):
        actions.rate_satisfaction(token=token, score=5)
    with pytest.raises(Http404):
        actions.reopen(acting_user=None, token=token, reason="No")
    assert _counts() == before


def test_a_closed_case_takes_no_more_information_through_the_status_link(world: World) -> None:
    created = builders.public_complaint(world)
    builders.closed(world, created.case)
    with pytest.raises(DomainError) as caught:
        actions.customer_add_information(token=created.status_token or "", body="One more thing")
    assert caught.value.message.startswith("This case is closed.")


def test_categories_are_configured_by_managers_and_unique_per_organization(world: World) -> None:
    actions.create_category(acting_user=world.manager.user, name="Billing")
    with pytest.raises(ValidationFailed) as caught:
        actions.create_category(acting_user=world.admin.user, name="billing")
    assert caught.value.field == "name"
    with pytest.raises(PermissionDenied):
        actions.create_category(acting_user=world.agent.user, name="Other")
    actions.create_category(acting_user=world.outsider.user, name="Billing")
    assert Category.objects.filter(name="Billing").count() == 2


# Access ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        ("admin", True, True),
        ("manager", True, True),
        ("lead", True, True),
        ("lead_other", True, True),
        ("agent", True, True),
        ("viewer", True, False),
        ("outsider", False, False),
    ],
)
def test_who_sees_and_works_a_case(world: World, role: str, read: bool, write: bool) -> None:
    case = builders.complaint(world).case
    user = world.by_role[role].user
    if not read:
        with pytest.raises(Http404):
            get_case_for_user(user, case.pk)
        with pytest.raises(Http404):
            actions.acknowledge(acting_user=user, case=case)
        return
    assert get_case_for_user(user, case.pk) == case
    if write:
        assert get_case_for_user(user, case.pk, write=True) == case
        actions.acknowledge(acting_user=user, case=case)
    else:
        with pytest.raises(PermissionDenied):
            get_case_for_user(user, case.pk, write=True)
        with pytest.raises(PermissionDenied):
            actions.acknowledge(acting_user=user, case=case)


def test_an_unknown_or_malformed_case_id_is_not_found(world: World) -> None:
    for case_id in (999999, "abc", None):
        with pytest.raises(Http404):
            get_case_for_user(world.admin.user, case_id)


def test_reference_format_is_prefix_year_and_five_digits(world: World) -> None:
    assert re.fullmatch(r"C-\d{4}-\d{5}", builders.complaint(world).case.reference)

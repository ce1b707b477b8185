from __future__ import annotations

import pytest

from servicecycle.accounts import actions
from servicecycle.accounts.models import WorkingInterval
from servicecycle.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from servicecycle.core.models import AuditEvent
from tests import factories
from tests.factories import World


def test_new_organization_works_monday_to_friday_nine_to_six(db: None) -> None:
    org = factories.organization()
    hours = list(org.working_intervals.values_list("weekday", "opens", "closes"))
    assert hours == [(d, 540, 1080) for d in range(5)]


def test_working_hours_accept_split_shifts_and_midnight(world: World) -> None:
    actions.set_working_hours(
        acting_user=world.admin.user,
        organization=world.org,
        intervals=[(0, 540, 780), (0, 840, 1080), (5, 1320, 1440), (6, 0, 360)],
    )
    assert WorkingInterval.objects.filter(organization=world.org).count() == 4
    assert AuditEvent.objects.filter(verb="organization.hours_changed").count() == 1


@pytest.mark.parametrize(
    ("intervals", "field"),
    [
        ([(0, 600, 540)], "closes"),
        ([(0, 540, 1500)], "closes"),
        ([(0, 540, 780), (0, 700, 900)], "opens"),
        ([(7, 540, 600)], "weekday"),
    ],
)
def test_bad_working_hours_are_refused_and_keep_the_old_ones(world: World, intervals: list, field: str) -> None:
    before = list(world.org.working_intervals.values_list("weekday", "opens", "closes"))
    with pytest.raises(ValidationFailed) as caught:
        actions.set_working_hours(acting_user=world.admin.user, organization=world.org, intervals=intervals)
    assert caught.value.field == field
    assert list(world.org.working_intervals.values_list("weekday", "opens", "closes")) == before


def test_unknown_holiday_country_is_refused(world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        actions.update_organization(acting_user=world.admin.user, organization=world.org, holiday_country="QQ")
    assert caught.value.field == "holiday_country"


def test_unknown_time_zone_is_refused(world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        actions.update_organization(acting_user=world.admin.user, organization=world.org, time_zone="Mars/Olympus")
    assert caught.value.field == "time_zone"


def test_only_administrators_change_the_organization(world: World) -> None:
    with pytest.raises(PermissionDenied):
        actions.update_organization(acting_user=world.manager.user, organization=world.org, name="Renamed")


def test_a_team_that_owns_services_cannot_be_deleted(world: World) -> None:
    with pytest.raises(DomainError, match="still owns services"):
        actions.delete_team(acting_user=world.admin.user, team=world.owner_team)


def test_team_colour_must_be_a_hex_colour(world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        actions.create_team(acting_user=world.manager.user, name="Night shift", color="red")
    assert caught.value.field == "color"


def test_staff_email_is_unique_and_teams_must_be_the_organizations(world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        actions.create_staff(
            acting_user=world.admin.user,
            email=world.agent.user.email,
            first_name="A",
            last_name="B",
            role="agent",
        )
    assert caught.value.field == "email"
    foreign = factories.team(world.outsider, "Theirs")
    with pytest.raises(ValidationFailed) as caught:
        actions.create_staff(
            acting_user=world.admin.user,
            email="new@example.test",
            first_name="A",
            last_name="B",
            role="agent",
            team_ids=[foreign.pk],
        )
    assert caught.value.field == "teams"


def test_weak_initial_password_is_refused(world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        actions.create_staff(
            acting_user=world.admin.user,
            email="weak@example.test",
            first_name="A",
            last_name="B",
            role="agent",
            password="12345",
        )
    assert caught.value.field == "password"


def test_administrator_cannot_demote_or_deactivate_themselves(world: World) -> None:
    with pytest.raises(ValidationFailed):
        actions.update_staff(acting_user=world.admin.user, staff=world.admin, role="viewer")
    with pytest.raises(ValidationFailed):
        actions.update_staff(acting_user=world.admin.user, staff=world.admin, is_active=False)


def test_staff_changes_are_audited_field_by_field(world: World) -> None:
    actions.update_staff(
        acting_user=world.admin.user, staff=world.agent, role="team_lead", team_ids=[world.owner_team.pk]
    )
    event = AuditEvent.objects.get(verb="staff.updated")
    assert event.changes["role"] == ["agent", "team_lead"]
    assert event.changes["teams"] == [["Counter"], ["Warehouse"]]


def test_two_people_editing_a_customer_never_overwrite_each_other(world: World) -> None:
    customer = actions.create_customer(acting_user=world.agent.user, name="Dana")
    actions.update_customer(acting_user=world.agent.user, customer=customer, expected_version=1, phone="1")
    with pytest.raises(Conflict):
        actions.update_customer(acting_user=world.manager.user, customer=customer, expected_version=1, phone="2")
    customer.refresh_from_db()
    assert customer.phone == "1"


def test_customer_needs_a_name(world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        actions.create_customer(acting_user=world.agent.user, name="   ")
    assert caught.value.field == "name"


def test_api_token_is_shown_once_and_stored_hashed(world: World) -> None:
    token, raw = actions.create_api_token(acting_user=world.viewer.user, name="sheet")
    assert raw.startswith("sc_") and len(raw) > 40
    assert token.key_hash == actions.hash_token(raw)
    assert actions.authenticate_token(raw) == world.viewer
    assert actions.authenticate_token("sc_not-a-token") is None
    with pytest.raises(ValidationFailed):
        actions.revoke_api_token(acting_user=world.agent.user, token=token)

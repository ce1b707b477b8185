from __future__ import annotations

from decimal import Decimal

import pytest

from servicecycle.core.errors import Conflict, PermissionDenied, ValidationFailed
from servicecycle.core.models import AuditEvent
from servicecycle.cycles import actions
from servicecycle.cycles.models import Moment
from tests import factories
from tests.factories import World


def _names(w: World) -> list[str]:
    return list(w.service.moments.order_by("position").values_list("name", flat=True))


def test_added_moment_goes_to_the_end_of_the_cycle_and_is_audited(world: World) -> None:
    m = actions.add_moment(
        acting_user=world.manager.user,
        service=world.service,
        name="  Pays  ",
        owner_team_id=world.other_team.pk,
        target_value="15",
        target_unit="minutes",
    )
    assert m.position == 4
    assert m.name == "Pays"
    assert m.target_value == Decimal("15")
    event = AuditEvent.objects.get(verb="moment.added", object_id=m.pk)
    assert event.actor == world.manager.user
    assert event.scope_id == world.service.pk
    assert event.changes["name"] == "Pays"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "   "}, "name", "Give the moment of truth a name."),
        ({"target_value": "-5", "target_unit": "minutes"}, "target_value", "The target cannot be negative."),
        ({"target_value": "abc", "target_unit": "minutes"}, "target_value", "The target must be a number."),
        ({"target_value": "5"}, "target_unit", "Choose the unit the target is measured in."),
        (
            {"owner_team_id": 999999},
            "owner_team",
            "Unknown owner team: choose one of your organization's teams.",
        ),
    ],
)
def test_bad_moment_input_names_the_field_and_saves_nothing(
    world: World, fields: dict, field: str, message: str
) -> None:
    before = Moment.objects.count(), AuditEvent.objects.count()
    kwargs = {"name": "Waits", "owner_team_id": world.owner_team.pk, **fields}
    with pytest.raises(ValidationFailed) as caught:
        actions.add_moment(acting_user=world.admin.user, service=world.service, **kwargs)
    assert caught.value.field == field
    assert caught.value.message == message
    assert (Moment.objects.count(), AuditEvent.objects.count()) == before


def test_owner_team_of_another_organization_is_unknown(world: World) -> None:
    foreign_team = factories.team(world.outsider, "Foreign")
    with pytest.raises(ValidationFailed) as caught:
        actions.add_moment(acting_user=world.admin.user, service=world.service, name="X", owner_team_id=foreign_team.pk)
    assert caught.value.field == "owner_team"


def test_reorder_puts_moments_in_the_given_order(world: World) -> None:
    a, b, c = world.moments
    actions.reorder_moments(acting_user=world.lead.user, service=world.service, moment_ids=[c.pk, a.pk, b.pk])
    assert _names(world) == ["Step 3", "Step 1", "Step 2"]
    assert list(world.service.moments.order_by("position").values_list("position", flat=True)) == [1, 2, 3]
    event = AuditEvent.objects.get(verb="cycle.reordered")
    assert event.changes["order"] == [["Step 1", "Step 2", "Step 3"], ["Step 3", "Step 1", "Step 2"]]


@pytest.mark.parametrize("order", [[1], [1, 1, 2], [1, 2, 3, 4]])
def test_reorder_with_a_list_that_is_not_the_cycle_is_refused(world: World, order: list[int]) -> None:
    ids = [world.moments[i - 1].pk if i <= 3 else 999999 for i in order]
    with pytest.raises(ValidationFailed) as caught:
        actions.reorder_moments(acting_user=world.admin.user, service=world.service, moment_ids=ids)
    assert caught.value.field == "order"
    assert _names(world) == ["Step 1", "Step 2", "Step 3"]


def test_move_up_and_down_is_the_keyboard_alternative(world: World) -> None:
    a, _b, c = world.moments
    actions.move_moment(acting_user=world.admin.user, moment=c, direction="up")
    assert _names(world) == ["Step 1", "Step 3", "Step 2"]
    actions.move_moment(acting_user=world.admin.user, moment=a, direction="down")
    assert _names(world) == ["Step 3", "Step 1", "Step 2"]
    actions.move_moment(
        acting_user=world.admin.user, moment=world.service.moments.get(name="Step 2"), direction="down"
    )  # already last: nothing moves
    assert _names(world) == ["Step 3", "Step 1", "Step 2"]


def test_removing_a_moment_closes_the_gap(world: World) -> None:
    actions.remove_moment(acting_user=world.admin.user, moment=world.moments[0])
    assert list(world.service.moments.values_list("name", "position")) == [("Step 2", 1), ("Step 3", 2)]
    assert AuditEvent.objects.filter(verb="moment.removed").count() == 1


def test_team_lead_of_another_team_may_not_edit_the_cycle(world: World) -> None:
    with pytest.raises(PermissionDenied):
        actions.add_moment(
            acting_user=world.lead_other.user,
            service=world.service,
            name="X",
            owner_team_id=world.owner_team.pk,
        )
    with pytest.raises(PermissionDenied):
        actions.add_moment(
            acting_user=world.agent.user, service=world.service, name="X", owner_team_id=world.owner_team.pk
        )


def test_update_with_a_stale_version_is_a_conflict_and_changes_nothing(world: World) -> None:
    moment = world.moments[0]
    actions.update_moment(acting_user=world.admin.user, moment=moment, expected_version=1, name="Renamed")
    with pytest.raises(Conflict):
        actions.update_moment(acting_user=world.manager.user, moment=moment, expected_version=1, name="Other")
    moment.refresh_from_db()
    assert (moment.name, moment.version) == ("Renamed", 2)
    event = AuditEvent.objects.get(verb="moment.updated")
    assert event.changes == {"name": ["Step 1", "Renamed"]}


def test_update_with_a_negative_target_is_refused(world: World) -> None:
    moment = world.moments[0]
    with pytest.raises(ValidationFailed) as caught:
        actions.update_moment(acting_user=world.admin.user, moment=moment, target_value=-1, target_unit="hours")
    assert caught.value.field == "target_value"
    moment.refresh_from_db()
    assert moment.target_value is None


@pytest.mark.parametrize(
    ("language", "value", "unit", "shown"),
    [
        ("en", "1", "hours", "1 hour"),
        ("en", "2", "hours", "2 hours"),
        ("en", "1.5", "days", "1.5 days"),
        ("en", "1", "minutes", "1 minute"),
        ("en", "95", "percent", "95%"),
        ("en", "1", "count", "1 occurrence"),
        ("en", "4.5", "score", "score 4.5"),
        ("ru", "1", "hours", "1 час"),
        ("ru", "3", "hours", "3 часа"),
        ("ru", "5", "hours", "5 часов"),
        ("ru", "1.5", "days", "1,5 дня"),
        ("es", "1", "days", "1 día"),
        ("es", "2.5", "hours", "2,5 horas"),
        ("ms", "2", "days", "2 hari"),
    ],
)
def test_a_target_reads_with_its_plural_and_number_format(
    world: World, language: str, value: str, unit: str, shown: str
) -> None:
    from django.utils import translation

    moment = Moment(service=world.service, name="Delivery", target_value=Decimal(value), target_unit=unit)
    with translation.override(language):
        assert moment.target_display == shown

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from servicecycle.analytics.methods.lifecycle import lifecycle
from servicecycle.core.errors import PermissionDenied, ValidationFailed
from servicecycle.core.models import AuditEvent
from servicecycle.strategy import actions, queries
from servicecycle.strategy.actions import DemandRow
from servicecycle.strategy.models import DemandHistory, DemandPeriod, StageChange
from tests.factories import World

GROWING = [("2019", 400), ("2020", 520), ("2021", 900), ("2022", 1500), ("2023", 2300)]
SLOWING = [*GROWING, ("2024", 2350), ("2025", 2380)]


def _rows(pairs: list[tuple[Any, Any]]) -> list[DemandRow]:
    return [DemandRow(row=i, period=p, demand=d) for i, (p, d) in enumerate(pairs, start=1)]


def _set(w: World, pairs: list[tuple[Any, Any]], **kwargs: Any) -> actions.HistorySaved:
    return actions.set_demand_history(acting_user=w.manager.user, service=w.service, rows=_rows(pairs), **kwargs)


def _stored(w: World) -> list[tuple[str, Decimal]]:
    return list(DemandPeriod.objects.filter(service=w.service).order_by("position").values_list("period", "demand"))


def test_valid_history_is_stored_in_order_and_audited(world: World) -> None:
    saved = _set(world, [("2022", "10"), ("2023", 12.5), ("2024", Decimal("20"))])
    assert saved.periods == 3
    assert _stored(world) == [("2022", Decimal("10.00")), ("2023", Decimal("12.50")), ("2024", Decimal("20.00"))]
    event = AuditEvent.objects.get(verb="demand.history_set")
    assert event.changes["periods"] == [0, 3]
    assert event.changes["demand"]["2023"] == [None, "12.50"]
    assert event.scope_id == world.service.pk


def test_a_new_history_replaces_the_old_one(world: World) -> None:
    _set(world, GROWING)
    _set(world, [("2024-Q1", 5), ("2024-Q2", 6)], from_launch=True)
    assert _stored(world) == [("2024-Q1", Decimal("5.00")), ("2024-Q2", Decimal("6.00"))]
    assert DemandHistory.objects.get(service=world.service).from_launch is True
    assert AuditEvent.objects.filter(verb="demand.history_set").count() == 2


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([("2021", 5), ("2022", -1)], "row 2, demand: must not be negative"),
        ([("2021", 5), ("2022", "")], "row 2, demand: is missing"),
        ([("2021", 5), ("2022", "many")], "row 2, demand: many is not a number"),
        ([("2021", 5), ("2022", "nan")], "row 2, demand: nan is not a number"),
        ([("2021", 5), ("", 3)], "row 2, period: is missing"),
        ([("2021", 5), ("2022", 6), ("2021", 7)], "row 3, period: 2021 appears twice (also in row 1)"),
        (
            [("2020", 5), ("2022", 6), ("2021", 7)],
            "row 3, period: 2021 comes before 2022 in row 2: list periods in time order",
        ),
        (
            [("2021", 5), ("2021-Q2", 6)],
            "row 2, period: 2021-Q2 is not the same kind of period as 2021 in row 1",
        ),
        (
            [("2021", 5), ("last year", 6)],
            "row 2, period: last year is not a year (2024), half (2024-H1), quarter (2024-Q3) or month (2024-03)",
        ),
    ],
)
def test_bad_row_is_named_by_row_and_field_and_nothing_is_saved(
    world: World, pairs: list[tuple[Any, Any]], message: str
) -> None:
    _set(world, GROWING)
    before = _stored(world)
    with pytest.raises(ValidationFailed) as caught:
        _set(world, pairs)
    assert caught.value.errors == {"rows": [message]}
    assert _stored(world) == before
    assert AuditEvent.objects.filter(verb="demand.history_set").count() == 1


def test_every_bad_row_is_reported_at_once(world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        _set(world, [("2020", -2), ("", 4), ("2022", "x")])
    assert caught.value.errors["rows"] == [
        "row 1, demand: must not be negative",
        "row 2, period: is missing",
        "row 3, demand: x is not a number",
    ]
    assert not DemandPeriod.objects.exists()
    assert not DemandHistory.objects.exists()


def test_period_labels_are_normalized(world: World) -> None:
    _set(world, [(" 2024q1 ", 1), ("2024-Q2", 2), ("2024-q3", 3)])
    assert [p for p, _d in _stored(world)] == ["2024-Q1", "2024-Q2", "2024-Q3"]


def test_viewer_may_not_set_demand_and_another_organization_gets_404(world: World) -> None:
    with pytest.raises(PermissionDenied):
        actions.set_demand_history(acting_user=world.viewer.user, service=world.service, rows=_rows(GROWING))
    from django.http import Http404

    with pytest.raises(Http404):
        actions.set_demand_history(acting_user=world.outsider.user, service=world.service, rows=_rows(GROWING))
    assert not DemandPeriod.objects.exists()


def test_stage_equals_the_method_on_the_same_numbers(world: World) -> None:
    _set(world, SLOWING, from_launch=True)
    computed = queries.service_lifecycle(world.service)
    expected = lifecycle([p for p, _d in SLOWING], [d for _p, d in SLOWING], from_launch=True)
    assert computed.result is not None
    assert computed.stage == expected.stage == "maturity"
    assert [p.stage for p in computed.result.periods] == [p.stage for p in expected.periods]
    assert computed.result.sigma == pytest.approx(expected.sigma)
    assert (computed.result.bass is None) == (expected.bass is None)
    if expected.bass is not None and computed.result.bass is not None:
        assert computed.result.bass.m == pytest.approx(expected.bass.m, rel=1e-6)


def test_stage_change_is_recorded_once_and_notifies_the_owner_team(world: World) -> None:
    first = _set(world, GROWING, from_launch=True)
    assert first.stage == "growth"
    assert first.change is not None and first.change.from_stage == "" and first.change.to_stage == "growth"
    again = _set(world, [*GROWING, ("2024", 3300)], from_launch=True)  # still growing: no new change
    assert again.stage == "growth" and again.change is None
    moved = _set(world, SLOWING, from_launch=True)
    assert moved.change is not None
    assert (moved.change.from_stage, moved.change.to_stage, moved.change.evidence_period) == (
        "growth",
        "maturity",
        "2024",
    )
    assert list(StageChange.objects.values_list("to_stage", flat=True).order_by("id")) == ["growth", "maturity"]
    notices = AuditEvent.objects.filter(verb="stage.owner_notified").order_by("id")
    assert [n.changes["owner_team"] for n in notices] == [world.owner_team.name] * 2
    assert notices.last().changes["stage"] == "maturity"  # type: ignore[union-attr]
    assert AuditEvent.objects.filter(verb="stage.changed").count() == 2


def test_too_short_history_has_no_stage_and_no_change(world: World) -> None:
    saved = _set(world, [("2024", 10)])
    assert saved.stage is None and saved.change is None
    lc = queries.service_lifecycle(world.service)
    assert lc.result is None
    assert lc.reason == "a life-cycle stage needs at least 2 periods of demand"
    assert not StageChange.objects.exists()

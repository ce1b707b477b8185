"""Moment health combines whatever the capabilities measure; nothing measured means no score at all."""

from __future__ import annotations

from typing import Any

import pytest

from servicecycle.cycles import queries
from servicecycle.cycles.queries import Signal, moment_health
from tests.factories import World


@pytest.fixture
def source(monkeypatch: Any) -> dict[int, dict[str, Signal]]:
    reported: dict[int, dict[str, Signal]] = {}
    monkeypatch.setattr(queries, "_HEALTH_SOURCES", {"test": lambda moments: reported})
    return reported


def test_unmeasured_moments_have_no_score(world: World, source: dict[int, dict[str, Signal]]) -> None:
    health = moment_health(world.moments)
    assert all(h.score is None for h in health.values())


def test_score_is_one_minus_mean_badness(world: World, source: dict[int, dict[str, Signal]]) -> None:
    first, second = world.moments[0], world.moments[1]
    source[first.pk] = {"complaints": Signal("complaints", 4, 1.0), "broken": Signal("broken", 0.5, 0.5)}
    source[second.pk] = {"complaints": Signal("complaints", 0, 0.0)}
    source[999_999] = {"complaints": Signal("complaints", 9, 1.0)}  # not asked for: ignored
    health = moment_health([first, second])
    assert health[first.pk].score == 0.25
    assert health[second.pk].score == 1.0
    assert set(health) == {first.pk, second.pk}


def test_badness_outside_zero_to_one_is_clamped(world: World, source: dict[int, dict[str, Signal]]) -> None:
    moment = world.moments[0]
    source[moment.pk] = {"x": Signal("x", 3, 7.0)}
    assert moment_health([moment])[moment.pk].score == 0.0

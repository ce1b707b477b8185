from __future__ import annotations

import math

import pytest

from servicecycle.cycles import wheel
from servicecycle.cycles.queries import MomentHealth, moment_health
from tests.factories import World


def _start_point(path: str) -> tuple[float, float]:
    x, y = path.split()[0][1:].split(",")
    return float(x), float(y)


def test_first_moment_starts_at_twelve_o_clock_and_the_cycle_runs_clockwise(world: World) -> None:
    moments = list(world.service.moments.select_related("owner_team").order_by("position"))
    segments = wheel.segments(moments, moment_health(moments))
    assert [s.number for s in segments] == [1, 2, 3]
    x1, y1 = _start_point(segments[0].path)
    assert x1 == pytest.approx(wheel.CENTER, abs=3)  # straight up from the centre
    assert y1 < wheel.CENTER - wheel.OUTER + 1
    x2, y2 = _start_point(segments[1].path)
    assert x2 > wheel.CENTER  # the second moment starts to the right: clockwise
    angle = math.degrees(math.atan2(x2 - wheel.CENTER, wheel.CENTER - y2))
    assert angle == pytest.approx(120, abs=1)


def test_the_owner_team_is_the_inner_band_and_health_fills_the_segment(world: World) -> None:
    """A team's own colour (red, green) must not read as a health figure: it is only the narrow inner band."""
    moments = list(world.service.moments.select_related("owner_team").order_by("position"))
    health = {moments[0].pk: MomentHealth(score=0.0), moments[1].pk: MomentHealth(score=1.0)}
    critical, healthy, unmeasured = wheel.segments(moments, health)
    assert {s.color for s in (critical, healthy, unmeasured)} == {world.owner_team.color}
    assert f"A{wheel.INNER:.0f}," in critical.team_path and f"A{wheel.TEAM_OUTER:.0f}," in critical.team_path
    assert (critical.fill, healthy.fill) == ("hsl(0, 70%, 91%)", "hsl(120, 70%, 91%)")  # the heat colour's hue
    assert unmeasured.fill == wheel.UNMEASURED_FILL and unmeasured.heat_color is None
    assert wheel.HEAT_OUTER - wheel.HEAT_INNER > wheel.TEAM_OUTER - wheel.INNER  # the ring is the wider mark


def test_the_legend_names_each_team_once_in_the_order_of_the_cycle(world: World) -> None:
    moments = list(world.service.moments.select_related("owner_team").order_by("position"))
    moments[1].owner_team = world.other_team
    segments = wheel.segments(moments, {})
    assert wheel.teams(segments) == [
        (world.owner_team.name, world.owner_team.color),
        (world.other_team.name, world.other_team.color),
    ]


def test_unmeasured_moments_get_no_heat_colour(world: World) -> None:
    moments = list(world.service.moments.select_related("owner_team"))
    health = moment_health(moments)
    assert all(h.score is None for h in health.values())
    assert all(s.heat_color is None for s in wheel.segments(moments, health))


def test_heat_runs_from_red_for_critical_to_green_for_healthy() -> None:
    assert wheel.heat_color(None) is None
    assert wheel.heat_color(0.0) == "hsl(0, 75%, 45%)"
    assert wheel.heat_color(1.0) == "hsl(120, 75%, 45%)"
    assert wheel.heat_color(5) == "hsl(120, 75%, 45%)"


def test_a_single_moment_is_drawn_as_a_full_ring(world: World) -> None:
    moment = world.moments[0]
    (segment,) = wheel.segments([moment], {moment.pk: MomentHealth()})
    assert " 1 1 " in segment.path  # the large-arc flag: the arc goes all the way round


def test_long_service_names_wrap_onto_two_lines_in_the_centre() -> None:
    assert wheel.title_lines("Delivery") == ["Delivery"]
    assert wheel.title_lines("Pemeriksaan dan pembersihan gigi") == ["Pemeriksaan dan", "pembersihan gigi"]
    assert wheel.title_lines("A very long service name that keeps going", width=14) == ["A very long", "service name…"]

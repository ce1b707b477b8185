"""Geometry of the cycle-of-service wheel: moments clockwise from 12 o'clock as a closed ring.

Health is what the wheel shows first: a wide heat ring round each measured moment (red critical, green healthy)
and a light tint of the same colour in its segment; a moment nothing measures yet keeps a neutral segment and no
ring. The owner team is a narrow band in the team's colour along the inner edge (and named in the segment's
title), so a team whose colour is red or green does not read as critical or healthy.

Pure arithmetic on the ordered moments; the SVG itself is the template cycles/_wheel.svg.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from servicecycle.cycles.models import Moment
from servicecycle.cycles.queries import MomentHealth

SIZE = 640
CENTER = SIZE / 2
OUTER = 210.0
INNER = 130.0
TEAM_OUTER = 142.0  # the owner team's band: INNER to TEAM_OUTER
HEAT_INNER = 214.0
HEAT_OUTER = 244.0
LABEL_RADIUS = 260.0
UNMEASURED_FILL = "#f1f3f6"
TEXT_COLOR = "#1f2937"
GAP_DEGREES = 0.8
# room around the ring for the moment names written outside it
LABEL_MARGIN_X = 150
LABEL_MARGIN_Y = 12
VIEWBOX = f"{-LABEL_MARGIN_X} {-LABEL_MARGIN_Y} {SIZE + 2 * LABEL_MARGIN_X} {SIZE + 2 * LABEL_MARGIN_Y}"
VIEWBOX_SMALL = f"0 0 {SIZE} {SIZE}"


@dataclass(frozen=True)
class Segment:
    moment: Moment
    number: int
    path: str
    heat_path: str
    heat_color: str | None
    score: float | None
    fill: str  # a light tint of the heat colour, neutral when not measured
    team_path: str
    color: str  # the owner team's colour, drawn as the inner band
    text_color: str
    number_x: float
    number_y: float
    label_x: float
    label_y: float
    label_anchor: str
    label: str
    show_label: bool


def _point(radius: float, degrees: float) -> tuple[float, float]:
    """Clock-face coordinates: 0 degrees at 12 o'clock, growing clockwise."""
    radians = math.radians(degrees - 90)
    return CENTER + radius * math.cos(radians), CENTER + radius * math.sin(radians)


def annulus_sector(inner: float, outer: float, start: float, end: float) -> str:
    large = 1 if end - start > 180 else 0
    x1, y1 = _point(outer, start)
    x2, y2 = _point(outer, end)
    x3, y3 = _point(inner, end)
    x4, y4 = _point(inner, start)
    return (
        f"M{x1:.2f},{y1:.2f} A{outer:.0f},{outer:.0f} 0 {large} 1 {x2:.2f},{y2:.2f} "
        f"L{x3:.2f},{y3:.2f} A{inner:.0f},{inner:.0f} 0 {large} 0 {x4:.2f},{y4:.2f} Z"
    )


def _hue(score: float) -> float:
    """0 (red, critical) .. 120 (green, healthy)."""
    return 120 * max(0.0, min(1.0, score))


def heat_color(score: float | None) -> str | None:
    """Red (critical, 0) through amber to green (healthy, 1); None when not measured."""
    if score is None:
        return None
    return f"hsl({_hue(score):.0f}, 75%, 45%)"


def heat_tint(score: float | None) -> str:
    """The segment's fill: the heat colour's hue, pale enough for dark text; neutral grey when not measured."""
    if score is None:
        return UNMEASURED_FILL
    return f"hsl({_hue(score):.0f}, 70%, 91%)"


def segments(moments: list[Moment], health: dict[int, MomentHealth]) -> list[Segment]:
    n = len(moments)
    if n == 0:
        return []
    step = 360 / n
    gap = GAP_DEGREES if n > 1 else 0
    show_labels = n <= 16
    out = []
    for index, moment in enumerate(moments):
        start = index * step + gap / 2
        end = (index + 1) * step - gap / 2
        if n == 1:
            end = 359.99
        mid = (start + end) / 2
        nx, ny = _point((TEAM_OUTER + OUTER) / 2, mid)
        lx, ly = _point(LABEL_RADIUS, mid)
        anchor = "middle" if abs(math.sin(math.radians(mid))) < 0.2 else ("start" if mid < 180 else "end")
        label = moment.name if len(moment.name) <= 24 else moment.name[:23] + "…"
        score = health.get(moment.pk, MomentHealth()).score
        out.append(
            Segment(
                moment=moment,
                number=index + 1,
                path=annulus_sector(INNER, OUTER, start, end),
                heat_path=annulus_sector(HEAT_INNER, HEAT_OUTER, start, end),
                heat_color=heat_color(score),
                score=score,
                fill=heat_tint(score),
                team_path=annulus_sector(INNER, TEAM_OUTER, start, end),
                color=moment.owner_team.color,
                text_color=TEXT_COLOR,
                number_x=round(nx, 2),
                number_y=round(ny, 2),
                label_x=round(lx, 2),
                label_y=round(ly, 2),
                label_anchor=anchor,
                label=label,
                show_label=show_labels,
            )
        )
    return out


def teams(segments: list[Segment]) -> list[tuple[str, str]]:
    """The owner teams of the segments, (name, colour) once each in the order of the cycle: the wheel's legend."""
    seen: dict[int, tuple[str, str]] = {}
    for s in segments:
        team = s.moment.owner_team
        seen.setdefault(team.pk, (team.name, team.color))
    return list(seen.values())


def arrow_path() -> str:
    """A short clockwise arc with an arrow head inside the ring, showing the direction of the cycle."""
    r = INNER - 14
    x1, y1 = _point(r, 20)
    x2, y2 = _point(r, 60)
    return f"M{x1:.2f},{y1:.2f} A{r:.0f},{r:.0f} 0 0 1 {x2:.2f},{y2:.2f}"


def title_lines(name: str, width: int = 18, max_lines: int = 2) -> list[str]:
    """The service name broken into at most `max_lines` lines of about `width` characters for the ring's centre."""
    lines: list[str] = []
    for word in name.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], " ".join(lines[max_lines - 1 :])]
    return [line if len(line) <= width else line[: width - 1].rstrip() + "…" for line in lines]

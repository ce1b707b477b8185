"""Template helpers of the cycle wheel."""

from __future__ import annotations

from django import template

from servicecycle.cycles import wheel

register = template.Library()


@register.filter
def wheel_teams(segments: list[wheel.Segment]) -> list[tuple[str, str]]:
    """``{% for name, colour in segments|wheel_teams %}``: the teams of the wheel's inner band, once each."""
    return wheel.teams(segments)

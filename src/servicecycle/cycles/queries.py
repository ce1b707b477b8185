"""Reads of cycles of service: the ordered moments, their health, and the wheel drawn from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import Http404

from servicecycle.accounts.permissions import MESSAGE_NOT_ALLOWED, can_edit_cycle, staff_of
from servicecycle.catalog.models import Service
from servicecycle.core.errors import PermissionDenied
from servicecycle.cycles.models import Moment


@dataclass(frozen=True)
class MomentHealth:
    """How well a moment of truth is going, 0 (critical) .. 1 (healthy), with the figures behind it.

    `score` is None while no capability measures the moment yet (no complaints, promises or survey
    answers are recorded): the wheel then shows no heat colour rather than an invented number.
    """

    score: float | None = None
    components: dict[str, float] = field(default_factory=dict)


def moments_of(service: Service) -> list[Moment]:
    """The cycle in customer order, with owner teams (one query)."""
    return list(Moment.objects.filter(service=service).select_related("owner_team").order_by("position"))


def moment_health(moments: list[Moment]) -> dict[int, MomentHealth]:
    """Health per moment id.

    The cases, promises and surveys capabilities feed this from their stored data; until they exist every
    moment's score is None (no heat colouring), and no query is made.
    """
    return {m.pk: MomentHealth() for m in moments}


def get_moment_for_user(user: Any, service: Service, moment_id: Any, *, write: bool = False) -> Moment:
    try:
        moment = Moment.objects.select_related("owner_team").get(pk=int(moment_id), service=service)
    except (Moment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    moment.service = service
    if write and not can_edit_cycle(user, service.owner_team_id):
        raise PermissionDenied(MESSAGE_NOT_ALLOWED)
    return moment


def require_cycle_access(user: Any, service: Service, *, write: bool = False) -> None:
    if staff_of(user) is None:
        raise Http404
    if write and not can_edit_cycle(user, service.owner_team_id):
        raise PermissionDenied(MESSAGE_NOT_ALLOWED)

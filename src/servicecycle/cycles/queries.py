"""Reads of cycles of service: the ordered moments, their health, and the wheel drawn from them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404

from servicecycle.accounts.permissions import MESSAGE_NOT_ALLOWED, can_edit_cycle, staff_of
from servicecycle.catalog.models import Service
from servicecycle.core.errors import PermissionDenied
from servicecycle.core.records import RecordList
from servicecycle.cycles.models import Moment


@dataclass(frozen=True)
class Signal:
    """One measured figure of a moment: ``value`` as shown (e.g. 7 complaints in 90 days, 25 % broken) and
    ``badness`` 0 (fine) .. 1 (worst), already made comparable by the capability that measured it."""

    label: str
    value: float
    badness: float


@dataclass(frozen=True)
class MomentHealth:
    """How well a moment of truth is going, 0 (critical) .. 1 (healthy), with the figures behind it.

    `score` is None while nothing measures the moment (no complaints, promises or survey answers are
    recorded): the wheel then shows no heat colour rather than an invented number. Otherwise it is
    1 minus the mean badness of the signals the capabilities report for the moment.
    """

    score: float | None = None
    components: dict[str, Signal] = field(default_factory=dict)


# moment ids -> {signal key: Signal}; one function per capability (cases, promises, surveys), registered in
# that app's AppConfig.ready() so the backbone never imports them. Each makes one aggregate query.
HealthSource = Callable[[list[Moment]], dict[int, dict[str, Signal]]]
_HEALTH_SOURCES: dict[str, HealthSource] = {}


def register_health_source(name: str, source: HealthSource) -> None:
    _HEALTH_SOURCES[name] = source


# (moment, offset, limit) -> RecordList; registered by the capabilities like the health sources. Each makes a
# bounded number of queries whatever the data (a count and a page).
EvidenceSource = Callable[[Moment, int, int], RecordList]
_EVIDENCE_SOURCES: dict[str, EvidenceSource] = {}


def register_evidence_source(name: str, source: EvidenceSource) -> None:
    _EVIDENCE_SOURCES[name] = source


def moment_evidence(moment: Moment, *, pages: dict[str, int] | None = None, per_page: int = 10) -> list[RecordList]:
    """Every capability's records behind the moment's health; ``pages`` maps an evidence key to its page number."""
    pages = pages or {}
    found = []
    for name, source in _EVIDENCE_SOURCES.items():
        page = max(1, pages.get(name, 1))
        found.append(source(moment, (page - 1) * per_page, per_page))
    return found


def moments_of(service: Service) -> list[Moment]:
    """The cycle in customer order, with owner teams (one query)."""
    return list(Moment.objects.filter(service=service).select_related("owner_team").order_by("position"))


def moment_health(moments: list[Moment]) -> dict[int, MomentHealth]:
    """Health per moment id, from every registered capability's signals (one query per capability)."""
    components: dict[int, dict[str, Signal]] = {m.pk: {} for m in moments}
    if moments:
        for source in _HEALTH_SOURCES.values():
            for moment_id, signals in source(moments).items():
                if moment_id in components:
                    components[moment_id].update(signals)
    health = {}
    for moment_id, signals in components.items():
        if not signals:
            health[moment_id] = MomentHealth()
            continue
        badness = sum(min(1.0, max(0.0, s.badness)) for s in signals.values()) / len(signals)
        health[moment_id] = MomentHealth(score=round(1 - badness, 3), components=signals)
    return health


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


def moment_options(organization_id: int, service_id: Any) -> list[Moment]:
    """The moments of one of the organization's services, in cycle order, for a moment picker (none for a
    service that is not the organization's or not a number)."""
    try:
        sid = int(service_id)
    except (TypeError, ValueError):
        return []
    return list(Moment.objects.filter(service_id=sid, service__organization_id=organization_id).order_by("position"))

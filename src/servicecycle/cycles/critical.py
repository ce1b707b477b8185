"""Critical moments: every measured moment of truth of an organization's active services, worst health first.

The health figures are the same ``moment_health`` the wheel draws (docs/moment-health.md): each capability's
signal is normalized to a 0..1 badness on one scale for the whole organization, so a moment of one service can
be ranked against a moment of another and the ranking shows the numbers the wheel colours.
"""

from __future__ import annotations

from dataclasses import dataclass

from servicecycle.accounts.models import Organization
from servicecycle.catalog.models import Service
from servicecycle.cycles.models import Moment
from servicecycle.cycles.queries import MomentHealth, moment_health
from servicecycle.cycles.wheel import heat_color

# the signal keys the capabilities report, in the order pages show them
SIGNAL_KEYS = ("complaints", "broken_promises", "satisfaction")


@dataclass(frozen=True)
class RankedMoment:
    moment: Moment
    service: Service
    health: MomentHealth
    heat_color: str

    @property
    def score(self) -> float:
        assert self.health.score is not None  # unmeasured moments are never ranked
        return self.health.score


def rank_moments(
    organization: Organization, *, limit: int | None = None, service_id: int | None = None
) -> list[RankedMoment]:
    """The measured moments of the organization's active services, lowest health first (ties: service name,
    then the moment's place in its cycle); moments nothing measures are left out.

    A fixed number of queries whatever the data: one for the moments (with service and owner team), one per
    registered health source. ``service_id`` narrows the ranking to one service, on the same scale.
    """
    moments = Moment.objects.filter(
        service__organization=organization, service__status=Service.Status.ACTIVE
    ).select_related("service", "owner_team")
    if service_id is not None:
        moments = moments.filter(service_id=service_id)
    found = list(moments.order_by("service__name", "service_id", "position"))
    health = moment_health(found)
    ranked = []
    for moment in found:
        figures = health[moment.pk]
        color = heat_color(figures.score)
        if figures.score is None or color is None:
            continue
        ranked.append(RankedMoment(moment=moment, service=moment.service, health=figures, heat_color=color))
    # a stable sort keeps the (service name, position) order among equal scores
    ranked.sort(key=lambda r: r.score)
    return ranked if limit is None else ranked[: max(0, limit)]

"""Reads of demand histories and life-cycle stages, with the stage computed by the analytics method."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, QuerySet, Window
from django.db.models.functions import Lag

from servicecycle.analytics.methods import MethodInputError
from servicecycle.analytics.methods.lifecycle import LifecycleResult, lifecycle
from servicecycle.catalog.models import Service
from servicecycle.strategy.models import DemandHistory, DemandPeriod, SelfAssessment, StageChange


def compute_lifecycle(
    periods: Sequence[tuple[str, Decimal | float]], *, from_launch: bool
) -> tuple[LifecycleResult | None, str | None]:
    """The Polli & Cook stages and Bass fit of the periods, or (None, the method's reason) when it cannot say."""
    if not periods:
        return None, None
    try:
        result = lifecycle([p for p, _d in periods], [float(d) for _p, d in periods], from_launch=from_launch)
    except MethodInputError as exc:
        return None, str(exc)
    return result, None


def evidence_period(result: LifecycleResult) -> str | None:
    """The first period of the final run of periods in the current stage: where the stage began."""
    if result.stage is None:
        return None
    start = len(result.periods) - 1
    while start > 0 and result.periods[start - 1].stage == result.stage:
        start -= 1
    return result.periods[start].period


@dataclass(frozen=True)
class ServiceLifecycle:
    """Everything the life-cycle page shows about one service."""

    from_launch: bool
    periods: list[DemandPeriod]
    result: LifecycleResult | None
    reason: str | None  # the method's reason when no stage can be computed from the history
    changes: list[StageChange]

    @property
    def empty(self) -> bool:
        return not self.periods

    @property
    def stage(self) -> str | None:
        return self.result.stage if self.result is not None else None


def demand_periods(service: Service) -> list[DemandPeriod]:
    return list(DemandPeriod.objects.filter(service=service).order_by("position"))


def service_lifecycle(service: Service) -> ServiceLifecycle:
    """Demand history, stages by period, Bass fit and stage changes of the service (three queries)."""
    history = DemandHistory.objects.filter(service=service).first()
    from_launch = history.from_launch if history is not None else False
    periods = demand_periods(service)
    result, reason = compute_lifecycle([(p.period, p.demand) for p in periods], from_launch=from_launch)
    changes = list(StageChange.objects.filter(service=service).select_related("changed_by").order_by("-at", "-id"))
    return ServiceLifecycle(from_launch=from_launch, periods=periods, result=result, reason=reason, changes=changes)


def self_assessment_history(organization_id: int) -> QuerySet[SelfAssessment]:
    """The organization's assessments, newest first, each with ``previous_total``: the total of the assessment
    taken before it for the same scope (the same service, or the whole organization), None for the first one."""
    return (
        SelfAssessment.objects.filter(organization_id=organization_id)
        .select_related("service", "taken_by__user")
        .annotate(
            previous_total=Window(
                Lag("total"), partition_by=[F("service_id")], order_by=[F("taken_on").asc(), F("id").asc()]
            )
        )
        .order_by("-taken_on", "-id")
    )

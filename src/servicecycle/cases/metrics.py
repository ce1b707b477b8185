"""Prometheus gauges of cases, read from the database at scrape time (see core/metrics.py)."""

from __future__ import annotations

from django.db.models import Count

from servicecycle.cases.models import Case
from servicecycle.core.metrics import GaugeSamples, database_gauge


@database_gauge(
    "cases_open",
    "Open cases by SLA state (on_track, warning, breached, paused, none) and kind.",
    labelnames=("sla_state", "kind"),
)
def cases_open() -> GaugeSamples:
    rows = (
        Case.objects.filter(status__in=Case.OPEN_STATUSES)
        .order_by()
        .values_list("sla_state", "kind")
        .annotate(n=Count("id"))
    )
    return [((state, kind), float(n)) for state, kind, n in rows]


@database_gauge(
    "cases_sla_breached",
    "Open cases past an SLA target, by escalation level (1 team lead, 2 managers).",
    labelnames=("escalation_level",),
)
def cases_sla_breached() -> GaugeSamples:
    rows = (
        Case.objects.filter(status__in=Case.OPEN_STATUSES, sla_state=Case.SlaState.BREACHED)
        .order_by()
        .values_list("escalation_level")
        .annotate(n=Count("id"))
    )
    return [((str(level),), float(n)) for level, n in rows]

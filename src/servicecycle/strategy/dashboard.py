"""The manager dashboard: every figure of the managers' home page (and of its PDF and XLSX exports) in one
dataclass, assembled with a fixed number of queries whatever the number of cases, promises or answers.

What it shows and where each figure comes from:

* wheels with heat rings: the organization's services but the retired ones (at most ``MAX_SERVICES``, by name)
  with their moments, coloured by the health ``cycles.critical.rank_moments`` measured (the moments of planned or
  paused services, which the ranking leaves out, by ``cycles.queries.moment_health``);
* top critical moments: the first five of ``cycles.critical.rank_moments(organization)``, worst first;
* SLA compliance over the last 30 or 90 local days: the rules of ``cases.reports.timings`` (met / (met + breached)
  per target over the cases received in the period, running targets left out), counted per received local day
  and kept in the cache per day (``sla_compliance``): the business clock runs in Python, about 1-2 ms per case,
  far too slow for thousands of cases on every visit, while a past day's figures only change when one of its
  cases changes (its ``updated_at``), when the SLA policies or the calendar change (both part of the cache key),
  or when a running target's due instant passes (kept with the day);
* NPS trend: the answers to the NPS questions of the organization's surveys by wave, the last ``NPS_WAVES`` waves
  in the order they started, summed from the surveys' count summary ``SurveyFigure`` (one grouped query over a few
  hundred rows, where counting 100,000 answers joined with their responses took ~1 s), each wave finished by
  ``analytics.methods.nps.nps_from_counts`` (score, standard error, 95 % interval). Responses recorded outside
  any wave carry no period in the summary and are left out of the trend;
* promise kept rate over the same period: sums of the per-day summary ``PromiseFigures`` (team rows add up to
  the whole organization, see ``promises.queries.staff_scorecard``), one query;
* life-cycle stage per service: the last recorded ``StageChange`` of each service (recorded by
  ``strategy.actions.set_demand_history`` whenever the demand history moves the service to another stage), one
  query for all services.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from servicecycle.accounts.models import Organization
from servicecycle.analytics.charts import STAGE_COLOURS
from servicecycle.analytics.methods.nps import NPSResult, nps_from_counts
from servicecycle.cases import sla
from servicecycle.cases.models import CasePause, SlaPolicy
from servicecycle.cases.reports import ReportFilters, SlaCompliance, cases_in, local_today
from servicecycle.cases.sla import TARGET_ORDER
from servicecycle.catalog.models import Service
from servicecycle.core import clock
from servicecycle.cycles import wheel
from servicecycle.cycles.critical import RankedMoment, rank_moments
from servicecycle.cycles.models import Moment
from servicecycle.cycles.queries import moment_health
from servicecycle.promises.models import PromiseFigures
from servicecycle.strategy.models import Stage, StageChange
from servicecycle.surveys.models import Question, SurveyFigure, Wave

PERIODS = (30, 90)  # days the SLA compliance and the kept rate are counted over
DEFAULT_DAYS = 30
MAX_SERVICES = 12
TOP_CRITICAL = 5
NPS_WAVES = 12


@dataclass(frozen=True)
class ServiceCard:
    service: Service
    segments: list[wheel.Segment]
    title_lines: list[str]
    stage: str | None  # a Stage value; None while no stage was recorded for the service

    @property
    def stage_label(self) -> str:
        return str(Stage(self.stage).label) if self.stage else ""

    @property
    def stage_colour(self) -> str:
        return STAGE_COLOURS.get(self.stage or "unknown", STAGE_COLOURS["unknown"])

    @property
    def measured(self) -> int:
        return sum(1 for s in self.segments if s.heat_color is not None)


@dataclass(frozen=True)
class NpsPoint:
    wave_id: int
    label: str  # the wave's name
    starts_on: date
    result: NPSResult


@dataclass(frozen=True)
class PromiseRate:
    given: int
    kept: int
    broken: int

    @property
    def resolved(self) -> int:
        return self.kept + self.broken

    @property
    def percent(self) -> float | None:
        return 100.0 * self.kept / self.resolved if self.resolved else None


@dataclass(frozen=True)
class Dashboard:
    organization: Organization
    days: int
    start: date  # first local day of the period (SLA compliance, kept rate)
    end: date  # today, local
    cards: list[ServiceCard]
    service_count: int  # active services, including those beyond MAX_SERVICES
    critical: list[RankedMoment]
    sla: tuple[SlaCompliance, ...]
    sla_has_policy: bool
    nps_trend: list[NpsPoint]
    promises: PromiseRate

    @property
    def sla_empty(self) -> bool:
        return all(s.decided == 0 for s in self.sla)

    @property
    def nps_latest(self) -> NpsPoint | None:
        return self.nps_trend[-1] if self.nps_trend else None


def parse_days(raw: Any) -> int:
    """The period from the query string: one of PERIODS, else the default."""
    try:
        days = int(str(raw))
    except (TypeError, ValueError):
        return DEFAULT_DAYS
    return days if days in PERIODS else DEFAULT_DAYS


def nps_trend(organization: Organization, waves: int = NPS_WAVES) -> list[NpsPoint]:
    """NPS per wave across every NPS question of the organization's surveys, the last ``waves`` waves in the order
    they started (two queries: the counts grouped by wave on the count summary, then the waves' names; the names
    looked up per summary row before the grouping cost 30 ms at 100,000 responses); waves without answers are
    left out."""
    nps_questions = Question.objects.filter(survey__organization=organization, kind=Question.Kind.NPS).values("pk")
    rows = list(
        SurveyFigure.objects.filter(
            survey__organization=organization,
            question_id__in=Subquery(nps_questions),
            wave_id__gt=0,
            value__gte=0,
            value__lte=10,
        )
        .values("wave_id")
        .annotate(
            promoters=Coalesce(Sum("n", filter=Q(value__gte=9)), 0),
            passives=Coalesce(Sum("n", filter=Q(value__gte=7, value__lte=8)), 0),
            detractors=Coalesce(Sum("n", filter=Q(value__lte=6)), 0),
        )
        .order_by()
    )
    rows = [row for row in rows if row["promoters"] + row["passives"] + row["detractors"] > 0]
    named = Wave.objects.filter(pk__in=[row["wave_id"] for row in rows]).values_list("pk", "name", "starts_on")
    wave_of = {pk: (name, starts_on) for pk, name, starts_on in named}
    points = [
        NpsPoint(
            wave_id=row["wave_id"],
            label=wave_of[row["wave_id"]][0],
            starts_on=wave_of[row["wave_id"]][1],
            result=nps_from_counts(row["promoters"], row["passives"], row["detractors"]),
        )
        for row in rows
        if row["wave_id"] in wave_of
    ]
    points.sort(key=lambda p: (p.starts_on, p.wave_id))
    return points[-waves:]


def promise_rate(organization: Organization, first: date, last: date) -> PromiseRate:
    """Given, kept and broken promises due on the local days first..last (one query on the summary)."""
    summary = PromiseFigures.objects.filter(
        organization_id=organization.pk, dimension="team", day__gte=first, day__lte=last
    )
    row = summary.aggregate(
        given=Coalesce(Sum("given"), 0), kept=Coalesce(Sum("kept"), 0), broken=Coalesce(Sum("broken"), 0)
    )
    return PromiseRate(given=row["given"], kept=row["kept"], broken=row["broken"])


# --- SLA compliance, per received day, kept in the cache -------------------------------------------------------

SLA_CACHE_SECONDS = 8 * 24 * 3600  # a day's entry outlives the longest period shown


@dataclass(frozen=True)
class SlaDay:
    """The SLA outcome of the cases received on one local day, and what it was computed from."""

    cases: int
    last_update: datetime | None
    met: dict[str, int]
    breached: dict[str, int]
    running: dict[str, int]
    recount_at: datetime | None  # the earliest due instant of a running target: the day is stale from then on


def _sla_config(organization: Organization) -> tuple[str, list[SlaPolicy], clock.Calendar]:
    """The policies and calendar (each process keeps them, see cases.sla) and the part of the cache key that
    names them: the organization's settings stamp, renewed by every change to either."""
    key = str(organization.settings_stamp)
    return key, sla.policies_for(organization), sla.calendar_for(organization)


def _count_days(
    organization: Organization,
    days: list[date],
    policies: list[SlaPolicy],
    calendar: clock.Calendar,
    now: datetime,
) -> dict[date, SlaDay]:
    """SLA outcomes of the cases received on ``days`` (two queries: the cases, their pauses), with the rules of
    ``cases.reports.timings``: a target is met when fulfilled by its due instant, breached when fulfilled late or
    when its due instant passed unfulfilled, running otherwise; resolving fulfils the earlier targets too."""
    zone = organization.zone
    cases = (
        cases_in(organization, ReportFilters(start=min(days), end=max(days)))
        .annotate(day=TruncDate("received_at", tzinfo=zone))
        .filter(day__in=days)
    )
    rows = list(
        cases.order_by().values_list(
            "id",
            "day",
            "kind",
            "priority",
            "received_at",
            "acknowledged_at",
            "first_response_at",
            "resolved_at",
            "reopened_at",
            "updated_at",
        )
    )
    pauses: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    stretches = CasePause.objects.filter(case__in=cases.values("id")).order_by("started_at")
    for case_id, started, ended in stretches.values_list("case_id", "started_at", "ended_at"):
        pauses[case_id].append((started, ended))
    by_policy = {(p.kind, p.priority): p for p in policies}
    counts: dict[date, dict[str, Any]] = {
        day: {
            "cases": 0,
            "last": None,
            "met": dict.fromkeys(TARGET_ORDER, 0),
            "breached": dict.fromkeys(TARGET_ORDER, 0),
            "running": dict.fromkeys(TARGET_ORDER, 0),
            "recount": None,
        }
        for day in days
    }
    for case_id, day, kind, priority, received, acknowledged, responded, resolved, reopened, updated in rows:
        entry = counts[day]
        entry["cases"] += 1
        entry["last"] = updated if entry["last"] is None or updated > entry["last"] else entry["last"]
        policy = by_policy.get((kind, priority))
        if policy is None:
            continue
        reached = {"acknowledgement": acknowledged, "first_response": responded, "resolution": resolved}
        for target in TARGET_ORDER:
            minutes = policy.minutes_for(target)
            if minutes is None:
                continue
            start = (reopened or received) if target == "resolution" else received
            fulfilled = reached[str(target)] or resolved
            try:
                due = clock.due_at(calendar, start, minutes * 60, pauses.get(case_id, []))
            except ValueError:  # a calendar without working time: no deadline exists, so nothing to judge
                continue
            if fulfilled is not None:
                outcome = "met" if due is None or fulfilled <= due else "breached"
            elif due is not None and due <= now:
                outcome = "breached"
            else:
                outcome = "running"
                if due is not None and (entry["recount"] is None or due < entry["recount"]):
                    entry["recount"] = due
            entry[outcome][target] += 1
    return {
        day: SlaDay(
            cases=e["cases"],
            last_update=e["last"],
            met=e["met"],
            breached=e["breached"],
            running=e["running"],
            recount_at=e["recount"],
        )
        for day, e in counts.items()
    }


def sla_compliance(
    organization: Organization, start: date, end: date, *, now: datetime | None = None
) -> tuple[tuple[SlaCompliance, ...], bool]:
    """SLA compliance per target over the cases received on the local days start..end, and whether any policy is
    set. Each day's counts come from the cache while the day's cases, the policies and the calendar are unchanged
    and no running target of the day has fallen due; the other days are counted again. Queries: none for the
    policies and calendar while this process has them (else three), one for the days' case counts and last
    updates, and, when a day must be counted, two more (its cases and their pauses)."""
    now = now or timezone.now()
    digest, policies, calendar = _sla_config(organization)
    zone = organization.zone
    seen = {
        row["day"]: (row["n"], row["last"])
        for row in cases_in(organization, ReportFilters(start=start, end=end))
        .annotate(day=TruncDate("received_at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("id"), last=Max("updated_at"))
        .order_by()
    }
    keys = {day: f"dashboard-sla:{organization.pk}:{digest}:{day.isoformat()}" for day in seen}
    cached = cache.get_many(list(keys.values())) if keys else {}
    found: dict[date, SlaDay] = {}
    stale = []
    for day, (n, last) in seen.items():
        entry = cached.get(keys[day])
        if (
            isinstance(entry, SlaDay)
            and (entry.cases, entry.last_update) == (n, last)
            and (entry.recount_at is None or now < entry.recount_at)
        ):
            found[day] = entry
        else:
            stale.append(day)
    if stale and policies:
        fresh = _count_days(organization, stale, policies, calendar, now)
        cache.set_many({keys[day]: entry for day, entry in fresh.items()}, SLA_CACHE_SECONDS)
        found.update(fresh)
    labels = {str(t): str(t.label) for t in TARGET_ORDER}
    totals = {
        kind: {str(t): sum(getattr(d, kind)[t] for d in found.values()) for t in TARGET_ORDER}
        for kind in ("met", "breached", "running")
    }
    return (
        tuple(
            SlaCompliance(
                target=str(t),
                label=labels[str(t)],
                met=totals["met"][str(t)],
                breached=totals["breached"][str(t)],
                running=totals["running"][str(t)],
            )
            for t in TARGET_ORDER
        ),
        bool(policies),
    )


def build_dashboard(organization: Organization, *, days: int = DEFAULT_DAYS, now: datetime | None = None) -> Dashboard:
    """Every figure of the dashboard. The number of queries does not depend on the amount of data."""
    if days not in PERIODS:
        raise ValueError(f"days must be one of {PERIODS}, not {days!r}")
    today = local_today(organization)
    start = today - timedelta(days=days - 1)
    active = Service.objects.filter(organization=organization).exclude(status=Service.Status.RETIRED)
    last_stage = StageChange.objects.filter(service=OuterRef("pk")).order_by("-at", "-id").values("to_stage")[:1]
    services = list(
        active.select_related("owner_team").annotate(stage=Subquery(last_stage)).order_by("name", "pk")[:MAX_SERVICES]
    )
    service_count = active.count()
    inactive = {s.pk for s in services if s.status != Service.Status.ACTIVE}
    moments = list(
        Moment.objects.filter(service__in=[s.pk for s in services])
        .select_related("owner_team")
        .order_by("service_id", "position")
    )
    # the ranking measures every moment of the active services; the wheels take their colours from it, so each
    # health source runs once (and the wheel and the ranking cannot disagree); only the moments of services shown
    # that are not active (planned, paused) are measured apart, with no query when there are none
    ranked = rank_moments(organization)
    health = {r.moment.pk: r.health for r in ranked}
    health.update(moment_health([m for m in moments if m.service_id in inactive]))
    by_service: dict[int, list[Moment]] = {s.pk: [] for s in services}
    for moment in moments:
        by_service[moment.service_id].append(moment)
    cards = [
        ServiceCard(
            service=service,
            segments=wheel.segments(by_service[service.pk], health),
            title_lines=wheel.title_lines(service.name, width=14),
            stage=service.stage,  # type: ignore[attr-defined]
        )
        for service in services
    ]
    sla, has_policy = sla_compliance(organization, start, today, now=now)
    return Dashboard(
        organization=organization,
        days=days,
        start=start,
        end=today,
        cards=cards,
        service_count=service_count,
        critical=ranked[:TOP_CRITICAL],
        sla=sla,
        sla_has_policy=has_policy,
        nps_trend=nps_trend(organization),
        promises=promise_rate(organization, start, today),
    )


# --- the NPS trend as an inline SVG chart (geometry only; the template draws it) -------------------------------

CHART_WIDTH = 640
CHART_HEIGHT = 240
CHART_LEFT = 44
CHART_RIGHT = 12
CHART_TOP = 12
CHART_BOTTOM = 34


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    y_low: float  # the 95 % interval's lower end (larger y: lower on the page)
    y_high: float
    point: NpsPoint


@dataclass(frozen=True)
class ChartTick:
    position: float
    label: str


@dataclass(frozen=True)
class NpsChart:
    width: int
    height: int
    left: int
    right: float
    top: int
    bottom: float
    points: list[ChartPoint]
    line: str  # polyline points of consecutive months with answers ("x,y x,y ...")
    y_ticks: list[ChartTick]
    x_ticks: list[ChartTick]  # one per wave
    zero_y: float


def nps_chart(trend: list[NpsPoint]) -> NpsChart | None:
    """Positions of each wave's NPS and 95 % interval, the waves evenly spaced in order; None without answers."""
    if not trend:
        return None
    lows = [m.result.ci95[0] for m in trend]
    highs = [m.result.ci95[1] for m in trend]
    bottom_value = max(-100.0, 20 * ((min(min(lows), 0.0) - 1) // 20))
    top_value = min(100.0, 20 * -((-max(max(highs), 0.0) - 1) // 20))
    plot_bottom = CHART_HEIGHT - CHART_BOTTOM
    step = (CHART_WIDTH - CHART_LEFT - CHART_RIGHT) / max(len(trend), 4)

    def y_of(value: float) -> float:
        return round(plot_bottom - (value - bottom_value) / (top_value - bottom_value) * (plot_bottom - CHART_TOP), 1)

    points = [
        ChartPoint(
            x=round(CHART_LEFT + step * (i + 0.5), 1),
            y=y_of(m.result.nps),
            y_low=y_of(m.result.ci95[0]),
            y_high=y_of(m.result.ci95[1]),
            point=m,
        )
        for i, m in enumerate(trend)
    ]
    y_ticks = []
    value = bottom_value
    while value <= top_value:
        y_ticks.append(ChartTick(position=y_of(value), label=f"{value:.0f}"))
        value += 20 if top_value - bottom_value <= 120 else 40
    x_ticks = [
        ChartTick(position=p.x, label=p.point.label if len(p.point.label) <= 12 else p.point.label[:11] + "…")
        for p in points
    ]
    return NpsChart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        left=CHART_LEFT,
        right=CHART_WIDTH - CHART_RIGHT,
        top=CHART_TOP,
        bottom=plot_bottom,
        points=points,
        line=" ".join(f"{p.x},{p.y}" for p in points),
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        zero_y=y_of(0.0),
    )

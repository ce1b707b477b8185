"""Case reports: volume over time, handling times on the business clock, SLA compliance, CSAT and a Pareto of
categories, for one organization and period; and the complaint signal that feeds the moment health.

Which cases: those *received* in the period (local dates of the organization, both ends included), narrowed by
the optional filters (service, team, kind, channel). Every figure is computed over that same set.

How each figure is computed
---------------------------
* Volume: one grouped query per breakdown (channel, kind, service, moment), bucketed by the database with
  ``TruncWeek`` / ``TruncMonth`` in the organization's time zone (weeks start on Monday).
* Handling times: business minutes (the organization's working hours, time zone, public holidays and own
  closed dates; the stretches the case waited for the customer left out) from receipt to
  acknowledgement, to the first public reply, and to resolution (the last time the response was communicated,
  so a reopened case counts its whole history). The business clock cannot run in SQL, so ONE ``values_list``
  fetch brings the timestamps of the cases and ONE more their pauses; ``core.clock.business_seconds`` then
  measures each case in Python. The median is taken over the cases that reached the step; n says how many.
* SLA compliance per target (acknowledgement, first response, resolution), with the targets of the
  organization's SLA policy for the case's kind and priority, counted as the SLA module does (resolution from
  the last reopening). A target is *met* when fulfilled by its due instant (even if that instant is still
  ahead), *breached* when fulfilled late or when its due instant passed unfulfilled; a target still running
  is left out (shown as "running"). Compliance = met / (met + breached). A case closed without an explicit
  acknowledgement or reply counts its resolution as fulfilling those earlier targets.
* CSAT after resolution: the share of 4-5 answers among the customers' 1-5 ratings of how their case was
  handled, with the Wilson 95 % interval (``analytics.methods.csat``), counted in one query.
* Pareto of categories over complaints and claims (``analytics.methods.pareto``), counted in one query.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth, TruncWeek
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from servicecycle.accounts.models import Organization
from servicecycle.analytics.methods.csat import CSATResult, csat_from_counts
from servicecycle.analytics.methods.pareto import ParetoResult, pareto
from servicecycle.cases.models import Case, CasePause, Kind, SlaPolicy, SlaTarget
from servicecycle.cases.queries import case_record
from servicecycle.cases.sla import TARGET_ORDER, calendar_for
from servicecycle.catalog.models import Service
from servicecycle.core import clock
from servicecycle.core.records import RecordList, counted_page
from servicecycle.cycles.queries import Signal

DEFAULT_DAYS = 90
MAX_DAYS = 3 * 366  # a longer period is refused: the handling times are measured case by case
COMPLAINT_KINDS = (Kind.COMPLAINT, Kind.CLAIM)
HEALTH_DAYS = 90
BUCKETS = ("week", "month")
BREAKDOWNS = ("channel", "kind", "service", "moment")


@dataclass(frozen=True)
class ReportFilters:
    start: date  # first local date, included
    end: date  # last local date, included
    bucket: str = "week"
    service_id: int | None = None
    team_id: int | None = None
    kind: str = ""
    channel: str = ""

    def query(self) -> dict[str, str]:
        """The filters as query-string values (for links to the export)."""
        values = {"from": self.start.isoformat(), "to": self.end.isoformat(), "bucket": self.bucket}
        if self.service_id:
            values["service"] = str(self.service_id)
        if self.team_id:
            values["team"] = str(self.team_id)
        if self.kind:
            values["kind"] = self.kind
        if self.channel:
            values["channel"] = self.channel
        return values


def local_today(organization: Organization) -> date:
    return timezone.now().astimezone(ZoneInfo(organization.time_zone)).date()


def default_filters(organization: Organization) -> ReportFilters:
    today = local_today(organization)
    return ReportFilters(start=today - timedelta(days=DEFAULT_DAYS), end=today)


def parse_filters(
    organization: Organization,
    params: Mapping[str, Any],
    *,
    service_ids: set[int],
    team_ids: set[int],
) -> tuple[ReportFilters, dict[str, str]]:
    """Filters from a query string. A bad value is reported under its field name and replaced by the default,
    so the page still shows figures; ``service_ids``/``team_ids`` are the organization's own ones."""
    errors: dict[str, str] = {}
    default = default_filters(organization)

    def day(name: str, fallback: date) -> date:
        raw = str(params.get(name) or "").strip()
        if not raw:
            return fallback
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors[name] = _("Give a date as year-month-day, for example 2026-03-31.")
            return fallback

    def own_id(name: str, allowed: set[int], message: str) -> int | None:
        raw = str(params.get(name) or "").strip()
        if not raw:
            return None
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value not in allowed:
            errors[name] = message
            return None
        return value

    start, end = day("from", default.start), day("to", default.end)
    if start > end:
        errors["to"] = _("The end of the period must not come before its start.")
        start, end = default.start, default.end
    elif (end - start).days + 1 > MAX_DAYS:
        errors["from"] = _("Choose a period of at most %(days)s days.") % {"days": MAX_DAYS}
        start, end = default.start, default.end
    bucket = str(params.get("bucket") or "week")
    if bucket not in BUCKETS:
        errors["bucket"] = _("Group by week or by month.")
        bucket = "week"
    kind = str(params.get("kind") or "")
    if kind and kind not in Kind.values:
        errors["kind"] = _("Choose one of the kinds of case.")
        kind = ""
    channel = str(params.get("channel") or "")
    if channel and channel not in Case.Channel.values:
        errors["channel"] = _("Choose one of the channels.")
        channel = ""
    filters = ReportFilters(
        start=start,
        end=end,
        bucket=bucket,
        service_id=own_id("service", service_ids, _("Choose one of your organization's services.")),
        team_id=own_id("team", team_ids, _("Choose one of your organization's teams.")),
        kind=kind,
        channel=channel,
    )
    return filters, errors


def cases_in(organization: Organization, filters: ReportFilters) -> QuerySet[Case]:
    """The organization's cases received in the period (local dates, both ends included) and matching the filters."""
    zone = ZoneInfo(organization.time_zone)
    since = datetime.combine(filters.start, time(), zone)
    until = datetime.combine(filters.end + timedelta(days=1), time(), zone)
    cases = Case.objects.filter(organization=organization, received_at__gte=since, received_at__lt=until)
    if filters.service_id:
        cases = cases.filter(service_id=filters.service_id)
    if filters.team_id:
        cases = cases.filter(team_id=filters.team_id)
    if filters.kind:
        cases = cases.filter(kind=filters.kind)
    if filters.channel:
        cases = cases.filter(channel=filters.channel)
    return cases


# --- volume ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Volume:
    """Cases per bucket and series (a channel, kind, service or moment), every bucket of the period listed."""

    by: str
    bucket: str  # "week" or "month"
    buckets: tuple[date, ...]
    series: tuple[tuple[str, str], ...]  # (key, label), largest total first
    counts: Mapping[tuple[date, str], int]

    def count(self, bucket: date, key: str) -> int:
        return self.counts.get((bucket, key), 0)

    def series_total(self, key: str) -> int:
        return sum(n for (_b, k), n in self.counts.items() if k == key)

    def bucket_total(self, bucket: date) -> int:
        return sum(n for (b, _k), n in self.counts.items() if b == bucket)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def bucket_starts(filters: ReportFilters) -> tuple[date, ...]:
    """The first day of every week (Monday) or month that overlaps the period."""
    starts: list[date] = []
    if filters.bucket == "week":
        current = filters.start - timedelta(days=filters.start.weekday())
        while current <= filters.end:
            starts.append(current)
            current += timedelta(days=7)
    else:
        current = filters.start.replace(day=1)
        while current <= filters.end:
            starts.append(current)
            current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
    return tuple(starts)


_NO_MOMENT = "-"


def volume(organization: Organization, filters: ReportFilters, by: str) -> Volume:
    """Cases per week or month and per channel, kind, service or moment: ONE grouped query."""
    if by not in BREAKDOWNS:
        raise ValueError(f"volume is broken down by one of {BREAKDOWNS}, not {by!r}")
    zone = ZoneInfo(organization.time_zone)
    trunc = TruncWeek if filters.bucket == "week" else TruncMonth
    columns = {
        "channel": ("channel",),
        "kind": ("kind",),
        "service": ("service_id", "service__name"),
        "moment": ("moment_id", "moment__name", "moment__service__name"),
    }[by]
    rows = (
        cases_in(organization, filters)
        .annotate(period=trunc("received_at", tzinfo=zone))
        .values("period", *columns)
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[tuple[date, str], int] = defaultdict(int)
    labels: dict[str, str] = {}
    for row in rows:
        period = row["period"]
        bucket = period.astimezone(zone).date() if isinstance(period, datetime) else period
        if by == "channel":
            key = row["channel"]
            labels[key] = str(Case.Channel(key).label) if key in Case.Channel.values else key
        elif by == "kind":
            key = row["kind"]
            labels[key] = str(Kind(key).label) if key in Kind.values else key
        elif by == "service":
            key = str(row["service_id"])
            labels[key] = row["service__name"]
        elif row["moment_id"] is None:
            key = _NO_MOMENT
            labels[key] = _("No moment given")
        else:
            key = str(row["moment_id"])
            labels[key] = f"{row['moment__name']} ({row['moment__service__name']})"
        counts[(bucket, key)] += row["n"]
    totals: dict[str, int] = defaultdict(int)
    for (_bucket, key), n in counts.items():
        totals[key] += n
    series = tuple((key, labels[key]) for key in sorted(labels, key=lambda k: (k == _NO_MOMENT, -totals[k], labels[k])))
    return Volume(by=by, bucket=filters.bucket, buckets=bucket_starts(filters), series=series, counts=dict(counts))


# --- handling times and SLA compliance ------------------------------------------------------------------------


STEPS = ("acknowledgement", "first_response", "resolution")


@dataclass(frozen=True)
class HandlingTime:
    step: str
    label: str
    n: int
    median_minutes: float | None  # business minutes; None when no case reached the step


@dataclass(frozen=True)
class SlaCompliance:
    target: str
    label: str
    met: int
    breached: int
    running: int

    @property
    def decided(self) -> int:
        return self.met + self.breached

    @property
    def percent(self) -> float | None:
        return 100.0 * self.met / self.decided if self.decided else None


@dataclass(frozen=True)
class Timings:
    times: tuple[HandlingTime, ...]
    sla: tuple[SlaCompliance, ...]
    has_policy: bool


def _step_labels() -> dict[str, str]:
    return {
        "acknowledgement": _("Time to acknowledge"),
        "first_response": _("Time to first response"),
        "resolution": _("Time to resolve"),
    }


def timings(
    organization: Organization,
    filters: ReportFilters,
    *,
    now: datetime | None = None,
    calendar: clock.Calendar | None = None,
) -> Timings:
    """Median business time per step and SLA compliance per target (see the module docstring for the rules).

    Queries: the cases' timestamps, their pauses, the SLA policies, and (unless given) the calendar's two.
    """
    now = now or timezone.now()
    cases = cases_in(organization, filters)
    rows = list(
        cases.order_by().values_list(
            "id",
            "kind",
            "priority",
            "received_at",
            "acknowledged_at",
            "first_response_at",
            "resolved_at",
            "reopened_at",
        )
    )
    pauses: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    if rows:
        stretches = CasePause.objects.filter(case__in=cases).order_by("started_at")
        for case_id, started, ended in stretches.values_list("case_id", "started_at", "ended_at"):
            pauses[case_id].append((started, ended))
    policies = {(p.kind, p.priority): p for p in SlaPolicy.objects.filter(organization=organization)}
    calendar = calendar or calendar_for(organization)
    minutes: dict[str, list[float]] = {step: [] for step in STEPS}
    met = dict.fromkeys(STEPS, 0)
    breached = dict.fromkeys(STEPS, 0)
    running = dict.fromkeys(STEPS, 0)
    for case_id, kind, priority, received, acknowledged, responded, resolved, reopened in rows:
        case_pauses = pauses.get(case_id, [])
        reached = {"acknowledgement": acknowledged, "first_response": responded, "resolution": resolved}
        for step, at in reached.items():
            if at is not None:
                minutes[step].append(clock.business_seconds(calendar, received, at, case_pauses) / 60)
        policy = policies.get((kind, priority))
        if policy is None:
            continue
        for target in TARGET_ORDER:
            target_minutes = policy.minutes_for(target)
            if target_minutes is None:
                continue
            start = (reopened or received) if target == SlaTarget.RESOLUTION else received
            fulfilled = reached[target] or resolved  # resolving fulfils the earlier targets too
            try:
                due = clock.due_at(calendar, start, target_minutes * 60, case_pauses)
            except ValueError:  # a calendar without working time: no deadline exists, so nothing to judge
                continue
            if fulfilled is not None:
                if due is None or fulfilled <= due:
                    met[target] += 1
                else:
                    breached[target] += 1
            elif due is not None and due <= now:
                breached[target] += 1
            else:
                running[target] += 1
    labels = _step_labels()
    sla_labels = {str(t): str(t.label) for t in TARGET_ORDER}
    return Timings(
        times=tuple(
            HandlingTime(
                step=step,
                label=labels[step],
                n=len(minutes[step]),
                median_minutes=statistics.median(minutes[step]) if minutes[step] else None,
            )
            for step in STEPS
        ),
        sla=tuple(
            SlaCompliance(target=t, label=sla_labels[t], met=met[t], breached=breached[t], running=running[t])
            for t in STEPS
        ),
        has_policy=bool(policies),
    )


# --- satisfaction and categories ------------------------------------------------------------------------------


def csat_after_resolution(organization: Organization, filters: ReportFilters) -> CSATResult | None:
    """Share of 4-5 ratings among the customers' ratings of how their case was handled (one query)."""
    row = cases_in(organization, filters).aggregate(
        n=Count("satisfaction_score"), top_two=Count("satisfaction_score", filter=Q(satisfaction_score__gte=4))
    )
    if not row["n"]:
        return None
    return csat_from_counts(row["top_two"], row["n"])


def category_pareto(organization: Organization, filters: ReportFilters) -> ParetoResult | None:
    """Complaints and claims per category, largest first with the cumulative share (one query)."""
    rows = (
        cases_in(organization, filters)
        .filter(kind__in=COMPLAINT_KINDS)
        .values("category_id", "category__name")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: list[tuple[str, int]] = []
    taken: set[str] = set()
    for row in sorted(rows, key=lambda r: (r["category_id"] is None, r["category_id"] or 0)):
        label = row["category__name"] if row["category_id"] is not None else _("No category yet")
        while label in taken:  # a category may be named like the placeholder
            label = f"{label} *"
        taken.add(label)
        counts.append((label, row["n"]))
    if not counts:
        return None
    return pareto(counts)


# --- the whole report -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseReport:
    filters: ReportFilters
    volumes: dict[str, Volume]
    timings: Timings | None
    csat: CSATResult | None
    pareto: ParetoResult | None

    @property
    def total(self) -> int:
        return self.volumes["channel"].total

    @property
    def empty(self) -> bool:
        return self.total == 0


def case_report(
    organization: Organization, filters: ReportFilters, *, now: datetime | None = None, table: str | None = None
) -> CaseReport:
    """Every figure of the reports page (or, with ``table``, only what that exported table needs).
    The number of queries does not depend on the number of cases."""
    volumes = {by: volume(organization, filters, by) for by in BREAKDOWNS}
    if volumes["channel"].total == 0:
        return CaseReport(filters=filters, volumes=volumes, timings=None, csat=None, pareto=None)

    def wanted(*names: str) -> bool:
        return table is None or table in names

    return CaseReport(
        filters=filters,
        volumes=volumes,
        timings=timings(organization, filters, now=now) if wanted("handling-times", "sla") else None,
        csat=csat_after_resolution(organization, filters) if wanted("csat") else None,
        pareto=category_pareto(organization, filters) if wanted("pareto") else None,
    )


# --- tables (the page's data tables and the exports) -----------------------------------------------------------


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    columns: tuple[Any, ...]  # text, or the first day of a period (a date)
    rows: tuple[tuple[Any, ...], ...] = field(default_factory=tuple)


TABLE_NAMES = (
    "volume-channel",
    "volume-kind",
    "volume-service",
    "volume-moment",
    "handling-times",
    "sla",
    "csat",
    "pareto",
)


def volume_table(v: Volume) -> Table:
    """Periods as rows for the few channels and kinds; services and moments (many) as rows, periods as columns."""
    titles = {
        "channel": _("Cases by channel"),
        "kind": _("Cases by kind"),
        "service": _("Cases by service"),
        "moment": _("Cases by moment of truth"),
    }
    first = _("Week starting") if v.bucket == "week" else _("Month starting")
    if v.by in ("service", "moment"):
        return Table(
            name=f"volume-{v.by}",
            title=titles[v.by],
            columns=(_("Service") if v.by == "service" else _("Moment of truth"), *v.buckets, _("Total")),
            rows=(
                *((label, *(v.count(b, key) for b in v.buckets), v.series_total(key)) for key, label in v.series),
                (_("Total"), *(v.bucket_total(b) for b in v.buckets), v.total),
            ),
        )
    rows = tuple((b, *(v.count(b, key) for key, _label in v.series), v.bucket_total(b)) for b in v.buckets)
    totals = (_("Total"), *(v.series_total(key) for key, _label in v.series), v.total)
    return Table(
        name=f"volume-{v.by}",
        title=titles[v.by],
        columns=(first, *(label for _key, label in v.series), _("Total")),
        rows=(*rows, totals),
    )


def report_tables(report: CaseReport) -> dict[str, Table]:
    """Every table of the report, by export name, in page order (empty rows when there are no cases)."""
    tables = {f"volume-{by}": volume_table(v) for by, v in report.volumes.items()}
    times: tuple[tuple[Any, ...], ...] = ()
    sla_rows: tuple[tuple[Any, ...], ...] = ()
    if report.timings is not None:
        times = tuple(
            (t.label, t.n, None if t.median_minutes is None else round(t.median_minutes, 1))
            for t in report.timings.times
        )
        sla_rows = tuple(
            (s.label, s.met, s.breached, s.running, None if s.percent is None else round(s.percent, 1))
            for s in report.timings.sla
        )
    tables["handling-times"] = Table(
        name="handling-times",
        title=_("Median handling time in business minutes"),
        columns=(_("Step"), _("Cases (n)"), _("Median business minutes")),
        rows=times,
    )
    tables["sla"] = Table(
        name="sla",
        title=_("SLA compliance"),
        columns=(_("Target"), _("Met"), _("Breached"), _("Still running"), _("Compliance %")),
        rows=sla_rows,
    )
    csat_rows: tuple[tuple[Any, ...], ...] = ()
    if report.csat is not None:
        c = report.csat
        csat_rows = ((c.n, c.top_two, round(c.csat, 1), round(c.ci95[0], 1), round(c.ci95[1], 1)),)
    tables["csat"] = Table(
        name="csat",
        title=_("Satisfaction after resolution"),
        columns=(_("Ratings (n)"), _("Rated 4 or 5"), _("CSAT %"), _("Lower bound (95 %)"), _("Upper bound (95 %)")),
        rows=csat_rows,
    )
    pareto_rows: tuple[tuple[Any, ...], ...] = ()
    if report.pareto is not None:
        pareto_rows = tuple(
            (r.label, r.count, round(100 * r.share, 1), round(100 * r.cumulative, 1), _("yes") if r.vital else "")
            for r in report.pareto.rows
        )
    tables["pareto"] = Table(
        name="pareto",
        title=_("Complaints and claims by category"),
        columns=(_("Category"), _("Cases"), _("Share %"), _("Cumulative %"), _("Vital few")),
        rows=pareto_rows,
    )
    return tables


# --- complaints feed the moment health --------------------------------------------------------------------------


def complaint_signals(moments: list[Any]) -> dict[int, dict[str, Signal]]:
    """The health source of cases: complaints and claims per moment received in the last 90 days (ONE query).

    badness = the moment's count / the highest count of any moment of the same organization in the period
    (docs/moment-health.md): one scale for every service, so the critical-moments ranking can compare moments
    of different services and the wheel, a single moment's page and the ranking show the same figure. A moment
    without complaints gets a signal of 0 only when its service has at least one case of any kind in the
    period, so a service nobody records cases for stays unmeasured.
    """
    if not moments:
        return {}
    since = timezone.now() - timedelta(days=HEALTH_DAYS)
    organizations = Service.objects.filter(pk__in={m.service_id for m in moments}).values("organization_id")
    rows = (
        Case.objects.filter(organization_id__in=organizations, received_at__gte=since)
        .values("organization_id", "service_id", "moment_id")
        .annotate(complaints=Count("id", filter=Q(kind__in=COMPLAINT_KINDS)), total=Count("id"))
        .order_by()
    )
    per_moment: dict[int, int] = {}
    organization_of: dict[int, int] = {}  # service id -> organization id
    organization_of_moment: dict[int, int] = {}
    highest: dict[int, int] = defaultdict(int)
    measured: set[int] = set()
    for row in rows:
        if row["service_id"] is not None:
            organization_of[row["service_id"]] = row["organization_id"]
            if row["total"]:
                measured.add(row["service_id"])
        if row["moment_id"] is not None:
            per_moment[row["moment_id"]] = per_moment.get(row["moment_id"], 0) + row["complaints"]
            organization_of_moment[row["moment_id"]] = row["organization_id"]
    for moment_id, count in per_moment.items():
        highest[organization_of_moment[moment_id]] = max(highest[organization_of_moment[moment_id]], count)
    label = _("Complaints (90 days)")
    signals: dict[int, dict[str, Signal]] = {}
    for moment in moments:
        count = per_moment.get(moment.pk, 0)
        if count == 0 and moment.service_id not in measured:
            continue
        organization_id = organization_of_moment.get(moment.pk, organization_of.get(moment.service_id))
        top = highest[organization_id] if organization_id is not None else 0
        signals[moment.pk] = {"complaints": Signal(label=label, value=count, badness=count / top if top else 0.0)}
    return signals


def complaint_evidence(moment: Any, offset: int, limit: int) -> RecordList:
    """The complaints and claims behind the moment's complaint figure: those received in the last 90 days,
    newest first, one page of them (two queries: the count and the page)."""
    since = timezone.now() - timedelta(days=HEALTH_DAYS)
    cases = Case.objects.filter(moment_id=moment.pk, kind__in=COMPLAINT_KINDS, received_at__gte=since)
    total, page = counted_page(cases.order_by("-received_at", "-pk"), offset, limit)
    return RecordList(
        key="complaints",
        title=_("Complaints and claims"),
        explanation=_("Received in the last 90 days about this moment; each one counts in the complaints figure."),
        total=total,
        items=[case_record(case, hot=True) for case in page],
        more_url=reverse("case-inbox") + "?" + urlencode({"status": "all", "moment": moment.pk}),
        more_label=_("All cases about this moment in the inbox"),
    )

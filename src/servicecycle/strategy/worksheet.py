"""The strategy worksheet of a service: the three decisions of a customer service strategy, with their evidence.

(a) Which services: each candidate service's importance to customers (the latest importance survey's point
    allocation) beside how we compare with the nearest competitor, from two sources: the latest
    importance/performance grid with a competitor column, and comparison-shopping audits. Each comparison is
    classed lead / parity / behind with the manager's parity margin (see ``classify``): being only as good
    as the competitors creates no advantage.
(b) What level: the listening tools in use for the service over the last 90 days (comparison shopping,
    customer surveys, suggestion box, hotline, complaint and claim handling), each with its volume; a tool
    with no volume is a gap in coverage. One aggregate query per source.
(c) How to offer: the latest offering decision (price model, delivery channel, rationale, review date) and
    the decision log.

Every read here runs a fixed number of queries, however many services, answers, audits or cases there are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Avg, Count, Q
from django.http import Http404
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicecycle.accounts.permissions import require
from servicecycle.cases.models import Case
from servicecycle.catalog.models import OfferingDecision, Service
from servicecycle.core import audit
from servicecycle.core.errors import ValidationFailed
from servicecycle.core.models import AuditEvent
from servicecycle.core.validation import check
from servicecycle.core.verbs import verb_label
from servicecycle.strategy.models import DEFAULT_PARITY_MARGIN, ShoppingAudit, ShoppingScore, StrategyWorksheet
from servicecycle.surveys.models import Answer, Attribute, Question, Response, Survey

LEAD, PARITY, BEHIND = "lead", "parity", "behind"
CLASS_LABELS: dict[str, Promise] = {
    LEAD: gettext_lazy("Lead"),
    PARITY: gettext_lazy("Parity"),
    BEHIND: gettext_lazy("Behind"),
}
LISTENING_DAYS = 90


def classify(ours: float, theirs: float, margin: Decimal | float) -> str:
    """Lead when ours − theirs > margin, behind when it is < −margin, parity when within (edges are parity).

    The difference is rounded to 6 decimals first, so means such as 3.35 − 3.10 land on the edge they mean.
    """
    difference = round(float(ours) - float(theirs), 6)
    limit = float(margin)
    if difference > limit:
        return LEAD
    if difference < -limit:
        return BEHIND
    return PARITY


# --- the manager's settings -----------------------------------------------------------------------------------


def parity_margin(service: Service) -> Decimal:
    """The service's parity margin (the default when no worksheet settings are saved): one query."""
    value = StrategyWorksheet.objects.filter(service=service).values_list("parity_margin", flat=True).first()
    return value if value is not None else DEFAULT_PARITY_MARGIN


@transaction.atomic
def set_parity_margin(*, acting_user: Any, service: Service, parity_margin: Any) -> StrategyWorksheet:
    """Save the margin within which our score counts as parity with a competitor's (0 to 2 points)."""
    staff = require(acting_user, "service.manage")
    if service.organization_id != staff.organization_id:
        raise Http404
    try:
        margin = Decimal(str(parity_margin).strip())
    except ArithmeticError:
        raise ValidationFailed({"parity_margin": [_("Enter a number of points, such as 0.25.")]}) from None
    if not margin.is_finite():
        raise ValidationFailed({"parity_margin": [_("Enter a number of points, such as 0.25.")]})
    worksheet = StrategyWorksheet.objects.select_for_update().filter(service=service).first()
    before = worksheet.parity_margin if worksheet is not None else DEFAULT_PARITY_MARGIN
    if worksheet is None:
        worksheet = StrategyWorksheet(service=service)
    worksheet.parity_margin = margin
    worksheet.updated_by = acting_user
    check(worksheet, exclude=["service", "updated_by"])
    worksheet.parity_margin = margin.quantize(Decimal("0.01"))
    worksheet.save()
    audit.record(
        actor=acting_user,
        organization_id=service.organization_id,
        verb="strategy.margin_set",
        obj=worksheet,
        scope=service,
        changes={"parity_margin": [str(before), str(worksheet.parity_margin)]},
    )
    return worksheet


# --- (a) which services ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Versus:
    """Our mean against a competitor's on the same scale, the difference and its class."""

    source: str  # "survey" or "shopping"
    competitor: str
    ours: float
    theirs: float
    count: int
    scale: int
    verdict: str

    @property
    def difference(self) -> float:
        return self.ours - self.theirs

    @property
    def label(self) -> Promise:
        return CLASS_LABELS[self.verdict]


@dataclass(frozen=True)
class Candidate:
    service_id: int
    name: str
    importance: float | None  # mean points out of the allocation's total
    importance_n: int
    survey: Versus | None
    shopping: Versus | None
    current: bool


@dataclass(frozen=True)
class WhichServices:
    importance_survey: Survey | None
    total_points: int | None
    candidates: tuple[Candidate, ...]
    margin: Decimal


def _importance_question(organization_id: int) -> Question | None:
    return (
        Question.objects.filter(
            survey__organization_id=organization_id,
            survey__kind=Survey.Kind.IMPORTANCE,
            kind=Question.Kind.ALLOCATION,
        )
        .select_related("survey")
        .order_by("-survey__created_at", "-pk")
        .first()
    )


def _importance(question: Question | None) -> list[dict[str, Any]]:
    """Mean points per candidate service of the allocation question (one query, services nobody rated too)."""
    if question is None:
        return []
    rows: Any = (  # values() rows
        Attribute.objects.filter(question=question, service__isnull=False)
        .values("service_id", "service__name", "position")
        .annotate(mean=Avg("answers__value"), n=Count("answers__value"))
        .order_by("position")
    )
    return list(rows)


def _survey_versus(service_ids: Iterable[int], margin: Decimal) -> dict[int, Versus]:
    """Per service, its latest grid with a competitor column: our mean performance against theirs (2 queries)."""
    ids = list(service_ids)
    grids: Any = (  # values() rows
        Question.objects.filter(kind=Question.Kind.IPA_GRID)
        .exclude(competitor_name="")
        .filter(Q(service_id__in=ids) | Q(service__isnull=True, survey__service_id__in=ids))
        .values("pk", "service_id", "survey__service_id", "competitor_name", "scale_max")
        .order_by("-survey__created_at", "-pk")
    )
    latest: dict[int, dict[str, Any]] = {}
    for grid in grids:
        latest.setdefault(grid["service_id"] or grid["survey__service_id"], grid)
    if not latest:
        return {}
    sums = {
        row["question_id"]: row
        for row in Answer.objects.filter(
            question_id__in=[g["pk"] for g in latest.values()],
            attribute__isnull=False,
            performance__isnull=False,
            competitor_performance__isnull=False,
        )
        .values("question_id")
        .annotate(ours=Avg("performance"), theirs=Avg("competitor_performance"), n=Count("id"))
        .order_by()
    }
    result: dict[int, Versus] = {}
    for service_id, grid in latest.items():
        row = sums.get(grid["pk"])
        if row is None or not row["n"]:
            continue
        ours, theirs = float(row["ours"]), float(row["theirs"])
        result[service_id] = Versus(
            source="survey",
            competitor=grid["competitor_name"],
            ours=ours,
            theirs=theirs,
            count=row["n"],
            scale=grid["scale_max"] or 7,
            verdict=classify(ours, theirs, margin),
        )
    return result


def _shopping_versus(service_ids: Iterable[int], margin: Decimal) -> dict[int, Versus]:
    """Per service, our mean audit score against the strongest competitor's (one GROUP BY query)."""
    rows = (
        ShoppingScore.objects.filter(audit__service_id__in=list(service_ids))
        .values("audit__service_id", "audit__competitor_name")
        .annotate(mean=Avg("score"), n=Count("id"))
        .order_by()
    )
    ours: dict[int, tuple[float, int]] = {}
    best: dict[int, tuple[str, float, int]] = {}
    for row in rows:
        service_id, name, mean = row["audit__service_id"], row["audit__competitor_name"], float(row["mean"])
        if not name:
            ours[service_id] = (mean, row["n"])
        elif service_id not in best or (mean, name) > (best[service_id][1], best[service_id][0]):
            best[service_id] = (name, mean, row["n"])
    result: dict[int, Versus] = {}
    for service_id, (our_mean, our_n) in ours.items():
        if service_id not in best:
            continue
        name, their_mean, their_n = best[service_id]
        result[service_id] = Versus(
            source="shopping",
            competitor=name,
            ours=our_mean,
            theirs=their_mean,
            count=our_n + their_n,
            scale=5,
            verdict=classify(our_mean, their_mean, margin),
        )
    return result


def which_services(service: Service, margin: Decimal) -> WhichServices:
    """Decision (a): the candidate services of the latest importance survey (and this service), each with its
    importance and how it compares with the nearest competitor in surveys and in comparison shopping.

    Queries: the importance question, its means per candidate, the latest grids, their means, the audit
    means: five, whatever the number of services, answers or audits.
    """
    question = _importance_question(service.organization_id)
    importance = _importance(question)
    names: dict[int, str] = {}
    means: dict[int, tuple[float | None, int]] = {}
    for row in importance:
        names.setdefault(row["service_id"], row["service__name"])
        means.setdefault(row["service_id"], (float(row["mean"]) if row["mean"] is not None else None, row["n"]))
    names.setdefault(service.pk, service.name)
    survey = _survey_versus(names, margin)
    shopping = _shopping_versus(names, margin)
    candidates = [
        Candidate(
            service_id=service_id,
            name=name,
            importance=means.get(service_id, (None, 0))[0],
            importance_n=means.get(service_id, (None, 0))[1],
            survey=survey.get(service_id),
            shopping=shopping.get(service_id),
            current=service_id == service.pk,
        )
        for service_id, name in names.items()
    ]
    candidates.sort(key=lambda c: (c.importance is None, -(c.importance or 0), c.name.casefold()))
    total = None
    if question is not None and question.scale_max:
        total = question.scale_max
    return WhichServices(
        importance_survey=question.survey if question is not None else None,
        total_points=total,
        candidates=tuple(candidates),
        margin=margin,
    )


# --- (b) what level: the listening tools ----------------------------------------------------------------------


@dataclass(frozen=True)
class ListeningTool:
    key: str
    label: Promise
    volume: int
    detail: str
    url: str

    @property
    def gap(self) -> bool:
        return self.volume == 0


TOOL_LABELS: dict[str, Promise] = {
    "shopping": gettext_lazy("Comparison shopping"),
    "surveys": gettext_lazy("Regular customer surveys"),
    "suggestion_box": gettext_lazy("Suggestion box"),
    "hotline": gettext_lazy("Hotline"),
    "complaints": gettext_lazy("Complaint and claim system"),
}


def listening_tools(service: Service, *, today: dt.date | None = None, urls: dict[str, str]) -> list[ListeningTool]:
    """Volume of each listening tool for the service over the last 90 days: one aggregate query per source
    (audits; survey responses; cases, whose one query counts suggestion-box, hotline and complaint/claim cases).
    """
    today = today or timezone.localdate()
    since_date = today - dt.timedelta(days=LISTENING_DAYS)
    since = timezone.make_aware(dt.datetime.combine(since_date, dt.time.min))
    audits = ShoppingAudit.objects.filter(service=service, visited_on__gte=since_date).aggregate(
        n=Count("id"), competitors=Count("competitor_name", filter=~Q(competitor_name=""), distinct=True)
    )
    responses = (
        Response.objects.filter(submitted_at__gte=since)
        .filter(Q(service=service) | Q(service__isnull=True, survey__service=service))
        .exclude(survey__kind=Survey.Kind.STAFF)
        .aggregate(n=Count("id"), surveys=Count("survey_id", distinct=True))
    )
    cases = Case.objects.filter(service=service, received_at__gte=since).aggregate(
        suggestion_box=Count("id", filter=Q(channel=Case.Channel.SUGGESTION_BOX)),
        hotline=Count("id", filter=Q(channel=Case.Channel.HOTLINE)),
        complaints=Count("id", filter=Q(kind__in=[Case.Kind.COMPLAINT, Case.Kind.CLAIM])),
    )
    return [
        ListeningTool(
            "shopping",
            TOOL_LABELS["shopping"],
            audits["n"],
            _("audits: %(audits)d, competitors visited: %(competitors)d")
            % {"audits": audits["n"], "competitors": audits["competitors"]},
            urls["shopping"],
        ),
        ListeningTool(
            "surveys",
            TOOL_LABELS["surveys"],
            responses["n"],
            _("responses: %(responses)d, surveys: %(surveys)d")
            % {"responses": responses["n"], "surveys": responses["surveys"]},
            urls["surveys"],
        ),
        ListeningTool(
            "suggestion_box",
            TOOL_LABELS["suggestion_box"],
            cases["suggestion_box"],
            _("cases from the suggestion box: %(n)d") % {"n": cases["suggestion_box"]},
            urls["suggestion_box"],
        ),
        ListeningTool(
            "hotline",
            TOOL_LABELS["hotline"],
            cases["hotline"],
            _("hotline calls: %(n)d") % {"n": cases["hotline"]},
            urls["hotline"],
        ),
        ListeningTool(
            "complaints",
            TOOL_LABELS["complaints"],
            cases["complaints"],
            _("complaints and claims: %(n)d") % {"n": cases["complaints"]},
            urls["complaints"],
        ),
    ]


# --- (c) how to offer, and the decision log ------------------------------------------------------------------

LOG_VERBS = ("decision.recorded", "strategy.margin_set", "shopping.audit_recorded")  # labels: core.verbs
LOG_SIZE = 10


def review_overdue(decision: OfferingDecision | None, today: dt.date | None = None) -> bool:
    """The decision's review date has passed (a decision without a review date is never overdue)."""
    if decision is None or decision.review_date is None:
        return False
    return decision.review_date < (today or timezone.localdate())


def decision_log(service: Service, limit: int = LOG_SIZE) -> list[AuditEvent]:
    """Who decided what and when for the service's strategy, newest first (one query)."""
    return list(
        AuditEvent.objects.filter(
            organization_id=service.organization_id,
            scope_type=service._meta.label_lower,
            scope_id=service.pk,
            verb__in=list(LOG_VERBS),
        ).order_by("-at", "-id")[:limit]
    )


def log_rows(events: Sequence[AuditEvent]) -> list[dict[str, Any]]:
    return [{"event": e, "what": verb_label(e.verb)} for e in events]

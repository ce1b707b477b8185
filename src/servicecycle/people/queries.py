"""Reads of the people pages: who a member may see, training status, the overdue list, scorecards and pulse
results. Each page's reads take a fixed number of queries, whatever the number of staff, courses or records."""

from __future__ import annotations

import calendar
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from servicecycle.accounts.models import Organization, Role, Staff
from servicecycle.accounts.permissions import staff_of, team_ids
from servicecycle.cases.models import Case
from servicecycle.core.errors import PermissionDenied
from servicecycle.people.content import (
    CONSIDER_FROM,
    CRITERIA,
    HIRE_FROM,
    MIN_ANSWERS_SHOWN,
    PULSE_QUESTIONS,
)
from servicecycle.people.models import Candidate, Course, PulseAnswer, PulseRound, TrainingRecord
from servicecycle.promises.models import PromiseFigures

MANAGING_ROLES = frozenset({Role.ADMIN, Role.MANAGER})
FRONT_LINE_ROLES = frozenset({Role.AGENT, Role.TEAM_LEAD})
# roles whose members are trained; viewers are read-only accounts (auditors, owners) and take no courses
TRAINED_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.TEAM_LEAD, Role.AGENT})
# roles staff rate in the pulse (the people they report to)
RATED_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.TEAM_LEAD})
DUE_SOON_DAYS = 30
SCORECARD_WINDOWS = (30, 90, 365)
DEFAULT_WINDOW = 90


# Who may see whom ---------------------------------------------------------------------------------------


def visible_staff(viewer: Staff) -> QuerySet[Staff]:
    """The members whose training and scorecard ``viewer`` may see: everyone for managers and administrators,
    the members of their teams (and themselves) for a team lead, only themselves otherwise."""
    members = Staff.objects.filter(organization_id=viewer.organization_id).select_related("user")
    if viewer.role in MANAGING_ROLES:
        return members
    if viewer.role == Role.TEAM_LEAD:
        return members.filter(Q(teams__in=team_ids(viewer)) | Q(pk=viewer.pk)).distinct()
    return members.filter(pk=viewer.pk)


def person_for_user(user: Any, staff_id: Any) -> Staff:
    """The member ``user`` asks about, when they may see them (own record; a lead their teams; managers all)."""
    viewer = staff_of(user)
    if viewer is None:
        raise Http404
    try:
        person = Staff.objects.select_related("user").get(pk=int(staff_id), organization_id=viewer.organization_id)
    except (Staff.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    if person.pk == viewer.pk or viewer.role in MANAGING_ROLES:
        return person
    if viewer.role == Role.TEAM_LEAD and team_ids(viewer) & team_ids(person):
        return person
    raise PermissionDenied(_("You may see your own record and, as a team lead, those of your teams' members."))


# Selection ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recommendation:
    key: str  # "recommend" | "consider" | "do_not_recommend"
    label: str


def recommendation(mean: Decimal | None) -> Recommendation | None:
    if mean is None:
        return None
    if mean >= HIRE_FROM:
        return Recommendation("recommend", _("Recommend"))
    if mean >= CONSIDER_FROM:
        return Recommendation("consider", _("Consider: check the weak points"))
    return Recommendation("do_not_recommend", _("Do not recommend"))


def mean_score(scores: Iterable[int]) -> Decimal | None:
    values = list(scores)
    if not values:
        return None
    return (Decimal(sum(values)) / Decimal(len(values))).quantize(Decimal("0.01"))


def candidates(organization_id: int) -> QuerySet[Candidate]:
    """Candidates with the mean of their scores (``mean``) and interviewer, newest first (one query a page)."""
    return (
        Candidate.objects.filter(organization_id=organization_id)
        .select_related("interviewer__user")
        .annotate(mean=Avg("scores__score"), scored=Count("scores"))
    )


def get_candidate(organization_id: int, pk: int) -> Candidate:
    try:
        return Candidate.objects.select_related("interviewer__user").get(pk=pk, organization_id=organization_id)
    except Candidate.DoesNotExist:
        raise Http404 from None


def candidate_rows(candidate: Candidate) -> list[dict[str, Any]]:
    scores = {s.criterion: s for s in candidate.scores.all()}
    return [{"criterion": c, "score": scores.get(c.key)} for c in CRITERIA]


# Training -----------------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the last day of that month when it is shorter (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def refresher_due(completed_on: date | None, refresher_months: int | None) -> date | None:
    """When the course must be taken again: completion plus the interval; None without an interval."""
    if completed_on is None or refresher_months is None:
        return None
    return add_months(completed_on, refresher_months)


def is_required(course: Course, role: str) -> bool:
    if not course.is_active or role not in TRAINED_ROLES:
        return False
    return not course.front_line_only or role in FRONT_LINE_ROLES


MISSING = "missing"
OVERDUE = "overdue"
DUE_SOON = "due_soon"
UP_TO_DATE = "up_to_date"
_STATUS_ORDER = {MISSING: 0, OVERDUE: 0, DUE_SOON: 1, UP_TO_DATE: 2}


def status_label(status: str) -> str:
    return {
        MISSING: _("not taken"),
        OVERDUE: _("refresher overdue"),
        DUE_SOON: _("refresher due soon"),
        UP_TO_DATE: _("up to date"),
    }[status]


def overall_label(status: str) -> str:
    return {OVERDUE: _("overdue"), DUE_SOON: _("due soon"), UP_TO_DATE: _("up to date")}[status]


def course_status(completed_on: date | None, refresher_months: int | None, today: date) -> tuple[str, date | None]:
    """(status, refresher due date) of a required course given the latest completion."""
    if completed_on is None:
        return MISSING, None
    due = refresher_due(completed_on, refresher_months)
    if due is None:
        return UP_TO_DATE, None
    if due < today:
        return OVERDUE, due
    if due <= today + timedelta(days=DUE_SOON_DAYS):
        return DUE_SOON, due
    return UP_TO_DATE, due


@dataclass
class CourseLine:
    course: Course
    required: bool
    completed_on: date | None
    status: str | None  # None when the course is not required of the person
    due: date | None

    @property
    def label(self) -> str:
        return status_label(self.status) if self.status else _("not required")


@dataclass
class TrainingStatus:
    staff: Staff
    lines: list[CourseLine] = field(default_factory=list)

    @property
    def overall(self) -> str:
        statuses = [line.status for line in self.lines if line.status is not None]
        if any(s in (MISSING, OVERDUE) for s in statuses):
            return OVERDUE
        if DUE_SOON in statuses:
            return DUE_SOON
        return UP_TO_DATE

    @property
    def overall_label(self) -> str:
        return overall_label(self.overall)

    @property
    def problems(self) -> list[CourseLine]:
        return [line for line in self.lines if line.status in (MISSING, OVERDUE)]

    @property
    def next_due(self) -> date | None:
        """The earliest refresher still ahead (overdue ones are listed as problems instead)."""
        dues = [line.due for line in self.lines if line.due is not None and line.status in (DUE_SOON, UP_TO_DATE)]
        return min(dues) if dues else None


def active_courses(organization_id: int) -> list[Course]:
    return list(Course.objects.filter(organization_id=organization_id, is_active=True))


def latest_completions(staff_ids: Sequence[int]) -> dict[tuple[int, int], date]:
    """(staff id, course id) -> the latest date the course was completed (a failed attempt does not count)."""
    rows = (
        TrainingRecord.objects.filter(staff_id__in=list(staff_ids))
        .exclude(passed=False)
        .values("staff_id", "course_id")
        .annotate(last=Max("completed_on"))
        .order_by()
    )
    return {(r["staff_id"], r["course_id"]): r["last"] for r in rows}


def training_statuses(people: Sequence[Staff], courses: Sequence[Course], today: date) -> dict[int, TrainingStatus]:
    """Each person's status on each course (one query for the completions)."""
    latest = latest_completions([p.pk for p in people])
    result = {}
    for person in people:
        status = TrainingStatus(staff=person)
        for course in courses:
            done = latest.get((person.pk, course.pk))
            if is_required(course, person.role):
                state, due = course_status(done, course.refresher_months, today)
                status.lines.append(CourseLine(course, True, done, state, due))
            else:
                due = refresher_due(done, course.refresher_months)
                status.lines.append(CourseLine(course, False, done, None, due))
        result[person.pk] = status
    return result


@dataclass(frozen=True)
class OverdueRow:
    staff: Staff
    course: Course
    status: str
    completed_on: date | None
    due: date | None
    days_overdue: int | None

    @property
    def front_line(self) -> bool:
        return self.staff.role in FRONT_LINE_ROLES

    @property
    def label(self) -> str:
        return status_label(self.status)


def overdue_list(viewer: Staff, today: date) -> list[OverdueRow]:
    """Required courses a visible member has not taken or whose refresher is past due: the front line (agents
    and team leads) first, then by how long overdue (never taken first), then by name (three queries)."""
    people = list(visible_staff(viewer).filter(role__in=TRAINED_ROLES))
    courses = active_courses(viewer.organization_id)
    statuses = training_statuses(people, courses, today)
    rows = []
    for person in people:
        for line in statuses[person.pk].problems:
            days = (today - line.due).days if line.due is not None else None
            rows.append(OverdueRow(person, line.course, line.status or MISSING, line.completed_on, line.due, days))
    rows.sort(
        key=lambda r: (
            0 if r.front_line else 1,
            0 if r.status == MISSING else 1,
            -(r.days_overdue or 0),
            str(r.staff).casefold(),
            r.course.name.casefold(),
        )
    )
    return rows


def staff_records(person: Staff) -> list[TrainingRecord]:
    return list(TrainingRecord.objects.filter(staff=person).select_related("course", "recorded_by"))


# Scorecard ----------------------------------------------------------------------------------------------


@dataclass
class ScoreLine:
    staff: Staff
    given: int = 0
    kept: int = 0
    broken: int = 0
    rated: int = 0
    satisfied: int = 0
    csat_mean: float | None = None
    training: TrainingStatus | None = None

    @property
    def kept_rate(self) -> float | None:
        return self.kept / (self.kept + self.broken) if self.kept + self.broken else None

    @property
    def csat(self) -> float | None:
        """The share of the person's rated cases scored 4 or 5 out of 5."""
        return self.satisfied / self.rated if self.rated else None

    @property
    def kept_percent(self) -> int | None:
        return round(self.kept_rate * 100) if self.kept_rate is not None else None

    @property
    def csat_percent(self) -> int | None:
        return round(self.csat * 100) if self.csat is not None else None


def org_today(organization: Organization) -> date:
    """Today on the organization's wall clock."""
    return timezone.now().astimezone(organization.zone).date()


def window_start(organization: Organization, days: int) -> tuple[date, datetime]:
    """The first local day of the window and its start as an instant (local midnight)."""
    zone = organization.zone
    first = timezone.now().astimezone(zone).date() - timedelta(days=days - 1)
    return first, datetime.combine(first, time.min, tzinfo=zone)


def scorecards(organization: Organization, people: Sequence[Staff], days: int, today: date) -> list[ScoreLine]:
    """Promises kept, CSAT of their cases and training status for each person over the last ``days`` days
    (four queries whatever the number of people: promise figures, case ratings, courses, completions).

    Promises: the per-day summary by promiser (``PromiseFigures``, dimension "staff") of promises due in the
    window; the kept rate is kept / (kept + broken). CSAT: the cases assigned to the person that the customer
    rated after resolution, rated in the window (or resolved in it when the rating time is unknown); CSAT is the
    share rated 4 or 5, with the mean score beside it.
    """
    ids = [p.pk for p in people]
    lines = {p.pk: ScoreLine(staff=p) for p in people}
    first_day, since = window_start(organization, days)
    figures = (
        PromiseFigures.objects.filter(
            organization_id=organization.pk, dimension="staff", key_id__in=ids, day__gte=first_day
        )
        .values("key_id")
        .annotate(given=Coalesce(Sum("given"), 0), kept=Coalesce(Sum("kept"), 0), broken=Coalesce(Sum("broken"), 0))
        .order_by()
    )
    for row in figures:
        line = lines[row["key_id"]]
        line.given, line.kept, line.broken = row["given"], row["kept"], row["broken"]
    ratings = (
        Case.objects.filter(organization_id=organization.pk, assignee_id__in=ids, satisfaction_score__isnull=False)
        .filter(Q(satisfaction_at__gte=since) | Q(satisfaction_at__isnull=True, resolved_at__gte=since))
        .values("assignee_id")
        .annotate(
            rated=Count("pk"),
            satisfied=Count("pk", filter=Q(satisfaction_score__gte=4)),
            mean=Avg("satisfaction_score"),
        )
        .order_by()
    )
    for rating in ratings:
        line = lines[rating["assignee_id"]]
        line.rated, line.satisfied = rating["rated"], rating["satisfied"]
        line.csat_mean = float(rating["mean"]) if rating["mean"] is not None else None
    statuses = training_statuses(people, active_courses(organization.pk), today)
    for pk, line in lines.items():
        line.training = statuses[pk]
    return [lines[p.pk] for p in people]


# Pulse --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionResult:
    text: str
    mean: float
    sd: float | None
    low: float | None  # 95 % confidence interval of the mean (Student's t), clipped to 1..5
    high: float | None


@dataclass
class ManagerResult:
    manager: Staff
    answers: int
    shown: bool
    questions: list[QuestionResult] = field(default_factory=list)
    overall: float | None = None


def _question_result(text: str, values: list[int]) -> QuestionResult:
    n = len(values)
    mean = statistics.fmean(values)
    if n < 2:
        return QuestionResult(text, mean, None, None, None)
    sd = statistics.stdev(values)
    from scipy import stats  # here, not at module level: importing scipy.stats added ~3 s to every start-up

    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return QuestionResult(text, mean, sd, max(1.0, mean - half), min(5.0, mean + half))


def pulse_results(pulse: PulseRound, managers: Iterable[int] | None = None) -> list[ManagerResult]:
    """Per rated manager: the number of answers and, from ``MIN_ANSWERS_SHOWN`` answers on, the mean, spread
    and confidence interval of each question (two queries). Below the threshold no score is given at all."""
    answers = PulseAnswer.objects.filter(round=pulse)
    if managers is not None:
        answers = answers.filter(manager_id__in=list(managers))
    keys = [q.key for q in PULSE_QUESTIONS]
    by_manager: dict[int, list[tuple[int, ...]]] = defaultdict(list)
    for row in answers.values_list("manager_id", *keys):
        by_manager[row[0]].append(tuple(row[1:]))
    people = Staff.objects.filter(pk__in=list(by_manager)).select_related("user").in_bulk()
    results = []
    for manager_id, rows in by_manager.items():
        result = ManagerResult(manager=people[manager_id], answers=len(rows), shown=len(rows) >= MIN_ANSWERS_SHOWN)
        if result.shown:
            for i, question in enumerate(PULSE_QUESTIONS):
                result.questions.append(_question_result(str(question.text), [r[i] for r in rows]))
            result.overall = statistics.fmean(v for r in rows for v in r)
        results.append(result)
    results.sort(key=lambda r: str(r.manager).casefold())
    return results


def rateable_managers(respondent: Staff) -> list[Staff]:
    """Whom a member may rate: the team leads of their teams first, then the organization's managers and
    administrators (never themselves)."""
    people = list(
        Staff.objects.filter(organization_id=respondent.organization_id, role__in=RATED_ROLES)
        .exclude(pk=respondent.pk)
        .select_related("user")
        .prefetch_related("teams")
    )
    mine = team_ids(respondent)

    def order(s: Staff) -> tuple[int, str]:
        shares_team = s.role == Role.TEAM_LEAD and bool(mine & {t.pk for t in s.teams.all()})
        return (0 if shares_team else 1 if s.role == Role.MANAGER else 2, str(s).casefold())

    return sorted(people, key=order)


def get_round(organization_id: int, pk: int) -> PulseRound:
    try:
        return PulseRound.objects.get(pk=pk, organization_id=organization_id)
    except PulseRound.DoesNotExist:
        raise Http404 from None


def is_open(pulse: PulseRound, today: date) -> bool:
    return pulse.closed_at is None and pulse.opened_on <= today <= pulse.closes_on


def mean_or_none(value: Any) -> Decimal | None:
    """A database average as a two-decimal Decimal (None stays None)."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))

"""Reads of cases: access checks for staff, and the customer's status link.

Access rule (kept simple on purpose): every staff member of the organization sees all its cases; viewers only
read, every other role may work them (case.work). Staff of another organization, and anonymous users, get a
404, so they never learn that a case exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.db import connection
from django.db.models import Case as When_
from django.db.models import F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.http import Http404, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from servicecycle.accounts.models import Staff, Team
from servicecycle.accounts.permissions import CAPABILITIES, MESSAGE_NOT_ALLOWED, has, staff_of
from servicecycle.cases import sla
from servicecycle.cases.actions._common import TRANSITIONS
from servicecycle.cases.actions.deadlines import MAX_LEVEL
from servicecycle.cases.actions.handling import LIGHT_KINDS
from servicecycle.cases.actions.intake import hash_token
from servicecycle.cases.models import (
    Case,
    CaseAttachment,
    CaseMessage,
    CasePause,
    Category,
    Kind,
    Priority,
    ReplyTemplate,
    SavedView,
    SlaPolicy,
    SlaState,
    Status,
)
from servicecycle.catalog.models import Service
from servicecycle.core import clock
from servicecycle.core.errors import PermissionDenied
from servicecycle.core.records import Record, RecordList, counted_page
from servicecycle.cycles.models import Moment

CASE_RELATED = ("organization", "service", "moment", "category", "customer", "assignee__user", "team")


def get_case_for_user(user: Any, case_id: Any, *, write: bool = False) -> Case:
    """The case when the user's organization holds it (else 404); 403 when write access is asked and missing."""
    staff = staff_of(user)
    if staff is None or not has(user, "case.view"):
        raise Http404
    try:
        case = Case.objects.select_related(*CASE_RELATED).get(pk=int(case_id), organization_id=staff.organization_id)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if write and not has(user, "case.work"):
        raise PermissionDenied(MESSAGE_NOT_ALLOWED)
    return case


STATUS_LINK_SALT = "servicecycle.cases.status-link"
STATUS_LINK_MAX_AGE = 60 * 60 * 24 * 400  # signed links in later mails stay valid for 400 days


def signed_status_token(case: Case) -> str:
    """A status-link token for mails sent after creation, when the raw token is no longer known (only its hash
    is kept): signed with SECRET_KEY and bound to the case's current token, so it dies if that one changes."""
    return signing.dumps([case.pk, case.status_token_hash[:16]], salt=STATUS_LINK_SALT, compress=False)


def find_case_by_token(raw_token: Any) -> Case | None:
    """The case of a status-link token: the random token given at creation (found by its SHA-256, an indexed
    equality lookup, so the time taken does not depend on how much of a guess is right) or a signed one."""
    raw = str(raw_token or "").strip()
    if not raw or len(raw) > 200:
        return None
    cases = Case.objects.select_related("organization", "service")
    case = cases.filter(status_token_hash=hash_token(raw)).first()
    if case is None and ":" in raw:
        try:
            pk, prefix = signing.loads(raw, salt=STATUS_LINK_SALT, max_age=STATUS_LINK_MAX_AGE)
            case = cases.filter(pk=int(pk), status_token_hash__startswith=str(prefix)).first()
        except (signing.BadSignature, ValueError, TypeError):
            return None
    return case


def get_case_by_token(raw_token: Any) -> Case:
    """The case of a status link; 404 for a forged, expired or unknown token."""
    case = find_case_by_token(raw_token)
    if case is None:
        raise Http404
    return case


def public_messages(case: Case) -> QuerySet[CaseMessage]:
    """What the customer sees on the status page: replies and their own messages, never internal notes."""
    return case.messages.exclude(kind=CaseMessage.Kind.INTERNAL_NOTE).order_by("created_at", "id")


# The staff inbox ------------------------------------------------------------------------------------------------

INBOX_PER_PAGE = 25
COUNT_CAP = 1000  # counting stops here: "1,000+ cases" costs a bounded scan at any size
SORTS = ("received", "oldest", "due", "priority")
FILTER_KEYS = ("status", "kind", "priority", "team", "assignee", "service", "moment", "sla", "channel", "q", "sort")
LEFT_SPAN = timedelta(days=21)  # how far from now the business time left (or overdue) is worked out
PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


@dataclass(frozen=True)
class InboxFilters:
    """The inbox's GET parameters, each checked against what it may be (anything else is ignored)."""

    status: str = ""  # "" the open cases, "all", or one status
    kind: str = ""
    priority: str = ""
    team: str = ""  # a team id, or "none"
    assignee: str = ""  # a staff id, "me" or "unassigned"
    service: str = ""
    moment: str = ""
    sla: str = ""  # an SlaState, or "overdue" / "due_soon" as the clock says now
    channel: str = ""
    q: str = ""
    sort: str = "received"

    def as_query(self) -> str:
        """The filters as a query string (for saved views), without the defaults."""
        params = QueryDict(mutable=True)
        for key in FILTER_KEYS:
            value = getattr(self, key)
            if value and not (key == "sort" and value == "received"):
                params[key] = value
        return params.urlencode()

    @property
    def active(self) -> bool:
        return any(getattr(self, key) for key in FILTER_KEYS if key != "sort")


def _id_or(value: str, *words: str) -> str:
    if value in words:
        return value
    return value if value.isdigit() and len(value) < 19 else ""


def parse_filters(params: Any) -> InboxFilters:
    def get(key: str) -> str:
        return str(params.get(key, "") or "").strip()

    status = get("status")
    sla_value = get("sla")
    return InboxFilters(
        status=status if status == "all" or status in Status.values else "",
        kind=get("kind") if get("kind") in Kind.values else "",
        priority=get("priority") if get("priority") in Priority.values else "",
        team=_id_or(get("team"), "none"),
        assignee=_id_or(get("assignee"), "me", "unassigned"),
        service=_id_or(get("service")),
        moment=_id_or(get("moment")),
        sla=sla_value if sla_value in SlaState.values or sla_value in ("overdue", "due_soon") else "",
        channel=get("channel") if get("channel") in Case.Channel.values else "",
        q=get("q")[:200],
        sort=get("sort") if get("sort") in SORTS else "received",
    )


def search_cases(cases: QuerySet[Case], text: str) -> QuerySet[Case]:
    """Full-text search over reference, subject, description and contact name.

    PostgreSQL: the words as a web-search query against the same tsvector expression the GIN index
    ``case_search_idx`` holds (simple configuration: customers write in four languages), or the exact reference.
    Elsewhere (SQLite): every word must appear, case-insensitively, in one of the four fields.
    """
    text = text.strip()
    if not text:
        return cases
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        vector = SearchVector("reference", "subject", "description", "contact_name", config="simple")
        query = SearchQuery(text, config="simple", search_type="websearch")
        return cases.alias(search=vector).filter(Q(search=query) | Q(reference=text.upper()))
    for word in text.split()[:10]:
        cases = cases.filter(
            Q(reference__icontains=word)
            | Q(subject__icontains=word)
            | Q(description__icontains=word)
            | Q(contact_name__icontains=word)
        )
    return cases


def inbox_cases(staff: Staff, f: InboxFilters, now: datetime | None = None) -> QuerySet[Case]:
    """The organization's cases matching the filters, in the chosen order (not yet sliced)."""
    now = now or timezone.now()
    cases = Case.objects.filter(organization_id=staff.organization_id)
    if f.status == "":
        cases = cases.filter(status__in=Case.OPEN_STATUSES)
    elif f.status != "all":
        cases = cases.filter(status=f.status)
    for key in ("kind", "priority", "channel"):
        if getattr(f, key):
            cases = cases.filter(**{key: getattr(f, key)})
    if f.team == "none":
        cases = cases.filter(team__isnull=True)
    elif f.team:
        cases = cases.filter(team_id=int(f.team))
    if f.assignee == "me":
        cases = cases.filter(assignee_id=staff.pk)
    elif f.assignee == "unassigned":
        cases = cases.filter(assignee__isnull=True)
    elif f.assignee:
        cases = cases.filter(assignee_id=int(f.assignee))
    if f.service:
        cases = cases.filter(service_id=int(f.service))
    if f.moment:
        cases = cases.filter(moment_id=int(f.moment))
    if f.sla == "overdue":  # the clock's view: due has passed, whether or not the sweep has run yet
        cases = cases.filter(status__in=Case.OPEN_STATUSES, due_at__lte=now)
    elif f.sla == "due_soon":
        cases = cases.filter(status__in=Case.OPEN_STATUSES, warn_at__lte=now, due_at__gt=now)
    elif f.sla:
        cases = cases.filter(sla_state=f.sla)
    cases = search_cases(cases, f.q)
    if f.sort == "oldest":
        return cases.order_by("received_at", "id")
    if f.sort == "due":
        return cases.order_by(F("due_at").asc(nulls_last=True), "id")
    if f.sort == "priority":
        rank = When_(
            *[When(priority=p, then=Value(r)) for p, r in PRIORITY_RANK.items()],
            default=Value(9),
            output_field=IntegerField(),
        )
        return cases.alias(rank=rank).order_by("rank", "-received_at", "-id")
    return cases.order_by("-received_at", "-id")


@dataclass
class InboxRow:
    case: Case
    sla_label: str
    sla_class: str
    due_local: datetime | None
    business_left: float | None  # seconds of business time until due (negative: overdue by)

    @property
    def left_text(self) -> str:
        """ "3 h 20 min of business time left" or "overdue by 40 min of business time"."""
        if self.business_left is None:
            return ""
        minutes = int(abs(self.business_left) // 60)
        hours, rest = divmod(minutes, 60)
        span = _("%(h)d h %(m)d min") % {"h": hours, "m": rest} if hours else _("%(m)d min") % {"m": rest}
        if self.business_left < 0:
            return _("overdue by %(span)s of business time") % {"span": span}
        return _("%(span)s of business time left") % {"span": span}


@dataclass
class InboxPage:
    rows: list[InboxRow]
    number: int
    per_page: int
    count: int  # at most COUNT_CAP
    count_capped: bool
    has_next: bool
    filters: InboxFilters = field(default_factory=InboxFilters)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def num_pages(self) -> int | None:
        return None if self.count_capped else max(1, -(-self.count // self.per_page))


def sla_display(case: Case, now: datetime, calendar: clock.Calendar) -> InboxRow:
    """The SLA state as the clock says it now (the stored state waits for the sweep), with the business time left."""
    state = case.sla_state
    if case.is_open and case.due_at is not None and state in Case.TIMED_STATES:
        if case.due_at <= now:
            state = SlaState.BREACHED
        elif case.warn_at is not None and case.warn_at <= now:
            state = SlaState.WARNING
    left: float | None = None
    # business time is counted day by day: beyond a few weeks either way the date and the state say enough
    if case.is_open and case.due_at is not None and calendar.has_working_time and abs(case.due_at - now) < LEFT_SPAN:
        if case.due_at > now:
            left = clock.business_seconds(calendar, now, case.due_at)
        else:
            left = -clock.business_seconds(calendar, case.due_at, now)
    due_local = timezone.localtime(case.due_at, calendar.zone) if case.due_at else None
    return InboxRow(
        case=case, sla_label=str(SlaState(state).label), sla_class=state, due_local=due_local, business_left=left
    )


def _attach_known(found: list[Case], choices: InboxChoices) -> None:
    """Give the rows their team, assignee and moment from the lists the menus already hold.

    Joining those tables in the page's query made PostgreSQL spend 35-90 ms planning it on every request.
    A related object the lists do not hold (an assignee who may no longer work cases) is read in one query
    for the page, and only when there is one.
    """
    teams = {t.pk: t for t in choices.teams}
    workers = {s.pk: s for s in choices.workers}
    moments = {m.pk: m for m in choices.moments}
    missing = {c.assignee_id for c in found if c.assignee_id is not None and c.assignee_id not in workers}
    if missing:
        workers.update({s.pk: s for s in Staff.objects.filter(pk__in=missing).select_related("user")})
    missing_teams = {c.team_id for c in found if c.team_id is not None and c.team_id not in teams}
    if missing_teams:
        teams.update({t.pk: t for t in Team.objects.filter(pk__in=missing_teams)})
    missing_moments = {c.moment_id for c in found if c.moment_id is not None and c.moment_id not in moments}
    if missing_moments:
        moments.update({m.pk: m for m in Moment.objects.filter(pk__in=missing_moments).select_related("service")})
    for c in found:
        Case.team.field.set_cached_value(c, teams.get(c.team_id) if c.team_id is not None else None)
        Case.assignee.field.set_cached_value(c, workers.get(c.assignee_id) if c.assignee_id is not None else None)
        Case.moment.field.set_cached_value(c, moments.get(c.moment_id) if c.moment_id is not None else None)


def inbox_page(
    staff: Staff,
    f: InboxFilters,
    page_number: Any = 1,
    per_page: int = INBOX_PER_PAGE,
    now: datetime | None = None,
    choices: InboxChoices | None = None,
) -> InboxPage:
    """One page of the inbox in a fixed number of queries: a capped count, and the rows with what they show.

    The count stops at COUNT_CAP (a bounded index scan), and the page reads per_page + 1 rows to know whether
    a next page exists, so the first page costs the same at 100 or 100,000 cases.
    """
    now = now or timezone.now()
    try:
        number = max(1, min(int(page_number), 100_000))
    except (TypeError, ValueError):
        number = 1
    cases = inbox_cases(staff, f, now)
    count = cases.order_by()[: COUNT_CAP + 1].count()
    capped = count > COUNT_CAP
    if not capped:
        number = min(number, max(1, -(-count // per_page)))
    offset = (number - 1) * per_page
    found = list(cases.select_related("customer", "service")[offset : offset + per_page + 1])
    _attach_known(found, choices if choices is not None else inbox_choices(staff))
    calendar = sla.calendar_for(staff.organization)
    rows = [sla_display(c, now, calendar) for c in found[:per_page]]
    return InboxPage(
        rows=rows,
        number=number,
        per_page=per_page,
        count=min(count, COUNT_CAP),
        count_capped=capped,
        has_next=len(found) > per_page,
        filters=f,
    )


@dataclass(frozen=True)
class InboxChoices:
    """What the filter, bulk and inline controls offer (four queries)."""

    teams: list[Team]
    workers: list[Staff]
    services: list[Service]
    moments: list[Moment]


def inbox_choices(staff: Staff) -> InboxChoices:
    org = staff.organization_id
    return InboxChoices(
        teams=list(Team.objects.filter(organization_id=org).order_by("name")),
        workers=list(
            Staff.objects.filter(organization_id=org, role__in=CAPABILITIES["case.work"])
            .select_related("user")
            .order_by("user__first_name", "user__last_name", "pk")
        ),
        services=list(Service.objects.filter(organization_id=org).order_by("name")),
        moments=list(
            Moment.objects.filter(service__organization_id=org)
            .select_related("service")
            .order_by("service__name", "position")
        ),
    )


def saved_views_for(staff: Staff) -> list[SavedView]:
    """One's own saved views and those others shared in the organization."""
    return list(
        SavedView.objects.filter(Q(owner=staff) | Q(organization_id=staff.organization_id, shared=True))
        .select_related("owner__user")
        .order_by("name", "id")
    )


def with_filters(f: InboxFilters, **changes: str) -> InboxFilters:
    return replace(f, **changes)


# The case page --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseLists:
    """The organization's lists the case page's menus offer (reply templates, categories, moments, services):
    the same before and after a handling step, so a step reads them once. The services and moments are the
    inbox controls' own (``InboxChoices``, which the page reads anyway): two queries more."""

    templates: list[ReplyTemplate]
    categories: list[Category]
    moments: list[Moment]
    services: list[Service]


def case_lists(organization_id: int, choices: InboxChoices) -> CaseLists:
    return CaseLists(
        templates=list(
            ReplyTemplate.objects.filter(organization_id=organization_id, is_active=True).order_by("name", "language")
        ),
        categories=list(Category.objects.filter(organization_id=organization_id, is_active=True)),
        moments=choices.moments,
        services=choices.services,
    )


@dataclass(frozen=True)
class CaseView:
    """Everything the case page shows, read in a fixed number of queries."""

    case: Case
    messages: list[CaseMessage]
    loose_attachments: list[CaseAttachment]  # attachments not tied to a message (e.g. the intake form's files)
    paused: bool
    steps: frozenset[str]
    sla: InboxRow
    policy: SlaPolicy | None
    language: str
    lists: CaseLists  # the organization's menus


def customer_language(case: Case) -> str:
    """The language to answer the customer in: the one chosen at intake, the customer's, the organization's."""
    if case.language:
        return case.language
    if case.customer is not None and case.customer.preferred_language:
        return case.customer.preferred_language
    return case.organization.default_language or "en"


def available_steps(case: Case, paused: bool) -> frozenset[str]:
    """The handling steps the case's state allows now (the same table the actions check)."""
    steps = {step for step, allowed in TRANSITIONS.items() if case.status in allowed}
    close_step = "close_without_response" if case.kind in LIGHT_KINDS else "close"
    steps.discard("close_without_response")
    steps.discard("close")
    if case.status in TRANSITIONS[close_step]:
        steps.add("close")
    if paused:
        steps.discard("wait_for_customer")
    else:
        steps.discard("resume")
    if case.escalation_level >= MAX_LEVEL:
        steps.discard("escalate")
    steps -= {"customer_add_information", "rate_satisfaction"}
    return frozenset(steps)


def case_paused(case: Case) -> bool:
    return CasePause.objects.filter(case=case, ended_at__isnull=True).exists()


def case_view(case: Case, lists: CaseLists, now: datetime | None = None) -> CaseView:
    """The case page's reads: its messages (with their files), loose files, pause and SLA, with the
    organization's ``lists``."""
    now = now or timezone.now()
    messages = list(
        case.messages.select_related("author_staff__user", "author_customer").prefetch_related(
            Prefetch("attachments", queryset=CaseAttachment.objects.order_by("created_at", "id"))
        )
    )
    loose = list(case.attachments.filter(message__isnull=True).order_by("created_at", "id"))
    paused = case_paused(case)
    calendar = sla.calendar_for(case.organization)
    return CaseView(
        case=case,
        messages=messages,
        loose_attachments=loose,
        paused=paused,
        steps=available_steps(case, paused),
        sla=sla_display(case, now, calendar),
        policy=sla.policy_for(case),
        language=customer_language(case),
        lists=lists,
    )


# Configuration --------------------------------------------------------------------------------------------------


def categories_of(staff: Staff) -> list[Category]:
    return list(Category.objects.filter(organization_id=staff.organization_id).order_by("-is_active", "name"))


def policies_of(staff: Staff) -> dict[tuple[str, str], SlaPolicy]:
    return {(p.kind, p.priority): p for p in SlaPolicy.objects.filter(organization_id=staff.organization_id)}


def reply_templates_of(staff: Staff) -> list[ReplyTemplate]:
    return list(
        ReplyTemplate.objects.filter(organization_id=staff.organization_id).order_by("-is_active", "name", "language")
    )


def get_reply_template(staff: Staff, template_id: Any) -> ReplyTemplate:
    try:
        return ReplyTemplate.objects.get(pk=int(template_id), organization_id=staff.organization_id)
    except (ReplyTemplate.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_category(staff: Staff, category_id: Any) -> Category:
    try:
        return Category.objects.get(pk=int(category_id), organization_id=staff.organization_id)
    except (Category.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def customer_cases(customer: Any, offset: int, limit: int) -> RecordList:
    """The customer's cases for their page, newest first (two queries: the count and the page): the same set the
    personal-data export holds, so also those sent from their email address without naming them."""
    from servicecycle.cases.personal_data import cases_of

    total, page = counted_page(
        cases_of(customer).select_related("service").order_by("-received_at", "-id"), offset, limit
    )
    now = timezone.now()
    return RecordList(
        key="cases",
        title=_("Cases"),
        explanation=_("Complaints, claims, suggestions, compliments and questions; red when open past a deadline."),
        total=total,
        items=[
            case_record(
                case,
                detail=case.service.name,
                hot=case.status in Case.OPEN_STATUSES
                and case.sla_state != SlaState.PAUSED
                and case.due_at is not None
                and case.due_at < now,
            )
            for case in page
        ],
    )


def case_record(case: Case, *, detail: str = "", hot: bool) -> Record:
    """A case in a record list: reference and subject, kind and status, when it was received."""
    return Record(
        title=f"{case.reference} · {case.subject}",
        url=reverse("case-detail", kwargs={"pk": case.pk}),
        when=case.received_at,
        state=f"{case.get_kind_display()} · {case.get_status_display()}",
        detail=detail,
        hot=hot,
    )

"""Reads of promises: access checks for staff, the customer's status link, kept-rate figures and team calendars.

Access rule (as for cases): every staff member of the organization sees its promises; viewers only read, every
other role may work them. Staff of another organization, and anonymous users, get a 404.

Figures (``kept_rates``, ``staff_scorecard``) are sums of the per-day summary ``PromiseFigures`` (one query
each), which ``figures`` keeps exact with these rules (``counted_promises``, ``figure_counts``); so does the
moment-health source (``broken_promises_health``, the moment rows of the last 90 due days):

* given: promises that were given to the customer (``given_at`` set), whatever happened afterwards;
* kept / broken: promises in that final state; kept rate = kept / (kept + broken), None while none is resolved;
* unconfirmed: given without the fulfilling team's confirmation; share = unconfirmed / given (None when none given);
* minutes to confirm: the mean time from the request to the team's confirmation, in calendar minutes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Case as DbCase
from django.db.models import Count, DurationField, ExpressionWrapper, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from servicecycle.accounts.models import Organization, Staff, Team
from servicecycle.accounts.permissions import MESSAGE_NOT_ALLOWED, has, staff_of, team_ids
from servicecycle.accounts.personal_data import iso
from servicecycle.catalog.models import Service
from servicecycle.core.changes import hash_token
from servicecycle.core.errors import PermissionDenied
from servicecycle.core.records import Record, RecordList, counted_page
from servicecycle.cycles.models import Moment
from servicecycle.cycles.queries import Signal
from servicecycle.promises.figures import local_day
from servicecycle.promises.models import Promise, PromiseFigures, State, TeamCalendarFeed

PROMISE_RELATED = (
    "organization",
    "promiser__user",
    "customer",
    "service",
    "moment",
    "case",
    "fulfilling_team",
    "confirmed_by__user",
    "declined_by__user",
)
SCOPES = ("mine", "team", "all")
GROUPINGS = ("team", "staff", "service", "moment")
HEALTH_WINDOW = timedelta(days=90)
CALENDAR_PAST = timedelta(days=30)
CALENDAR_AHEAD = timedelta(days=180)
CALENDAR_STATES = (State.AWAITING, State.CONFIRMED, State.DECLINED, State.GIVEN, State.KEPT, State.BROKEN)


# Access ----------------------------------------------------------------------------------------------------


def get_promise_for_user(user: Any, promise_id: Any, *, write: bool = False) -> Promise:
    """The promise when the user's organization holds it (else 404); 403 when write access is asked and missing."""
    staff = staff_of(user)
    if staff is None or not has(user, "case.view"):
        raise Http404
    try:
        promise = Promise.objects.select_related(*PROMISE_RELATED).get(
            pk=int(promise_id), organization_id=staff.organization_id
        )
    except (Promise.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
    if write and not has(user, "case.work"):
        raise PermissionDenied(MESSAGE_NOT_ALLOWED)
    return promise


def promises_for_user(
    user: Any, *, scope: str = "mine", state: str | None = None, search: str = ""
) -> QuerySet[Promise]:
    """The user's promises ("mine": made by them), their teams' ("team": to be fulfilled by a team they belong
    to) or the organization's ("all"), soonest due first."""
    staff = staff_of(user)
    if staff is None:
        raise Http404
    promises = Promise.objects.filter(organization_id=staff.organization_id).select_related(*PROMISE_RELATED)
    if scope == "mine":
        promises = promises.filter(promiser=staff)
    elif scope == "team":
        promises = promises.filter(fulfilling_team_id__in=team_ids(staff))
    if state:
        promises = promises.filter(state=state)
    text = str(search or "").strip()
    if text:
        promises = promises.filter(
            Q(text__icontains=text) | Q(customer_name__icontains=text) | Q(customer__name__icontains=text)
        )
    return promises.order_by("due_at", "pk")


def confirmation_requests_for(user: Any) -> QuerySet[Promise]:
    """Requests waiting for an answer from a team the user belongs to (or leads), oldest request first."""
    staff = staff_of(user)
    if staff is None:
        raise Http404
    return (
        Promise.objects.filter(
            organization_id=staff.organization_id, state=State.AWAITING, fulfilling_team_id__in=team_ids(staff)
        )
        .select_related(*PROMISE_RELATED)
        .order_by("requested_at", "pk")
    )


def get_promise_by_token(raw_token: Any) -> Promise:
    """The promise of a status link, found by the SHA-256 of the token; 404 for a forged or unknown token."""
    raw = str(raw_token or "").strip()
    if not raw or len(raw) > 200:
        raise Http404
    promise = (
        Promise.objects.select_related("organization", "service", "fulfilling_team", "customer")
        .filter(status_token_hash=hash_token(raw))
        .first()
    )
    if promise is None:
        raise Http404
    return promise


def promises_for_case(case: Any) -> QuerySet[Promise]:
    """What was promised on a case, soonest due first (drafts stay internal until the customer is told)."""
    return (
        Promise.objects.filter(case_id=case.pk, organization_id=case.organization_id)
        .select_related("fulfilling_team", "service", "promiser__user")
        .order_by("due_at", "pk")
    )


# Figures ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeptRate:
    key_id: int
    label: str
    given: int
    kept: int
    broken: int
    unconfirmed: int
    kept_rate: float | None  # kept / (kept + broken); None while nothing is resolved
    unconfirmed_share: float | None  # unconfirmed / given; None while nothing was given
    median_or_mean_minutes_to_confirm: float | None  # mean minutes from request to confirmation


_GROUP_KEYS = {
    "team": ("fulfilling_team_id", ("fulfilling_team__name",)),
    "staff": ("promiser_id", ("promiser__user__first_name", "promiser__user__last_name", "promiser__user__username")),
    "service": ("service_id", ("service__name",)),
    "moment": ("moment_id", ("moment__name",)),
}


def figure_counts() -> dict[str, Any]:
    """The counting rules of the figures, as aggregates over ``counted_promises`` rows. ``figures`` stores them
    per day (``PromiseFigures``); everything that shows figures sums those rows."""
    waited = Q(confirmed_at__isnull=False, requested_at__isnull=False)
    return {
        # counted on organization_id (never null) rather than the id: the id is not in the covering index, and
        # reading it would turn PostgreSQL's index-only scan back into heap reads (Django refuses COUNT(*) FILTER)
        "given": Count("organization_id", filter=Q(given_at__isnull=False)),
        "kept": Count("organization_id", filter=Q(state=State.KEPT)),
        "broken": Count("organization_id", filter=Q(state=State.BROKEN)),
        "unconfirmed": Count("organization_id", filter=Q(given_unconfirmed=True)),
        "confirm_time": Sum(
            ExpressionWrapper(F("confirmed_at") - F("requested_at"), output_field=DurationField()), filter=waited
        ),
        "confirm_count": Count("organization_id", filter=waited),
    }


def _summed() -> dict[str, Any]:
    """The sums of the per-day summary rows that make the figures of a group."""
    return {
        name: Coalesce(Sum(name), 0)
        for name in ("given", "kept", "broken", "unconfirmed", "confirm_microseconds", "confirm_count")
    }


def _rate(key_id: int, label: str, row: dict[str, Any]) -> KeptRate:
    given, kept, broken, unconfirmed = row["given"], row["kept"], row["broken"], row["unconfirmed"]
    waited = row["confirm_count"]
    minutes = int(row["confirm_microseconds"]) / waited / 60_000_000 if waited else None
    return KeptRate(
        key_id=key_id,
        label=label,
        given=given,
        kept=kept,
        broken=broken,
        unconfirmed=unconfirmed,
        kept_rate=kept / (kept + broken) if kept + broken else None,
        unconfirmed_share=unconfirmed / given if given else None,
        median_or_mean_minutes_to_confirm=round(minutes, 1) if minutes is not None else None,
    )


def counted_promises(organization_id: int, since: datetime | None = None) -> QuerySet[Promise]:
    """The promises the figures count: every one past its draft (a withdrawn draft never reached anybody),
    due at or after ``since`` when given."""
    promises = Promise.objects.filter(organization_id=organization_id).exclude(state=State.DRAFT)
    promises = promises.exclude(state=State.WITHDRAWN, requested_at__isnull=True, given_at__isnull=True)
    if since is not None:
        promises = promises.filter(due_at__gte=since)
    return promises


# grouping -> (label table, join from the aggregate's key, label columns)
_LABEL_JOINS = {
    "team": ("JOIN accounts_team l ON l.id = agg.{key}", ("l.name",)),
    "staff": (
        "JOIN accounts_staff s ON s.id = agg.{key} JOIN auth_user l ON l.id = s.user_id",
        ("l.first_name", "l.last_name", "l.username"),
    ),
    "service": ("JOIN catalog_service l ON l.id = agg.{key}", ("l.name",)),
    "moment": ("JOIN cycles_moment l ON l.id = agg.{key}", ("l.name",)),
}


def since_day(organization: Organization, since: date | datetime | None) -> date | None:
    """The first due day counted for ``since``: a date as it is, an instant as its date in the organization's
    time zone (the figures are kept per local day, so a period starts at a local midnight)."""
    if since is None or not isinstance(since, datetime):
        return since
    return local_day(since, organization.zone)


def kept_rates(organization: Organization, *, by: str = "team", since: date | datetime | None = None) -> list[KeptRate]:
    """Kept-rate figures per team, staff member (promiser), service or moment, of the promises due on or after
    the local day of ``since`` (all when None), in one query, ordered by label.

    The figures are sums of the per-day summary (``PromiseFigures``, kept exact by the actions: see
    ``figures``), a few hundred rows a year instead of every promise; the few resulting rows are then joined
    to the table that names them (one SQL statement).
    """
    if by not in _GROUP_KEYS:
        raise ValueError(f"by must be one of {GROUPINGS}, not {by!r}")
    summary = PromiseFigures.objects.filter(organization_id=organization.pk, dimension=by)
    first_day = since_day(organization, since)
    if first_day is not None:
        summary = summary.filter(day__gte=first_day)
    sums = _summed()
    aggregated = summary.values("key_id").annotate(**sums).order_by()
    inner_sql, params = aggregated.query.sql_with_params()
    join, label_columns = _LABEL_JOINS[by]
    names = ["key_id", *sums]
    quote = connection.ops.quote_name
    columns = ", ".join([*("agg." + quote(n) for n in names), *label_columns])
    joined = join.format(key=quote("key_id"))
    sql = f"SELECT {columns} FROM ({inner_sql}) agg {joined}"  # noqa: S608 - our own names; values are params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    rates = []
    for row in rows:
        values = dict(zip(names, row[: len(names)], strict=True))
        labels = row[len(names) :]
        if by == "staff":
            first, last, username = labels
            label = f"{first} {last}".strip() or username
        else:
            label = labels[0]
        rates.append(_rate(values["key_id"], label, values))
    rates.sort(key=lambda r: (r.label.casefold(), r.key_id))
    return rates


@dataclass(frozen=True)
class Scorecard:
    staff: Staff
    figures: KeptRate
    recent: list[Promise]
    # the kept rates of the person's colleagues, for comparison: the organization's overall figure
    organization_kept_rate: float | None


def staff_scorecard(staff: Staff, *, recent: int = 20) -> Scorecard:
    """A person's record as a promiser: their figures, the organization's overall kept rate (both summed from
    the per-day summary) and their latest promises (three queries)."""
    summary = PromiseFigures.objects.filter(organization_id=staff.organization_id)
    row = summary.filter(dimension="staff", key_id=staff.pk).aggregate(**_summed())
    # every counted promise has exactly one fulfilling team: the team rows add up to the whole organization
    whole = summary.filter(dimension="team").aggregate(kept=Coalesce(Sum("kept"), 0), broken=Coalesce(Sum("broken"), 0))
    overall = whole["kept"] / (whole["kept"] + whole["broken"]) if whole["kept"] + whole["broken"] else None
    latest = list(
        Promise.objects.filter(promiser=staff)
        .select_related("service", "fulfilling_team", "customer", "moment")
        .order_by("-created_at", "-pk")[:recent]
    )
    label = str(staff)
    return Scorecard(staff=staff, figures=_rate(staff.pk, label, row), recent=latest, organization_kept_rate=overall)


def health_first_day() -> date:
    """The first due day the moment health counts: 90 days before today's date (UTC). Every organization's
    promises are counted by their local due day from that date on, as the per-day figures keep them."""
    return timezone.now().astimezone(UTC).date() - HEALTH_WINDOW


def broken_promises_health(moments: list[Moment]) -> dict[int, dict[str, Signal]]:
    """The moment-health source of promises: the share of broken promises among the resolved ones (kept or
    broken) due from ``health_first_day`` on, per moment, for moments with at least one such promise.

    One query, a sum over the per-day summary (``PromiseFigures``, moment rows) rather than over the promises:
    a few thousand rows instead of every promise of 90 days.
    """
    if not moments:
        return {}
    organizations = Service.objects.filter(pk__in={m.service_id for m in moments}).values("organization_id")
    rows = (
        PromiseFigures.objects.filter(
            organization_id__in=organizations,
            dimension="moment",
            day__gte=health_first_day(),
            key_id__in=[m.pk for m in moments],
        )
        .values("key_id")
        .annotate(kept=Sum("kept"), broken=Sum("broken"))
        .order_by()
    )
    signals: dict[int, dict[str, Signal]] = {}
    for row in rows:
        resolved = row["kept"] + row["broken"]
        if not resolved:
            continue
        share = row["broken"] / resolved
        signals[row["key_id"]] = {
            "broken_promises": Signal(label=_("Broken promises (90 days)"), value=share, badness=share)
        }
    return signals


def broken_promises_evidence(moment: Moment, offset: int, limit: int) -> RecordList:
    """The promises behind the moment's broken-promises figure: broken, then at risk or overdue now, then kept;
    the broken and kept ones due from ``health_first_day`` on in the organization's time zone (the figure's
    window). A count and a page."""
    now = timezone.now()
    zone = Organization.objects.only("time_zone").get(services__moments=moment.pk).zone
    since = datetime.combine(health_first_day(), time.min, tzinfo=zone)
    broken = Q(state=State.BROKEN, due_at__gte=since)
    at_risk = Q(state__in=[State.CONFIRMED, State.GIVEN]) & (Q(risk_at__lte=now) | Q(due_at__lte=now))
    kept = Q(state=State.KEPT, due_at__gte=since)
    promises = Promise.objects.filter(moment_id=moment.pk).filter(broken | at_risk | kept)
    rank = DbCase(
        When(broken, then=Value(0)), When(at_risk, then=Value(1)), default=Value(2), output_field=IntegerField()
    )
    ordered = promises.select_related("fulfilling_team").annotate(rank=rank).order_by("rank", "-due_at", "-pk")
    total, page = counted_page(ordered, offset, limit)
    items = []
    for promise in page:
        state = promise.get_state_display()
        if getattr(promise, "rank", 2) == 1:
            state = _("At risk") if promise.due_at > now else _("Overdue")
        items.append(_promise_record(promise, state, hot=promise.state == State.BROKEN))
    return RecordList(
        key="broken_promises",
        title=_("Promises"),
        explanation=_(
            "Broken and kept, of those due in the last 90 days (the broken share is the figure), and open "
            "promises at risk or overdue now (not in the figure yet)."
        ),
        total=total,
        items=items,
    )


# Team calendar ---------------------------------------------------------------------------------------------


def team_calendar(team: Team, start: datetime, end: datetime) -> QuerySet[Promise]:
    """The team's promises due in [start, end) that were asked of it or given (no drafts, nothing withdrawn)."""
    return (
        Promise.objects.filter(fulfilling_team=team, due_at__gte=start, due_at__lt=end, state__in=CALENDAR_STATES)
        .select_related("service", "promiser__user", "customer", "fulfilling_team")
        .order_by("due_at", "pk")
    )


def is_unconfirmed(promise: Promise) -> bool:
    """Not (yet) confirmed by the fulfilling team: still awaiting or declined, or given without confirmation."""
    return promise.given_unconfirmed or promise.state in (State.AWAITING, State.DECLINED, State.DRAFT)


def team_calendar_ics(team: Team, *, now: datetime | None = None) -> bytes:
    """The team's due promises as an iCalendar document: one event per promise, from 30 days back to 180 ahead.

    The UID is stable (the promise's id and the organization), so calendar apps update an event in place when
    the promise changes. Events last 15 minutes, starting at the due time.
    """
    from icalendar import Calendar, Event

    now = now or timezone.now()
    cal = Calendar()
    cal.add("prodid", "-//servicecycle//promises//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _("Promises due: %(team)s") % {"team": team.name})
    for promise in team_calendar(team, now - CALENDAR_PAST, now + CALENDAR_AHEAD):
        event = Event()
        event.add("uid", f"promise-{promise.pk}@{team.organization_id}.servicecycle")
        event.add("dtstamp", promise.updated_at or now)
        event.add("dtstart", promise.due_at)
        event.add("dtend", promise.due_at + timedelta(minutes=15))
        flag = is_unconfirmed(promise)
        summary = promise.text.splitlines()[0][:120] if promise.text else ""
        if flag:
            summary = _("[unconfirmed] %(text)s") % {"text": summary}
        event.add("summary", summary)
        event.add("status", "CANCELLED" if promise.state == State.BROKEN else "CONFIRMED" if not flag else "TENTATIVE")
        event.add("categories", [State(promise.state).label])
        event.add("x-servicecycle-state", promise.state)
        event.add("x-servicecycle-unconfirmed", "TRUE" if flag else "FALSE")
        lines = [
            promise.text,
            "",
            _("State: %(state)s") % {"state": State(promise.state).label},
            _("Service: %(service)s") % {"service": promise.service.name},
            _("Promised by: %(name)s") % {"name": str(promise.promiser)},
        ]
        customer = promise.customer.name if promise.customer else promise.customer_name
        if customer:
            lines.append(_("Customer: %(name)s") % {"name": customer})
        if flag:
            lines.append(_("Not confirmed by the team."))
        event.add("description", "\n".join(lines))
        cal.add_component(event)
    return cal.to_ical()


def team_by_calendar_token(raw_token: Any) -> Team:
    """The team of a private calendar-feed token (by its SHA-256); 404 for a forged or unknown token."""
    raw = str(raw_token or "").strip()
    if not raw or len(raw) > 200:
        raise Http404
    feed = TeamCalendarFeed.objects.select_related("team__organization").filter(token_hash=hash_token(raw)).first()
    if feed is None:
        raise Http404
    return feed.team


def has_calendar_feed(teams: Iterable[Team]) -> set[int]:
    """Ids of the given teams that have a feed token issued (one query)."""
    return set(TeamCalendarFeed.objects.filter(team__in=list(teams)).values_list("team_id", flat=True))


# Personal data ---------------------------------------------------------------------------------------------


def customer_promises(customer: Any) -> QuerySet[Promise]:
    """The promises made to the customer: naming them, or made without a customer record to their email address
    in the same organization (the personal-data export and erasure read the same set)."""
    match = Q(customer=customer)
    if customer.email:
        match |= Q(customer__isnull=True, customer_email__iexact=customer.email)
    return Promise.objects.filter(match, organization_id=customer.organization_id)


def _promise_record(promise: Promise, state: str, *, hot: bool) -> Record:
    """A promise in a record list: its text (cut at 90 characters), due time and team (``fulfilling_team`` read)."""
    return Record(
        title=promise.text if len(promise.text) <= 90 else promise.text[:89] + "…",
        url=reverse("promise-detail", kwargs={"pk": promise.pk}),
        when=promise.due_at,
        state=state,
        detail=promise.fulfilling_team.name,
        hot=hot,
    )


def customer_promises_history(customer: Any, offset: int, limit: int) -> RecordList:
    """The promises made to the customer for their page, newest first (two queries: the count and the page)."""
    ordered = customer_promises(customer).select_related("fulfilling_team").order_by("-created_at", "-id")
    total, page = counted_page(ordered, offset, limit)
    now = timezone.now()
    items = []
    for promise in page:
        state = promise.get_state_display()
        overdue = promise.is_overdue(now)
        if overdue and promise.state != State.BROKEN:
            state = f"{state} · {_('Overdue')}"
        items.append(_promise_record(promise, state, hot=overdue))
    return RecordList(
        key="promises",
        title=_("Promises"),
        explanation=_("What was promised to them and by when; red while they wait past the due time."),
        total=total,
        items=items,
    )


def customer_promises_export(customer: Any) -> list[dict[str, Any]]:
    """The promises made to the customer, for their personal-data export (one query): those naming the customer,
    and those made without a customer record to the customer's email address in the same organization."""
    promises = (
        customer_promises(customer)
        .select_related("service", "moment", "case", "fulfilling_team")
        .order_by("created_at", "id")
    )
    return [
        {
            "id": promise.pk,
            "text": promise.text,
            "state": promise.state,
            "customer_name": promise.customer_name,
            "customer_email": promise.customer_email,
            "language": promise.language,
            "team": promise.fulfilling_team.name,
            "service": promise.service.name,
            "moment": promise.moment.name if promise.moment else None,
            "case": promise.case.reference if promise.case else None,
            "created_at": iso(promise.created_at),
            "due_at": iso(promise.due_at),
            "original_due_at": iso(promise.original_due_at),
            "confirmed_at": iso(promise.confirmed_at),
            "declined_at": iso(promise.declined_at),
            "decline_reason": promise.decline_reason,
            "alternative_text": promise.alternative_text,
            "alternative_due_at": iso(promise.alternative_due_at),
            "given_at": iso(promise.given_at),
            "given_unconfirmed": promise.given_unconfirmed,
            "unconfirmed_reason": promise.unconfirmed_reason,
            "kept_at": iso(promise.kept_at),
            "broken_at": iso(promise.broken_at),
            "withdrawn_at": iso(promise.withdrawn_at),
            "withdraw_reason": promise.withdraw_reason,
            "recovery": promise.recovery,
            "recovery_note": promise.recovery_note,
            "recovery_amount": str(promise.recovery_amount) if promise.recovery_amount is not None else None,
            "recovery_due_at": iso(promise.recovery_due_at),
            "recovered_at": iso(promise.recovered_at),
        }
        for promise in promises
    ]

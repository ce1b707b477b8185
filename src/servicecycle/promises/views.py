"""Pages of promises: the front line's list, form and detail; the fulfilling team's confirmation requests; the
kept-rate dashboard and staff scorecards; a team's calendar; and the customer's status page.

Views stay thin: they read through ``promises.queries`` (plus a few list filters in ``ui_queries``) and change
promises only through ``promises.actions``. Every date is shown and typed in the organization's time zone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.decorators import ratelimit

from servicecycle.accounts.models import Role, Staff, Team
from servicecycle.accounts.permissions import staff_of, team_ids
from servicecycle.catalog.models import Service
from servicecycle.core import audit
from servicecycle.core.errors import Conflict, DomainError, PermissionDenied
from servicecycle.core.views_helpers import (
    HtmxRequest,
    apply_domain_error,
    forbidden,
    paginate,
    staff_required,
)
from servicecycle.promises import actions, queries, ui_queries
from servicecycle.promises.forms import (
    DeclineForm,
    GiveForm,
    PromiseForm,
    RecoveryForm,
    VersionForm,
    WithdrawForm,
    customer_label,
)
from servicecycle.promises.models import OPEN_STATES, Promise, State, TeamCalendarFeed

POLL_SECONDS = 5
CALENDAR_WEEKS = 5
MAX_CALENDAR_WEEKS = 12
SINCE_CHOICES = {"30": 30, "90": 90, "365": 365, "all": None}
KEPT_RATE_TABLES = (
    ("team", gettext_lazy("By team")),
    ("staff", gettext_lazy("By staff member")),
    ("service", gettext_lazy("By service")),
    ("moment", gettext_lazy("By moment of truth")),
)


def _int_or_none(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _me(request: HttpRequest) -> Staff:
    staff = staff_of(request.user)
    assert staff is not None  # staff_required ran first
    return staff


# The list -----------------------------------------------------------------------------------------------


@staff_required("view")
def promise_list(request: HttpRequest) -> HttpResponse:
    staff = _me(request)
    scopes = ui_queries.scopes_for(staff)
    scope = request.GET.get("scope", "")
    if scope not in scopes:
        scope = scopes[0]
    state = request.GET.get("state", "")
    if state not in State.values:
        state = ""
    q = request.GET.get("q", "").strip()[:100]
    team_id = _int_or_none(request.GET.get("team"))
    service_id = _int_or_none(request.GET.get("service"))
    due = request.GET.get("due", "")
    if due not in ui_queries.DUE_FILTERS:
        due = ""
    sort = request.GET.get("sort", "")
    if sort not in ui_queries.SORTS:
        sort = ui_queries.DEFAULT_SORT
    promises = queries.promises_for_user(request.user, scope=scope, state=state or None, search=q)
    promises = ui_queries.filter_promises(
        promises, organization=staff.organization, team_id=team_id, service_id=service_id, due=due, sort=sort
    )
    filtered = bool(state or q or team_id or service_id or due)
    return render(
        request,
        "promises/promise_list.html",
        {
            "page": paginate(request, promises),
            "scopes": [(s, SCOPE_LABELS[s]) for s in scopes],
            "scope": scope,
            "states": State.choices,
            "state": state,
            "q": q,
            "teams": Team.objects.filter(organization=staff.organization).order_by("name"),
            "services": Service.objects.filter(organization=staff.organization).order_by("name"),
            "team_id": team_id,
            "service_id": service_id,
            "due": due,
            "due_choices": DUE_LABELS,
            "sort": sort,
            "filtered": filtered,
            "now": timezone.now(),
            "can_work": staff.role != Role.VIEWER,
        },
    )


SCOPE_LABELS = {
    "mine": gettext_lazy("Mine"),
    "team": gettext_lazy("My teams'"),
    "all": gettext_lazy("Everyone's"),
}
DUE_LABELS = [
    ("overdue", gettext_lazy("Overdue")),
    ("today", gettext_lazy("Due today")),
    ("week", gettext_lazy("Due in the next 7 days")),
    ("later", gettext_lazy("Due later")),
]


# Creating -----------------------------------------------------------------------------------------------


@staff_required("case.work")
def promise_create(request: HttpRequest) -> HttpResponse:
    staff = _me(request)
    initial: dict[str, Any] = {}
    for key in ("service", "customer", "case_reference"):
        if request.GET.get(key):
            initial[key] = request.GET[key][:50]
    form = PromiseForm(request.POST or None, organization=staff.organization, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        case_id = None
        if data["case_reference"]:
            case_id = ui_queries.case_id_for_reference(staff.organization, data["case_reference"])
            if case_id is None:
                form.add_error("case_reference", _("No case of your organization has this reference."))
        if form.is_valid():
            customer = data["customer"]
            try:
                promise = actions.create_promise(
                    acting_user=request.user,
                    service_id=data["service"].pk,
                    fulfilling_team_id=data["fulfilling_team"].pk,
                    text=data["text"],
                    due_at=data["due_at"],
                    customer_id=customer.pk if customer else None,
                    customer_name="" if customer else data["customer_name"].strip(),
                    customer_email="" if customer else data["customer_email"],
                    language="" if customer else data["language"],
                    moment_id=data["moment"].pk if data["moment"] else None,
                    case_id=case_id,
                    idempotency_key=data["idempotency_key"] or None,
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return _after_create(request, promise)
    return render(
        request,
        "promises/promise_form.html",
        {"form": form, "time_zone": timezone.get_current_timezone_name()},
    )


def _after_create(request: HttpRequest, promise: Promise) -> HttpResponse:
    if request.POST.get("submit") == "ask":
        try:
            actions.request_confirmation(acting_user=request.user, promise=promise, expected_version=promise.version)
        except DomainError as exc:
            messages.error(
                request, _("The draft was saved, but the team could not be asked: %(error)s") % {"error": exc.message}
            )
        else:
            messages.success(
                request,
                _("Draft saved and %(team)s asked to confirm.") % {"team": promise.fulfilling_team.name},
            )
    else:
        messages.success(request, _("Draft saved. Ask the team to confirm before you give it to the customer."))
    return redirect("promise-detail", pk=promise.pk)


@require_GET
@staff_required("case.work")
def customer_options(request: HttpRequest) -> HttpResponse:
    """The <option>s of the customer picker for a search (HTMX swaps them into the select)."""
    staff = _me(request)
    search = (request.GET.get("customer_search") or request.GET.get("q") or "")[:100]
    customers = ui_queries.customer_options(staff.organization, search)
    return render(
        request,
        "promises/_customer_options.html",
        {"options": [(c.pk, customer_label(c)) for c in customers], "search": search},
    )


# Detail and its live part -------------------------------------------------------------------------------


@dataclass
class ActionSpec:
    form_class: type[forms.Form]
    run: Callable[[Any, Promise, dict[str, Any]], Promise]
    done: Any  # lazy message shown after success


def _step(action: Callable[..., Promise], *fields: str) -> Callable[[Any, Promise, dict[str, Any]], Promise]:
    """Run ``action`` on the promise with the form's version and the named fields of its cleaned data."""

    def run(user: Any, promise: Promise, data: dict[str, Any]) -> Promise:
        return action(
            acting_user=user, promise=promise, expected_version=data["version"], **{name: data[name] for name in fields}
        )

    return run


def _give(user: Any, promise: Promise, data: dict[str, Any]) -> Promise:
    return actions.give(
        acting_user=user,
        promise=promise,
        unconfirmed_reason=data.get("unconfirmed_reason", "") or "",
        expected_version=data["version"],
    )


ACTIONS: dict[str, ActionSpec] = {
    "request": ActionSpec(
        VersionForm, _step(actions.request_confirmation), gettext_lazy("The team was asked to confirm.")
    ),
    "confirm": ActionSpec(
        VersionForm,
        _step(actions.confirm),
        gettext_lazy("Confirmed. The person who asked can now give the promise to the customer."),
    ),
    "decline": ActionSpec(
        DeclineForm,
        _step(actions.decline, "reason", "alternative_text", "alternative_due_at"),
        gettext_lazy("Declined. The person who asked has been told, with your alternative."),
    ),
    "accept": ActionSpec(
        VersionForm,
        _step(actions.accept_alternative),
        gettext_lazy("The team's alternative is now the promise, confirmed by the team."),
    ),
    "give": ActionSpec(GiveForm, _give, gettext_lazy("Given to the customer. They have been sent the details.")),
    "kept": ActionSpec(VersionForm, _step(actions.mark_kept), gettext_lazy("Marked as kept.")),
    "withdraw": ActionSpec(WithdrawForm, _step(actions.withdraw, "reason"), gettext_lazy("Withdrawn.")),
    "recover": ActionSpec(
        RecoveryForm,
        _step(actions.record_recovery, "recovery", "note", "amount", "new_due_at"),
        gettext_lazy("Recovery recorded. The customer has been told."),
    ),
}


def available_actions(promise: Promise, staff: Staff) -> list[str]:
    """The actions to offer on a promise in its current state (the actions themselves check the rules again)."""
    if staff.role == Role.VIEWER:
        return []
    state = promise.state
    available = []
    if state in (State.DRAFT, State.DECLINED):
        available.append("request")
    answers = staff.role in ui_queries.MANAGING_ROLES or promise.fulfilling_team_id in team_ids(staff)
    if state == State.AWAITING and answers:
        available += ["confirm", "decline"]
    if state == State.DECLINED and (promise.alternative_text or promise.alternative_due_at):
        available.append("accept")
    if state in (State.DRAFT, State.AWAITING, State.CONFIRMED, State.DECLINED):
        available.append("give")
    if state == State.GIVEN:
        available.append("kept")
    if state in OPEN_STATES:
        available.append("withdraw")
    if state == State.BROKEN and promise.recovered_at is None:
        available.append("recover")
    return available


def _action_form(name: str, promise: Promise, data: Any = None) -> forms.Form:
    spec = ACTIONS[name]
    initial = {"version": promise.version}
    if spec.form_class is GiveForm:
        return GiveForm(data, initial=initial, confirmed=promise.state == State.CONFIRMED, prefix=name)
    return spec.form_class(data, initial=initial, prefix=name)


def _live_context(request: HttpRequest, promise: Promise, bound: dict[str, forms.Form] | None = None) -> dict[str, Any]:
    staff = _me(request)
    names = available_actions(promise, staff)
    action_forms = {name: (bound or {}).get(name) or _action_form(name, promise) for name in names}
    return {
        "promise": promise,
        "action_forms": action_forms,
        "polling": promise.state == State.AWAITING,
        "poll_seconds": POLL_SECONDS,
        "timeline": audit.timeline(promise),
        "time_zone": timezone.get_current_timezone_name(),
        "now": timezone.now(),
        "status_url": actions.status_url(promise) if promise.given_at else None,
    }


@staff_required("view")
def promise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    promise = queries.get_promise_for_user(request.user, pk)
    return render(request, "promises/promise_detail.html", _live_context(request, promise))


@require_GET
@staff_required("view")
def promise_live(request: HtmxRequest, pk: int) -> HttpResponse:
    """The part of the detail page that changes when someone answers. Polled while a confirmation is awaited:
    answers 204 (nothing to swap) while the promise's version is still the one the page shows."""
    promise = queries.get_promise_for_user(request.user, pk)
    if _int_or_none(request.GET.get("version")) == promise.version:
        return HttpResponse(status=204)
    return render(request, "promises/_live.html", _live_context(request, promise))


def _run_action(request: HtmxRequest, pk: int, name: str) -> HttpResponse:
    """Run one action. From the page's htmx forms the answer is the part that changed (the promise's live part, or
    the request's card on the confirmation requests page), always 200 since htmx swaps only 2xx answers; without
    JavaScript a success redirects and a refusal shows the page again with the reason."""
    promise = queries.get_promise_for_user(request.user, pk, write=True)
    spec = ACTIONS[name]
    form = _action_form(name, promise, request.POST)
    from_requests = request.POST.get("back") == "requests"
    alert = None
    status = 200
    if form.is_valid():
        try:
            spec.run(request.user, promise, form.cleaned_data)
        except PermissionDenied as exc:
            return forbidden(request, exc.message)
        except DomainError as exc:
            apply_domain_error(form, exc)
            if isinstance(exc, Conflict):
                alert = exc.message
                status = 409
        else:
            messages.success(request, str(spec.done))
            if request.htmx:
                return _answered(request, pk, from_requests)
            if from_requests:
                return redirect("promise-requests")
            return redirect("promise-detail", pk=promise.pk)
    # show the promise as it is now, with this form's errors (re-read: a conflict means it has changed)
    promise = queries.get_promise_for_user(request.user, pk)
    if request.htmx and from_requests:
        form.auto_id = f"id_{pk}_%s"  # the ids the card's form has on the list
        alert = alert or " ".join(str(e) for e in form.non_field_errors()) or None
        return render(
            request,
            "promises/_request.html",
            {
                "p": promise,
                "decline_form": form if name == "decline" else _request_decline_form(promise),
                "can_answer": True,
                "alert": alert,
                "now": timezone.now(),
            },
        )
    context = _live_context(request, promise, bound={name: form})
    if name not in context["action_forms"]:
        alert = alert or " ".join(str(e) for e in form.non_field_errors()) or None
    context["alert"] = alert
    if request.htmx:
        return render(request, "promises/_live.html", {**context, "partial": True})
    return render(request, "promises/promise_detail.html", context, status=status)


def _answered(request: HttpRequest, pk: int, from_requests: bool) -> HttpResponse:
    """What an htmx form swaps in after its action was done: the promise's live part with the message, or on the
    requests page the request's card saying how it was answered (and the count of requests still waiting)."""
    promise = queries.get_promise_for_user(request.user, pk)
    if from_requests:
        waiting = queries.confirmation_requests_for(request.user).count()
        return render(request, "promises/_request_answered.html", {"promise": promise, "waiting": waiting})
    return render(request, "promises/_live.html", {**_live_context(request, promise), "partial": True})


def _request_decline_form(promise: Promise) -> DeclineForm:
    """The decline form of one card on the confirmation requests page (ids unique on the page)."""
    return DeclineForm(initial={"version": promise.version}, prefix="decline", auto_id=f"id_{promise.pk}_%s")


def _action_view(name: str) -> Callable[..., HttpResponse]:
    @require_POST
    @staff_required("view")
    def view(request: HtmxRequest, pk: int) -> HttpResponse:
        return _run_action(request, pk, name)

    view.__name__ = f"promise_{name}"
    view.__qualname__ = view.__name__
    return view


promise_request = _action_view("request")
promise_confirm = _action_view("confirm")
promise_decline = _action_view("decline")
promise_accept = _action_view("accept")
promise_give = _action_view("give")
promise_kept = _action_view("kept")
promise_withdraw = _action_view("withdraw")
promise_recover = _action_view("recover")


# The fulfilling team's side -----------------------------------------------------------------------------


@staff_required("view")
def promise_requests(request: HttpRequest) -> HttpResponse:
    # a page of 25 at a time, oldest request first: a team with a long queue gets a page it can read (and one
    # that does not draw a decline form for each of a hundred requests)
    page = paginate(request, queries.confirmation_requests_for(request.user))
    attention = list(ui_queries.needing_attention(queries.promises_for_user(request.user, scope="team"))[:50])
    staff = _me(request)
    can_answer = staff.role != Role.VIEWER
    return render(
        request,
        "promises/requests.html",
        {
            "requests": [(p, _request_decline_form(p)) for p in page],
            "page": page,
            "attention": attention,
            "can_answer": can_answer,
            "now": timezone.now(),
            "time_zone": timezone.get_current_timezone_name(),
        },
    )


# Measures -----------------------------------------------------------------------------------------------


@staff_required("view")
def promise_dashboard(request: HttpRequest) -> HttpResponse:
    if not ui_queries.can_see_dashboard(request.user):
        return forbidden(request, _("The kept-rate dashboard is for team leads and managers."))
    staff = _me(request)
    since_key = request.GET.get("since", "90")
    if since_key not in SINCE_CHOICES:
        since_key = "90"
    days = SINCE_CHOICES[since_key]
    # the figures are kept per due day in the organization's time zone: a period starts at a local midnight
    zone = staff.organization.zone
    since = timezone.localdate(timezone=zone) - timedelta(days=days) if days else None
    tables = [(by, title, queries.kept_rates(staff.organization, by=by, since=since)) for by, title in KEPT_RATE_TABLES]
    people = set(ui_queries.visible_people(request.user).values_list("pk", flat=True))
    return render(
        request,
        "promises/dashboard.html",
        {
            "tables": tables,
            "since": since_key,
            "since_day": since,
            "time_zone": str(zone),
            "since_choices": [
                ("30", _("30 days")),
                ("90", _("90 days")),
                ("365", _("12 months")),
                ("all", _("All time")),
            ],
            "scorecard_ids": people,
            "min_resolved": MIN_RESOLVED,
        },
    )


MIN_RESOLVED = 5  # below this many kept + broken promises a rate says little: show "not enough data"


@staff_required("view")
def staff_scorecard(request: HttpRequest, pk: int) -> HttpResponse:
    person = ui_queries.scorecard_person_for_user(request.user, pk)
    card = queries.staff_scorecard(person)
    return render(
        request,
        "promises/scorecard.html",
        {"person": person, "card": card, "min_resolved": MIN_RESOLVED, "is_me": person.pk == _me(request).pk},
    )


# Team calendar ------------------------------------------------------------------------------------------


@dataclass
class CalendarDay:
    day: date
    promises: list[Promise]
    is_today: bool
    in_range: bool


def _calendar_weeks(promises: list[Promise], start: date, weeks: int, today: date) -> list[list[CalendarDay]]:
    by_day: dict[date, list[Promise]] = {}
    for promise in promises:
        by_day.setdefault(timezone.localtime(promise.due_at).date(), []).append(promise)
    monday = start - timedelta(days=start.weekday())
    rows = []
    for w in range(weeks):
        row = []
        for d in range(7):
            day = monday + timedelta(days=7 * w + d)
            row.append(CalendarDay(day, by_day.get(day, []), day == today, day >= start))
        rows.append(row)
    return rows


def _calendar_context(request: HttpRequest, team: Team) -> dict[str, Any]:
    weeks = _int_or_none(request.GET.get("weeks")) or CALENDAR_WEEKS
    weeks = min(weeks, MAX_CALENDAR_WEEKS)
    today = timezone.localdate()
    start_day = today
    if request.GET.get("from"):
        try:
            start_day = date.fromisoformat(request.GET["from"])
        except ValueError:
            start_day = today
    tz = timezone.get_current_timezone()
    monday = start_day - timedelta(days=start_day.weekday())
    start = datetime.combine(start_day, time.min, tzinfo=tz)
    end = datetime.combine(monday + timedelta(days=7 * weeks), time.min, tzinfo=tz)
    promises = list(queries.team_calendar(team, start, end))
    return {
        "team": team,
        "weeks": _calendar_weeks(promises, start_day, weeks, today),
        "promises": promises,
        "week_count": weeks,
        "start": start_day,
        "previous_from": (start_day - timedelta(days=7 * weeks)).isoformat(),
        "next_from": (monday + timedelta(days=7 * weeks)).isoformat(),
        "time_zone": timezone.get_current_timezone_name(),
        "can_manage_feed": ui_queries.can_manage_team_calendar(request.user, team),
        "feed": TeamCalendarFeed.objects.filter(team=team).first(),
        "weekdays": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")],
    }


@staff_required("view")
def team_promise_calendar(request: HttpRequest, pk: int) -> HttpResponse:
    team = ui_queries.team_for_user(request.user, pk)
    return render(request, "promises/calendar.html", _calendar_context(request, team))


@require_POST
@staff_required("view")
def team_calendar_token(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue or rotate the team's private feed link; the link is shown on this one answer and never again."""
    team = ui_queries.team_for_user(request.user, pk)
    if not ui_queries.can_manage_team_calendar(request.user, team):
        return forbidden(request, _("Only the team's lead, managers and administrators manage its feed link."))
    rotated = TeamCalendarFeed.objects.filter(team=team).exists()
    try:
        raw = actions.issue_calendar_token(acting_user=request.user, team=team)
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    context = _calendar_context(request, team)
    context["new_feed_url"] = request.build_absolute_uri(reverse(FEED_URL_NAME, kwargs={"token": raw}))
    context["rotated"] = rotated
    response = render(request, "promises/calendar.html", context)
    response["Cache-Control"] = "no-store"
    return response


FEED_URL_NAME = "team-calendar-feed"


# The customer's status page -----------------------------------------------------------------------------

PUBLIC_STATE_TEXT: dict[str, Any] = {
    State.DRAFT: gettext_lazy("We are arranging this with the team that will do it."),
    State.AWAITING: gettext_lazy("We are arranging this with the team that will do it."),
    State.CONFIRMED: gettext_lazy("The team has agreed to do this."),
    State.DECLINED: gettext_lazy("We are arranging this with the team that will do it."),
    State.GIVEN: gettext_lazy("We are on it and will have it done by the date below."),
    State.KEPT: gettext_lazy("Done: we did what we promised."),
    State.BROKEN: gettext_lazy("We did not manage this by the date we promised. We are sorry."),
    State.WITHDRAWN: gettext_lazy("This promise was withdrawn."),
}


def _customer_language(request: HttpRequest, promise: Promise) -> str:
    available = {code for code, _name in settings.LANGUAGES}
    asked = request.GET.get("lang", "")
    if asked in available:
        return asked
    for candidate in (
        promise.language,
        promise.customer.preferred_language if promise.customer_id and promise.customer else "",
        promise.organization.default_language,
    ):
        if candidate in available:
            return candidate
    return settings.LANGUAGE_CODE


@require_GET
@ratelimit(key="ip", rate="30/m", method="GET", block=True)
def promise_status(request: HttpRequest, token: str) -> HttpResponse:
    promise = queries.get_promise_by_token(token)
    language = _customer_language(request, promise)
    with translation.override(language), timezone.override(promise.organization.zone):
        response = render(
            request,
            "promises/public_status.html",
            {
                "promise": promise,
                "state_text": PUBLIC_STATE_TEXT.get(promise.state, ""),
                "time_zone": timezone.get_current_timezone_name(),
                "language_links": [
                    (code, translation.get_language_info(code)["name_local"]) for code, _n in settings.LANGUAGES
                ],
                "language": language,
            },
        )
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response

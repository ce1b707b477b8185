"""The people pages: selection checklist, training, the internal pulse and staff scorecards."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from servicecycle.accounts.models import Role, Staff, Team
from servicecycle.accounts.permissions import has, staff_of, team_ids
from servicecycle.core.errors import DomainError, PermissionDenied
from servicecycle.core.views_helpers import apply_domain_error, paginate, staff_required
from servicecycle.people import actions, queries
from servicecycle.people.content import (
    CONSIDER_FROM,
    CRITERIA,
    HIRE_FROM,
    MIN_ANSWERS_SHOWN,
    PULSE_QUESTIONS,
    SCORE_MAX,
)
from servicecycle.people.forms import (
    CandidateForm,
    CompletionForm,
    CompletionImportForm,
    CourseForm,
    PulseAnswerForm,
    RoundForm,
)
from servicecycle.people.models import Course, PulseRound

STAFF_PER_PAGE = 50


def _me(request: HttpRequest) -> Staff:
    staff = staff_of(request.user)
    assert staff is not None  # staff_required let the request through
    return staff


def _leads_or_managers(staff: Staff) -> None:
    if staff.role not in (*queries.MANAGING_ROLES, Role.TEAM_LEAD):
        raise PermissionDenied(_("Team leads, managers and administrators see this page; you can see your own."))


@staff_required("people.view")
def home(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    today = queries.org_today(me.organization)
    status = queries.training_statuses([me], queries.active_courses(me.organization_id), today)[me.pk]
    open_rounds = [
        r for r in PulseRound.objects.filter(organization_id=me.organization_id)[:10] if queries.is_open(r, today)
    ]
    return render(
        request,
        "people/home.html",
        {
            "me": me,
            "status": status,
            "open_rounds": open_rounds,
            "can_manage": has(request.user, "people.manage"),
            "is_lead": me.role in (*queries.MANAGING_ROLES, Role.TEAM_LEAD),
        },
    )


# Selection ----------------------------------------------------------------------------------------------


def _thresholds() -> dict[str, Any]:
    return {"hire_from": HIRE_FROM, "consider_from": CONSIDER_FROM, "score_max": SCORE_MAX}


@staff_required("people.manage")
def candidate_list(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    page = paginate(request, queries.candidates(me.organization_id))
    rows = [{"candidate": c, "recommendation": queries.recommendation(queries.mean_or_none(c.mean))} for c in page]
    return render(request, "people/candidates.html", {"page": page, "rows": rows, **_thresholds()})


@staff_required("people.manage")
def candidate_create(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    form = CandidateForm(request.POST or None, organization_id=me.organization_id, initial={"interviewer": me.pk})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            candidate = actions.create_candidate(
                acting_user=request.user,
                name=data["name"],
                role_applied=data["role_applied"],
                assessed_on=data["assessed_on"],
                interviewer_id=data["interviewer"].pk,
                scores={c.key: data[f"score_{c.key}"] for c in CRITERIA},
                notes={c.key: data[f"note_{c.key}"] for c in CRITERIA},
                overall_notes=data["notes"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Assessment of %(name)s saved.") % {"name": candidate.name})
            return redirect("people-candidate-detail", pk=candidate.pk)
    return render(request, "people/candidate_form.html", {"form": form, **_thresholds()})


@staff_required("people.manage")
def candidate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = queries.get_candidate(_me(request).organization_id, pk)
    rows = queries.candidate_rows(candidate)
    mean = queries.mean_score(r["score"].score for r in rows if r["score"] is not None)
    return render(
        request,
        "people/candidate_detail.html",
        {
            "candidate": candidate,
            "rows": rows,
            "mean": mean,
            "recommendation": queries.recommendation(mean),
            **_thresholds(),
        },
    )


@require_POST
@staff_required("people.manage")
def candidate_delete(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = queries.get_candidate(_me(request).organization_id, pk)
    name = candidate.name
    actions.delete_candidate(acting_user=request.user, candidate=candidate)
    messages.success(request, _("%(name)s and their scores were deleted.") % {"name": name})
    return redirect("people-candidates")


# Training -----------------------------------------------------------------------------------------------


@staff_required("people.view")
def course_list(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    courses = Course.objects.filter(organization_id=me.organization_id).annotate(completions=Count("records"))
    return render(
        request,
        "people/courses.html",
        {"page": paginate(request, courses), "can_manage": has(request.user, "people.manage")},
    )


def _course_form_page(request: HttpRequest, course: Course | None) -> HttpResponse:
    initial = (
        {
            "name": course.name,
            "description": course.description,
            "front_line_only": course.front_line_only,
            "refresher_months": course.refresher_months,
            "is_active": course.is_active,
        }
        if course is not None
        else {"is_active": True}
    )
    form = CourseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if course is None:
                course = actions.create_course(
                    acting_user=request.user,
                    name=data["name"],
                    description=data["description"],
                    front_line_only=data["front_line_only"],
                    refresher_months=data["refresher_months"],
                )
            else:
                course = actions.update_course(acting_user=request.user, course=course, **data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Course %(name)s saved.") % {"name": course.name})
            return redirect("people-courses")
    title = _("New course") if course is None else _("Edit %(name)s") % {"name": course.name}
    return render(request, "form_page.html", {"form": form, "title": title, "back": "people-courses"})


@staff_required("people.manage")
def course_create(request: HttpRequest) -> HttpResponse:
    return _course_form_page(request, None)


def _course(request: HttpRequest, pk: int) -> Course:
    from django.http import Http404

    try:
        return Course.objects.get(pk=pk, organization_id=_me(request).organization_id)
    except Course.DoesNotExist:
        raise Http404 from None


@staff_required("people.manage")
def course_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _course_form_page(request, _course(request, pk))


@staff_required("people.manage")
def course_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Record one course's completion for several members at once."""
    me = _me(request)
    course = _course(request, pk)
    people = Staff.objects.filter(organization_id=me.organization_id, role__in=queries.TRAINED_ROLES).select_related(
        "user"
    )
    form = CompletionForm(
        request.POST or None, people=people, initial={"completed_on": queries.org_today(me.organization)}
    )
    # the action names unknown members itself; the form only checks the other fields
    if request.method == "POST" and (form.is_valid() or set(form.errors) <= {"staff"}):
        try:
            records = actions.record_completions(
                acting_user=request.user,
                course=course,
                staff_ids=request.POST.getlist("staff"),
                completed_on=form.cleaned_data["completed_on"],
                score=form.cleaned_data.get("score"),
                passed=form.passed_value(),
                notes=form.cleaned_data.get("notes", ""),
            )
        except DomainError as exc:
            form.errors.pop("staff", None)
            apply_domain_error(form, exc)
        else:
            messages.success(
                request,
                ngettext(
                    "Completion of %(course)s recorded for %(n)s person.",
                    "Completion of %(course)s recorded for %(n)s people.",
                    len(records),
                )
                % {"course": course, "n": len(records)},
            )
            return redirect("people-courses")
    return render(request, "people/course_record.html", {"form": form, "course": course})


@staff_required("people.manage")
def training_import(request: HttpRequest) -> HttpResponse:
    """Record many completions at once from a CSV file."""
    form = CompletionImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            count = actions.import_completions(acting_user=request.user, content=form.cleaned_data["file"].read())
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request,
                ngettext("%(n)s completion imported.", "%(n)s completions imported.", count) % {"n": count},
            )
            return redirect("people-courses")
    return render(request, "people/training_import.html", {"form": form})


@staff_required("people.view")
def staff_training(request: HttpRequest, pk: int) -> HttpResponse:
    person = queries.person_for_user(request.user, pk)
    today = queries.org_today(person.organization)
    status = queries.training_statuses([person], queries.active_courses(person.organization_id), today)[person.pk]
    return render(
        request,
        "people/staff_training.html",
        {
            "person": person,
            "status": status,
            "records": queries.staff_records(person),
            "can_manage": has(request.user, "people.manage"),
        },
    )


@staff_required("people.view")
def training_overdue(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    _leads_or_managers(me)
    today = queries.org_today(me.organization)
    rows = queries.overdue_list(me, today)
    return render(
        request,
        "people/overdue.html",
        {"page": paginate(request, rows, per_page=STAFF_PER_PAGE), "total": len(rows), "today": today},
    )


# Scorecards ---------------------------------------------------------------------------------------------


def _window(request: HttpRequest) -> int:
    try:
        days = int(request.GET.get("days", queries.DEFAULT_WINDOW))
    except ValueError:
        return queries.DEFAULT_WINDOW
    return days if days in queries.SCORECARD_WINDOWS else queries.DEFAULT_WINDOW


@staff_required("people.view")
def scorecard(request: HttpRequest, pk: int) -> HttpResponse:
    person = queries.person_for_user(request.user, pk)
    days = _window(request)
    today = queries.org_today(person.organization)
    line = queries.scorecards(person.organization, [person], days, today)[0]
    return render(
        request,
        "people/scorecard.html",
        {"person": person, "line": line, "days": days, "windows": queries.SCORECARD_WINDOWS, "today": today},
    )


@staff_required("people.view")
def team_scorecard(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    _leads_or_managers(me)
    days = _window(request)
    teams = Team.objects.filter(organization_id=me.organization_id)
    if me.role == Role.TEAM_LEAD:
        teams = teams.filter(pk__in=team_ids(me))
    teams_list = list(teams)
    people = queries.visible_staff(me).filter(role__in=queries.TRAINED_ROLES)
    team: Team | None = None
    try:
        team = next(t for t in teams_list if t.pk == int(request.GET.get("team", "")))
    except (StopIteration, ValueError):
        team = None
    if team is not None:
        people = people.filter(teams=team)
    page = paginate(request, people.order_by("user__first_name", "user__last_name", "pk"), per_page=STAFF_PER_PAGE)
    today = queries.org_today(me.organization)
    lines = queries.scorecards(me.organization, list(page), days, today)
    return render(
        request,
        "people/team_scorecard.html",
        {
            "lines": lines,
            "page": page,
            "teams": teams_list,
            "team": team,
            "days": days,
            "windows": queries.SCORECARD_WINDOWS,
        },
    )


# Pulse --------------------------------------------------------------------------------------------------


@staff_required("people.view")
def pulse_list(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    today = queries.org_today(me.organization)
    rounds = PulseRound.objects.filter(organization_id=me.organization_id).annotate(answered=Count("answers"))
    page = paginate(request, rounds)
    rows = [{"round": r, "open": queries.is_open(r, today)} for r in page]
    return render(
        request,
        "people/pulse_list.html",
        {
            "page": page,
            "rows": rows,
            "can_manage": has(request.user, "people.manage"),
            "sees_results": me.role in (*queries.MANAGING_ROLES, Role.TEAM_LEAD),
            "min_answers": MIN_ANSWERS_SHOWN,
        },
    )


@staff_required("people.manage")
def pulse_create(request: HttpRequest) -> HttpResponse:
    form = RoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pulse = actions.open_round(acting_user=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Round %(title)s is open.") % {"title": pulse.title})
            return redirect("people-pulse-detail", pk=pulse.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": _("New pulse round"),
            "back": "people-pulse",
            "intro": _(
                "Every member who serves customers can rate the manager they report to on six fixed questions, "
                "anonymously, until the closing date. A manager's results show from %(n)s answers on."
            )
            % {"n": MIN_ANSWERS_SHOWN},
        },
    )


@staff_required("people.view")
def pulse_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The results of a round: per manager for managers and administrators, their own for a team lead."""
    me = _me(request)
    pulse = queries.get_round(me.organization_id, pk)
    _leads_or_managers(me)
    managers = None if me.role in queries.MANAGING_ROLES else [me.pk]
    return render(
        request,
        "people/pulse_detail.html",
        {
            "pulse": pulse,
            "results": queries.pulse_results(pulse, managers),
            "questions": PULSE_QUESTIONS,
            "open": queries.is_open(pulse, queries.org_today(me.organization)),
            "can_manage": has(request.user, "people.manage"),
            "own_only": managers is not None,
            "min_answers": MIN_ANSWERS_SHOWN,
        },
    )


@staff_required("people.view")
def pulse_answer(request: HttpRequest, pk: int) -> HttpResponse:
    me = _me(request)
    pulse = queries.get_round(me.organization_id, pk)
    managers = queries.rateable_managers(me)
    form = PulseAnswerForm(request.POST or None, managers=managers)
    is_open = queries.is_open(pulse, queries.org_today(me.organization))
    if request.method == "POST" and is_open and form.is_valid():
        data = form.cleaned_data
        try:
            actions.answer_round(
                acting_user=request.user,
                pulse=pulse,
                manager_id=data["manager"],
                scores={q.key: data[q.key] for q in PULSE_QUESTIONS},
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Thank you. Your answer was saved without your name."))
            return redirect("people-pulse")
    return render(
        request,
        "people/pulse_answer.html",
        {"pulse": pulse, "form": form, "open": is_open, "min_answers": MIN_ANSWERS_SHOWN},
    )


@require_POST
@staff_required("people.manage")
def pulse_close(request: HttpRequest, pk: int) -> HttpResponse:
    pulse = queries.get_round(_me(request).organization_id, pk)
    actions.close_round(acting_user=request.user, pulse=pulse)
    messages.success(request, _("Round %(title)s is closed.") % {"title": pulse.title})
    return redirect("people-pulse-detail", pk=pk)

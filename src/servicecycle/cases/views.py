"""Staff pages of cases: the inbox, a case's handling page, recording a case by hand, and the configuration."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from servicecycle.accounts.models import LANGUAGE_CHOICES, Staff
from servicecycle.accounts.permissions import has, staff_of
from servicecycle.cases import actions, queries, sla
from servicecycle.cases.forms import (
    AssessForm,
    AssignForm,
    CategoryForm,
    CloseForm,
    CommunicateForm,
    DecideForm,
    MessageForm,
    NewCaseForm,
    ReasonForm,
    ReplyTemplateForm,
    SaveViewForm,
    SlaPolicyForm,
    StepForm,
)
from servicecycle.cases.inbox_rows import RowKit, inbox_row
from servicecycle.cases.models import Case, CaseMessage, Kind, Priority, SlaState, Status
from servicecycle.core import audit
from servicecycle.core.errors import Conflict, DomainError
from servicecycle.core.verbs import verb_label
from servicecycle.core.views_helpers import HtmxRequest, apply_domain_error, staff_required

STEP_DONE = {
    "acknowledge": gettext_lazy("Case acknowledged."),
    "assess": gettext_lazy("Assessment saved."),
    "assign": gettext_lazy("Case assigned."),
    "add_message": gettext_lazy("Message added."),
    "decide_response": gettext_lazy("Response decided."),
    "communicate": gettext_lazy("Response sent to the customer."),
    "close": gettext_lazy("Case closed."),
    "reopen": gettext_lazy("Case reopened."),
    "wait_for_customer": gettext_lazy("The case is waiting for the customer; the SLA clock stands still."),
    "resume": gettext_lazy("The case is running again."),
    "escalate": gettext_lazy("Case escalated."),
}


def _staff(request: HttpRequest) -> Staff:
    staff = staff_of(request.user)
    assert staff is not None  # staff_required ran first
    return staff


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _file_route_exists() -> bool:
    try:
        reverse("case-file", kwargs={"case_pk": 1, "pk": 1})
    except NoReverseMatch:
        return False
    return True


# The inbox ----------------------------------------------------------------------------------------------------


def _worker_options(choices: queries.InboxChoices) -> list[tuple[int, str]]:
    return [(s.pk, s.user.get_full_name() or s.user.email) for s in choices.workers]


def _row_kit(request: HttpRequest, choices: queries.InboxChoices, can_work: bool, back: str) -> RowKit:
    return RowKit.for_page(
        inbox_url=reverse("case-inbox"),  # rows build their links on it: one reverse, not six per row
        csrf_token=get_token(request),
        back=back,
        can_work=can_work,
        worker_options=_worker_options(choices),
    )


def _labels(choices: Any) -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in choices]


def _inbox_context(request: HttpRequest) -> dict[str, Any]:
    staff = _staff(request)
    filters = queries.parse_filters(request.GET)
    choices = queries.inbox_choices(staff)
    page = queries.inbox_page(staff, filters, request.GET.get("page", 1), choices=choices)
    can_work = has(request.user, "case.work")
    kit = _row_kit(request, choices, can_work, request.get_full_path())
    return {
        "page": page,
        "rows": [inbox_row(row, kit) for row in page.rows],
        "f": filters,
        "choices": choices,
        "saved_views": queries.saved_views_for(staff),
        "save_form": SaveViewForm(initial={"query": filters.as_query()}),
        # labels translated once per request as plain strings: the rows' menus would translate each lazy label again
        "statuses": _labels(Status.choices),
        "kinds": _labels(Kind.choices),
        "priorities": _labels(Priority.choices),
        "channels": _labels(Case.Channel.choices),
        "sla_states": _labels([("overdue", _("Overdue now")), ("due_soon", _("Due soon now")), *SlaState.choices]),
        "sorts": [
            ("received", _("Newest first")),
            ("oldest", _("Oldest first")),
            ("due", _("Due first")),
            ("priority", _("Highest priority first")),
        ],
        "can_work": can_work,
        "query": filters.as_query(),
        "back": request.get_full_path(),
    }


@staff_required("case.view")
def case_inbox(request: HtmxRequest) -> HttpResponse:
    context = _inbox_context(request)
    if request.htmx and request.htmx.target == "inbox-results":
        return render(request, "cases/inbox.html#results", context)
    return render(request, "cases/inbox.html", context)


@require_POST
@staff_required("case.work")
def case_inline(request: HtmxRequest, pk: int) -> HttpResponse:
    """Change the assignee or the priority from the inbox row; the row is drawn again with the fresh state."""
    case = queries.get_case_for_user(request.user, pk, write=True)
    field, value = request.POST.get("field", ""), request.POST.get("value", "")
    error = ""
    try:
        version = int(request.POST["version"]) if request.POST.get("version") else None
    except ValueError:
        version = None
    try:
        if field == "assignee":
            actions.assign(acting_user=request.user, case=case, assignee_id=value, expected_version=version)
        elif field == "priority":
            actions.set_priority(acting_user=request.user, case=case, priority=value, expected_version=version)
        else:
            error = _("Choose the assignee or the priority to change.")
    except DomainError as exc:
        error = exc.message
    if not request.htmx:
        if error:
            messages.error(request, f"{case.reference}: {error}")
        else:
            messages.success(request, _("%(ref)s updated.") % {"ref": case.reference})
        return redirect(_safe_next(request, reverse("case-inbox")))
    staff = _staff(request)
    fresh = queries.get_case_for_user(request.user, pk)
    row = queries.sla_display(fresh, timezone.now(), sla.calendar_for(staff.organization))
    kit = _row_kit(request, queries.inbox_choices(staff), True, _safe_next(request, reverse("case-inbox")))
    return HttpResponse(inbox_row(row, kit, saved=not error, error=error))


@require_POST
@staff_required("case.work")
def case_bulk(request: HttpRequest) -> HttpResponse:
    """Assign or close the selected cases; the answer lists, row by row, what was done and what was refused."""
    back = _safe_next(request, reverse("case-inbox"))
    try:
        rows = actions.bulk_update(
            acting_user=request.user,
            case_ids=request.POST.getlist("case"),
            operation=request.POST.get("operation", ""),
            assignee_id=request.POST.get("assignee") or None,
            team_id=request.POST.get("team") or None,
            outcome=request.POST.get("outcome", ""),
            remedy=request.POST.get("remedy", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    done = sum(1 for r in rows if r.ok)
    return render(
        request,
        "cases/bulk_result.html",
        {"rows": rows, "done": done, "failed": len(rows) - done, "back": back},
    )


@require_POST
@staff_required("case.view")
def case_view_save(request: HttpRequest) -> HttpResponse:
    form = SaveViewForm(request.POST)
    query = request.POST.get("query", "")
    # keep only the inbox's own filters, checked, in their canonical form
    clean_query = queries.parse_filters(QueryDict(query)).as_query()
    if form.is_valid():
        try:
            actions.save_view(
                acting_user=request.user,
                name=form.cleaned_data["name"],
                query=clean_query,
                shared=form.cleaned_data["shared"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("View “%(name)s” saved.") % {"name": form.cleaned_data["name"].strip()})
    else:
        messages.error(request, _("The view could not be saved."))
    return redirect(reverse("case-inbox") + (f"?{clean_query}" if clean_query else ""))


@require_POST
@staff_required("case.view")
def case_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actions.delete_view(acting_user=request.user, view_id=pk)
    messages.success(request, _("Saved view deleted."))
    return redirect("case-inbox")


# The case page ------------------------------------------------------------------------------------------------


def _step_form(
    step: str,
    case: Case,
    lists: queries.CaseLists,
    choices: queries.InboxChoices,
    data: QueryDict | None = None,
    template_body: str = "",
) -> StepForm:
    """The form of one handling step, filled with the case's current values (bound to ``data`` when given)."""
    initial: dict[str, Any] = {"version": case.version}
    if step == "assess":
        initial |= {
            "severity": case.severity,
            "priority": case.priority,
            "category": case.category_id or "",
            "service": case.service_id,
            "moment": case.moment_id or "",
        }
        return AssessForm(
            data,
            initial=initial,
            categories=lists.categories,
            services=lists.services,
            moments=lists.moments,
            prefix=step,
        )
    if step == "assign":
        initial |= {"assignee": case.assignee_id or "", "team": case.team_id or ""}
        return AssignForm(data, initial=initial, workers=choices.workers, teams=choices.teams, prefix=step)
    if step == "add_message":
        initial |= {"kind": CaseMessage.Kind.PUBLIC_REPLY, "body": template_body}
        return MessageForm(data, initial=initial, prefix=step)
    if step == "decide_response":
        return DecideForm(data, initial={**initial, "decision": case.response_decision}, prefix=step)
    if step == "communicate":
        return CommunicateForm(data, initial=initial, prefix=step)
    if step == "close":
        initial |= {"remedy": Case.Remedy.NONE, "remedy_currency": case.claim_currency}
        return CloseForm(data, initial=initial, prefix=step)
    if step in ("reopen", "escalate", "wait_for_customer"):
        return ReasonForm(data, initial=initial, required=step != "wait_for_customer", prefix=step)
    return StepForm(data, initial=initial, prefix=step)


def _step_forms(
    view: queries.CaseView,
    choices: queries.InboxChoices,
    bound: tuple[str, StepForm] | None = None,
    template_body: str = "",
) -> dict[str, StepForm]:
    forms = {step: _step_form(step, view.case, view.lists, choices, template_body=template_body) for step in STEP_DONE}
    if bound is not None:
        forms[bound[0]] = bound[1]
    return forms


def _audit_trail(case: Case) -> list[Any]:
    events = audit.timeline(case, limit=100)
    for event in events:
        event.label = verb_label(event.verb)  # type: ignore[attr-defined]
    return events


def _detail_context(
    request: HttpRequest,
    case: Case,
    bound: tuple[str, StepForm] | None = None,
    template_body: str = "",
    choices: queries.InboxChoices | None = None,
    lists: queries.CaseLists | None = None,
) -> dict[str, Any]:
    staff = _staff(request)
    choices = choices or queries.inbox_choices(staff)
    view = queries.case_view(case, lists or queries.case_lists(case.organization_id, choices))
    language_names = dict(LANGUAGE_CHOICES)
    return {
        "case": case,
        "view": view,
        "forms": _step_forms(view, choices, bound, template_body),
        "steps": view.steps if has(request.user, "case.work") else frozenset(),
        "can_work": has(request.user, "case.work"),
        "events": _audit_trail(case),
        "file_route": _file_route_exists(),
        "language_name": language_names.get(view.language, view.language),
        "templates_in_language": [t for t in view.lists.templates if t.language == view.language],
        "other_templates": [t for t in view.lists.templates if t.language != view.language],
        "open_steps": _open_steps(case, bound[0] if bound else None),
    }


def _open_steps(case: Case, failed: str | None) -> set[str]:
    """The step forms shown unfolded: the natural next step of the status, and a step whose form failed."""
    natural: dict[str, set[str]] = {
        Status.RECEIVED: {"acknowledge"},
        Status.ACKNOWLEDGED: {"assess"},
        Status.ASSESSED: {"assign"},
        Status.REOPENED: {"assign"},
        Status.INVESTIGATING: {"decide_response"},
        Status.RESPONSE_DECIDED: {"communicate"},
        Status.COMMUNICATED: {"close"},
    }
    return {*natural.get(case.status, set()), "resume", *([failed] if failed else [])}


@staff_required("case.view")
def case_detail(request: HtmxRequest, pk: int) -> HttpResponse:
    case = queries.get_case_for_user(request.user, pk)
    template_body = ""
    if request.GET.get("template"):
        template = queries.get_reply_template(_staff(request), request.GET["template"])
        template_body = template.body
    context = _detail_context(request, case, template_body=template_body)
    if request.htmx and request.htmx.target == "case-panel":
        return render(request, "cases/detail.html#panel", {**context, "partial": True})
    return render(request, "cases/detail.html", context)


def _version(form: StepForm) -> int | None:
    value = form.cleaned_data.get("version")
    return int(value) if value is not None else None


StepRunner = Callable[[Any, Case, dict[str, Any], int | None], Any]

STEP_RUNNERS: dict[str, StepRunner] = {
    "acknowledge": lambda user, case, d, v: actions.acknowledge(acting_user=user, case=case, expected_version=v),
    "assess": lambda user, case, d, v: actions.assess(
        acting_user=user,
        case=case,
        severity=d.get("severity", ""),
        priority=d.get("priority", ""),
        category_id=d.get("category") or None,
        service_id=d.get("service") or None,
        moment_id=d.get("moment") or None,
        expected_version=v,
    ),
    "assign": lambda user, case, d, v: actions.assign(
        acting_user=user,
        case=case,
        assignee_id=d.get("assignee") or None,
        team_id=d.get("team") or None,
        expected_version=v,
    ),
    "add_message": lambda user, case, d, v: actions.add_message(
        acting_user=user, case=case, kind=d.get("kind") or "", body=d.get("body", ""), expected_version=v
    ),
    "decide_response": lambda user, case, d, v: actions.decide_response(
        acting_user=user, case=case, decision=d.get("decision", ""), expected_version=v
    ),
    "communicate": lambda user, case, d, v: actions.communicate(
        acting_user=user, case=case, body=d.get("body", ""), expected_version=v
    ),
    "close": lambda user, case, d, v: actions.close(
        acting_user=user,
        case=case,
        outcome=d.get("outcome", ""),
        remedy=d.get("remedy", ""),
        remedy_amount=d.get("remedy_amount") or None,
        remedy_currency=d.get("remedy_currency", ""),
        expected_version=v,
    ),
    "reopen": lambda user, case, d, v: actions.reopen(
        acting_user=user, case=case, reason=d.get("reason", ""), expected_version=v
    ),
    "wait_for_customer": lambda user, case, d, v: actions.wait_for_customer(
        acting_user=user, case=case, reason=d.get("reason", ""), expected_version=v
    ),
    "resume": lambda user, case, d, v: actions.resume(acting_user=user, case=case, expected_version=v),
    "escalate": lambda user, case, d, v: actions.escalate(
        acting_user=user, case=case, reason=d.get("reason", ""), expected_version=v
    ),
}


@require_POST
@staff_required("case.work")
def case_step(request: HtmxRequest, pk: int, step: str) -> HttpResponse:
    """Run one handling step from the case page. A version conflict shows the fresh case and keeps what the
    user typed, with the message; nothing is saved over the other person's change."""
    if step not in STEP_RUNNERS:
        raise Http404
    case = queries.get_case_for_user(request.user, pk, write=True)
    choices = queries.inbox_choices(_staff(request))
    lists = queries.case_lists(case.organization_id, choices)  # read once: a step does not change them
    form = _step_form(step, case, lists, choices, request.POST)
    status = 200
    if form.is_valid():
        try:
            STEP_RUNNERS[step](request.user, case, form.cleaned_data, _version(form))
        except Conflict as exc:
            # show the fresh state, keep the typed text, and carry the fresh version for a deliberate retry
            data = request.POST.copy()
            case = queries.get_case_for_user(request.user, pk)
            data[f"{step}-version"] = str(case.version)
            form = _step_form(step, case, lists, choices, data)
            form.is_valid()
            form.add_error(None, exc.message)
            messages.error(request, exc.message)
            status = 409
        except DomainError as exc:
            apply_domain_error(form, exc)
            # its form is not on the page any more: say it at the top
            if step not in queries.available_steps(case, queries.case_paused(case)):
                messages.error(request, exc.message)
            status = 422
        else:
            messages.success(request, str(STEP_DONE[step]))
            if request.htmx:
                fresh = queries.get_case_for_user(request.user, pk)
                context = _detail_context(request, fresh, choices=choices, lists=lists)  # the menus' lists
                return render(request, "cases/detail.html#panel", {**context, "partial": True})
            return redirect("case-detail", pk=pk)
    else:
        status = 422
    case = queries.get_case_for_user(request.user, pk)
    context = {
        **_detail_context(request, case, bound=(step, form), choices=choices, lists=lists),
        "failed_step": step,
    }
    if request.htmx:
        # htmx swaps only 2xx answers by default: send the form back with 200 and say why in the panel
        return render(request, "cases/detail.html#panel", {**context, "partial": True})
    return render(request, "cases/detail.html", context, status=status)


# Recording a case by hand ---------------------------------------------------------------------------------------


@staff_required("case.work")
def case_create(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    choices = queries.inbox_choices(staff)
    form = NewCaseForm(
        request.POST or None,
        organization=staff.organization,
        services=choices.services,
        moments=choices.moments,
        initial={"channel": request.GET.get("channel", Case.Channel.HOTLINE), "kind": Kind.COMPLAINT},
    )
    if request.method == "POST" and form.is_valid():
        try:
            created = actions.create_case(acting_user=request.user, **form.action_fields())
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Case %(ref)s recorded.") % {"ref": created.case.reference})
            return redirect("case-detail", pk=created.case.pk)
    return render(request, "cases/create.html", {"form": form})


# Configuration --------------------------------------------------------------------------------------------------


@staff_required("case.configure")
def case_categories(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    form = CategoryForm(request.POST or None, prefix="new")
    if request.method == "POST" and form.is_valid():
        try:
            actions.create_category(acting_user=request.user, name=form.cleaned_data["name"])
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Category added."))
            return redirect("case-categories")
    rows = [
        (c, CategoryForm(initial={"name": c.name, "is_active": c.is_active}, prefix=f"c{c.pk}"))
        for c in queries.categories_of(staff)
    ]
    return render(request, "cases/settings_categories.html", {"form": form, "rows": rows, "section": "categories"})


@require_POST
@staff_required("case.configure")
def case_category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _staff(request)
    category = queries.get_category(staff, pk)
    form = CategoryForm(request.POST, prefix=f"c{category.pk}")
    if form.is_valid():
        try:
            actions.update_category(
                acting_user=request.user,
                category_id=category.pk,
                name=form.cleaned_data["name"],
                is_active=form.cleaned_data["is_active"],
            )
        except DomainError as exc:
            messages.error(request, f"{category.name}: {exc.message}")
        else:
            messages.success(request, _("Category saved."))
    return redirect("case-categories")


def _hours(minutes: int | None) -> str:
    if minutes is None:
        return ""
    return _("%(h)s business hours") % {"h": f"{minutes / 60:.4g}"}


@staff_required("case.configure")
def case_sla(request: HttpRequest) -> HttpResponse:
    """Targets for every kind × priority in business minutes (the hours shown beside them)."""
    staff = _staff(request)
    policies = queries.policies_of(staff)
    rows: list[dict[str, Any]] = []
    failed = False
    for kind, kind_label in Kind.choices:
        for priority, priority_label in Priority.choices:
            policy = policies.get((kind, priority))
            prefix = f"{kind}-{priority}"
            initial = {
                name: getattr(policy, name) if policy else None
                for name in ("acknowledgement_minutes", "first_response_minutes", "resolution_minutes")
            }
            form = SlaPolicyForm(request.POST or None, initial=initial, prefix=prefix)
            rows.append(
                {
                    "kind": kind_label,
                    "priority": priority_label,
                    "form": form,
                    "key": (kind, priority),
                    "cells": list(zip(form, [_hours(initial[n]) for n in initial], strict=True)),
                }
            )
    if request.method == "POST":
        for row in rows:
            form = row["form"]
            if not form.is_valid():
                failed = True
                continue
            if not form.has_changed():
                continue
            kind, priority = row["key"]
            try:
                actions.set_sla_policy(acting_user=request.user, kind=kind, priority=priority, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
                failed = True
        if not failed:
            messages.success(request, _("SLA targets saved. Open cases follow the new targets."))
            return redirect("case-sla")
        messages.error(request, _("Some targets could not be saved; the rows in red say why."))
    return render(request, "cases/settings_sla.html", {"rows": rows, "section": "sla"}, status=422 if failed else 200)


@staff_required("case.configure")
def case_templates(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    return render(
        request,
        "cases/settings_templates.html",
        {"templates": queries.reply_templates_of(staff), "section": "templates"},
    )


@staff_required("case.configure")
def case_template_add(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    form = ReplyTemplateForm(request.POST or None, initial={"language": staff.organization.default_language})
    del form.fields["is_active"]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.create_reply_template(
                acting_user=request.user, name=data["name"], language=data["language"], body=data["body"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Reply template added."))
            return redirect("case-templates")
    return render(
        request,
        "form_page.html",
        {"form": form, "title": _("New reply template"), "back_url": reverse("case-templates")},
    )


@staff_required("case.configure")
def case_template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _staff(request)
    template = queries.get_reply_template(staff, pk)
    form = ReplyTemplateForm(
        request.POST or None,
        initial={
            "name": template.name,
            "language": template.language,
            "body": template.body,
            "is_active": template.is_active,
            "version": template.version,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.update_reply_template(
                acting_user=request.user,
                template_id=template.pk,
                name=data["name"],
                language=data["language"],
                body=data["body"],
                is_active=data["is_active"],
                expected_version=data.get("version"),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Reply template saved."))
            return redirect("case-templates")
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": _("Reply template: %(name)s") % {"name": template.name},
            "back_url": reverse("case-templates"),
        },
    )

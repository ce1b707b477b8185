from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from servicecycle.accounts.models import Team
from servicecycle.accounts.permissions import can_edit_cycle, has, staff_of
from servicecycle.analytics.reports import service_feedback
from servicecycle.analytics.views import feedback_charts, feedback_figures
from servicecycle.catalog import actions, queries
from servicecycle.catalog.forms import DecisionForm, ServiceForm
from servicecycle.catalog.models import Service
from servicecycle.core import audit
from servicecycle.core.errors import DomainError
from servicecycle.core.views_helpers import HtmxRequest, allow_charts, apply_domain_error, paginate, staff_required
from servicecycle.cycles.queries import moments_of


@staff_required("view")
def service_list(request: HtmxRequest) -> HttpResponse:
    organization = staff_of(request.user).organization  # type: ignore[union-attr]
    params = request.GET
    try:
        team_id = int(params.get("team") or 0) or None
    except ValueError:
        team_id = None
    sort = params.get("sort", "name")
    services = queries.services_for_list(
        organization,
        search=params.get("q", "").strip()[:100],
        status=params.get("status", "") if params.get("status", "") in Service.Status.values else "",
        category=params.get("category", "")[:80],
        team_id=team_id,
        sort=sort,
    )
    context = {
        "page": paginate(request, services),
        "q": params.get("q", ""),
        "status": params.get("status", ""),
        "category": params.get("category", ""),
        "team": team_id,
        "sort": sort,
        "statuses": Service.Status.choices,
        "categories": queries.categories(organization),
        "teams": Team.objects.filter(organization=organization),
    }
    template = "catalog/service_list.html#results" if request.htmx else "catalog/service_list.html"
    return render(request, template, context)


@allow_charts
@staff_required("view")
def service_detail(request: HtmxRequest, pk: int) -> HttpResponse:
    service = queries.get_service_for_user(request.user, pk)
    moments = moments_of(service)
    feedback = service_feedback(service, language=get_language())
    return render(
        request,
        "catalog/service_detail.html",
        {
            "service": service,
            "moments": moments,
            "decision": queries.current_decision(service),
            "timeline": audit.timeline(service),
            "can_edit_cycle": can_edit_cycle(request.user, service.owner_team_id),
            "can_manage": has(request.user, "service.manage"),
            "feedback": feedback,
            "feedback_figures": feedback_figures(feedback),
            "feedback_charts": [
                {"title": t, "spec": spec, "id": f"chart-spec-{i}"}
                for i, (t, spec) in enumerate(feedback_charts(feedback), start=1)
            ],
        },
    )


def _service_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The service form's cleaned data as the catalog actions' keyword arguments."""
    fields = {f: data[f] for f in ("name", "description", "category", "status", "service_share")}
    return {**fields, "owner_team_id": data["owner_team"].pk}


@staff_required("service.manage")
def service_create(request: HtmxRequest) -> HttpResponse:
    organization = staff_of(request.user).organization  # type: ignore[union-attr]
    form = ServiceForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            service = actions.create_service(acting_user=request.user, **_service_fields(data))
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Service created. Now map its cycle of service."))
            return redirect("cycle", service_id=service.pk)
    return render(request, "form_page.html", {"form": form, "title": _("New service"), "back": "service-list"})


@staff_required("service.manage")
def service_edit(request: HtmxRequest, pk: int) -> HttpResponse:
    service = queries.get_service_for_user(request.user, pk, write=True)
    form = ServiceForm(
        request.POST or None,
        instance=service,
        organization=service.organization,
        initial={"version": service.version},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.update_service(
                acting_user=request.user,
                service=service,
                expected_version=data.get("version"),
                **_service_fields(data),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Service saved."))
            return redirect("service-detail", pk=pk)
    return render(request, "form_page.html", {"form": form, "title": _("Edit service"), "back_url": service_url(pk)})


def service_url(pk: int) -> str:
    from django.urls import reverse

    return reverse("service-detail", kwargs={"pk": pk})


@staff_required("view")
def decision_list(request: HtmxRequest, pk: int) -> HttpResponse:
    service = queries.get_service_for_user(request.user, pk)
    return render(
        request,
        "catalog/decision_list.html",
        {
            "service": service,
            "decisions": queries.decision_history(service),
            "can_decide": has(request.user, "decision.manage"),
        },
    )


@staff_required("decision.manage")
def decision_create(request: HtmxRequest, pk: int) -> HttpResponse:
    service = queries.get_service_for_user(request.user, pk)
    current = queries.current_decision(service)
    initial = {}
    if current is not None:
        initial = {f: getattr(current, f) for f in actions.DECISION_FIELDS if f != "review_date"}
    form = DecisionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.record_offering_decision(
                acting_user=request.user,
                service=service,
                **{f: form.cleaned_data[f] for f in actions.DECISION_FIELDS},
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Offering decision recorded."))
            return redirect("decision-list", pk=pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": _("How to offer %(service)s") % {"service": service.name},
            "intro": _(
                "Choose the price model and the delivery channel, and say why. "
                "The earlier decisions stay in the history."
            ),
            "back_url": service_url(pk),
        },
    )

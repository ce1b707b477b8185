from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from servicecycle.accounts.permissions import can_edit_cycle, staff_of
from servicecycle.catalog.models import Service
from servicecycle.catalog.queries import get_service_for_user
from servicecycle.core import audit
from servicecycle.core.errors import DomainError
from servicecycle.core.views_helpers import (
    HtmxRequest,
    apply_domain_error,
    forbidden,
    page_number,
    paginate,
    record_sections,
    staff_required,
)
from servicecycle.cycles import actions, queries, wheel
from servicecycle.cycles.critical import SIGNAL_KEYS, rank_moments
from servicecycle.cycles.forms import MomentForm
from servicecycle.cycles.queries import get_moment_for_user, moment_health, moments_of


def _cycle_context(request: HttpRequest, service_id: int) -> dict[str, object]:
    service = get_service_for_user(request.user, service_id)
    moments = moments_of(service)
    health = moment_health(moments)
    return {
        "service": service,
        "moments": moments,
        "segments": wheel.segments(moments, health),
        "title_lines": wheel.title_lines(service.name),
        "wheel": wheel,
        "arrow": wheel.arrow_path(),
        "has_heat": any(h.score is not None for h in health.values()),
        "can_edit": can_edit_cycle(request.user, service.owner_team_id),
    }


def _moment_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The moment form's cleaned data as the cycle actions' keyword arguments."""
    fields = {f: data[f] for f in ("name", "customer_goal", "standard", "target_value", "target_unit", "channel")}
    return {**fields, "owner_team_id": data["owner_team"].pk}


@staff_required("view")
def cycle(request: HtmxRequest, service_id: int) -> HttpResponse:
    context = _cycle_context(request, service_id)
    if request.htmx and request.GET.get("part") == "editor":
        return render(request, "cycles/cycle.html#editor", context)
    return render(request, "cycles/cycle.html", context)


@staff_required("view")
def wheel_svg(request: HtmxRequest, service_id: int) -> HttpResponse:
    context = _cycle_context(request, service_id)
    response = render(request, "cycles/wheel_standalone.svg", context, content_type="image/svg+xml")
    return response


@staff_required("cycle.manage")
def moment_add(request: HtmxRequest, service_id: int) -> HttpResponse:
    service = get_service_for_user(request.user, service_id)
    if not can_edit_cycle(request.user, service.owner_team_id):
        return forbidden(request)
    form = MomentForm(
        request.POST or None, organization=service.organization, initial={"owner_team": service.owner_team}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.add_moment(
                acting_user=request.user,
                service=service,
                **_moment_fields(data),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Moment of truth added to the cycle."))
            if request.POST.get("another"):
                return redirect("moment-add", service_id=service.pk)
            return redirect("cycle", service_id=service.pk)
    return render(request, "cycles/moment_form.html", {"form": form, "service": service, "adding": True})


@staff_required("view")
def moment_detail(request: HtmxRequest, service_id: int, pk: int) -> HttpResponse:
    service = get_service_for_user(request.user, service_id)
    moment = get_moment_for_user(request.user, service, pk)
    health = moment_health([moment])[moment.pk]
    return render(
        request,
        "cycles/moment_detail.html",
        {
            "service": service,
            "moment": moment,
            "health": health,
            "heat_color": wheel.heat_color(health.score),
            "timeline": audit.timeline(moment),
            "can_edit": can_edit_cycle(request.user, service.owner_team_id),
        },
    )


@staff_required("cycle.manage")
def moment_edit(request: HtmxRequest, service_id: int, pk: int) -> HttpResponse:
    service = get_service_for_user(request.user, service_id)
    if not can_edit_cycle(request.user, service.owner_team_id):
        return forbidden(request)
    moment = get_moment_for_user(request.user, service, pk, write=True)
    form = MomentForm(
        request.POST or None,
        instance=moment,
        organization=service.organization,
        initial={"version": moment.version},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.update_moment(
                acting_user=request.user,
                moment=moment,
                expected_version=data.get("version"),
                **_moment_fields(data),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Moment of truth saved."))
            return redirect("cycle", service_id=service.pk)
    return render(request, "cycles/moment_form.html", {"form": form, "service": service, "moment": moment})


@require_POST
@staff_required("cycle.manage")
def moment_remove(request: HtmxRequest, service_id: int, pk: int) -> HttpResponse:
    service = get_service_for_user(request.user, service_id)
    if not can_edit_cycle(request.user, service.owner_team_id):
        return forbidden(request)
    moment = get_moment_for_user(request.user, service, pk, write=True)
    actions.remove_moment(acting_user=request.user, moment=moment)
    messages.success(request, _("Moment “%(name)s” removed from the cycle.") % {"name": moment.name})
    return redirect("cycle", service_id=service.pk)


@require_POST
@staff_required("cycle.manage")
def moment_move(request: HtmxRequest, service_id: int, pk: int) -> HttpResponse:
    """Keyboard alternative to drag and drop: move one place up or down."""
    service = get_service_for_user(request.user, service_id)
    if not can_edit_cycle(request.user, service.owner_team_id):
        return forbidden(request)
    moment = get_moment_for_user(request.user, service, pk, write=True)
    try:
        actions.move_moment(acting_user=request.user, moment=moment, direction=request.POST.get("direction", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    if request.htmx:
        context = _cycle_context(request, service_id)
        context["focus_moment"] = moment.pk
        context["focus_direction"] = request.POST.get("direction", "")
        return render(request, "cycles/cycle.html#editor", context)
    return redirect(reverse("cycle", kwargs={"service_id": service.pk}) + f"#moment-{moment.pk}")


@require_POST
@staff_required("cycle.manage")
def cycle_reorder(request: HtmxRequest, service_id: int) -> HttpResponse:
    """Drag and drop sends the whole new order as repeated `moment` fields."""
    service = get_service_for_user(request.user, service_id)
    if not can_edit_cycle(request.user, service.owner_team_id):
        return forbidden(request)
    try:
        ids = [int(v) for v in request.POST.getlist("moment")]
        actions.reorder_moments(acting_user=request.user, service=service, moment_ids=ids)
    except (ValueError, DomainError) as exc:
        message = exc.message if isinstance(exc, DomainError) else _("The new order could not be read.")
        if request.htmx:
            response = render(
                request, "cycles/cycle.html#editor", {**_cycle_context(request, service_id), "error": message}
            )
            return response
        return JsonResponse({"error": message}, status=400)
    if request.htmx:
        return render(request, "cycles/cycle.html#editor", _cycle_context(request, service_id))
    return redirect("cycle", service_id=service.pk)


RANKING_PER_PAGE = 25
EVIDENCE_PER_PAGE = 10


@staff_required("view")
def critical_moments(request: HttpRequest) -> HttpResponse:
    """Every measured moment of the organization's active services, worst health first (filter: one service)."""
    staff = staff_of(request.user)
    assert staff is not None  # staff_required
    services = list(
        Service.objects.filter(organization_id=staff.organization_id, status=Service.Status.ACTIVE).order_by("name")
    )
    chosen = next((s for s in services if str(s.pk) == request.GET.get("service", "")), None)
    ranked = rank_moments(staff.organization, service_id=chosen.pk if chosen else None)
    return render(
        request,
        "cycles/critical_moments.html",
        {
            "page": paginate(request, ranked, RANKING_PER_PAGE),
            "services": services,
            "chosen": chosen,
            "signal_keys": SIGNAL_KEYS,
        },
    )


@staff_required("view")
def moment_evidence(request: HttpRequest, service_id: int, pk: int) -> HttpResponse:
    """The complaints, promises and survey answers behind a moment's health figure, each list paged on its own
    (``?complaints=2`` and so on)."""
    service = get_service_for_user(request.user, service_id)
    moment = get_moment_for_user(request.user, service, pk)
    health = moment_health([moment])[moment.pk]
    lists = queries.moment_evidence(
        moment, pages={key: page_number(request.GET.get(key)) for key in SIGNAL_KEYS}, per_page=EVIDENCE_PER_PAGE
    )
    sections = record_sections(request, lists, EVIDENCE_PER_PAGE)
    for section in sections:
        signal = health.components.get(section["records"].key)
        section["note"] = (
            _("In the figure: %(label)s = %(value)s, badness %(badness)s.")
            % {
                "label": signal.label,
                "value": floatformat(signal.value, "-2"),
                "badness": floatformat(signal.badness, 2),
            }
            if signal
            else _("Not in the health figure: nothing measured.")
        )
    return render(
        request,
        "cycles/moment_evidence.html",
        {
            "service": service,
            "moment": moment,
            "health": health,
            "heat_color": wheel.heat_color(health.score),
            "sections": sections,
        },
    )


@require_GET
@staff_required("view")
def moment_options(request: HttpRequest) -> HttpResponse:
    """The <option>s of a moment picker for the service chosen beside it (``?service=``): the promise form and
    the survey builder swap them in when the service changes."""
    staff = staff_of(request.user)
    assert staff is not None  # staff_required ran first
    moments = queries.moment_options(staff.organization_id, request.GET.get("service"))
    return render(request, "cycles/_moment_options.html", {"moments": moments})

"""The service life-cycle page: demand history, stage per period, Bass fit, the stage's playbook."""

from __future__ import annotations

import math
import re
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicecycle.accounts.permissions import has
from servicecycle.analytics import charts
from servicecycle.analytics.methods.lifecycle import BassFit, LifecycleResult
from servicecycle.catalog.models import Service
from servicecycle.catalog.queries import get_service_for_user
from servicecycle.core.errors import DomainError
from servicecycle.core.views_helpers import HtmxRequest, allow_charts, apply_domain_error, staff_required
from servicecycle.strategy import actions, queries
from servicecycle.strategy.forms import DemandHistoryForm, DemandUploadForm, history_text, rows_from_text
from servicecycle.strategy.models import Stage, parse_period, period_label
from servicecycle.strategy.playbooks import playbook_for

# The analytics method explains in English why it cannot give a stage or a Bass fit; these are its reasons.
_REASONS = {
    "there is no demand to fit": gettext_lazy("there is no demand to fit"),
    "the least-squares fit did not converge": gettext_lazy("the least-squares fit did not converge"),
    "demand shows no slowdown yet, so the market size cannot be estimated": gettext_lazy(
        "demand shows no slowdown yet, so the market size cannot be estimated"
    ),
    "the demand history does not pin down p, q and m (too flat or still purely exponential)": gettext_lazy(
        "the demand history does not pin down p, q and m (too flat or still purely exponential)"
    ),
    "a life-cycle stage needs at least 2 periods of demand": gettext_lazy(
        "a life-cycle stage needs at least 2 periods of demand"
    ),
    "no period-to-period change can be computed (earlier demand is zero)": gettext_lazy(
        "no period-to-period change can be computed (earlier demand is zero)"
    ),
}
_NEEDS_PERIODS = re.compile(r"needs at least (\d+) periods, got (\d+)")


def reason_text(reason: str | None) -> str | None:
    """The method's reason in the active language (as the method gave it when it is a new one)."""
    if reason is None:
        return None
    match = _NEEDS_PERIODS.search(reason)
    if match:
        return _("the Bass model needs at least %(needed)s periods, got %(got)s") % {
            "needed": match.group(1),
            "got": match.group(2),
        }
    return str(_REASONS.get(reason, reason))


def peak_period(result: LifecycleResult, bass: BassFit) -> str | None:
    """The period in which the fitted adoptions peak (t* falls inside it), extrapolated past the history."""
    if bass.peak is None or not result.periods:
        return None
    index = max(math.ceil(bass.peak), 1) - 1  # t = 0 opens the first period, so t* lies in period ceil(t*)
    if index < len(result.periods):
        return result.periods[index].period
    last = parse_period(result.periods[-1].period)
    if last is None:
        return None
    form, last_index, _label = last
    return period_label(form, last_index + index - (len(result.periods) - 1))


def _evidence_rows(lc: queries.ServiceLifecycle) -> list[dict[str, Any]]:
    labels = dict(Stage.choices)
    if lc.result is None:
        return [{"period": p.period, "demand": p.demand, "change": None, "stage": None} for p in lc.periods]
    return [
        {
            "period": p.period,
            "demand": stored.demand,
            "change": p.change,
            "stage": p.stage,
            "stage_label": labels.get(p.stage or "", ""),
        }
        for p, stored in zip(lc.result.periods, lc.periods, strict=True)
    ]


def _bass_figures(result: LifecycleResult | None) -> list[tuple[str, str]]:
    if result is None or result.bass is None:
        return []
    bass = result.bass
    peak = peak_period(result, bass)
    return [
        (_("Innovation coefficient p"), number_format(bass.p, 4)),
        (_("Imitation coefficient q"), number_format(bass.q, 4)),
        (_("Market size m"), number_format(bass.m, 0, force_grouping=True)),
        (
            _("Expected peak"),
            _("in %(period)s (t* = %(t)s periods from the start)") % {"period": peak, "t": number_format(bass.peak, 2)}
            if peak is not None and bass.peak is not None
            else _("at the launch: imitation (q) does not exceed innovation (p)"),
        ),
    ]


def _page(
    request: HtmxRequest,
    service: Service,
    *,
    text_form: DemandHistoryForm | None = None,
    upload_form: DemandUploadForm | None = None,
    open_forms: bool = False,
) -> HttpResponse:
    lc = queries.service_lifecycle(service)
    can_manage = has(request.user, "service.manage")
    stage = lc.stage
    chart = None
    if lc.result is not None:
        title = _("Demand and life-cycle stage")
        chart = {"title": title, "spec": charts.lifecycle_chart(lc.result, title=title), "id": "chart-spec-lifecycle"}
    if can_manage and text_form is None:
        text_form = DemandHistoryForm(initial={"history": history_text(lc.periods), "from_launch": lc.from_launch})
    if can_manage and upload_form is None:
        upload_form = DemandUploadForm(prefix="upload", initial={"from_launch": lc.from_launch})
    return render(
        request,
        "strategy/lifecycle.html",
        {
            "service": service,
            "lc": lc,
            "stage": stage,
            "stage_label": dict(Stage.choices).get(stage or ""),
            "stage_colour": charts.STAGE_COLOURS.get(stage or "unknown"),
            "evidence_period": queries.evidence_period(lc.result) if lc.result is not None else None,
            "rows": _evidence_rows(lc),
            "reason": reason_text(lc.reason),
            "bass_figures": _bass_figures(lc.result),
            "bass_reason": reason_text(lc.result.bass_reason) if lc.result is not None else None,
            "chart": chart,
            "playbook": playbook_for(stage),
            "stage_labels": dict(Stage.choices),
            "can_manage": can_manage,
            "text_form": text_form,
            "upload_form": upload_form,
            "open_forms": open_forms or (can_manage and lc.empty),
        },
    )


def _saved_message(request: HtmxRequest, service: Service, saved: actions.HistorySaved) -> None:
    messages.success(request, _("Demand history saved: %(n)s periods.") % {"n": saved.periods})
    if saved.change is not None:
        messages.info(
            request,
            _("%(service)s is now in the %(stage)s stage; its owner team %(team)s has been notified.")
            % {
                "service": service.name,
                "stage": dict(Stage.choices)[saved.change.to_stage],
                "team": service.owner_team.name,
            },
        )


@allow_charts
@staff_required("view")
def lifecycle(request: HtmxRequest, pk: int) -> HttpResponse:
    return _page(request, get_service_for_user(request.user, pk))


@allow_charts
@staff_required("service.manage")
def demand_edit(request: HtmxRequest, pk: int) -> HttpResponse:
    service = get_service_for_user(request.user, pk, write=True)
    if request.method != "POST":
        return _page(request, service, open_forms=True)
    form = DemandHistoryForm(request.POST)
    if form.is_valid():
        try:
            saved = actions.set_demand_history(
                acting_user=request.user,
                service=service,
                rows=rows_from_text(form.cleaned_data["history"]),
                from_launch=form.cleaned_data["from_launch"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            _saved_message(request, service, saved)
            return redirect("service-lifecycle", pk=pk)
    return _page(request, service, text_form=form, open_forms=True)


@allow_charts
@staff_required("service.manage")
def demand_upload(request: HtmxRequest, pk: int) -> HttpResponse:
    service = get_service_for_user(request.user, pk, write=True)
    if request.method != "POST":
        return redirect("service-lifecycle-edit", pk=pk)
    form = DemandUploadForm(request.POST, request.FILES, prefix="upload")
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            saved = actions.import_demand_file(
                acting_user=request.user,
                service=service,
                filename=upload.name,
                content=upload.read(),
                from_launch=form.cleaned_data["from_launch"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            _saved_message(request, service, saved)
            return redirect("service-lifecycle", pk=pk)
    return _page(request, service, upload_form=form, open_forms=True)

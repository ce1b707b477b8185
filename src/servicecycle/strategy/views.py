"""The service life-cycle page (demand history, stage per period, Bass fit, the stage's playbook) and the
self-assessment pages (history of scored assessments with advice per band, and the questionnaire)."""

from __future__ import annotations

import math
import re
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicecycle.accounts.permissions import has, staff_of
from servicecycle.analytics import charts
from servicecycle.analytics.methods.lifecycle import BassFit, LifecycleResult
from servicecycle.catalog.models import Service
from servicecycle.catalog.queries import get_service_for_user
from servicecycle.core.errors import DomainError, ValidationFailed
from servicecycle.core.views_helpers import (
    HtmxRequest,
    allow_charts,
    apply_domain_error,
    paginate,
    staff_required,
)
from servicecycle.strategy import actions, assessment, queries
from servicecycle.strategy.forms import (
    DemandHistoryForm,
    DemandUploadForm,
    SelfAssessmentForm,
    history_text,
    rows_from_text,
)
from servicecycle.strategy.models import SelfAssessment, Stage, parse_period, period_label
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


def _bass_subtitle(result: LifecycleResult) -> str:
    """The chart's line under its title: the Bass figures as the table beside it writes them, or why there are none."""
    bass = result.bass
    if bass is None:
        return _("No Bass fit: %(bass_reason)s.") % {"bass_reason": reason_text(result.bass_reason) or "–"}
    return _("Bass fit: p=%(p)s, q=%(q)s, m=%(m)s") % {
        "p": number_format(bass.p, 4),
        "q": number_format(bass.q, 4),
        "m": number_format(bass.m, 0, force_grouping=True),
    }


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
        spec = charts.lifecycle_chart(
            lc.result,
            title=title,
            subtitle=_bass_subtitle(lc.result),
            stage_labels={v: str(label) for v, label in Stage.choices},
        )
        chart = {"title": title, "spec": spec, "id": "chart-spec-lifecycle"}
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


HISTORY_PER_PAGE = 20


def _question_scores(record: SelfAssessment, scores: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """Each question's total, range, band and advice for an assessment (and its items' scores when given)."""
    rows = []
    for question in assessment.QUESTIONS:
        total = getattr(record, f"{question.key}_total")
        band = question.band(total)
        rows.append(
            {
                "question": question,
                "total": total,
                "band": band,
                "band_label": question.band_label(band),
                "advice": question.advice[band],
                "items": [
                    {"item": item, "score": scores.get(item.key)} for item in question.items if scores is not None
                ],
            }
        )
    return rows


def _change(record: SelfAssessment) -> int | None:
    previous = getattr(record, "previous_total", None)
    return None if previous is None else record.total - previous


@staff_required("view")
def self_assessment(request: HtmxRequest) -> HttpResponse:
    staff = staff_of(request.user)
    assert staff is not None
    page = paginate(request, queries.self_assessment_history(staff.organization_id), per_page=HISTORY_PER_PAGE)
    rows = [{"record": r, "questions": _question_scores(r), "change": _change(r)} for r in page]
    latest = page[0] if page.number == 1 and rows else None
    if latest is None and page.paginator.count:
        latest = queries.self_assessment_history(staff.organization_id).first()
    summary = None
    if latest is not None:
        scores = dict(latest.answers.values_list("item", "score"))
        summary = {
            "record": latest,
            "questions": _question_scores(latest, scores),
            "change": _change(latest),
            "overall_band": assessment.BAND_LABELS[assessment.band_of(latest.total, len(assessment.ITEMS))],
        }
    return render(
        request,
        "strategy/self_assessment.html",
        {
            "page": page,
            "rows": rows,
            "summary": summary,
            "questions": assessment.QUESTIONS,
            "overall_max": assessment.OVERALL_MAX,
            "scale_min": assessment.SCALE_MIN,
            "scale_max": assessment.SCALE_MAX,
            "can_manage": has(request.user, "service.manage"),
        },
    )


def _item_groups(values: dict[str, str], errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    """The questionnaire as the form shows it: the questions, their items and each item's radio options."""
    return [
        {
            "question": question,
            "items": [
                {
                    "key": item.key,
                    "text": item.text,
                    "errors": errors.get(item.key, []),
                    "options": [
                        {
                            "id": f"id_{item.key}_{value}",
                            "value": value,
                            "label": assessment.SCALE_LABELS[value],
                            "checked": values.get(item.key) == str(value),
                        }
                        for value in assessment.SCALE
                    ],
                }
                for item in question.items
            ],
        }
        for question in assessment.QUESTIONS
    ]


@staff_required("service.manage")
def self_assessment_new(request: HtmxRequest) -> HttpResponse:
    staff = staff_of(request.user)
    assert staff is not None
    values: dict[str, str] = {}
    item_errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = SelfAssessmentForm(request.POST, organization_id=staff.organization_id)
        values = {key: request.POST.get(key, "") for key in assessment.ITEM_KEYS}
        if form.is_valid():
            try:
                record = actions.record_self_assessment(
                    acting_user=request.user,
                    answers=values,
                    taken_on=form.cleaned_data["taken_on"],
                    service=form.cleaned_data["service"],
                )
            except ValidationFailed as exc:
                item_errors = {k: v for k, v in exc.errors.items() if k in assessment.ITEM_BY_KEY}
                rest = {k: v for k, v in exc.errors.items() if k not in assessment.ITEM_BY_KEY}
                if rest:
                    apply_domain_error(form, ValidationFailed(rest))
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Self-assessment saved: %(total)s of %(max)s points.")
                    % {"total": record.total, "max": assessment.OVERALL_MAX},
                )
                return redirect("self-assessment")
        else:
            try:
                actions.validate_answers(values)
            except ValidationFailed as exc:
                item_errors = {k: v for k, v in exc.errors.items() if k in assessment.ITEM_BY_KEY}
    else:
        form = SelfAssessmentForm(initial={"taken_on": timezone.localdate()}, organization_id=staff.organization_id)
    return render(
        request,
        "strategy/self_assessment_form.html",
        {
            "form": form,
            "groups": _item_groups(values, item_errors),
            "item_errors": [message for messages_ in item_errors.values() for message in messages_],
            "scale_min": assessment.SCALE_MIN,
            "scale_max": assessment.SCALE_MAX,
        },
    )

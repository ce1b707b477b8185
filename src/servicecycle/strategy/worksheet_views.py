"""Pages of the strategy worksheet (/services/<id>/strategy/) and of comparison shopping (/services/<id>/shopping/)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from servicecycle.accounts.permissions import has
from servicecycle.catalog.models import Service
from servicecycle.catalog.queries import current_decision, get_service_for_user
from servicecycle.core.errors import DomainError
from servicecycle.core.views_helpers import HtmxRequest, apply_domain_error, paginate, staff_required
from servicecycle.cycles.queries import moments_of
from servicecycle.strategy import shopping, worksheet
from servicecycle.strategy.forms import COMPETITOR, ShoppingAuditForm, WorksheetSettingsForm
from servicecycle.strategy.models import ShoppingAudit, ShoppingPhoto, Stage, StageChange
from servicecycle.strategy.playbooks import playbook_for

AUDITS_PER_PAGE = 20


def _tool_urls(service: Service) -> dict[str, str]:
    inbox = reverse("case-inbox")

    def cases(**filters: str) -> str:
        return f"{inbox}?{urlencode({'service': service.pk, **filters})}"

    return {
        "shopping": reverse("shopping-list", kwargs={"pk": service.pk}),
        "surveys": reverse("survey-list"),
        "suggestion_box": cases(channel="suggestion_box"),
        "hotline": cases(channel="hotline"),
        "complaints": cases(kind="complaint"),
    }


def _comparison_rows(comparison: shopping.Comparison, margin: Any) -> list[dict[str, Any]]:
    """Each moment's means with the class of ours against each competitor (None where a side has no score)."""
    rows = []
    for line in comparison.rows:
        cells = []
        for name in comparison.competitors:
            theirs = line.competitors.get(name)
            verdict = (
                worksheet.classify(line.ours.mean, theirs.mean, margin)
                if line.ours is not None and theirs is not None
                else None
            )
            cells.append(
                {"mean": theirs, "verdict": verdict, "label": worksheet.CLASS_LABELS[verdict] if verdict else ""}
            )
        rows.append({"moment": line.moment, "ours": line.ours, "cells": cells})
    return rows


@staff_required("view")
def strategy_worksheet(request: HtmxRequest, pk: int) -> HttpResponse:
    service = get_service_for_user(request.user, pk)
    margin = worksheet.parity_margin(service)
    moments = moments_of(service)
    comparison = shopping.comparison(service, moments)
    decision = current_decision(service)
    stage = StageChange.objects.filter(service=service).values_list("to_stage", flat=True).first()
    tools = worksheet.listening_tools(service, urls=_tool_urls(service))
    return render(
        request,
        "strategy/worksheet.html",
        {
            "service": service,
            "margin": margin,
            "which": worksheet.which_services(service, margin),
            "comparison": comparison,
            "comparison_rows": _comparison_rows(comparison, margin),
            "tools": tools,
            "gaps": [t for t in tools if t.gap],
            "listening_days": worksheet.LISTENING_DAYS,
            "decision": decision,
            "review_overdue": worksheet.review_overdue(decision),
            "stage": stage,
            "stage_label": dict(Stage.choices).get(stage or ""),
            "playbook": playbook_for(stage),
            "log": worksheet.log_rows(worksheet.decision_log(service)),
            "can_manage": has(request.user, "service.manage"),
            "can_decide": has(request.user, "decision.manage"),
            "can_record": has(request.user, "shopping.record"),
        },
    )


@staff_required("service.manage")
def worksheet_settings(request: HtmxRequest, pk: int) -> HttpResponse:
    service = get_service_for_user(request.user, pk, write=True)
    if request.method == "POST":
        form = WorksheetSettingsForm(request.POST)
        if form.is_valid():
            try:
                worksheet.set_parity_margin(
                    acting_user=request.user, service=service, parity_margin=form.cleaned_data["parity_margin"]
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Worksheet settings saved."))
                return redirect("service-strategy", pk=pk)
    else:
        form = WorksheetSettingsForm(initial={"parity_margin": worksheet.parity_margin(service)})
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": _("Strategy worksheet settings: %(service)s") % {"service": service.name},
            "back_url": reverse("service-strategy", kwargs={"pk": pk}),
        },
    )


@staff_required("view")
def shopping_list(request: HtmxRequest, pk: int) -> HttpResponse:
    service = get_service_for_user(request.user, pk)
    moments = moments_of(service)
    margin = worksheet.parity_margin(service)
    comparison = shopping.comparison(service, moments)
    page = paginate(request, shopping.audits_of(service), per_page=AUDITS_PER_PAGE)
    return render(
        request,
        "strategy/shopping_list.html",
        {
            "service": service,
            "page": page,
            "comparison": comparison,
            "comparison_rows": _comparison_rows(comparison, margin),
            "margin": margin,
            "can_record": has(request.user, "shopping.record"),
        },
    )


@staff_required("shopping.record")
def shopping_create(request: HtmxRequest, pk: int) -> HttpResponse:
    service = get_service_for_user(request.user, pk)
    moments = moments_of(service)
    if request.method == "POST":
        form = ShoppingAuditForm(request.POST, request.FILES, moments=moments)
        if form.is_valid():
            data = form.cleaned_data
            try:
                record = shopping.record_audit(
                    acting_user=request.user,
                    service=service,
                    outlet_name=data["outlet_name"],
                    competitor_name=data["competitor_name"],
                    visited_on=data["visited_on"],
                    shopper=data["shopper"],
                    notes=data["notes"],
                    scores=form.score_lines(),
                    photos=data["photos"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Comparison-shopping audit recorded."))
                return redirect("shopping-detail", pk=pk, audit_pk=record.pk)
        else:  # name every fault at once: the photos are checked even when another field is wrong
            try:
                shopping.check_photos(request.FILES.getlist("photos"))
            except DomainError as exc:
                apply_domain_error(form, exc)
    else:
        user = request.user
        assert user.is_authenticated
        form = ShoppingAuditForm(
            initial={
                "visited_on": timezone.localdate(),
                "shopper": user.get_full_name() or user.get_username(),
                "whose": request.GET.get("whose") if request.GET.get("whose") == COMPETITOR else "ours",
            },
            moments=moments,
        )
    known = list(
        ShoppingAudit.objects.filter(service__organization_id=service.organization_id)
        .exclude(competitor_name="")
        .values_list("competitor_name", flat=True)
        .distinct()
        .order_by("competitor_name")[:50]
    )
    return render(
        request,
        "strategy/shopping_form.html",
        {"service": service, "form": form, "moments": moments, "known_competitors": known},
    )


@staff_required("view")
def shopping_detail(request: HtmxRequest, pk: int, audit_pk: int) -> HttpResponse:
    service = get_service_for_user(request.user, pk)
    record = shopping.get_audit_for_user(request.user, service, audit_pk)
    scores = {s.moment_id: s for s in record.scores.all()}
    moments = moments_of(service)
    return render(
        request,
        "strategy/shopping_detail.html",
        {
            "service": service,
            "audit": record,
            "lines": [{"moment": m, "score": scores.get(m.pk)} for m in moments],
            "photos": list(record.photos.all()),
        },
    )


@staff_required("view")
def shopping_photo(request: HtmxRequest, pk: int, audit_pk: int, photo_pk: int) -> HttpResponse:
    """A photo of an audit, served with the case files' safety headers (own organization only)."""
    service = get_service_for_user(request.user, pk)
    record = shopping.get_audit_for_user(request.user, service, audit_pk)
    photo = get_object_or_404(ShoppingPhoto, pk=photo_pk, audit=record)
    try:
        handle = photo.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    inline = request.GET.get("inline") == "1"
    response = FileResponse(
        handle, as_attachment=not inline, filename=photo.original_name, content_type=photo.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response  # type: ignore[return-value]  # a FileResponse streams, staff_required types plain responses

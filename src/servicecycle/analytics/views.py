"""Pages that show survey figures: the feedback section of a service and its one-page quality report."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from servicecycle.analytics import charts
from servicecycle.analytics.quality_report import build_quality_report
from servicecycle.analytics.reports import ServiceFeedback, service_feedback
from servicecycle.catalog.models import Service
from servicecycle.catalog.queries import get_service_for_user
from servicecycle.core.views_helpers import staff_required


def feedback_figures(feedback: ServiceFeedback) -> list[tuple[str, str]]:
    """(label, value) pairs, formatted for reading in the active language."""
    figures: list[tuple[str, str]] = []
    if feedback.nps is not None:
        r = feedback.nps
        figures.append(
            (
                _("Net Promoter Score"),
                _("%(nps)s (95 %% interval %(lo)s to %(hi)s; %(n)s answers)")
                % {
                    "nps": number_format(r.nps, 1),
                    "lo": number_format(r.ci95[0], 1),
                    "hi": number_format(r.ci95[1], 1),
                    "n": r.n,
                },
            )
        )
        figures.append(
            (
                _("Promoters / passives / detractors"),
                f"{r.promoters} / {r.passives} / {r.detractors}",
            )
        )
    if feedback.csat is not None:
        figures.append(
            (
                _("Customer satisfaction (top two boxes)"),
                _("%(csat)s %% of %(n)s answers")
                % {"csat": number_format(feedback.csat.csat, 1), "n": feedback.csat.n},
            )
        )
    if feedback.ces is not None:
        figures.append(
            (
                _("Customer effort (mean, 1 = easy)"),
                _("%(mean)s from %(n)s answers") % {"mean": number_format(feedback.ces.mean, 2), "n": feedback.ces.n},
            )
        )
    return figures


def feedback_charts(feedback: ServiceFeedback) -> list[tuple[str, dict[str, Any]]]:
    specs: list[tuple[str, dict[str, Any]]] = []
    if len(feedback.nps_by_wave) > 1:
        title = _("Net Promoter Score by wave, with its confidence band")
        specs.append((title, charts.nps_trend_chart(feedback.nps_by_wave, title=title)))
    if feedback.ipa is not None:
        title = _("Importance and performance of each attribute")
        specs.append((title, charts.ipa_chart(feedback.ipa, title=title)))
        if feedback.competitor and any(a.gap is not None for a in feedback.ipa.attributes):
            title = _("Our performance minus %(competitor)s's") % {"competitor": feedback.competitor}
            specs.append((title, charts.competitor_gap_chart(feedback.ipa, title=title)))
    return specs


@staff_required("view")
def quality_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The service's one-page quality report as a PDF, built from the stored survey answers."""
    service: Service = get_service_for_user(request.user, pk)
    feedback = service_feedback(service, language=get_language())
    figures = feedback_figures(feedback) or [(_("Survey answers"), _("none recorded yet for this service"))]
    pdf = build_quality_report(
        title=_("Quality report: %(service)s") % {"service": service.name},
        subtitle=_("%(organization)s, %(date)s")
        % {"organization": service.organization.name, "date": date_format(timezone.localdate(), "DATE_FORMAT")},
        figures=figures,
        charts=feedback_charts(feedback)[:2],
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="quality-report-{slugify(service.name) or service.pk}.pdf"'
    return response

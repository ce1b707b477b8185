"""The case reports page (/cases/reports/) and the CSV/XLSX export of each of its tables."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any
from urllib.parse import urlencode

import xlsxwriter
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from servicecycle.accounts.models import Team
from servicecycle.accounts.permissions import staff_of
from servicecycle.cases.models import Case, Kind
from servicecycle.cases.reports import (
    TABLE_NAMES,
    CaseReport,
    ReportFilters,
    Table,
    Volume,
    case_report,
    parse_filters,
    report_tables,
)
from servicecycle.catalog.models import Service
from servicecycle.core.views_helpers import allow_charts, staff_required

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# cells a spreadsheet would run as a formula (CSV injection): written with a leading apostrophe
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def business_duration(minutes: float | None) -> str:
    """Business minutes for reading: "45 min", "3 h 05 min"."""
    if minutes is None:
        return "—"
    whole = round(minutes)
    if whole < 60:
        return _("%(m)s min") % {"m": whole}
    return _("%(h)s h %(m)02d min") % {"h": whole // 60, "m": whole % 60}


def _options(request: HttpRequest) -> tuple[Any, list[Service], list[Team]]:
    organization = staff_of(request.user).organization  # type: ignore[union-attr]
    services = list(Service.objects.filter(organization=organization).order_by("name").only("id", "name"))
    teams = list(Team.objects.filter(organization=organization).order_by("name").only("id", "name"))
    return organization, services, teams


def _filters(request: HttpRequest) -> tuple[Any, ReportFilters, dict[str, str], list[Service], list[Team]]:
    organization, services, teams = _options(request)
    filters, errors = parse_filters(
        organization,
        request.GET,
        service_ids={s.pk for s in services},
        team_ids={t.pk for t in teams},
    )
    return organization, filters, errors, services, teams


# --- charts --------------------------------------------------------------------------------------------------


SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
# The specs are written as plain Vega-Lite dicts: Altair's layering deep-copies and validates every part,
# which cost ~0.5 s per page for these two small charts.


def volume_chart(v: Volume, weekly: bool) -> dict[str, Any]:
    """Cases per period, stacked by the volume's series (channels on the page)."""
    order = [label for _key, label in v.series]
    rows = [
        {"period": b.isoformat(), "series": label, "cases": v.count(b, key)}
        for b in v.buckets
        for key, label in v.series
    ]
    return {
        "$schema": SCHEMA,
        "data": {"values": rows},
        "mark": {"type": "bar"},
        "encoding": {
            "x": {"field": "period", "type": "ordinal", "title": _("Week starting") if weekly else _("Month starting")},
            "y": {"field": "cases", "type": "quantitative", "aggregate": "sum", "title": _("Cases")},
            "color": {"field": "series", "type": "nominal", "title": _("Channel"), "sort": order},
            "order": {"field": "series", "type": "nominal"},
            "tooltip": [
                {"field": "period", "type": "ordinal", "title": _("Period")},
                {"field": "series", "type": "nominal", "title": _("Channel")},
                {"field": "cases", "type": "quantitative", "title": _("Cases")},
            ],
        },
        "width": 460,
        "height": 260,
    }


def pareto_chart(report: CaseReport) -> dict[str, Any]:
    """Bars of cases per category, largest first (the vital few in red), with the cumulative share as a line
    on a second axis and the cut-off (80 %) as a dashed rule on that axis."""
    assert report.pareto is not None
    order = [r.label for r in report.pareto.rows]
    rows = [
        {"category": r.label, "cases": r.count, "cumulative": round(100 * r.cumulative, 1), "vital": r.vital}
        for r in report.pareto.rows
    ]
    x = {
        "field": "category",
        "type": "nominal",
        "title": None,
        "sort": order,
        "axis": {"labelAngle": -30, "labelLimit": 160},
    }
    percent = {"domain": [0, 100]}
    category_tip = {"field": "category", "type": "nominal", "title": _("Category")}
    return {
        "$schema": SCHEMA,
        "data": {"values": rows},
        "layer": [
            {
                "mark": {"type": "bar"},
                "encoding": {
                    "x": x,
                    "y": {"field": "cases", "type": "quantitative", "title": _("Complaints and claims")},
                    "color": {"condition": {"test": "datum.vital", "value": "#c0392b"}, "value": "#90a4ae"},
                    "tooltip": [category_tip, {"field": "cases", "type": "quantitative", "title": _("Cases")}],
                },
            },
            {
                "mark": {"type": "line", "point": {"color": "#1f2d3d"}, "color": "#1f2d3d"},
                "encoding": {
                    "x": x,
                    "y": {"field": "cumulative", "type": "quantitative", "title": _("Cumulative %"), "scale": percent},
                    "tooltip": [
                        category_tip,
                        {"field": "cumulative", "type": "quantitative", "title": _("Cumulative %")},
                    ],
                },
            },
            {
                "data": {"values": [{"cut": 100 * report.pareto.cutoff}]},
                "mark": {"type": "rule", "strokeDash": [4, 4], "color": "#1f2d3d"},
                "encoding": {"y": {"field": "cut", "type": "quantitative", "scale": percent, "axis": None}},
            },
        ],
        "resolve": {"scale": {"y": "independent"}},
        "width": 460,
        "height": 260,
    }


# --- pages ---------------------------------------------------------------------------------------------------


def _figures(report: CaseReport) -> dict[str, Any]:
    """What the page prints beside the tables, formatted for reading."""
    if report.timings is None:
        return {}
    times = [
        {"label": t.label, "n": t.n, "median": business_duration(t.median_minutes), "minutes": t.median_minutes}
        for t in report.timings.times
    ]
    sla = [
        {
            "label": s.label,
            "met": s.met,
            "breached": s.breached,
            "running": s.running,
            "n": s.decided,
            "percent": None if s.percent is None else number_format(s.percent, 1),
        }
        for s in report.timings.sla
    ]
    csat = None
    if report.csat is not None:
        c = report.csat
        csat = {
            "value": number_format(c.csat, 1),
            "lo": number_format(c.ci95[0], 1),
            "hi": number_format(c.ci95[1], 1),
            "n": c.n,
            "top_two": c.top_two,
        }
    return {"times": times, "sla": sla, "csat": csat, "has_policy": report.timings.has_policy}


@allow_charts
@staff_required("case.view")
def case_reports(request: HttpRequest) -> HttpResponse:
    organization, filters, errors, services, teams = _filters(request)
    report = case_report(organization, filters)
    tables = report_tables(report)
    charts = []
    if not report.empty:
        charts.append(
            {
                "id": "chart-volume",
                "title": _("Cases over time, by channel"),
                "spec": volume_chart(report.volumes["channel"], weekly=filters.bucket == "week"),
                "table": tables["volume-channel"],
            }
        )
    pareto = None
    if report.pareto is not None:
        pareto = {
            "id": "chart-pareto",
            "title": _("Complaints and claims by category, with the cumulative share"),
            "spec": pareto_chart(report),
            "table": tables["pareto"],
            "vital": [r.label for r in report.pareto.vital_few],
        }
    query = filters.query()
    context = {
        "report": report,
        "filters": filters,
        "errors": errors,
        "services": services,
        "teams": teams,
        "kinds": Kind.choices,
        "channels": Case.Channel.choices,
        "charts": charts,
        "pareto": pareto,
        "breakdowns": [tables[name] for name in ("volume-kind", "volume-service", "volume-moment")],
        "figures": _figures(report),
        "tables_handling": tables["handling-times"],
        "tables_sla": tables["sla"],
        "export_query": urlencode(query),
        "has_charts": bool(charts) or pareto is not None,
    }
    return render(request, "cases/reports.html", context)


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def table_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.isoformat() if isinstance(c, date) else _safe(c) for c in table.columns])
    for row in table.rows:
        writer.writerow(["" if v is None else v.isoformat() if isinstance(v, date) else _safe(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # the BOM lets spreadsheet programs read UTF-8


def table_xlsx(table: Table) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet(table.name[:31])
    bold = book.add_format({"bold": True})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    for col, name in enumerate(table.columns):
        sheet.write_string(0, col, name.isoformat() if isinstance(name, date) else str(name), bold)
        sheet.set_column(col, col, max(12, min(40, len(str(name)) + 2)))
    for r, row in enumerate(table.rows, start=1):
        for col, value in enumerate(row):
            if value is None:
                sheet.write_blank(r, col, None)
            elif isinstance(value, date):
                sheet.write_datetime(r, col, value, day)
            elif isinstance(value, bool | int | float):
                sheet.write_number(r, col, value)
            else:
                sheet.write_string(r, col, str(value))
    book.close()
    return buffer.getvalue()


@staff_required("case.view")
def case_reports_export(request: HttpRequest) -> HttpResponse:
    """One table of the report as CSV or XLSX: ?format=csv|xlsx&table=<name> plus the page's filters."""
    fmt = request.GET.get("format", "csv")
    name = request.GET.get("table", "")
    problems = []
    if fmt not in FORMATS:
        problems.append(_("format: choose csv or xlsx."))
    if name not in TABLE_NAMES:
        problems.append(_("table: choose one of %(names)s.") % {"names": ", ".join(TABLE_NAMES)})
    organization, filters, errors, _services, _teams = _filters(request)
    problems.extend(f"{field}: {message}" for field, message in errors.items())
    if problems:
        return HttpResponse("\n".join(problems), status=400, content_type="text/plain; charset=utf-8")
    table = report_tables(case_report(organization, filters, table=name))[name]
    stem = f"cases-{name}-{filters.start.isoformat()}-{filters.end.isoformat()}"
    if fmt == "csv":
        response = HttpResponse(table_csv(table), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(table_xlsx(table), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response

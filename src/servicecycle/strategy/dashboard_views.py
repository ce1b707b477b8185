"""The manager dashboard: the home page of managers and admins, and its PDF and XLSX exports.

Everyone else keeps the overview (``core.views.home``) at ``/``. The figures come from
``strategy.dashboard.build_dashboard``; the exports are built from the same ``Dashboard`` by
``dashboard_tables``, so the page, the PDF and the workbook show the same numbers.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import xlsxwriter
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.formats import date_format, number_format
from django.utils.text import slugify
from django.utils.translation import gettext as _

from servicecycle.accounts.permissions import has, staff_of
from servicecycle.core import views as core_views
from servicecycle.core.views_helpers import staff_required
from servicecycle.cycles import wheel
from servicecycle.strategy.dashboard import PERIODS, Dashboard, build_dashboard, nps_chart, parse_days

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _dashboard(request: HttpRequest) -> Dashboard:
    organization = staff_of(request.user).organization  # type: ignore[union-attr]
    return build_dashboard(organization, days=parse_days(request.GET.get("days")))


@staff_required("view")
def home(request: HttpRequest) -> HttpResponse:
    """``/``: the dashboard for managers and admins, the organization overview for everyone else."""
    if not has(request.user, "dashboard.view"):
        return core_views.home(request)
    dashboard = _dashboard(request)
    return render(
        request,
        "strategy/dashboard.html",
        {
            "d": dashboard,
            "wheel": wheel,
            "periods": PERIODS,
            "chart": nps_chart(dashboard.nps_trend),
        },
    )


# --- the exports ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportTable:
    name: str  # sheet name (at most 31 characters)
    title: str
    columns: list[str]
    rows: list[list[Any]]  # None for an empty cell; percentages as numbers 0..100


class Figure(float):
    """A number with the decimals the page shows it with (``floatformat``), so the PDF shows it the same way;
    the workbook keeps the number itself."""

    decimals: int

    def __new__(cls, value: float, decimals: int) -> Figure:
        figure = super().__new__(cls, value)
        figure.decimals = decimals
        return figure


def _pct(value: float | None) -> Figure | None:
    """A percentage 0..100, one decimal as on the page."""
    return Figure(round(value, 1), 1) if value is not None else None


def _health(value: float | None) -> Figure | None:
    """A moment's health 0..1, two decimals as on the page."""
    return Figure(value, 2) if value is not None else None


def dashboard_tables(d: Dashboard) -> list[ExportTable]:
    """The dashboard's figures as tables, the same for the PDF and the workbook."""
    period = _("%(start)s to %(end)s") % {
        "start": date_format(d.start, "DATE_FORMAT"),
        "end": date_format(d.end, "DATE_FORMAT"),
    }
    summary: list[list[Any]] = [[_("Period"), period]]
    for s in d.sla:
        summary.append([_("SLA compliance, percent: %(target)s") % {"target": s.label}, _pct(s.percent)])
    summary.append([_("Promises kept (percent)"), _pct(d.promises.percent)])
    summary.append([_("Promises kept / broken"), f"{d.promises.kept} / {d.promises.broken}"])
    latest = d.nps_latest
    summary.append([_("NPS, latest wave"), _pct(latest.result.nps) if latest else None])
    summary.append([_("Active services"), d.service_count])
    tables = [ExportTable("summary", _("Summary"), [_("Figure"), _("Value")], summary)]
    tables.append(
        ExportTable(
            "sla",
            _("SLA compliance"),
            [_("Target"), _("Met"), _("Breached"), _("Running"), _("Compliance (percent)")],
            [[s.label, s.met, s.breached, s.running, _pct(s.percent)] for s in d.sla],
        )
    )
    tables.append(
        ExportTable(
            "critical",
            _("Top critical moments"),
            [_("Service"), _("Moment"), _("Owner team"), _("Health (0-1)")],
            [[r.service.name, r.moment.name, r.moment.owner_team.name, _health(r.score)] for r in d.critical],
        )
    )
    tables.append(
        ExportTable(
            "nps",
            _("NPS by wave"),
            [
                _("Wave"),
                _("Starts on"),
                _("Answers"),
                _("Promoters"),
                _("Passives"),
                _("Detractors"),
                _("NPS"),
                _("Interval low"),
                _("Interval high"),
            ],
            [
                [
                    m.label,
                    m.starts_on,
                    m.result.n,
                    m.result.promoters,
                    m.result.passives,
                    m.result.detractors,
                    _pct(m.result.nps),
                    _pct(m.result.ci95[0]),
                    _pct(m.result.ci95[1]),
                ]
                for m in d.nps_trend
            ],
        )
    )
    tables.append(
        ExportTable(
            "services",
            _("Services"),
            [_("Service"), _("Owner team"), _("Life-cycle stage"), _("Moments"), _("Moments measured")],
            [
                [c.service.name, c.service.owner_team.name, c.stage_label or None, len(c.segments), c.measured]
                for c in d.cards
            ],
        )
    )
    return tables


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, date):
        return date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, float):
        # rounded half up from the decimal the float prints as, like the page's floatformat (number_format
        # alone would cut 0.409 to 0.40)
        places = value.decimals if isinstance(value, Figure) else 2
        rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
        return number_format(rounded, places)
    return str(value)


_PDF_CSS = """
@page { size: A4; margin: 14mm; @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; } }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #222; font-size: 9.5pt; }
h1 { font-size: 17pt; margin: 0 0 1mm 0; }
h2 { font-size: 12pt; margin: 6mm 0 2mm 0; }
p.subtitle { margin: 0 0 4mm 0; color: #555; }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; border-bottom: 0.4mm solid #999; padding: 1mm 2mm; }
td { border-bottom: 0.3mm solid #ddd; padding: 1mm 2mm; }
td.n { text-align: right; }
p.empty { color: #666; }
img.chart { width: 170mm; }
"""


def dashboard_pdf_bytes(d: Dashboard, chart_svg: str | None) -> bytes:
    import weasyprint

    blocks = []
    for table in dashboard_tables(d):
        blocks.append(f"<h2>{html.escape(table.title)}</h2>")
        if table.name == "nps" and chart_svg:
            encoded = base64.b64encode(chart_svg.encode("utf-8")).decode("ascii")
            blocks.append(f'<img class="chart" src="data:image/svg+xml;base64,{encoded}" alt="">')
        if not table.rows:
            blocks.append(f'<p class="empty">{html.escape(_("Nothing recorded yet."))}</p>')
            continue
        head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
        body = "".join(
            "<tr>"
            + "".join(
                f"<td{' class=n' if isinstance(v, int | float) else ''}>{html.escape(_cell(v))}</td>" for v in row
            )
            + "</tr>"
            for row in table.rows
        )
        blocks.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    title = _("Dashboard: %(organization)s") % {"organization": d.organization.name}
    subtitle = _("Last %(days)s days, %(start)s to %(end)s") % {
        "days": d.days,
        "start": date_format(d.start, "DATE_FORMAT"),
        "end": date_format(d.end, "DATE_FORMAT"),
    }
    document = (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_PDF_CSS}</style></head><body>"
        f'<h1>{html.escape(title)}</h1><p class="subtitle">{html.escape(subtitle)}</p>'
        f"{''.join(blocks)}</body></html>"
    )
    return weasyprint.HTML(string=document).write_pdf()  # type: ignore[no-any-return]


def dashboard_xlsx_bytes(d: Dashboard) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    bold = book.add_format({"bold": True})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    for table in dashboard_tables(d):
        sheet = book.add_worksheet(table.name[:31])
        sheet.write_string(0, 0, table.title, bold)
        for col, name in enumerate(table.columns):
            sheet.write_string(2, col, name, bold)
            sheet.set_column(col, col, max(12, min(40, len(name) + 2)))
        for r, row in enumerate(table.rows, start=3):
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


def _filename(d: Dashboard, extension: str) -> str:
    return f"dashboard-{slugify(d.organization.name) or d.organization.pk}-{d.end.isoformat()}.{extension}"


@staff_required("dashboard.view")
def dashboard_pdf(request: HttpRequest) -> HttpResponse:
    """The dashboard's figures as a PDF (?days=30|90 as on the page)."""
    d = _dashboard(request)
    chart = nps_chart(d.nps_trend)
    svg = render_to_string("strategy/_nps_chart.svg", {"chart": chart, "standalone": True}) if chart else None
    response = HttpResponse(dashboard_pdf_bytes(d, svg), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_filename(d, "pdf")}"'
    return response


@staff_required("dashboard.view")
def dashboard_xlsx(request: HttpRequest) -> HttpResponse:
    """The dashboard's figures as an Excel workbook, one sheet per table (?days=30|90 as on the page)."""
    d = _dashboard(request)
    response = HttpResponse(dashboard_xlsx_bytes(d), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_filename(d, "xlsx")}"'
    return response

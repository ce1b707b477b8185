"""One-page A4 quality report as PDF: key figures plus charts.

Plain HTML built with ``html.escape`` and laid out by WeasyPrint; the charts are
embedded as SVG rendered by ``charts.render``. The layout scales the charts so
that the report stays on a single page.
"""

from __future__ import annotations

import base64
import html
from typing import Any

from servicecycle.analytics.charts import render

_CSS = """
@page { size: A4; margin: 14mm 14mm 12mm 14mm; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #222; font-size: 9.5pt; }
h1 { font-size: 17pt; margin: 0 0 1mm 0; }
p.subtitle { margin: 0 0 5mm 0; color: #555; }
table.figures { border-collapse: collapse; width: 100%; margin-bottom: 5mm; }
table.figures td { border-bottom: 0.3mm solid #ddd; padding: 1.2mm 2mm; }
table.figures td.value { text-align: right; font-weight: bold; }
div.charts { display: flex; flex-wrap: wrap; gap: 4mm; }
figure { margin: 0; width: 88mm; }
figure img { width: 88mm; max-height: CHART_HEIGHTmm; object-fit: contain; }
figcaption { font-size: 8.5pt; color: #444; margin-bottom: 1mm; font-weight: bold; }
"""


def _chart_height(count: int) -> int:
    rows = max(1, (count + 1) // 2)
    return max(40, min(90, 190 // rows))


def build_quality_report(
    *,
    title: str,
    subtitle: str,
    figures: list[tuple[str, str]],
    charts: list[tuple[str, dict[str, Any]]],
) -> bytes:
    """Return the PDF bytes of a one-page report.

    ``figures`` are (label, value) pairs already formatted for reading;
    ``charts`` are (caption, Vega-Lite spec) pairs. Raises ValueError if the
    content cannot fit on one A4 page.
    """
    rows = "".join(
        f'<tr><td>{html.escape(label)}</td><td class="value">{html.escape(value)}</td></tr>' for label, value in figures
    )
    blocks = []
    for caption, spec in charts:
        svg = base64.b64encode(render(spec, "svg")).decode("ascii")
        blocks.append(
            f"<figure><figcaption>{html.escape(caption)}</figcaption>"
            f'<img src="data:image/svg+xml;base64,{svg}" alt="{html.escape(caption)}"></figure>'
        )
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        f"<style>{_CSS.replace('CHART_HEIGHT', str(_chart_height(len(charts))))}</style></head><body>"
        f'<h1>{html.escape(title)}</h1><p class="subtitle">{html.escape(subtitle)}</p>'
        f'<table class="figures">{rows}</table>'
        f'<div class="charts">{"".join(blocks)}</div></body></html>'
    )
    import weasyprint  # 2 s to import: only when a report is made, not at start-up

    rendered = weasyprint.HTML(string=document).render()
    if len(rendered.pages) != 1:
        raise ValueError(f"the report needs {len(rendered.pages)} pages; use fewer figures or charts to fit one page")
    return rendered.write_pdf()

"""Vega-Lite chart specs for the analytics results, and server-side rendering.

Each builder takes a method result and returns a plain dict (``chart.to_dict()``)
that the pages draw with the vendored vega-embed and that ``render`` turns into
PNG, SVG or PDF with vl-convert (no browser, no network).

Inside Django (the pages, the PDFs) the charts speak the active language: their
titles, axis and legend texts go through gettext, and the spec carries the
language's decimal and thousands separators as its Vega number locale
(``config.locale``), which vega-embed and vl-convert both apply to axis labels and
tooltips. Outside Django (the command line) they stay in English.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import vl_convert as vlc
from django.utils.translation import gettext_noop

from servicecycle.analytics.methods.drivers import DriversResult
from servicecycle.analytics.methods.ipa import IPAResult
from servicecycle.analytics.methods.lifecycle import LifecycleResult
from servicecycle.analytics.methods.nps import NPSResult
from servicecycle.analytics.methods.servqual import ServqualResult

Spec = dict[str, Any]
Format = Literal["png", "svg", "pdf"]

QUADRANT_LABELS = {
    "concentrate_here": gettext_noop("Concentrate here"),
    "keep_up_good_work": gettext_noop("Keep up the good work"),
    "low_priority": gettext_noop("Low priority"),
    "possible_overkill": gettext_noop("Possible overkill"),
}
# the same messages as strategy.models.Stage, so the chart names the stages as the page does
STAGE_LABELS = {
    "introduction": gettext_noop("Introduction"),
    "growth": gettext_noop("Growth"),
    "maturity": gettext_noop("Maturity"),
    "decline": gettext_noop("Decline"),
    "unknown": gettext_noop("Stage not known yet"),
}
STAGE_COLOURS = {
    "introduction": "#6c757d",
    "growth": "#2e7d32",
    "maturity": "#1565c0",
    "decline": "#c62828",
    "unknown": "#9e9e9e",
}


def _(message: str) -> str:
    """``message`` in the active language when Django is set up; as written otherwise (the command line)."""
    from django.conf import settings

    if not settings.configured:
        return message
    from django.utils.translation import gettext

    return gettext(message)


def number_locale() -> Spec | None:
    """The active language's number format as a d3-format locale (Vega's ``config.locale.number``); None outside
    Django. Grouped like the pages' large figures (``force_grouping``), whatever USE_THOUSAND_SEPARATOR says."""
    from django.conf import settings

    if not settings.configured:
        return None
    from django.utils import formats

    grouping = formats.get_format("NUMBER_GROUPING")
    size = grouping if isinstance(grouping, int) and grouping > 0 else 3
    return {
        "decimal": str(formats.get_format("DECIMAL_SEPARATOR")),
        "thousands": str(formats.get_format("THOUSAND_SEPARATOR")),
        "grouping": [size],
        "currency": ["", ""],
        "minus": "-",
    }


def _localized(spec: Spec) -> Spec:
    locale = number_locale()
    if locale is not None:
        spec.setdefault("config", {})["locale"] = {"number": locale}
    return spec


def ipa_chart(result: IPAResult, title: str | None = None) -> Spec:
    """Scatter of attributes with crosshair rules and the four quadrant labels."""
    import altair as alt  # 1 s to import: only when a chart is drawn, not at start-up

    if title is None:
        title = _("Importance-performance")
    rows = [
        {
            "attribute": a.name,
            "importance": a.importance,
            "performance": a.performance,
            "quadrant": _(QUADRANT_LABELS[a.quadrant]),
        }
        for a in result.attributes
    ]
    ci, cp = result.crosshair_importance, result.crosshair_performance
    perf = [float(a.performance) for a in result.attributes] + [cp]
    imp = [float(a.importance) for a in result.attributes] + [ci]
    pad_p = max(0.5, (max(perf) - min(perf)) * 0.15)
    pad_i = max(0.5, (max(imp) - min(imp)) * 0.15)
    x_dom = [min(perf) - pad_p, max(perf) + pad_p]
    y_dom = [min(imp) - pad_i, max(imp) + pad_i]
    x = alt.X("performance:Q", title=_("Performance"), scale=alt.Scale(domain=x_dom, nice=False))
    y = alt.Y("importance:Q", title=_("Importance"), scale=alt.Scale(domain=y_dom, nice=False))
    points = (
        alt.Chart(alt.Data(values=rows))
        .mark_circle(size=90)
        .encode(
            x=x,
            y=y,
            color=alt.Color("quadrant:N", title=_("Quadrant")),
            tooltip=[
                alt.Tooltip("attribute:N", title=_("Attribute")),
                alt.Tooltip("importance:Q", title=_("Importance"), format=".2f"),
                alt.Tooltip("performance:Q", title=_("Performance"), format=".2f"),
            ],
        )
    )
    names = (
        alt.Chart(alt.Data(values=rows)).mark_text(align="left", dx=7, fontSize=11).encode(x=x, y=y, text="attribute:N")
    )
    vrule = alt.Chart(alt.Data(values=[{"performance": cp}])).mark_rule(strokeDash=[4, 4]).encode(x=x)
    hrule = alt.Chart(alt.Data(values=[{"importance": ci}])).mark_rule(strokeDash=[4, 4]).encode(y=y)
    corners = [
        {"performance": x_dom[0], "importance": y_dom[1], "label": _("Concentrate here"), "align": "left"},
        {"performance": x_dom[1], "importance": y_dom[1], "label": _("Keep up the good work"), "align": "right"},
        {"performance": x_dom[0], "importance": y_dom[0], "label": _("Low priority"), "align": "left"},
        {"performance": x_dom[1], "importance": y_dom[0], "label": _("Possible overkill"), "align": "right"},
    ]
    labels = [
        alt.Chart(alt.Data(values=[c]))
        .mark_text(
            align="left" if c["align"] == "left" else "right",
            baseline="top" if c["importance"] == y_dom[1] else "bottom",
            dx=4 if c["align"] == "left" else -4,
            dy=4 if c["importance"] == y_dom[1] else -4,
            color="#555",
            fontStyle="italic",
        )
        .encode(x=x, y=y, text="label:N")
        for c in corners
    ]
    chart = alt.layer(vrule, hrule, *labels, points, names).properties(title=title, width=420, height=320)
    return _localized(chart.to_dict())


def competitor_gap_chart(result: IPAResult, title: str | None = None) -> Spec:
    """Bars of our performance minus the competitor's, per attribute (needs competitor data)."""
    import altair as alt  # 1 s to import: only when a chart is drawn, not at start-up

    if title is None:
        title = _("Performance gap to the competitor")
    rows = [{"attribute": a.name, "gap": a.gap} for a in result.attributes if a.gap is not None]
    if not rows:
        raise ValueError("no attribute has competitor data, so there is no gap to chart")
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            x=alt.X("gap:Q", title=_("Our performance minus the competitor's")),
            y=alt.Y("attribute:N", title=None, sort="-x"),
            color=alt.condition(alt.datum.gap >= 0, alt.value("#2e7d32"), alt.value("#c62828")),
            tooltip=[
                alt.Tooltip("attribute:N", title=_("Attribute")),
                alt.Tooltip("gap:Q", title=_("Gap"), format=".2f"),
            ],
        )
        .properties(title=title, width=420, height=alt.Step(24))
    )
    return _localized(chart.to_dict())


def servqual_chart(result: ServqualResult, title: str = "Expectation and perception by dimension") -> Spec:
    """Grouped bars of mean expectation and perception per SERVQUAL dimension."""
    import altair as alt  # 1 s to import: only when a chart is drawn, not at start-up

    rows = []
    for name in result.dimensions:
        rows.append({"dimension": name, "measure": "Expectation", "score": result.expectations[name]})
        rows.append({"dimension": name, "measure": "Perception", "score": result.perceptions[name]})
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            x=alt.X("dimension:N", title=None, sort=list(result.dimensions)),
            xOffset="measure:N",
            y=alt.Y("score:Q", title="Mean score (1-7)", scale=alt.Scale(domain=[1, 7])),
            color=alt.Color("measure:N", title=None, scale=alt.Scale(range=["#90a4ae", "#1565c0"])),
            tooltip=["dimension:N", "measure:N", alt.Tooltip("score:Q", format=".2f")],
        )
        .properties(title=title, width=420, height=260)
    )
    return chart.to_dict()


def drivers_chart(result: DriversResult, title: str = "Key drivers (share of explained variance)") -> Spec:
    """Horizontal bars of each driver's share of R^2, largest first."""
    import altair as alt  # 1 s to import: only when a chart is drawn, not at start-up

    rows = [{"driver": d.name, "share": d.share or 0.0, "weight": d.weight} for d in result.drivers]
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar(color="#1565c0")
        .encode(
            x=alt.X("share:Q", title=f"% of R² = {result.r2:.2f}"),
            y=alt.Y("driver:N", title=None, sort="-x"),
            tooltip=["driver:N", alt.Tooltip("share:Q", format=".1f"), alt.Tooltip("weight:Q", format=".3f")],
        )
        .properties(title=title, width=420, height=alt.Step(24))
    )
    return chart.to_dict()


def nps_trend_chart(waves: Sequence[tuple[str, NPSResult]], title: str | None = None) -> Spec:
    """NPS per wave (in the given order) with its 95 % interval as a band."""
    import altair as alt  # 1 s to import: only when a chart is drawn, not at start-up

    if not waves:
        raise ValueError("the NPS trend needs at least one wave")
    if title is None:
        title = _("Net Promoter Score by wave")
    order = [label for label, _ in waves]
    rows = [{"wave": label, "nps": r.nps, "lo": r.ci95[0], "hi": r.ci95[1], "n": r.n} for label, r in waves]
    x = alt.X("wave:O", title=_("Wave"), sort=order)
    base = alt.Chart(alt.Data(values=rows))
    band = base.mark_area(opacity=0.25, color="#1565c0").encode(
        x=x, y=alt.Y("lo:Q", title=_("NPS"), scale=alt.Scale(domain=[-100, 100])), y2="hi:Q"
    )
    line = base.mark_line(point=True, color="#1565c0").encode(
        x=x,
        y="nps:Q",
        tooltip=[
            alt.Tooltip("wave:O", title=_("Wave")),
            alt.Tooltip("nps:Q", title=_("NPS"), format=".1f"),
            alt.Tooltip("lo:Q", title=_("Interval low"), format=".1f"),
            alt.Tooltip("hi:Q", title=_("Interval high"), format=".1f"),
            alt.Tooltip("n:Q", title=_("Answers")),
        ],
    )
    return _localized(alt.layer(band, line).properties(title=title, width=420, height=260).to_dict())


def lifecycle_chart(
    result: LifecycleResult,
    title: str | None = None,
    *,
    subtitle: str | None = None,
    stage_labels: Mapping[str, str] | None = None,
) -> Spec:
    """Demand bars coloured by stage, with the fitted Bass curve when there is one.

    ``stage_labels`` names the stages in the legend and tooltips (the page passes its own, ``Stage.choices``);
    ``subtitle`` replaces the Bass figures line, for a page that writes the numbers in its language.
    """
    import altair as alt  # 1 s to import: only when a chart is drawn, not at start-up

    if title is None:
        title = _("Demand and life-cycle stage")
    labels = {key: _(label) for key, label in STAGE_LABELS.items()}
    labels.update({key: str(label) for key, label in (stage_labels or {}).items()})
    order = [p.period for p in result.periods]
    rows = [
        {
            "period": p.period,
            "demand": p.demand,
            "stage": labels[p.stage or "unknown"],
            "fitted": None if result.bass is None else result.bass.fitted[i],
        }
        for i, p in enumerate(result.periods)
    ]
    period, demand, stage_title = _("Period"), _("Demand"), _("Stage")
    x = alt.X("period:O", title=period, sort=order)
    stages = [s for s in STAGE_COLOURS if any(p.stage == s or (s == "unknown" and not p.stage) for p in result.periods)]
    bars = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y("demand:Q", title=demand),
            color=alt.Color(
                "stage:N",
                title=stage_title,
                scale=alt.Scale(domain=[labels[s] for s in stages], range=[STAGE_COLOURS[s] for s in stages]),
            ),
            tooltip=[
                alt.Tooltip("period:O", title=period),
                alt.Tooltip("demand:Q", title=demand, format=",.0f"),
                alt.Tooltip("stage:N", title=stage_title),
            ],
        )
    )
    layers: list[alt.Chart] = [bars]
    if result.bass is not None:
        curve = (
            alt.Chart(alt.Data(values=rows))
            .mark_line(point=alt.OverlayMarkDef(color="#ef6c00"), color="#ef6c00")
            .encode(
                x=x,
                y="fitted:Q",
                tooltip=[
                    alt.Tooltip("period:O", title=period),
                    alt.Tooltip("fitted:Q", title=_("Bass curve"), format=",.1f"),
                ],
            )
        )
        layers.append(curve)
    if subtitle is None:
        subtitle = (
            _("Bass fit: p=%(p)s, q=%(q)s, m=%(m)s")
            % {"p": f"{result.bass.p:.3f}", "q": f"{result.bass.q:.3f}", "m": f"{result.bass.m:,.0f}"}
            if result.bass is not None
            else _("No Bass fit: %(bass_reason)s.") % {"bass_reason": result.bass_reason}
        )
    chart = alt.layer(*layers).properties(title=alt.TitleParams(title, subtitle=subtitle), width=420, height=260)
    return _localized(chart.to_dict())


def render(spec: Spec, fmt: Format) -> bytes:
    """Render a Vega-Lite spec to PNG, SVG or PDF bytes with vl-convert."""
    if fmt == "png":
        return bytes(vlc.vegalite_to_png(spec, scale=2))
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec).encode("utf-8")
    if fmt == "pdf":
        return bytes(vlc.vegalite_to_pdf(spec))
    raise ValueError(f"format must be 'png', 'svg' or 'pdf', got {fmt!r}")

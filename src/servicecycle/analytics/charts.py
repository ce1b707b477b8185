"""Vega-Lite chart specs for the analytics results, and server-side rendering.

Each builder takes a method result and returns a plain dict (``chart.to_dict()``)
that the pages draw with the vendored vega-embed and that ``render`` turns into
PNG, SVG or PDF with vl-convert (no browser, no network).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import vl_convert as vlc

from servicecycle.analytics.methods.drivers import DriversResult
from servicecycle.analytics.methods.ipa import IPAResult
from servicecycle.analytics.methods.lifecycle import LifecycleResult
from servicecycle.analytics.methods.nps import NPSResult
from servicecycle.analytics.methods.servqual import ServqualResult

Spec = dict[str, Any]
Format = Literal["png", "svg", "pdf"]

QUADRANT_LABELS = {
    "concentrate_here": "Concentrate here",
    "keep_up_good_work": "Keep up the good work",
    "low_priority": "Low priority",
    "possible_overkill": "Possible overkill",
}
STAGE_COLOURS = {
    "introduction": "#6c757d",
    "growth": "#2e7d32",
    "maturity": "#1565c0",
    "decline": "#c62828",
    "unknown": "#9e9e9e",
}


def ipa_chart(result: IPAResult, title: str = "Importance-performance") -> Spec:
    """Scatter of attributes with crosshair rules and the four quadrant labels."""
    import altair as alt  # 1 s to import: only when a chart is drawn, not at start-up

    rows = [
        {
            "attribute": a.name,
            "importance": a.importance,
            "performance": a.performance,
            "quadrant": QUADRANT_LABELS[a.quadrant],
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
    x = alt.X("performance:Q", title="Performance", scale=alt.Scale(domain=x_dom, nice=False))
    y = alt.Y("importance:Q", title="Importance", scale=alt.Scale(domain=y_dom, nice=False))
    points = (
        alt.Chart(alt.Data(values=rows))
        .mark_circle(size=90)
        .encode(
            x=x,
            y=y,
            color=alt.Color("quadrant:N", title="Quadrant"),
            tooltip=["attribute:N", "importance:Q", "performance:Q"],
        )
    )
    names = (
        alt.Chart(alt.Data(values=rows)).mark_text(align="left", dx=7, fontSize=11).encode(x=x, y=y, text="attribute:N")
    )
    vrule = alt.Chart(alt.Data(values=[{"performance": cp}])).mark_rule(strokeDash=[4, 4]).encode(x=x)
    hrule = alt.Chart(alt.Data(values=[{"importance": ci}])).mark_rule(strokeDash=[4, 4]).encode(y=y)
    corners = [
        {"performance": x_dom[0], "importance": y_dom[1], "label": "Concentrate here", "align": "left"},
        {"performance": x_dom[1], "importance": y_dom[1], "label": "Keep up the good work", "align": "right"},
        {"performance": x_dom[0], "importance": y_dom[0], "label": "Low priority", "align": "left"},
        {"performance": x_dom[1], "importance": y_dom[0], "label": "Possible overkill", "align": "right"},
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
    return chart.to_dict()


def competitor_gap_chart(result: IPAResult, title: str = "Performance gap to the competitor") -> Spec:
    """Bars of our performance minus the competitor's, per attribute (needs competitor data)."""
    import altair as alt  # 1 s to import: only when a chart is drawn, not at start-up

    rows = [{"attribute": a.name, "gap": a.gap} for a in result.attributes if a.gap is not None]
    if not rows:
        raise ValueError("no attribute has competitor data, so there is no gap to chart")
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            x=alt.X("gap:Q", title="Our performance - competitor's"),
            y=alt.Y("attribute:N", title=None, sort="-x"),
            color=alt.condition(alt.datum.gap >= 0, alt.value("#2e7d32"), alt.value("#c62828")),
            tooltip=["attribute:N", alt.Tooltip("gap:Q", format=".2f")],
        )
        .properties(title=title, width=420, height=alt.Step(24))
    )
    return chart.to_dict()


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


def nps_trend_chart(waves: Sequence[tuple[str, NPSResult]], title: str = "Net Promoter Score by wave") -> Spec:
    """NPS per wave (in the given order) with its 95 % interval as a band."""
    import altair as alt  # 1 s to import: only when a chart is drawn, not at start-up

    if not waves:
        raise ValueError("the NPS trend needs at least one wave")
    order = [label for label, _ in waves]
    rows = [{"wave": label, "nps": r.nps, "lo": r.ci95[0], "hi": r.ci95[1], "n": r.n} for label, r in waves]
    x = alt.X("wave:O", title="Wave", sort=order)
    base = alt.Chart(alt.Data(values=rows))
    band = base.mark_area(opacity=0.25, color="#1565c0").encode(
        x=x, y=alt.Y("lo:Q", title="NPS", scale=alt.Scale(domain=[-100, 100])), y2="hi:Q"
    )
    line = base.mark_line(point=True, color="#1565c0").encode(
        x=x,
        y="nps:Q",
        tooltip=["wave:O", alt.Tooltip("nps:Q", format=".1f"), "lo:Q", "hi:Q", "n:Q"],
    )
    return alt.layer(band, line).properties(title=title, width=420, height=260).to_dict()


def lifecycle_chart(result: LifecycleResult, title: str = "Demand and life-cycle stage") -> Spec:
    """Demand bars coloured by stage, with the fitted Bass curve when there is one."""
    import altair as alt  # 1 s to import: only when a chart is drawn, not at start-up

    order = [p.period for p in result.periods]
    rows = [
        {
            "period": p.period,
            "demand": p.demand,
            "stage": p.stage or "unknown",
            "fitted": None if result.bass is None else result.bass.fitted[i],
        }
        for i, p in enumerate(result.periods)
    ]
    x = alt.X("period:O", title="Period", sort=order)
    stages = [s for s in STAGE_COLOURS if any(r["stage"] == s for r in rows)]
    bars = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y("demand:Q", title="Demand"),
            color=alt.Color(
                "stage:N",
                title="Stage",
                scale=alt.Scale(domain=stages, range=[STAGE_COLOURS[s] for s in stages]),
            ),
            tooltip=["period:O", "demand:Q", "stage:N"],
        )
    )
    layers: list[alt.Chart] = [bars]
    if result.bass is not None:
        curve = (
            alt.Chart(alt.Data(values=rows))
            .mark_line(point=alt.OverlayMarkDef(color="#ef6c00"), color="#ef6c00")
            .encode(x=x, y="fitted:Q", tooltip=["period:O", alt.Tooltip("fitted:Q", format=".1f")])
        )
        layers.append(curve)
    subtitle = (
        f"Bass fit: p={result.bass.p:.3f}, q={result.bass.q:.3f}, m={result.bass.m:,.0f}"
        if result.bass is not None
        else f"No Bass fit: {result.bass_reason}"
    )
    chart = alt.layer(*layers).properties(title=alt.TitleParams(title, subtitle=subtitle), width=420, height=260)
    return chart.to_dict()


def render(spec: Spec, fmt: Format) -> bytes:
    """Render a Vega-Lite spec to PNG, SVG or PDF bytes with vl-convert."""
    if fmt == "png":
        return bytes(vlc.vegalite_to_png(spec, scale=2))
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec).encode("utf-8")
    if fmt == "pdf":
        return bytes(vlc.vegalite_to_pdf(spec))
    raise ValueError(f"format must be 'png', 'svg' or 'pdf', got {fmt!r}")

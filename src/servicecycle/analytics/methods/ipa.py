"""Importance-performance analysis (IPA).

Martilla, J. A. & James, J. C. (1977) "Importance-Performance Analysis",
Journal of Marketing 41(1): 77-79. Per attribute, the mean importance and mean
performance are plotted; the crosshair sits at the grand means (the mean of the
attribute means) or, as an option, at the scale midpoint (1 + scale) / 2.

    importance >= crosshair, performance <  crosshair -> concentrate_here
    importance >= crosshair, performance >= crosshair -> keep_up_good_work
    importance <  crosshair, performance <  crosshair -> low_priority
    importance <  crosshair, performance >= crosshair -> possible_overkill

Competitor variant: gap = our mean performance - the competitor's mean
performance on the same attribute (None without competitor data).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from servicecycle.analytics.methods import MethodInputError

Crosshair = Literal["mean", "midpoint"]
QUADRANTS = ("concentrate_here", "keep_up_good_work", "low_priority", "possible_overkill")


@dataclass(frozen=True)
class AttributeSums:
    """Per-attribute sums and counts, e.g. from ``SUM(...)``/``COUNT(...)`` in SQL."""

    name: str
    importance_sum: float
    importance_n: int
    performance_sum: float
    performance_n: int
    competitor_sum: float = 0.0
    competitor_n: int = 0


@dataclass(frozen=True)
class IPAAttribute:
    name: str
    importance: float
    performance: float
    quadrant: str
    competitor_performance: float | None
    gap: float | None


@dataclass(frozen=True)
class IPAResult:
    crosshair_method: str
    crosshair_importance: float
    crosshair_performance: float
    attributes: tuple[IPAAttribute, ...]


def quadrant(importance: float, performance: float, cross_i: float, cross_p: float) -> str:
    """Name of the IPA quadrant of one attribute (ties count as high)."""
    if importance >= cross_i:
        return "keep_up_good_work" if performance >= cross_p else "concentrate_here"
    return "possible_overkill" if performance >= cross_p else "low_priority"


def ipa_from_sums(
    attributes: Sequence[AttributeSums], crosshair: Crosshair = "mean", scale: int | None = None
) -> IPAResult:
    """IPA from per-attribute sums and counts (the SQL-friendly entry point)."""
    if not attributes:
        raise MethodInputError("IPA needs at least one attribute")
    if crosshair not in ("mean", "midpoint"):
        raise MethodInputError(f"crosshair must be 'mean' or 'midpoint', got {crosshair!r}")
    names = [a.name for a in attributes]
    if len(set(names)) != len(names):
        raise MethodInputError("each attribute may appear only once in the sums")
    means: list[tuple[str, float, float, float | None]] = []
    for a in attributes:
        if a.importance_n <= 0 or a.performance_n <= 0:
            raise MethodInputError(f"attribute {a.name!r} needs at least one importance and one performance")
        comp = a.competitor_sum / a.competitor_n if a.competitor_n > 0 else None
        means.append((a.name, a.importance_sum / a.importance_n, a.performance_sum / a.performance_n, comp))
    if crosshair == "midpoint":
        if scale is None or scale < 2:
            raise MethodInputError("the midpoint crosshair needs the answer scale (e.g. scale=7 for 1..7)")
        cross_i = cross_p = (1 + scale) / 2
    else:
        cross_i = math.fsum(m[1] for m in means) / len(means)
        cross_p = math.fsum(m[2] for m in means) / len(means)
    rows = tuple(
        IPAAttribute(
            name=name,
            importance=imp,
            performance=perf,
            quadrant=quadrant(imp, perf, cross_i, cross_p),
            competitor_performance=comp,
            gap=None if comp is None else perf - comp,
        )
        for name, imp, perf, comp in means
    )
    return IPAResult(crosshair, cross_i, cross_p, rows)


def ipa(
    attribute: Sequence[str],
    importance: Sequence[float],
    performance: Sequence[float],
    competitor_performance: Sequence[float | None] | None = None,
    crosshair: Crosshair = "mean",
    scale: int | None = None,
) -> IPAResult:
    """IPA from long-format answers: one row per (respondent, attribute).

    ``competitor_performance`` may hold None/NaN where a respondent did not
    rate the competitor. With ``scale`` given, every value must lie in 1..scale.
    Attributes keep the order of their first appearance.
    """
    n = len(attribute)
    if n == 0:
        raise MethodInputError("IPA needs at least one answer row")
    if len(importance) != n or len(performance) != n:
        raise MethodInputError("attribute, importance and performance must have the same length")
    if competitor_performance is not None and len(competitor_performance) != n:
        raise MethodInputError("competitor_performance must have one value per row (None where missing)")
    acc: dict[str, list[float]] = {}
    for i in range(n):
        name = str(attribute[i])
        if not name.strip():
            raise MethodInputError(f"row {i + 1}: the attribute name is empty")
        imp = _value(importance[i], i, "importance", scale)
        perf = _value(performance[i], i, "performance", scale)
        slot = acc.setdefault(name, [0.0, 0, 0.0, 0, 0.0, 0])
        slot[0] += imp
        slot[1] += 1
        slot[2] += perf
        slot[3] += 1
        if competitor_performance is not None:
            raw = competitor_performance[i]
            if raw is not None and not (isinstance(raw, float) and math.isnan(raw)):
                slot[4] += _value(raw, i, "competitor_performance", scale)
                slot[5] += 1
    sums = [AttributeSums(k, v[0], int(v[1]), v[2], int(v[3]), v[4], int(v[5])) for k, v in acc.items()]
    return ipa_from_sums(sums, crosshair=crosshair, scale=scale)


def _value(raw: object, i: int, what: str, scale: int | None) -> float:
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise MethodInputError(f"row {i + 1}: {what} {raw!r} is not a number") from exc
    if not math.isfinite(value):
        raise MethodInputError(f"row {i + 1}: {what} is missing or not finite")
    if scale is not None and not 1 <= value <= scale:
        raise MethodInputError(f"row {i + 1}: {what} {value:g} is outside the 1..{scale} scale")
    return value

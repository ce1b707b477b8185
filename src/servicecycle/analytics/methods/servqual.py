"""SERVQUAL gap scores.

Parasuraman, Zeithaml & Berry (1988) "SERVQUAL: A Multiple-Item Scale for
Measuring Consumer Perceptions of Service Quality", Journal of Retailing 64(1):
12-40, with the point-allocation weights of Parasuraman, Berry & Zeithaml (1991)
"Refinement and Reassessment of the SERVQUAL Scale", Journal of Retailing 67(4).

22 items asked as expectation E and perception P on 1..7.
    item gap_i       = mean over respondents of (P_i - E_i)
    dimension gap    = mean of its item gaps
                       (tangibles 1-4, reliability 5-9, responsiveness 10-13,
                        assurance 14-17, empathy 18-22)
    overall          = mean of the five dimension gaps
    weighted overall = mean over respondents r of sum_d (W_rd / 100) gap_rd,
                       gap_rd = respondent r's mean P - E over dimension d's items
Negative gaps mean the service falls short of what customers expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from servicecycle.analytics.methods import MethodInputError
from servicecycle.analytics.methods._common import as_matrix

ITEMS = 22
DIMENSIONS: dict[str, tuple[int, ...]] = {
    "tangibles": (1, 2, 3, 4),
    "reliability": (5, 6, 7, 8, 9),
    "responsiveness": (10, 11, 12, 13),
    "assurance": (14, 15, 16, 17),
    "empathy": (18, 19, 20, 21, 22),
}


@dataclass(frozen=True)
class ServqualResult:
    n: int
    items: tuple[float, ...]  # gap of item 1..22 at index 0..21
    dimensions: dict[str, float]
    expectations: dict[str, float]  # mean E per dimension (mean of item means)
    perceptions: dict[str, float]  # mean P per dimension
    overall: float
    weighted_overall: float | None


def _scores(values: Any, what: str) -> NDArray[np.float64]:
    data = as_matrix(values, what, ITEMS)
    missing = np.argwhere(np.isnan(data))
    if missing.size:
        r, c = missing[0]
        raise MethodInputError(f"{what}: respondent {r + 1}, item {c + 1} has no answer")
    outside = np.argwhere((data < 1) | (data > 7))
    if outside.size:
        r, c = outside[0]
        raise MethodInputError(f"{what}: respondent {r + 1}, item {c + 1} is {data[r, c]:g}, outside the 1..7 scale")
    return data


def _dimension_means(per_item: NDArray[np.float64]) -> NDArray[np.float64]:
    """Mean over each dimension's items; works on (22,) and (n, 22) arrays."""
    return np.stack([per_item[..., [i - 1 for i in items]].mean(axis=-1) for items in DIMENSIONS.values()], axis=-1)


def servqual(expectations: Any, perceptions: Any, weights: Any | None = None) -> ServqualResult:
    """SERVQUAL item, dimension, overall and (with weights) weighted gaps.

    ``expectations`` and ``perceptions`` are n x 22 tables on 1..7; ``weights``
    an optional n x 5 table of points per dimension (in the order tangibles,
    reliability, responsiveness, assurance, empathy) summing to 100 per row.
    """
    e = _scores(expectations, "expectations")
    p = _scores(perceptions, "perceptions")
    if e.shape != p.shape:
        raise MethodInputError(
            f"expectations and perceptions need the same respondents: {e.shape[0]} vs {p.shape[0]} rows"
        )
    gaps = p - e
    item_gaps = gaps.mean(axis=0)
    dim_gaps = _dimension_means(item_gaps)
    names = list(DIMENSIONS)
    weighted: float | None = None
    if weights is not None:
        w = as_matrix(weights, "dimension weights", len(names))
        if w.shape[0] != e.shape[0]:
            raise MethodInputError(
                f"weights need one row per respondent: {w.shape[0]} rows for {e.shape[0]} respondents"
            )
        if np.isnan(w).any() or (w < 0).any():
            r = int(np.argwhere(np.isnan(w) | (w < 0))[0][0])
            raise MethodInputError(f"weights: respondent {r + 1} has a missing or negative weight")
        off = np.flatnonzero(~np.isclose(w.sum(axis=1), 100.0, rtol=0, atol=1e-6))
        if off.size:
            r = off[0]
            raise MethodInputError(f"weights: respondent {r + 1}'s points sum to {w[r].sum():g}, they must sum to 100")
        weighted = float(((w / 100.0) * _dimension_means(gaps)).sum(axis=1).mean())
    return ServqualResult(
        n=e.shape[0],
        items=tuple(float(g) for g in item_gaps),
        dimensions=dict(zip(names, (float(g) for g in dim_gaps), strict=True)),
        expectations=dict(zip(names, (float(v) for v in _dimension_means(e.mean(axis=0))), strict=True)),
        perceptions=dict(zip(names, (float(v) for v in _dimension_means(p.mean(axis=0))), strict=True)),
        overall=float(dim_gaps.mean()),
        weighted_overall=weighted,
    )

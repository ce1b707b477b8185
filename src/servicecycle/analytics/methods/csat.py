"""Customer Satisfaction score (CSAT) as a top-two-box share.

CSAT = 100 x / n, where x is the number of answers in the two highest boxes of
a 1..scale rating (4-5 on a 5-point scale). The 95 % interval is the Wilson
(1927) score interval, which stays inside [0, 100] and behaves well near 0 % and
100 % (Newcombe 1998, "Two-sided confidence intervals for the single
proportion", Statistics in Medicine 17: 857-872, method 3):

    centre = (x + z^2/2) / (n + z^2)
    half   = z sqrt(x (n - x) / n + z^2 / 4) / (n + z^2)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from servicecycle.analytics.methods import MethodInputError
from servicecycle.analytics.methods._common import Z95, as_whole_scores, check_count


@dataclass(frozen=True)
class CSATResult:
    n: int
    top_two: int
    csat: float
    ci95: tuple[float, float]


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion, as fractions in [0, 1]."""
    if n <= 0:
        raise MethodInputError("a proportion needs at least one answer (n >= 1)")
    denom = n + z * z
    centre = (successes + z * z / 2) / denom
    half = z * math.sqrt(successes * (n - successes) / n + z * z / 4) / denom
    # At x = 0 or x = n the limit is exactly 0 or 1; pin it against rounding.
    lower = 0.0 if successes == 0 else max(0.0, centre - half)
    upper = 1.0 if successes == n else min(1.0, centre + half)
    return lower, upper


def csat_from_counts(top_two: int, n: int) -> CSATResult:
    """CSAT from the count of top-two-box answers and the number of answers."""
    x = check_count(top_two, "top_two")
    total = check_count(n, "n")
    if total == 0:
        raise MethodInputError("CSAT needs at least one answer (n is 0)")
    if x > total:
        raise MethodInputError(f"top_two ({x}) cannot exceed the number of answers n ({total})")
    lo, hi = wilson_interval(x, total)
    return CSATResult(n=total, top_two=x, csat=100.0 * x / total, ci95=(100.0 * lo, 100.0 * hi))


def csat(ratings: Sequence[int] | NDArray[np.integer], scale: int = 5) -> CSATResult:
    """CSAT of ratings on a 1..scale scale: % of answers equal to scale-1 or scale."""
    if isinstance(scale, bool) or not isinstance(scale, int | np.integer) or scale < 3:
        raise MethodInputError(f"the CSAT scale must be a whole number of at least 3 points, got {scale!r}")
    values = as_whole_scores(ratings, 1, int(scale), "CSAT ratings")
    return csat_from_counts(int(np.count_nonzero(values >= scale - 1)), values.size)

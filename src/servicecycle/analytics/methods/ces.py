"""Customer Effort Score (CES): the mean effort rating with a t interval.

Dixon, Freeman & Toman (2010) "Stop Trying to Delight Your Customers", Harvard
Business Review 88(7) introduced the score; the CES 2.0 wording asks for
agreement on a 1..7 scale. The interval is the textbook Student t interval of a
mean:  mean +/- t(0.975; n-1) s / sqrt(n), with s the sample SD (ddof = 1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from servicecycle.analytics.methods import MethodInputError
from servicecycle.analytics.methods._common import as_whole_scores, check_count


@dataclass(frozen=True)
class CESResult:
    n: int
    mean: float
    sd: float
    ci95: tuple[float, float]


def ces(scores: Sequence[int] | NDArray[np.integer], scale: int = 7) -> CESResult:
    """Mean effort on a 1..scale scale, its sample SD and 95 % t interval."""
    if isinstance(scale, bool) or not isinstance(scale, int | np.integer) or scale < 2:
        raise MethodInputError(f"the CES scale must be a whole number of at least 2 points, got {scale!r}")
    values = as_whole_scores(scores, 1, int(scale), "CES scores").astype(np.float64)
    if values.size < 2:
        raise MethodInputError("CES needs at least 2 answers to estimate its spread and interval")
    return mean_interval(values)


def ces_from_sums(n: int, total: float, sum_of_squares: float, scale: int = 7) -> CESResult:
    """CES from the number of answers, their sum and their sum of squares (what SQL aggregates return).

    mean = total / n;  s^2 = (n sum_of_squares - total^2) / (n (n - 1)), exact when the sums are
    whole numbers, as sums of whole scores are; then the same t interval as ``ces``.
    """
    count = check_count(n, "n")
    if isinstance(scale, bool) or not isinstance(scale, int | np.integer) or scale < 2:
        raise MethodInputError(f"the CES scale must be a whole number of at least 2 points, got {scale!r}")
    if count < 2:
        raise MethodInputError("CES needs at least 2 answers to estimate its spread and interval")
    numerator = count * sum_of_squares - total * total
    if not (math.isfinite(numerator) and count <= total <= count * scale):
        raise MethodInputError(
            f"the sum of {count} scores on 1..{scale} must lie in {count}..{count * scale}, got {total!r}"
        )
    if numerator < 0:
        raise MethodInputError("the sum of squares is smaller than the sum allows; the sums do not match")
    return _t_interval(count, total / count, math.sqrt(numerator / (count * (count - 1))))


def mean_interval(values: Sequence[float] | NDArray[np.floating]) -> CESResult:
    """Mean, sample SD and 95 % Student t interval of any list of numbers (n >= 2)."""
    data = np.asarray(values, dtype=np.float64)
    n = data.size
    if n < 2:
        raise MethodInputError("a t interval needs at least 2 values")
    return _t_interval(n, float(data.mean()), float(data.std(ddof=1)))


def _t_interval(n: int, mean: float, sd: float) -> CESResult:
    from scipy.special import stdtrit  # scipy loads slowly; import on use

    half = float(stdtrit(n - 1, 0.975)) * sd / math.sqrt(n)
    return CESResult(n=n, mean=mean, sd=sd, ci95=(mean - half, mean + half))

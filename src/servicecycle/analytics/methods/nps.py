"""Net Promoter Score with its sampling error.

Source: Reichheld, F. (2003) "The One Number You Need to Grow", Harvard Business
Review 81(12) for the score; the standard error is the one of a mean of scores
coded +1 (promoter, 9-10), 0 (passive, 7-8) and -1 (detractor, 0-6) under
multinomial sampling:

    NPS = 100 (p - d),   SE = 100 sqrt((p + d - (p - d)^2) / n)

with p and d the shares of promoters and detractors among n answers.
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
class NPSResult:
    n: int
    promoters: int
    passives: int
    detractors: int
    nps: float
    se: float
    ci95: tuple[float, float]


@dataclass(frozen=True)
class NPSChange:
    """Change from wave ``a`` to wave ``b`` (difference = b - a)."""

    nps_a: float
    nps_b: float
    difference: float
    se: float
    z: float | None
    p_value: float | None
    ci95: tuple[float, float]


def nps_from_counts(promoters: int, passives: int, detractors: int) -> NPSResult:
    """NPS from the three group counts (what an SQL ``GROUP BY`` returns).

    NPS = 100 (p - d); SE = 100 sqrt((p + d - (p - d)^2) / n);
    95 % interval = NPS +/- 1.96 SE, clipped to [-100, 100].
    """
    pro = check_count(promoters, "promoters")
    pas = check_count(passives, "passives")
    det = check_count(detractors, "detractors")
    n = pro + pas + det
    if n == 0:
        raise MethodInputError("NPS needs at least one answer; all three counts are zero")
    p, d = pro / n, det / n
    score = 100.0 * (p - d)
    variance = max(p + d - (p - d) ** 2, 0.0)
    se = 100.0 * math.sqrt(variance / n)
    lo = max(-100.0, score - Z95 * se)
    hi = min(100.0, score + Z95 * se)
    return NPSResult(n=n, promoters=pro, passives=pas, detractors=det, nps=score, se=se, ci95=(lo, hi))


def nps(scores: Sequence[int] | NDArray[np.integer]) -> NPSResult:
    """NPS of answers on the 0-10 "how likely are you to recommend" scale.

    Promoters answer 9-10, passives 7-8, detractors 0-6 (Reichheld 2003).
    Raises MethodInputError for an empty list or a score that is not a whole
    number 0..10.
    """
    values = as_whole_scores(scores, 0, 10, "NPS scores")
    promoters = int(np.count_nonzero(values >= 9))
    detractors = int(np.count_nonzero(values <= 6))
    return nps_from_counts(promoters, values.size - promoters - detractors, detractors)


def _as_result(wave: NPSResult | Sequence[int] | NDArray[np.integer]) -> NPSResult:
    return wave if isinstance(wave, NPSResult) else nps(wave)


def nps_change(
    a: NPSResult | Sequence[int] | NDArray[np.integer],
    b: NPSResult | Sequence[int] | NDArray[np.integer],
) -> NPSChange:
    """Two-sided z test of a change in NPS between two independent waves.

    difference = NPS_b - NPS_a; SE = sqrt(SE_a^2 + SE_b^2); z = difference / SE;
    p = 2 (1 - Phi(|z|)); 95 % interval = difference +/- 1.96 SE (a change lies
    in [-200, 200]). When both waves have SE 0 (every answer in one group) the
    test is undefined and z and p are None.
    """
    from scipy.special import ndtr  # scipy loads slowly; only this test needs it

    ra, rb = _as_result(a), _as_result(b)
    diff = rb.nps - ra.nps
    se = math.sqrt(ra.se**2 + rb.se**2)
    if se > 0:
        z: float | None = diff / se
        p_value: float | None = float(2.0 * ndtr(-abs(diff / se)))
    else:
        z = p_value = None
    ci = (max(-200.0, diff - Z95 * se), min(200.0, diff + Z95 * se))
    return NPSChange(nps_a=ra.nps, nps_b=rb.nps, difference=diff, se=se, z=z, p_value=p_value, ci95=ci)

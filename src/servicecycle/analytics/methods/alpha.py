"""Cronbach's alpha with the Feldt confidence interval.

Cronbach, L. J. (1951) "Coefficient alpha and the internal structure of tests",
Psychometrika 16: 297-334:

    alpha = k / (k - 1) * (1 - sum of item variances / variance of the total)

with sample variances (ddof = 1) over the n respondents who answered every item
(listwise deletion).

Interval: Feldt (1965), Psychometrika 30: 357-370, in the form of Feldt,
Woodruff & Salih (1987), Applied Psychological Measurement 11: 93-103. The
statistic (1 - alpha_pop) / (1 - alpha) follows F with n - 1 and (n - 1)(k - 1)
degrees of freedom, so the 95 % limits are

    lower = 1 - (1 - alpha) F(0.975; n - 1, (n - 1)(k - 1))
    upper = 1 - (1 - alpha) F(0.025; n - 1, (n - 1)(k - 1))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from servicecycle.analytics.methods import MethodInputError
from servicecycle.analytics.methods._common import as_matrix


@dataclass(frozen=True)
class AlphaResult:
    n: int
    k: int
    alpha: float
    ci95: tuple[float, float]


def feldt_interval(alpha: float, n: int, k: int, level: float = 0.95) -> tuple[float, float]:
    """Feldt (1965) interval for coefficient alpha from n respondents and k items."""
    if n < 2 or k < 2:
        raise MethodInputError("the alpha interval needs at least 2 respondents and 2 items")
    if not 0 < level < 1:
        raise MethodInputError(f"confidence level must lie between 0 and 1, got {level}")
    from scipy.special import fdtri  # scipy loads slowly; import on use

    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = (1 - level) / 2
    lower = 1 - (1 - alpha) * float(fdtri(df1, df2, 1 - tail))
    upper = 1 - (1 - alpha) * float(fdtri(df1, df2, tail))
    return lower, upper


def cronbach_alpha(matrix: Any) -> AlphaResult:
    """Cronbach's alpha of a respondents x items table (NaN = no answer)."""
    data = as_matrix(matrix, "alpha items")
    k = data.shape[1]
    if k < 2:
        raise MethodInputError(f"alpha needs at least 2 items (columns), got {k}")
    complete = data[~np.isnan(data).any(axis=1)]
    n = complete.shape[0]
    if n < 2:
        raise MethodInputError(f"alpha needs at least 2 respondents who answered every item; {n} did")
    item_var = complete.var(axis=0, ddof=1)
    total_var = complete.sum(axis=1).var(ddof=1)
    if total_var == 0:
        raise MethodInputError("alpha is undefined: every respondent has the same total score")
    alpha = k / (k - 1) * (1 - item_var.sum() / total_var)
    return AlphaResult(n=n, k=k, alpha=float(alpha), ci95=feldt_interval(float(alpha), n, k))

"""Service life-cycle stage (Polli & Cook) and Bass diffusion fit.

Stage: Polli, R. & Cook, V. (1969) "Validity of the Product Life Cycle",
Journal of Business 42(4): 385-400. Per period t,

    change_t = 100 (d_t - d_{t-1}) / d_{t-1}          (None for the first period)
    sigma    = sqrt(mean of change_t^2)                (SD centred on zero)
    growth if change_t > 0.5 sigma, decline if change_t < -0.5 sigma, else maturity.

With ``from_launch`` the periods before the first growth period are
"introduction" (the service has no earlier history). The overall stage is the
last period's.

Diffusion: Bass, F. M. (1969) "A New Product Growth for Model Consumer
Durables", Management Science 15(5): 215-227, fitted by non-linear least
squares on per-period adoptions as in Srinivasan, V. & Mason, C. H. (1986)
"Nonlinear Least Squares Estimation of New Product Diffusion Models",
Marketing Science 5(2): 169-178:

    F(t) = (1 - exp(-(p+q) t)) / (1 + (q/p) exp(-(p+q) t))
    adoptions_t = m (F(t) - F(t-1)),   t = 1, 2, ... (t = 0 opens period 1)
    peak time t* = ln(q/p) / (p+q)      (None when q <= p: sales peak at launch)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

from servicecycle.analytics.methods import MethodInputError
from servicecycle.analytics.methods._common import as_vector

MIN_BASS_PERIODS = 3
_MAX_MARKET_MULTIPLE = 1000.0  # m may be at most this many times the demand seen so far
_MIN_IDENTIFIED = 1e-3  # smallest/largest singular value of the relative Jacobian


@dataclass(frozen=True)
class PeriodStage:
    period: str
    demand: float
    change: float | None
    stage: str | None


@dataclass(frozen=True)
class BassFit:
    p: float
    q: float
    m: float
    peak: float | None
    fitted: tuple[float, ...]
    rmse: float


@dataclass(frozen=True)
class LifecycleResult:
    stage: str | None
    sigma: float
    periods: tuple[PeriodStage, ...]
    bass: BassFit | None
    bass_reason: str | None  # why ``bass`` is None


def classify(change: float | None, sigma: float) -> str | None:
    """Polli & Cook stage of one period's % change against sigma."""
    if change is None:
        return None
    if change > 0.5 * sigma:
        return "growth"
    if change < -0.5 * sigma:
        return "decline"
    return "maturity"


def bass_cumulative(t: NDArray[np.float64] | float, p: float, q: float) -> NDArray[np.float64]:
    """Bass cumulative adoption share F(t)."""
    e = np.exp(-(p + q) * np.asarray(t, dtype=np.float64))
    return (1 - e) / (1 + (q / p) * e)


def bass_adoptions(periods: int, p: float, q: float, m: float) -> NDArray[np.float64]:
    """Expected adoptions in periods 1..``periods``: m (F(t) - F(t-1))."""
    return m * np.diff(bass_cumulative(np.arange(periods + 1, dtype=np.float64), p, q))


def fit_bass(demand: Sequence[float] | NDArray[np.float64]) -> tuple[BassFit | None, str | None]:
    """Fit p, q, m to per-period demand; returns (fit, None) or (None, reason).

    Least squares over a small grid of starting points with bounds p, q > 0 and
    total demand <= m <= 1000 x total demand. No estimate is returned when there
    are too few periods, no demand, when m runs to its upper bound (the data
    show no slowdown), or when the fit is not identified (the Jacobian of the
    curve in relative terms is nearly singular).
    """
    from scipy.optimize import least_squares  # imported here: it is slow to load

    d = as_vector(demand, "demand")
    if d.size < MIN_BASS_PERIODS:
        return None, f"the Bass model needs at least {MIN_BASS_PERIODS} periods, got {d.size}"
    total = float(d.sum())
    if total <= 0:
        return None, "there is no demand to fit"
    y = d / total
    t = np.arange(d.size + 1, dtype=np.float64)

    def residuals(theta: NDArray[np.float64]) -> NDArray[np.float64]:
        p, q, scale = theta
        return scale * np.diff(bass_cumulative(t, p, q)) - y

    best = None
    for p0 in (0.005, 0.03, 0.1):
        for q0 in (0.1, 0.4, 1.0):
            for s0 in (1.2, 2.0, 5.0):
                try:
                    res = least_squares(
                        residuals,
                        x0=[p0, q0, s0],
                        bounds=([1e-6, 1e-6, 1.0], [1.0, 5.0, _MAX_MARKET_MULTIPLE]),
                        method="trf",
                        x_scale="jac",
                        max_nfev=50,
                    )
                except (ValueError, FloatingPointError):
                    continue
                if np.isfinite(res.cost) and (best is None or res.cost < best.cost):
                    best = res
    if best is None:
        return None, "the least-squares fit did not converge"
    p, q, scale = (float(v) for v in best.x)
    if scale > 0.99 * _MAX_MARKET_MULTIPLE:
        return None, "demand shows no slowdown yet, so the market size cannot be estimated"
    # Relative sensitivities of the fitted curve to p, q and m: when they are close
    # to linearly dependent, many (p, q, m) fit equally well (a flat or purely
    # exponential history) and any single estimate would be arbitrary.
    singular = np.linalg.svd(best.jac * best.x, compute_uv=False)
    if singular[-1] < _MIN_IDENTIFIED * singular[0]:
        return None, "the demand history does not pin down p, q and m (too flat or still purely exponential)"
    m = scale * total
    fitted = bass_adoptions(d.size, p, q, m)
    peak = math.log(q / p) / (p + q) if q > p else None
    rmse = float(np.sqrt(np.mean((fitted - d) ** 2)))
    return BassFit(p=p, q=q, m=m, peak=peak, fitted=tuple(float(v) for v in fitted), rmse=rmse), None


def lifecycle(
    periods: Sequence[object], demand: Sequence[float] | NDArray[np.float64], from_launch: bool = False
) -> LifecycleResult:
    """Life-cycle stage per period and overall, plus the Bass fit.

    ``periods`` are labels in time order (e.g. years), ``demand`` the real
    demand of each period (>= 0). A change after a period with zero demand is
    undefined (None) and is left out of sigma.
    """
    d = as_vector(demand, "demand")
    labels = [str(p) for p in periods]
    if len(labels) != d.size:
        raise MethodInputError(f"{len(labels)} periods but {d.size} demand values")
    if len(set(labels)) != len(labels):
        raise MethodInputError("each period may appear only once")
    negative = np.flatnonzero(d < 0)
    if negative.size:
        raise MethodInputError(f"demand cannot be negative (period {labels[negative[0]]!r})")
    if d.size < 2:
        raise MethodInputError("a life-cycle stage needs at least 2 periods of demand")
    changes: list[float | None] = [None]
    for prev, cur in pairwise(d):
        changes.append(float(100.0 * (cur - prev) / prev) if prev > 0 else None)
    known = [c for c in changes if c is not None]
    if not known:
        raise MethodInputError("no period-to-period change can be computed (earlier demand is zero)")
    sigma = math.sqrt(math.fsum(c * c for c in known) / len(known))
    stages = [classify(c, sigma) for c in changes]
    if from_launch:
        first_growth = next((i for i, s in enumerate(stages) if s == "growth"), len(stages))
        stages[:first_growth] = ["introduction"] * first_growth
    rows = tuple(
        PeriodStage(period=lab, demand=float(v), change=c, stage=s)
        for lab, v, c, s in zip(labels, d, changes, stages, strict=True)
    )
    bass, reason = fit_bass(d)
    return LifecycleResult(stage=stages[-1], sigma=sigma, periods=rows, bass=bass, bass_reason=reason)

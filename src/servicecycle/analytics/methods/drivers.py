"""Key-driver analysis: how much of R^2 each predictor accounts for.

Two decompositions of the R^2 of a linear regression of a target (e.g. overall
satisfaction) on its drivers, both computed from the correlation matrix only:

* LMG / Shapley value: Lindeman, Merenda & Gold (1980) "Introduction to
  Bivariate and Multivariate Analysis", p. 119ff, as in Groemping (2006)
  "Relative Importance for Linear Regression in R: The Package relaimpo",
  Journal of Statistical Software 17(1). For p predictors,

      LMG_j = sum over subsets S of the others  |S|! (p - |S| - 1)! / p!
              * (R^2(S + j) - R^2(S)),     R^2(S) = r_S' R_SS^-1 r_S

  with R_SS the predictors' correlations and r_S their correlations with the
  target. All 2^p subsets are solved at once per subset size, so the method is
  exact and practical up to 15 predictors.

* Relative weights: Johnson, J. W. (2000) "A Heuristic Method for Estimating
  the Relative Weight of Predictor Variables in Multiple Regression",
  Multivariate Behavioral Research 35(1): 1-19. With R_xx = V L V',
  Lambda = V L^1/2 V', beta = Lambda^-1 r_xy and eps_j = sum_k Lambda_jk^2 beta_k^2.

Both sets of weights sum to the full-model R^2; share_j = 100 weight_j / R^2.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from servicecycle.analytics.methods import MethodInputError

Method = Literal["relative_weights", "lmg"]
MAX_LMG_PREDICTORS = 15


@dataclass(frozen=True)
class Driver:
    name: str
    weight: float
    share: float | None  # None only when R^2 is exactly 0


@dataclass(frozen=True)
class DriversResult:
    method: str
    n: int
    r2: float
    drivers: tuple[Driver, ...]


def correlation_matrix(x: Any, y: Any) -> tuple[NDArray[np.float64], int]:
    """Correlation matrix of [y, x_1..x_p] after listwise deletion, and its n."""
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    if xs.ndim == 1:
        xs = xs[:, None]
    if xs.ndim != 2 or ys.ndim != 1 or xs.shape[0] != ys.shape[0]:
        raise MethodInputError("predictors must be an n x p table and the target a list of the same n values")
    data = np.column_stack((ys, xs))
    # Column means through a matrix-vector product (much faster than a strided
    # mean); a gap anywhere makes them non-finite, and only then are rows dropped.
    mean = np.ones(data.shape[0]) @ data / data.shape[0]
    if not np.isfinite(mean).all():
        data = data[np.isfinite(data).all(axis=1)]
        mean = data.mean(axis=0) if data.shape[0] else mean
    n = data.shape[0]
    data -= mean
    cross = data.T @ data
    sd = np.sqrt(np.diag(cross))
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant column gives NaN, checked later
        return cross / np.outer(sd, sd), n


def subset_r2(rxx: NDArray[np.float64], rxy: NDArray[np.float64]) -> NDArray[np.float64]:
    """R^2 of every subset of predictors, indexed by bitmask (bit j = predictor j)."""
    p = rxy.size
    masks = np.arange(1 << p)
    sizes = np.bitwise_count(masks)
    members = ((masks[:, None] >> np.arange(p)) & 1).astype(bool)
    r2 = np.zeros(1 << p)
    for k in range(1, p + 1):
        chosen = masks[sizes == k]
        idx = np.nonzero(members[chosen])[1].reshape(chosen.size, k)
        a = rxx[idx[:, :, None], idx[:, None, :]]
        b = rxy[idx]
        solution = np.linalg.solve(a, b[:, :, None])[:, :, 0]
        r2[chosen] = np.einsum("ij,ij->i", b, solution)
    return r2


def lmg_weights(rxx: NDArray[np.float64], rxy: NDArray[np.float64]) -> NDArray[np.float64]:
    """LMG (Shapley) shares of R^2 from the correlation matrix, exact over all subsets."""
    p = rxy.size
    if p > MAX_LMG_PREDICTORS:
        raise MethodInputError(
            f"LMG is exact over all 2^p subsets and limited to {MAX_LMG_PREDICTORS} predictors; "
            f"got {p}. Use relative weights or fewer predictors."
        )
    r2 = subset_r2(rxx, rxy)
    masks = np.arange(1 << p)
    sizes = np.bitwise_count(masks)
    coef = np.array([math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p) for s in range(p)])
    weights = np.empty(p)
    for j in range(p):
        bit = 1 << j
        without = masks[(masks & bit) == 0]
        weights[j] = np.dot(coef[sizes[without]], r2[without | bit] - r2[without])
    return weights


def relative_weights(rxx: NDArray[np.float64], rxy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Johnson's (2000) relative weights from the correlation matrix."""
    values, vectors = np.linalg.eigh(rxx)
    lam = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    beta = np.linalg.solve(lam, rxy)
    return (lam**2) @ (beta**2)


def drivers_from_correlations(
    corr: Any, names: Sequence[str], n: int, method: Method = "relative_weights"
) -> DriversResult:
    """Key drivers from a correlation matrix whose first row/column is the target."""
    r = np.asarray(corr, dtype=np.float64)
    p = len(names)
    if r.shape != (p + 1, p + 1):
        raise MethodInputError(f"the correlation matrix must be {p + 1} x {p + 1} (target first)")
    if p < 1:
        raise MethodInputError("key-driver analysis needs at least one predictor")
    if n < p + 2:
        raise MethodInputError(f"{p} predictors need at least {p + 2} complete rows, got {n}")
    if not np.isfinite(r).all():
        raise MethodInputError("the correlations are undefined: the target or a predictor has no variation")
    rxx, rxy = r[1:, 1:], r[1:, 0]
    smallest = float(np.linalg.eigvalsh(rxx)[0])
    if smallest < 1e-10:
        raise MethodInputError(
            "the predictors are perfectly collinear (one is a combination of others); drop the redundant one"
        )
    if method == "lmg":
        weights = lmg_weights(rxx, rxy)
    elif method == "relative_weights":
        weights = relative_weights(rxx, rxy)
    else:
        raise MethodInputError(f"method must be 'relative_weights' or 'lmg', got {method!r}")
    r2 = float(rxy @ np.linalg.solve(rxx, rxy))
    drivers = tuple(
        Driver(name=str(name), weight=float(w), share=100.0 * float(w) / r2 if r2 > 0 else None)
        for name, w in zip(names, weights, strict=True)
    )
    return DriversResult(method=method, n=int(n), r2=r2, drivers=drivers)


def key_drivers(
    x: Any, y: Any, names: Sequence[str] | None = None, method: Method = "relative_weights"
) -> DriversResult:
    """Key drivers of ``y`` among the columns of ``x`` (rows with a gap are dropped).

    Returns n (complete rows), the full-model R^2 and, per predictor in input
    order, its weight (a part of R^2) and share (% of R^2).
    """
    xs = np.asarray(x, dtype=np.float64)
    p = 1 if xs.ndim == 1 else xs.shape[-1]
    labels = [f"x{j + 1}" for j in range(p)] if names is None else [str(s) for s in names]
    if len(labels) != p:
        raise MethodInputError(f"{len(labels)} names given for {p} predictors")
    corr, n = correlation_matrix(xs, y)
    if not np.isfinite(corr[0]).all():
        raise MethodInputError("the target has no variation (every value is the same)")
    flat = [labels[j] for j in range(p) if not np.isfinite(corr[j + 1, j + 1])]
    if flat:
        raise MethodInputError(f"predictor {flat[0]!r} has no variation (every value is the same)")
    return drivers_from_correlations(corr, labels, n, method)

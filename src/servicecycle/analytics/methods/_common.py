"""Small input checks shared by the method modules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from servicecycle.analytics.methods import MethodInputError

Z95 = 1.96  # two-sided 95 % normal quantile, rounded as in the formulas the product documents


def as_vector(values: Sequence[Any] | NDArray[Any], what: str) -> NDArray[np.float64]:
    """Return ``values`` as a finite 1-D float array, or raise MethodInputError."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise MethodInputError(f"{what} must be numbers") from exc
    if arr.ndim != 1:
        raise MethodInputError(f"{what} must be a flat list of numbers, got shape {arr.shape}")
    if arr.size == 0:
        raise MethodInputError(f"{what}: no values given; at least one answer is needed")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise MethodInputError(f"{what}: value at position {bad[0] + 1} is missing or not a finite number")
    return arr


def as_whole_scores(values: Sequence[Any] | NDArray[Any], low: int, high: int, what: str) -> NDArray[np.int64]:
    """Return ``values`` as integers in ``low..high`` or raise, naming the first bad position."""
    arr = as_vector(values, what)
    not_whole = np.flatnonzero(arr != np.round(arr))
    if not_whole.size:
        i = not_whole[0]
        raise MethodInputError(f"{what} must be whole numbers {low}..{high}; position {i + 1} is {arr[i]:g}")
    outside = np.flatnonzero((arr < low) | (arr > high))
    if outside.size:
        i = outside[0]
        raise MethodInputError(f"{what} must be within {low}..{high}; position {i + 1} is {arr[i]:g}")
    return arr.astype(np.int64)


def as_matrix(values: Any, what: str, columns: int | None = None) -> NDArray[np.float64]:
    """Return ``values`` as a 2-D float array (NaN allowed), checking the column count."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise MethodInputError(f"{what} must be a table of numbers") from exc
    if arr.ndim != 2:
        raise MethodInputError(f"{what} must be a table (rows x columns), got shape {arr.shape}")
    if columns is not None and arr.shape[1] != columns:
        raise MethodInputError(f"{what} must have {columns} columns, got {arr.shape[1]}")
    if arr.shape[0] == 0:
        raise MethodInputError(f"{what}: no rows given")
    if np.isinf(arr).any():
        raise MethodInputError(f"{what} contains an infinite value")
    return arr


def check_count(value: Any, what: str) -> int:
    """Return ``value`` as a non-negative int or raise."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if isinstance(value, bool) or not number.is_integer() or number < 0:
        raise MethodInputError(f"{what} must be a whole number >= 0, got {value!r}")
    return int(number)

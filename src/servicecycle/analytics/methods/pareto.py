"""Pareto analysis: which few categories account for most of the cases.

Juran named the idea "the vital few and the trivial many" (J. M. Juran, *Quality Control Handbook*,
McGraw-Hill, 1951, section 2) and drew it as a Pareto chart: categories as bars in descending order of
count, with a line of the cumulative share (K. Ishikawa, *Guide to Quality Control*, Asian Productivity
Organization, 1976, chapter 5). With counts c_1 >= c_2 >= ... >= c_k and N = sum c_i:

    share_i      = c_i / N
    cumulative_i = (c_1 + ... + c_i) / N

The "vital few" are the categories from the largest down to, and including, the first one whose cumulative
share reaches the cut-off (80 % by convention). Equal counts are ordered by name so the result is stable.
Categories with a count of 0 are kept (at the end) but never belong to the vital few.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from servicecycle.analytics.methods import MethodInputError
from servicecycle.analytics.methods._common import check_count

VITAL_FEW_SHARE = 0.8


@dataclass(frozen=True)
class ParetoRow:
    label: str
    count: int
    share: float  # 0..1
    cumulative: float  # 0..1
    vital: bool


@dataclass(frozen=True)
class ParetoResult:
    total: int
    rows: tuple[ParetoRow, ...]
    cutoff: float

    @property
    def vital_few(self) -> tuple[ParetoRow, ...]:
        return tuple(r for r in self.rows if r.vital)


def pareto(counts: Iterable[tuple[str, int]], cutoff: float = VITAL_FEW_SHARE) -> ParetoResult:
    """Sort (label, count) pairs into a Pareto table with shares, cumulative shares and the vital few."""
    if isinstance(cutoff, bool) or not isinstance(cutoff, int | float) or not 0 < cutoff <= 1:
        raise MethodInputError(f"the vital-few cut-off must be a share in (0, 1], got {cutoff!r}")
    pairs: list[tuple[str, int]] = []
    seen: set[str] = set()
    for position, pair in enumerate(counts, start=1):
        try:
            label, count = pair
        except (TypeError, ValueError):
            raise MethodInputError(f"entry {position} must be a (category, count) pair") from None
        label = str(label)
        if label in seen:
            raise MethodInputError(f"category {label!r} is given twice; add its counts together first")
        seen.add(label)
        pairs.append((label, check_count(count, f"the count of {label!r}")))
    if not pairs:
        raise MethodInputError("a Pareto analysis needs at least one category")
    total = sum(c for _, c in pairs)
    if total == 0:
        raise MethodInputError("a Pareto analysis needs at least one counted case (all counts are 0)")
    pairs.sort(key=lambda p: (-p[1], p[0]))
    rows: list[ParetoRow] = []
    running = 0
    reached = False
    for label, count in pairs:
        running += count
        cumulative = running / total
        vital = not reached and count > 0
        # compare in whole counts so 0.8 * total does not suffer from rounding
        if vital and running >= cutoff * total - 1e-9 * total:
            reached = True
        rows.append(ParetoRow(label=label, count=count, share=count / total, cumulative=cumulative, vital=vital))
    return ParetoResult(total=total, rows=tuple(rows), cutoff=float(cutoff))

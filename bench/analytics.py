"""Benchmarks for servicecycle's analytics methods.

Run:  .venv/bin/python bench/analytics.py            (every section)
      .venv/bin/python bench/analytics.py --only lmg (one section)

Each section prints one line per comparison and returns True when its target is
met; the script exits 1 if any target is missed. Add a section by writing a
function that returns bool and listing it in SECTIONS.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from servicecycle.analytics.methods.drivers import key_drivers


def best_time(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Fastest of ``repeat`` runs (seconds) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def section_lmg(rows: int = 100_000, predictors: int = 10, target: float = 10.0) -> bool:
    """LMG on 100,000 rows x 10 correlated predictors vs pingouin's relimp."""
    import pandas as pd
    import pingouin as pg

    rng = np.random.default_rng(20240601)
    mix = rng.normal(scale=0.4, size=(predictors, predictors)) + np.eye(predictors)
    x = rng.normal(size=(rows, predictors)) @ mix
    y = x @ rng.uniform(0.1, 1.0, predictors) + rng.normal(scale=3.0, size=rows)
    names = [f"x{i + 1}" for i in range(predictors)]
    frame = pd.DataFrame(x, columns=names)

    ours_s, ours = best_time(lambda: key_drivers(x, y, names, method="lmg"), repeat=5)
    ref_s, ref = best_time(lambda: pg.linear_regression(frame, y, relimp=True), repeat=3)
    ours_w = np.array([d.weight for d in ours.drivers])  # type: ignore[union-attr]
    ref_w = ref["relimp"].to_numpy()[1:]  # type: ignore[index]
    diff = float(np.max(np.abs(ours_w - ref_w)))
    if diff > 1e-8:
        print(f"lmg: results differ from pingouin by {diff:.2e} (allowed 1e-8)")
        return False
    ratio = ref_s / ours_s
    ok = ratio >= target
    print(
        f"lmg: servicecycle {ours_s:.3f} s, pingouin {ref_s:.3f} s, ratio {ratio:.1f}x "
        f"(target >= {target:g}x){'' if ok else '  MISSED'}  [max |diff| {diff:.1e}]"
    )
    return ok


SECTIONS: dict[str, Callable[[], bool]] = {
    "lmg": section_lmg,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(SECTIONS), action="append", help="run only this section")
    args = parser.parse_args(argv)
    chosen = args.only or list(SECTIONS)
    results = [SECTIONS[name]() for name in chosen]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())

import itertools
import math

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicecycle.analytics.methods import MethodInputError
from servicecycle.analytics.methods.drivers import drivers_from_correlations, key_drivers


def _reorder(r, target):
    idx = [target] + [i for i in range(len(r)) if i != target]
    return np.asarray(r)[np.ix_(idx, idx)]


def test_published_relative_weights_iopsych():
    # R package iopsych, relWt() help page example (Johnson 2000 relative weights):
    # predictors 1-4, criterion 5 -> eps 0.24066119 0.05492664 0.12143476 0.28158189.
    rs = np.array(
        [
            [1.0, 0.2, 0.3, 0.4, -0.4],
            [0.2, 1.0, 0.5, 0.1, 0.1],
            [0.3, 0.5, 1.0, 0.2, -0.3],
            [0.4, 0.1, 0.2, 1.0, 0.4],
            [-0.4, 0.1, -0.3, 0.4, 1.0],
        ]
    )
    r = drivers_from_correlations(_reorder(rs, 4), ["1", "2", "3", "4"], n=100)
    assert [d.weight for d in r.drivers] == pytest.approx([0.24066119, 0.05492664, 0.12143476, 0.28158189], abs=1e-8)
    assert r.r2 == pytest.approx(sum(d.weight for d in r.drivers))


def test_published_relative_weights_npm_example():
    # npm package johnsons-relative-weights, README example: 7 x 7 correlation matrix,
    # dependent variable first; raw relative weights and R^2 = 0.6620304789821244.
    rs = np.array(
        [
            [1.00, 0.66, 0.67, 0.54, 0.68, 0.62, 0.72],
            [0.66, 1.00, 0.58, 0.59, 0.68, 0.68, 0.56],
            [0.67, 0.58, 1.00, 0.52, 0.60, 0.62, 0.68],
            [0.54, 0.59, 0.52, 1.00, 0.52, 0.61, 0.45],
            [0.68, 0.68, 0.60, 0.52, 1.00, 0.63, 0.62],
            [0.62, 0.68, 0.62, 0.61, 0.63, 1.00, 0.57],
            [0.72, 0.56, 0.68, 0.45, 0.62, 0.57, 1.00],
        ]
    )
    r = drivers_from_correlations(rs, list("abcdef"), n=50)
    assert r.r2 == pytest.approx(0.6620304789821244, abs=1e-12)
    published = [
        0.10774831782516386,
        0.1164837573016094,
        0.06551431494877613,
        0.12116711335808825,
        0.08006198853448922,
        0.1710549870139989,
    ]
    assert [d.weight for d in r.drivers] == pytest.approx(published, abs=1e-12)
    rescaled = [
        16.275431607141037,
        17.594923647730514,
        9.895966579892931,
        18.302346675093172,
        12.093399182706055,
        25.837932307436496,
    ]
    assert [d.share for d in r.drivers] == pytest.approx(rescaled, abs=1e-9)


def _data(seed, n, p):
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(p, p)) * 0.5 + np.eye(p)
    x = rng.normal(size=(n, p)) @ mix
    y = x @ rng.normal(size=p) + rng.normal(scale=2.0, size=n)
    return x, y


@pytest.mark.parametrize(("seed", "p"), [(1, 2), (2, 4), (3, 6), (4, 9)])
def test_lmg_matches_pingouin_relimp(seed, p):
    x, y = _data(seed, 300, p)
    names = [f"x{i}" for i in range(p)]
    ours = key_drivers(x, y, names, method="lmg")
    ref = pg.linear_regression(pd.DataFrame(x, columns=names), y, relimp=True)
    assert [d.weight for d in ours.drivers] == pytest.approx(ref["relimp"].to_numpy()[1:], abs=1e-8)
    assert ours.r2 == pytest.approx(ref["r2"].iloc[0], abs=1e-8)


def _r2_by_refit(x, y, cols):
    design = np.column_stack([np.ones(len(y))] + [x[:, c] for c in cols])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ beta
    return 1 - resid @ resid / ((y - y.mean()) @ (y - y.mean()))


def test_lmg_equals_average_over_orderings_by_refitting():
    # Second formulation: average, over all p! orders of entry, the R^2 gained when a
    # predictor enters, with each R^2 from an ordinary least-squares refit on the rows.
    x, y = _data(7, 120, 4)
    p = x.shape[1]
    gains = np.zeros(p)
    for order in itertools.permutations(range(p)):
        seen: list[int] = []
        for j in order:
            gains[j] += _r2_by_refit(x, y, [*seen, j]) - _r2_by_refit(x, y, seen)
            seen.append(j)
    gains /= math.factorial(p)
    ours = key_drivers(x, y, method="lmg")
    assert [d.weight for d in ours.drivers] == pytest.approx(gains, abs=1e-10)


def test_missing_rows_are_dropped():
    x, y = _data(8, 50, 3)
    x2 = x.copy()
    x2[3, 1] = np.nan
    y2 = y.copy()
    y2[10] = np.nan
    r = key_drivers(x2, y2, method="lmg")
    keep = np.ones(50, bool)
    keep[[3, 10]] = False
    assert r.n == 48
    full = key_drivers(x[keep], y[keep], method="lmg")
    assert r.r2 == pytest.approx(full.r2, abs=1e-12)
    assert [d.weight for d in r.drivers] == pytest.approx([d.weight for d in full.drivers], abs=1e-12)


def test_large_offsets_keep_full_precision():
    # A mean far above the spread takes the centring path; the result must not move.
    x, y = _data(12, 200, 3)
    a = key_drivers(x, y, method="lmg")
    b = key_drivers(x + 1e7, y - 5e8, method="lmg")
    assert b.r2 == pytest.approx(a.r2, abs=1e-9)
    assert [d.weight for d in b.drivers] == pytest.approx([d.weight for d in a.drivers], abs=1e-9)


def test_invalid_inputs():
    x, y = _data(9, 30, 3)
    with pytest.raises(MethodInputError, match="no variation"):
        key_drivers(np.column_stack([x, np.ones(30)]), y)
    with pytest.raises(MethodInputError, match="collinear"):
        key_drivers(np.column_stack([x, x[:, 0] + x[:, 1]]), y)
    with pytest.raises(MethodInputError, match="complete rows"):
        key_drivers(x[:4], y[:4])
    with pytest.raises(MethodInputError, match="no variation"):
        key_drivers(x, np.ones(30))
    with pytest.raises(MethodInputError, match="15 predictors"):
        key_drivers(*_data(1, 100, 16), method="lmg")
    with pytest.raises(MethodInputError):
        key_drivers(x, y, method="nope")  # type: ignore[arg-type]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 7), st.sampled_from(["lmg", "relative_weights"]))
def test_weights_sum_to_r2_and_shares_to_100(seed, p, method):
    x, y = _data(seed, 40, p)
    r = key_drivers(x, y, method=method)
    assert sum(d.weight for d in r.drivers) == pytest.approx(r.r2, abs=1e-10)
    assert sum(d.share for d in r.drivers) == pytest.approx(100.0, abs=1e-8)
    assert all(d.weight >= -1e-12 for d in r.drivers)
    assert 0 <= r.r2 <= 1

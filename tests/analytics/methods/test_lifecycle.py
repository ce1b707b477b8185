import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicecycle.analytics.methods import MethodInputError
from servicecycle.analytics.methods.lifecycle import (
    bass_adoptions,
    bass_cumulative,
    classify,
    fit_bass,
    lifecycle,
)


def test_worked_polli_cook_example():
    # demand 100, 150, 180, 180, 171, 120: changes +50, +20, 0, -5, -29.82...
    demand = [100, 150, 180, 180, 171, 120]
    r = lifecycle(range(2019, 2025), demand)
    changes = [p.change for p in r.periods]
    assert changes[0] is None
    assert changes[1:] == pytest.approx([50.0, 20.0, 0.0, -5.0, -100 * 51 / 171])
    sigma = math.sqrt((50**2 + 20**2 + 0 + 5**2 + (100 * 51 / 171) ** 2) / 5)
    assert r.sigma == pytest.approx(sigma)  # 27.62...; 0.5 sigma = 13.81
    assert [p.stage for p in r.periods] == [None, "growth", "growth", "maturity", "maturity", "decline"]
    assert r.stage == "decline"
    assert r.periods[0].period == "2019"


def test_from_launch_marks_introduction_until_first_growth():
    demand = [10, 10.5, 11, 30, 60, 70]
    plain = lifecycle(range(6), demand)
    launched = lifecycle(range(6), demand, from_launch=True)
    assert [p.stage for p in plain.periods][:3] == [None, "maturity", "maturity"]
    assert [p.stage for p in launched.periods] == [
        "introduction",
        "introduction",
        "introduction",
        "growth",
        "growth",
        "maturity",
    ]


def test_zero_demand_makes_the_next_change_undefined():
    r = lifecycle(["a", "b", "c", "d"], [0, 5, 10, 10])
    assert [p.change for p in r.periods] == [None, None, 100.0, 0.0]
    assert r.sigma == pytest.approx(math.sqrt(100**2 / 2))


@pytest.mark.parametrize(
    ("periods", "demand"),
    [
        ([1], [5]),
        ([1, 2], [5, -1]),
        ([1, 1], [5, 6]),
        ([1, 2, 3], [1, 2]),
        ([1, 2], [0, 0]),
        ([1, 2], [1, np.nan]),
    ],
)
def test_invalid_input(periods, demand):
    with pytest.raises(MethodInputError):
        lifecycle(periods, demand)


@settings(max_examples=80, deadline=None)
@given(st.floats(-500, 500), st.floats(0.001, 500))
def test_stage_thresholds(change, sigma):
    stage = classify(change, sigma)
    if change > 0.5 * sigma:
        assert stage == "growth"
    elif change < -0.5 * sigma:
        assert stage == "decline"
    else:
        assert stage == "maturity"


def test_bass_closed_form_matches_its_differential_equation():
    # Bass (1969) eq.: f(t) = (p + q F(t)) (1 - F(t)); check F' numerically.
    p, q = 0.03, 0.38
    t = np.linspace(0.5, 20, 40)
    h = 1e-6
    deriv = (bass_cumulative(t + h, p, q) - bass_cumulative(t - h, p, q)) / (2 * h)
    big_f = bass_cumulative(t, p, q)
    assert deriv == pytest.approx((p + q * big_f) * (1 - big_f), rel=1e-6)


def test_bass_recovers_known_parameters():
    truth = bass_adoptions(14, 0.02, 0.45, 5000.0)
    fit, reason = fit_bass(truth)
    assert reason is None and fit is not None
    assert (fit.p, fit.q, fit.m) == pytest.approx((0.02, 0.45, 5000.0), rel=1e-4)
    assert fit.peak == pytest.approx(math.log(0.45 / 0.02) / 0.47, rel=1e-4)


def test_bass_room_air_conditioners():
    # Bass (1969), Management Science 15(5): 215-227: room air conditioner first
    # purchases 1949-1961 (thousands), with Bass's regression estimates
    # m = 16,895, p = 0.0104, q = 0.4186. (Data and estimates quoted from the paper
    # as widely reproduced; the non-linear least-squares fit of Srinivasan & Mason
    # (1986) differs from Bass's OLS estimates but lies close to them.)
    sales = [96, 195, 238, 380, 1045, 1230, 1267, 1828, 1586, 1673, 1800, 1580, 1500]
    fit, reason = fit_bass(sales)
    assert reason is None and fit is not None
    assert fit.p == pytest.approx(0.0104, abs=0.004)
    assert fit.q == pytest.approx(0.4186, rel=0.15)
    assert fit.m == pytest.approx(16895, rel=0.15)
    # Least squares: no worse than Bass's own parameters on the same criterion.
    at_bass = bass_adoptions(len(sales), 0.0104, 0.4186, 16895)
    assert fit.rmse <= math.sqrt(np.mean((at_bass - np.array(sales)) ** 2))
    assert fit.peak == pytest.approx(math.log(fit.q / fit.p) / (fit.p + fit.q))


def test_bass_refuses_too_few_periods_and_unbounded_markets():
    assert fit_bass([5, 9]) == (None, "the Bass model needs at least 3 periods, got 2")
    fit, reason = fit_bass([1, 1, 1, 1, 1, 1, 1, 1])
    assert fit is None and "pin down" in reason
    fit, reason = fit_bass([1, 2, 4, 8, 16, 32])
    assert fit is None and reason is not None
    r = lifecycle([1, 2], [5, 9])
    assert r.bass is None and "3 periods" in r.bass_reason


def test_peak_is_none_when_q_not_above_p():
    fit, _ = fit_bass(bass_adoptions(10, 0.3, 0.1, 1000.0))
    assert fit is not None
    assert fit.q <= fit.p and fit.peak is None

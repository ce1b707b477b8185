import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicecycle.analytics.methods import MethodInputError
from servicecycle.analytics.methods.nps import nps, nps_change, nps_from_counts


def test_published_counts_talkstats_thread():
    # talkstats.com thread "Net Promoter Score - Calculating Confidence Intervals and
    # Margin of Error" (2014): 1162 answers, 291 promoters, 476 passives, 395
    # detractors, reported there as NPS -9 (25 % promoters, 41 % passives, 34 % detractors).
    r = nps_from_counts(291, 476, 395)
    assert r.n == 1162
    assert round(r.nps) == -9
    assert round(100 * r.promoters / r.n) == 25
    assert round(100 * r.detractors / r.n) == 34


def test_published_rule_of_thumb_width():
    # Engelhardt (2016), "Net Promoter Score confidence intervals 2: maths and stats",
    # CYBAEA: with a third each of promoters, passives and detractors the 95 % interval
    # is about 320 / sqrt(n) wide, i.e. 10 points for n = 1024.
    r = nps_from_counts(1024 // 3 + 1, 1024 // 3, 1024 // 3)
    width = r.ci95[1] - r.ci95[0]
    assert width == pytest.approx(320 / math.sqrt(1024), rel=0.01)
    assert width == pytest.approx(10.0, abs=0.05)


def test_scores_and_counts_give_the_same_result():
    scores = [10, 9, 9, 8, 7, 6, 0, 3, 10, 10]
    r = nps(scores)
    assert (r.promoters, r.passives, r.detractors) == (5, 2, 3)
    assert r == nps_from_counts(5, 2, 3)
    assert r.nps == pytest.approx(20.0)


def test_se_equals_sd_of_coded_scores_over_sqrt_n():
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 11, 500)
    coded = np.where(scores >= 9, 1.0, np.where(scores <= 6, -1.0, 0.0))
    r = nps(scores)
    assert r.nps == pytest.approx(100 * coded.mean())
    assert r.se == pytest.approx(100 * coded.std(ddof=0) / math.sqrt(coded.size))
    assert r.ci95 == pytest.approx((r.nps - 1.96 * r.se, r.nps + 1.96 * r.se))


def test_interval_is_clipped_to_the_scale():
    r = nps([10, 10, 10, 10, 9, 8])
    assert r.ci95[1] == 100.0


@pytest.mark.parametrize("bad", [[], [11], [-1], [7.5], [float("nan")]])
def test_invalid_scores_raise(bad):
    with pytest.raises(MethodInputError):
        nps(bad)


def test_empty_message_is_clear():
    with pytest.raises(ValueError, match="no values"):
        nps([])


def test_counts_must_not_all_be_zero():
    with pytest.raises(MethodInputError):
        nps_from_counts(0, 0, 0)
    with pytest.raises(MethodInputError):
        nps_from_counts(-1, 2, 3)


def test_change_between_waves_matches_independent_z_test():
    a = [10] * 40 + [8] * 30 + [3] * 30
    b = [10] * 55 + [8] * 25 + [3] * 20
    ch = nps_change(a, b)
    ra, rb = nps(a), nps(b)
    assert ch.difference == pytest.approx(rb.nps - ra.nps) == pytest.approx(25.0)
    se = math.sqrt(ra.se**2 + rb.se**2)
    assert ch.se == pytest.approx(se)
    assert ch.z == pytest.approx(25.0 / se)
    assert ch.p_value == pytest.approx(math.erfc(abs(25.0 / se) / math.sqrt(2)))
    assert ch.ci95 == pytest.approx((25.0 - 1.96 * se, 25.0 + 1.96 * se))


def test_change_is_undefined_without_spread():
    ch = nps_change([10, 10], [0, 0])
    assert ch.difference == -200.0
    assert ch.z is None and ch.p_value is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=200))
def test_nps_bounds_and_interval(scores):
    r = nps(scores)
    assert -100 <= r.ci95[0] <= r.nps <= r.ci95[1] <= 100
    assert r.promoters + r.passives + r.detractors == len(scores)
    assert r.se >= 0


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 10), min_size=1, max_size=80),
    st.lists(st.integers(0, 10), min_size=1, max_size=80),
)
def test_change_is_antisymmetric(a, b):
    ab, ba = nps_change(a, b), nps_change(b, a)
    assert ab.difference == pytest.approx(-ba.difference)
    assert ab.se == pytest.approx(ba.se)
    if ab.p_value is not None:
        assert ab.p_value == pytest.approx(ba.p_value)

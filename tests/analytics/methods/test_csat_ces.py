import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from servicecycle.analytics.methods import MethodInputError
from servicecycle.analytics.methods.ces import ces, ces_from_sums, mean_interval
from servicecycle.analytics.methods.csat import csat, csat_from_counts, wilson_interval


@pytest.mark.parametrize(
    ("x", "n", "lo", "hi"),
    [
        # Newcombe (1998), Statistics in Medicine 17: 857-872, Table II, method 3 (Wilson score).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_published_examples(x, n, lo, hi):
    got = wilson_interval(x, n)
    assert got == pytest.approx((lo, hi), abs=6e-5)


def test_csat_top_two_boxes():
    r = csat([5, 4, 3, 2, 1, 5, 5, 4, 1, 2], scale=5)
    assert (r.n, r.top_two) == (10, 5)
    assert r.csat == 50.0
    assert r == csat_from_counts(5, 10)
    seven = csat([7, 6, 5, 5], scale=7)
    assert seven.csat == 50.0


def test_csat_interval_matches_statsmodels_wilson():
    rng = np.random.default_rng(5)
    for _ in range(20):
        n = int(rng.integers(1, 400))
        x = int(rng.integers(0, n + 1))
        lo, hi = proportion_confint(x, n, alpha=0.05, method="wilson")
        # statsmodels uses z = 1.95996...; the product documents z = 1.96.
        assert csat_from_counts(x, n).ci95 == pytest.approx((100 * lo, 100 * hi), abs=0.01)


@pytest.mark.parametrize(("ratings", "scale"), [([6], 5), ([0], 5), ([4.5], 5), ([], 5), ([3], 2)])
def test_csat_rejects_bad_input(ratings, scale):
    with pytest.raises(MethodInputError):
        csat(ratings, scale=scale)


def test_csat_counts_validation():
    with pytest.raises(MethodInputError):
        csat_from_counts(5, 4)
    with pytest.raises(MethodInputError):
        csat_from_counts(0, 0)


def test_t_interval_published_sleep_data():
    # Student (1908), Biometrika 6: 1-25, Cushny & Peebles' extra sleep for drug 1
    # (R's `sleep` data, group 1); R's t.test on it reports mean 0.75 and
    # 95 % CI -0.5297804 to 2.0297804.
    extra = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
    r = mean_interval(extra)
    assert r.mean == pytest.approx(0.75)
    assert r.ci95 == pytest.approx((-0.5297804, 2.0297804), abs=1e-7)


def test_ces_mean_sd_interval():
    r = ces([1, 2, 3, 4, 5, 6, 7], scale=7)
    assert (r.n, r.mean) == (7, 4.0)
    assert r.sd == pytest.approx(np.std([1, 2, 3, 4, 5, 6, 7], ddof=1))
    assert r.ci95[0] < 4.0 < r.ci95[1]


@pytest.mark.parametrize("scores", [[5], [8, 1], [0, 3]])
def test_ces_rejects_bad_input(scores):
    with pytest.raises(MethodInputError):
        ces(scores, scale=7)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 500), st.integers(1, 500))
def test_csat_bounds(x, n):
    x = min(x, n)
    r = csat_from_counts(x, n)
    assert 0 <= r.ci95[0] <= r.csat <= r.ci95[1] <= 100


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 7), min_size=2, max_size=400))
def test_ces_from_sums_equals_ces_of_the_same_scores(scores):
    values = np.asarray(scores)
    r = ces_from_sums(values.size, int(values.sum()), int((values * values).sum()))
    expected = ces(scores)
    assert r.n == expected.n
    assert r.mean == pytest.approx(expected.mean, rel=0, abs=1e-12)
    assert r.sd == pytest.approx(expected.sd, rel=0, abs=1e-9)
    assert r.ci95 == pytest.approx(expected.ci95, rel=0, abs=1e-9)


def test_ces_from_sums_of_a_worked_example():
    # 2, 4, 4, 6: n 4, sum 16, sum of squares 72 -> mean 4, s^2 = (4*72 - 256) / 12 = 8/3
    r = ces_from_sums(4, 16, 72)
    assert (r.n, r.mean) == (4, 4.0)
    assert r.sd == pytest.approx(np.sqrt(8 / 3), abs=1e-15)
    assert r == ces([2, 4, 4, 6])


@pytest.mark.parametrize(
    ("n", "total", "squares", "scale"),
    [(1, 3, 9, 7), (0, 0, 0, 7), (3, 2, 2, 7), (3, 22, 162, 7), (3, 9, 20, 7), (3, 9, 27, 1), (-2, 4, 8, 7)],
)
def test_ces_from_sums_rejects_sums_no_scores_can_give(n, total, squares, scale):
    with pytest.raises(MethodInputError):
        ces_from_sums(n, total, squares, scale=scale)

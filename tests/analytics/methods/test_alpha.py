import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from servicecycle.analytics.methods import MethodInputError
from servicecycle.analytics.methods.alpha import cronbach_alpha, feldt_interval


def test_published_example_real_statistics():
    # Real Statistics Using Excel, "Cronbach's Alpha (continued)", worked example:
    # 15 respondents x 10 questions, alpha = 0.591719, Feldt 95 % interval
    # 0.19492 .. 0.83982 (recomputed in the r-de-r blog, 2021-10-13). The same data
    # ship with pingouin as its "cronbach_alpha" data set (documented alpha 0.5918).
    data = pg.read_dataset("cronbach_alpha").pivot(index="Subj", columns="Items", values="Scores")
    r = cronbach_alpha(data.to_numpy())
    assert (r.n, r.k) == (15, 10)
    assert r.alpha == pytest.approx(0.591719, abs=5e-7)
    assert feldt_interval(0.591719, 15, 10) == pytest.approx((0.19492168920552821, 0.8398208740258171))
    assert r.ci95 == pytest.approx((0.194921, 0.839821), abs=2e-6)


def test_published_feldt_interval_evans():
    # Chris Evans' feldt1.return() (MRC CBU statistics wiki, "cafun"):
    # alpha 0.913, n 873, k 20 -> 0.9044024 to 0.9211588.
    assert feldt_interval(0.913, 873, 20) == pytest.approx((0.9044024, 0.9211588), abs=1e-7)


def test_matches_pingouin_on_random_data_with_gaps():
    rng = np.random.default_rng(11)
    for _ in range(10):
        n, k = int(rng.integers(5, 60)), int(rng.integers(2, 9))
        latent = rng.normal(size=(n, 1))
        data = np.round(latent + rng.normal(scale=1.2, size=(n, k)) * 1.5 + 4)
        data[rng.random((n, k)) < 0.05] = np.nan
        if np.isnan(data).any(axis=1).sum() > n - 3:
            continue
        ours = cronbach_alpha(data)
        ref, _ = pg.cronbach_alpha(pd.DataFrame(data), nan_policy="listwise")
        assert ours.alpha == pytest.approx(ref, abs=1e-12)
        assert ours.n == int((~np.isnan(data).any(axis=1)).sum())


def test_listwise_deletion_drops_incomplete_rows():
    data = [[1, 2, 3], [2, 3, 4], [3, 5, 4], [np.nan, 1, 1], [4, 4, 5]]
    assert cronbach_alpha(data) == cronbach_alpha([row for row in data if not np.isnan(row).any()])
    assert cronbach_alpha(data).n == 4


@pytest.mark.parametrize(
    "bad",
    [
        [[1, 2], [1, 2]],  # every total equal
        [[1], [2], [3]],  # one item
        [[1, 2, 3]],  # one respondent
        [[1, np.nan], [2, 3]],  # one complete respondent
    ],
)
def test_invalid_input_raises(bad):
    with pytest.raises(MethodInputError):
        cronbach_alpha(bad)


@settings(max_examples=40, deadline=None)
@given(arrays(np.int64, st.tuples(st.integers(3, 30), st.integers(2, 6)), elements=st.integers(1, 7)))
def test_alpha_at_most_one_and_interval_brackets_it(data):
    if np.var(data.sum(axis=1), ddof=1) == 0:
        return
    r = cronbach_alpha(data)
    assert r.alpha <= 1 + 1e-12
    assert r.ci95[0] <= r.alpha <= r.ci95[1]

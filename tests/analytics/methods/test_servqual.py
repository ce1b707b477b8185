import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from servicecycle.analytics.methods import MethodInputError
from servicecycle.analytics.methods.servqual import DIMENSIONS, servqual


def _one_row(per_dimension):
    row = []
    for name, items in DIMENSIONS.items():
        row += [per_dimension[name]] * len(items)
    return [row]


def test_published_dimension_gaps():
    # PubMed Central article PMC6131925, Table 2 (patient survey, N = 386): mean
    # expectation / perception per SERVQUAL dimension and the published gap P - E:
    # tangibles -0.25, reliability -0.13, responsiveness -0.13, assurance -0.18,
    # empathy -0.16. Feeding the dimension means as one respondent must return them.
    e = {"tangibles": 4.44, "reliability": 4.49, "responsiveness": 4.48, "assurance": 4.50, "empathy": 4.56}
    p = {"tangibles": 4.19, "reliability": 4.36, "responsiveness": 4.35, "assurance": 4.32, "empathy": 4.40}
    r = servqual(_one_row(e), _one_row(p))
    published = {
        "tangibles": -0.25,
        "reliability": -0.13,
        "responsiveness": -0.13,
        "assurance": -0.18,
        "empathy": -0.16,
    }
    for name, gap in published.items():
        assert r.dimensions[name] == pytest.approx(gap, abs=0.011)
    assert r.expectations["empathy"] == pytest.approx(4.56)
    assert r.overall == pytest.approx(np.mean(list(published.values())), abs=0.011)


def test_hand_worked_example_with_weights():
    e = np.full((2, 22), 6.0)
    p = np.full((2, 22), 6.0)
    p[0, 0:4] = 4  # respondent 1: tangibles gap -2
    p[1, 4:9] = 7  # respondent 2: reliability gap +1
    w = [[40, 15, 15, 15, 15], [10, 50, 20, 10, 10]]
    r = servqual(e, p, w)
    assert r.items[0] == -1.0 and r.items[4] == 0.5 and r.items[21] == 0.0
    assert r.dimensions["tangibles"] == -1.0
    assert r.dimensions["reliability"] == 0.5
    assert r.overall == pytest.approx(-0.1)
    # respondent 1: 0.40 * -2 = -0.8; respondent 2: 0.50 * 1 = 0.5; mean -0.15
    assert r.weighted_overall == pytest.approx(-0.15)
    assert servqual(e, p).weighted_overall is None


@pytest.mark.parametrize(
    ("e", "p", "w"),
    [
        (np.full((1, 22), 8.0), np.full((1, 22), 5.0), None),
        (np.full((1, 21), 5.0), np.full((1, 21), 5.0), None),
        (np.full((2, 22), 5.0), np.full((1, 22), 5.0), None),
        (np.full((1, 22), np.nan), np.full((1, 22), 5.0), None),
        (np.full((1, 22), 5.0), np.full((1, 22), 5.0), [[20, 20, 20, 20, 10]]),
        (np.full((1, 22), 5.0), np.full((1, 22), 5.0), [[20, 20, 20, 20]]),
    ],
)
def test_invalid_input_raises(e, p, w):
    with pytest.raises(MethodInputError):
        servqual(e, p, w)


def test_weights_must_sum_to_100_message():
    with pytest.raises(MethodInputError, match="sum to 100"):
        servqual(np.full((1, 22), 5.0), np.full((1, 22), 5.0), [[30, 30, 30, 30, 30]])


scores = arrays(np.int64, st.tuples(st.integers(1, 8), st.just(22)), elements=st.integers(1, 7))


@settings(max_examples=40, deadline=None)
@given(scores, scores, st.integers(0, 2**31 - 1))
def test_gaps_change_sign_when_e_and_p_swap(e, p, seed):
    n = min(len(e), len(p))
    e, p = e[:n], p[:n]
    rng = np.random.default_rng(seed)
    w = rng.multinomial(100, [0.2] * 5, size=n)
    a, b = servqual(e, p, w), servqual(p, e, w)
    assert a.items == pytest.approx([-g for g in b.items])
    assert a.overall == pytest.approx(-b.overall)
    assert a.weighted_overall == pytest.approx(-b.weighted_overall)
    for name in DIMENSIONS:
        assert a.dimensions[name] == pytest.approx(a.perceptions[name] - a.expectations[name])

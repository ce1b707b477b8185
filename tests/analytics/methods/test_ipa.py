import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicecycle.analytics.methods import MethodInputError
from servicecycle.analytics.methods.ipa import AttributeSums, ipa, ipa_from_sums, quadrant

# A worked example in the layout of Martilla & James (1977), Journal of Marketing
# 41(1): 77-79, Figure 1: four attributes, each in a different quadrant. Means:
#   speed     importance 6.5, performance 3.5  -> concentrate here
#   courtesy  importance 6.0, performance 6.0  -> keep up the good work
#   decor     importance 3.0, performance 3.0  -> low priority
#   parking   importance 2.5, performance 6.5  -> possible overkill
# grand means: importance 4.5, performance 4.75.
ROWS = [
    ("speed", 7, 3, 5),
    ("speed", 6, 4, 6),
    ("courtesy", 6, 6, 5),
    ("courtesy", 6, 6, None),
    ("decor", 3, 2, 4),
    ("decor", 3, 4, 4),
    ("parking", 2, 7, 5),
    ("parking", 3, 6, 5),
]


def _run(**kw):
    att, imp, perf, comp = zip(*ROWS, strict=True)
    return ipa(att, imp, perf, comp, **kw)


def test_worked_example_quadrants_and_crosshair():
    r = _run()
    assert r.crosshair_importance == pytest.approx(4.5)
    assert r.crosshair_performance == pytest.approx(4.75)
    got = {a.name: a.quadrant for a in r.attributes}
    assert got == {
        "speed": "concentrate_here",
        "courtesy": "keep_up_good_work",
        "decor": "low_priority",
        "parking": "possible_overkill",
    }
    speed = r.attributes[0]
    assert (speed.importance, speed.performance, speed.competitor_performance, speed.gap) == (
        6.5,
        3.5,
        5.5,
        -2.0,
    )
    courtesy = r.attributes[1]
    assert courtesy.competitor_performance == 5.0  # the missing competitor answer is skipped


def test_midpoint_crosshair():
    r = _run(crosshair="midpoint", scale=7)
    assert (r.crosshair_importance, r.crosshair_performance) == (4.0, 4.0)
    assert {a.name: a.quadrant for a in r.attributes}["speed"] == "concentrate_here"
    with pytest.raises(MethodInputError):
        _run(crosshair="midpoint")


def test_without_competitor_the_gap_is_none():
    att, imp, perf, _ = zip(*ROWS, strict=True)
    r = ipa(att, imp, perf)
    assert all(a.gap is None and a.competitor_performance is None for a in r.attributes)


def test_sums_entry_point_gives_same_result():
    sums = [
        AttributeSums("speed", 13, 2, 7, 2, 11, 2),
        AttributeSums("courtesy", 12, 2, 12, 2, 5, 1),
        AttributeSums("decor", 6, 2, 6, 2, 8, 2),
        AttributeSums("parking", 5, 2, 13, 2, 10, 2),
    ]
    assert ipa_from_sums(sums) == _run()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"attribute": [], "importance": [], "performance": []},
        {"attribute": ["a"], "importance": [1, 2], "performance": [1]},
        {"attribute": ["a"], "importance": ["x"], "performance": [1]},
        {"attribute": ["a"], "importance": [9], "performance": [1], "scale": 7},
        {"attribute": [""], "importance": [1], "performance": [1]},
    ],
)
def test_invalid_input_raises(kwargs):
    with pytest.raises(MethodInputError):
        ipa(**kwargs)


@settings(max_examples=60, deadline=None)
@given(st.floats(1, 7), st.floats(1, 7), st.floats(1, 7), st.floats(1, 7))
def test_quadrant_follows_the_crosshair(i, p, ci, cp):
    q = quadrant(i, p, ci, cp)
    assert (q in ("concentrate_here", "keep_up_good_work")) == (i >= ci)
    assert (q in ("keep_up_good_work", "possible_overkill")) == (p >= cp)

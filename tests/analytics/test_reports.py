"""The database path (one aggregate query, then the pure method) gives the figures of the pure methods."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from typing import Any

import pytest

from servicecycle.analytics import reports
from servicecycle.analytics.methods import MethodInputError
from servicecycle.analytics.methods.ces import ces
from servicecycle.analytics.methods.csat import csat
from servicecycle.analytics.methods.ipa import ipa
from servicecycle.analytics.methods.nps import nps
from servicecycle.surveys import actions
from servicecycle.surveys.models import Answer, Question, Survey, Wave
from servicecycle.surveys.queries import answers_to
from tests.factories import World
from tests.surveys import builders

K = Question.Kind
TOL = 1e-9


@dataclass
class Sample:
    """A survey answered at random through record_response, and the values given, kept in Python."""

    survey: Survey
    waves: list[Wave]
    nps_q: Question
    csat_q: Question
    ces_q: Question
    grid: Question
    nps: dict[int, list[int]] = field(default_factory=dict)  # wave index -> scores
    csat: list[int] = field(default_factory=list)
    ces: list[int] = field(default_factory=list)
    sms_nps: list[int] = field(default_factory=list)
    # long format: attribute name, importance, performance, competitor performance (None when not given)
    grid_rows: list[tuple[str, int, int, int | None]] = field(default_factory=list)


def build_sample(world: World, seed: int, responses: int = 240) -> Sample:
    rng = random.Random(seed)
    m = world.manager
    s = builders.survey(m, languages=["en", "es"])
    sample = Sample(
        survey=s,
        waves=[
            actions.add_wave(acting_user=m.user, survey=s, name=f"Wave {i}", starts_on=dt.date(2025, 3 * i + 1, 1))
            for i in range(2)
        ],
        nps_q=builders.question(m, s, K.NPS),
        csat_q=builders.question(m, s, K.CSAT, required=False),
        ces_q=builders.question(m, s, K.CES),
        grid=builders.grid(m, s, competitor_name="BuildMart"),
        nps={0: [], 1: []},
    )
    builders.open_survey(m, s)
    grid_attributes = builders.attributes(sample.grid)
    # skewed weights so the groups and quadrants differ between attributes and seeds
    nps_weights = [rng.random() for _ in range(11)]
    for _ in range(responses):
        wave_index = rng.randrange(2)
        channel = rng.choice(["web", "web", "sms"])
        score = rng.choices(range(11), weights=nps_weights)[0]
        answers: list[dict[str, Any]] = [{"question": sample.nps_q.pk, "value": score}]
        sample.nps[wave_index].append(score)
        if channel == "sms":
            sample.sms_nps.append(score)
        if rng.random() < 0.8:  # the CSAT question is optional
            rating = rng.randint(1, 5)
            answers.append({"question": sample.csat_q.pk, "value": rating})
            sample.csat.append(rating)
        effort = min(7, max(1, round(rng.gauss(3.2, 1.6))))
        answers.append({"question": sample.ces_q.pk, "value": effort})
        sample.ces.append(effort)
        for index, attribute in enumerate(grid_attributes):
            importance = rng.randint(max(1, index + 2), 7)
            performance = rng.randint(1, 7 - index)
            competitor = rng.randint(1, 7) if rng.random() < 0.6 else None
            answers.append(
                {
                    "question": sample.grid.pk,
                    "attribute": attribute.pk,
                    "importance": importance,
                    "performance": performance,
                    "competitor_performance": competitor,
                }
            )
            sample.grid_rows.append((attribute.texts["en"], importance, performance, competitor))
        actions.record_response(
            survey=s,
            answers=answers,
            wave=sample.waves[wave_index],
            channel=channel,
            language=rng.choice(["en", "es"]),
        )
    return sample


@pytest.fixture(params=[20240601, 7])
def sample(world: World, request: pytest.FixtureRequest) -> Sample:
    return build_sample(world, request.param)


def assert_same(db: Any, pure: Any) -> None:
    """Two result dataclasses agree: counts exactly, figures to 1e-9."""
    assert type(db) is type(pure)
    for name, expected in vars(pure).items():
        got = getattr(db, name)
        if isinstance(expected, float):
            assert math.isclose(got, expected, rel_tol=0, abs_tol=TOL), name
        elif isinstance(expected, tuple) and expected and isinstance(expected[0], float):
            assert all(math.isclose(g, e, rel_tol=0, abs_tol=TOL) for g, e in zip(got, expected, strict=True)), name
        else:
            assert got == expected, name


def test_nps_from_the_database_equals_the_pure_method_overall_by_wave_and_by_channel(sample: Sample) -> None:
    everyone = sample.nps[0] + sample.nps[1]
    assert_same(reports.nps_of(answers_to(sample.nps_q)), nps(everyone))
    for index, wave in enumerate(sample.waves):
        assert_same(reports.nps_of(answers_to(sample.nps_q, wave=wave)), nps(sample.nps[index]))
    assert_same(reports.nps_of(answers_to(sample.nps_q, channel="sms")), nps(sample.sms_nps))


def test_csat_and_ces_from_the_database_equal_the_pure_methods(sample: Sample) -> None:
    assert len(sample.csat) < len(sample.ces)  # some respondents skipped the optional CSAT question
    assert_same(reports.csat_of(answers_to(sample.csat_q)), csat(sample.csat))
    assert_same(reports.ces_of(answers_to(sample.ces_q)), ces(sample.ces))


@pytest.mark.parametrize("crosshair", ["mean", "midpoint"])
def test_ipa_from_the_database_equals_the_pure_method(sample: Sample, crosshair: str) -> None:
    names, importance, performance, competitor = zip(*sample.grid_rows, strict=True)
    pure = ipa(list(names), list(importance), list(performance), list(competitor), crosshair=crosshair, scale=7)  # type: ignore[arg-type]
    db = reports.ipa_of(answers_to(sample.grid), crosshair=crosshair)  # type: ignore[arg-type]
    assert db is not None
    assert (db.crosshair_method, [a.name for a in db.attributes]) == (
        crosshair,
        list(builders.IPA_ATTRIBUTES),
    )
    assert math.isclose(db.crosshair_importance, pure.crosshair_importance, abs_tol=TOL)
    assert math.isclose(db.crosshair_performance, pure.crosshair_performance, abs_tol=TOL)
    for got, expected in zip(db.attributes, pure.attributes, strict=True):
        assert_same(got, expected)
    assert {a.quadrant for a in db.attributes} != {db.attributes[0].quadrant}  # the data spread over quadrants


def test_each_figure_is_one_aggregate_query(world: World, django_assert_num_queries: Any) -> None:
    sample = build_sample(world, 3, responses=30)
    for report, question in [
        (reports.nps_of, sample.nps_q),
        (reports.csat_of, sample.csat_q),
        (reports.ces_of, sample.ces_q),
    ]:
        with django_assert_num_queries(1):
            assert report(answers_to(question, wave=sample.waves[0])) is not None
    with django_assert_num_queries(2):  # the grouped sums; the attributes' names and the grid's scale
        assert reports.ipa_of(answers_to(sample.grid)) is not None


def test_attributes_are_named_in_the_asked_language_with_the_default_as_fallback(world: World) -> None:
    m = world.manager
    s = builders.survey(m, languages=["en", "es"])
    grid = builders.question(m, s, K.IPA_GRID, scale_min=1, scale_max=5)
    first = actions.add_attribute(acting_user=m.user, question=grid, texts={"en": "Speed", "es": "Rapidez"})
    second = actions.add_attribute(acting_user=m.user, question=grid, texts={"en": "Price"})
    builders.open_survey(m, s)
    rows = [(first, 5, 2), (second, 2, 5)]
    actions.record_response(
        survey=s,
        answers=[{"question": grid.pk, "attribute": a.pk, "importance": i, "performance": p} for a, i, p in rows],
    )
    result = reports.ipa_of(answers_to(grid), language="es", crosshair="midpoint")
    assert result is not None
    assert [(a.name, a.importance, a.performance, a.quadrant) for a in result.attributes] == [
        ("Rapidez", 5.0, 2.0, "concentrate_here"),
        ("Price", 2.0, 5.0, "possible_overkill"),
    ]
    assert (result.crosshair_importance, result.attributes[0].competitor_performance) == (3.0, None)


def test_too_few_answers_give_none(world: World) -> None:
    m = world.manager
    s = builders.survey(m)
    nps_q = builders.question(m, s, K.NPS)
    csat_q = builders.question(m, s, K.CSAT, required=False)
    ces_q = builders.question(m, s, K.CES)
    grid = builders.grid(m, s, required=False)
    empty = Answer.objects.none()
    assert reports.nps_of(empty) is None
    assert reports.nps_of(answers_to(nps_q)) is None
    assert reports.csat_of(answers_to(csat_q)) is None
    assert reports.ipa_of(answers_to(grid)) is None
    builders.open_survey(m, s)
    actions.record_response(survey=s, answers=[{"question": nps_q.pk, "value": 10}, {"question": ces_q.pk, "value": 2}])
    assert reports.ces_of(answers_to(ces_q)) is None  # one answer has no spread
    assert reports.csat_of(answers_to(csat_q)) is None
    assert reports.nps_of(answers_to(nps_q)).nps == 100.0  # type: ignore[union-attr]


def test_answers_of_several_questions_or_off_the_scale_are_refused(world: World) -> None:
    m = world.manager
    s = builders.survey(m)
    nps_q = builders.question(m, s, K.NPS)
    rating = builders.question(m, s, K.RATING, scale_min=1, scale_max=5)
    first_grid = builders.grid(m, s, ("Speed",))
    second_grid = builders.grid(m, s, ("Price",))
    builders.open_survey(m, s)
    (speed,), (price,) = builders.attributes(first_grid), builders.attributes(second_grid)
    actions.record_response(
        survey=s,
        answers=[
            {"question": nps_q.pk, "value": 0},
            {"question": rating.pk, "value": 5},
            {"question": first_grid.pk, "attribute": speed.pk, "importance": 3, "performance": 4},
            {"question": second_grid.pk, "attribute": price.pk, "importance": 3, "performance": 4},
        ],
    )
    with pytest.raises(MethodInputError, match="more than one question"):
        reports.nps_of(Answer.objects.filter(question__in=[nps_q, rating]))
    with pytest.raises(MethodInputError, match="more than one question"):
        reports.ipa_of(Answer.objects.filter(question__in=[first_grid, second_grid]))
    with pytest.raises(MethodInputError, match=r"CSAT ratings must lie in 1\.\.4"):
        reports.csat_of(answers_to(rating), scale=4)
    with pytest.raises(MethodInputError, match=r"CES scores must lie in 1\.\.7; the answers run from 0 to 0"):
        reports.ces_of(answers_to(nps_q))
    with pytest.raises(MethodInputError, match="scale"):
        reports.csat_of(answers_to(rating), scale=2)

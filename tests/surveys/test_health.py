"""Survey answers feed the moment health: the mean CSAT of the last 90 days, from five answers up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from servicecycle.cycles.queries import moment_health
from servicecycle.surveys import actions
from servicecycle.surveys.health import satisfaction_signals
from servicecycle.surveys.models import Question, Response
from tests.factories import World
from tests.surveys import builders

K = Question.Kind


def _csat(world: World, moment_id: int | None = None) -> tuple[Any, Question]:
    s = builders.survey(world.admin, service_id=world.service.pk)
    q = builders.question(world.admin, s, K.CSAT, "Happy?", moment_id=moment_id)
    return builders.open_survey(world.admin, s), q


def _answer(s: Any, q: Question, value: int, moment_id: int | None = None) -> Response:
    return actions.record_response(survey=s, answers=[{"question": q.pk, "value": value}], moment_id=moment_id)


def test_mean_csat_per_moment_as_badness(world: World, django_assert_num_queries: Any) -> None:
    first, second, third = world.moments
    s, q = _csat(world, moment_id=first.pk)  # the question is about the first moment
    for value in (5, 4, 4, 3, 2):
        _answer(s, q, value)
    s2, q2 = _csat(world)  # a general question: each response names its moment
    for value in (1, 2, 1, 2, 2):
        _answer(s2, q2, value, moment_id=second.pk)
    for value in (5, 5, 5, 5):  # only four: too few
        _answer(s2, q2, value, moment_id=third.pk)
    with django_assert_num_queries(1):
        signals = satisfaction_signals(world.moments)
    assert set(signals) == {first.pk, second.pk}
    assert signals[first.pk]["satisfaction"].value == pytest.approx(3.6)
    assert signals[first.pk]["satisfaction"].badness == pytest.approx((5 - 3.6) / 4)
    assert signals[second.pk]["satisfaction"].badness == pytest.approx((5 - 1.6) / 4)
    health = moment_health(world.moments)
    assert "satisfaction" in health[first.pk].components


def test_answers_older_than_90_days_do_not_count(world: World) -> None:
    first = world.moments[0]
    s, q = _csat(world, moment_id=first.pk)
    responses = [_answer(s, q, 1) for _ in range(5)]
    Response.objects.filter(pk__in=[r.pk for r in responses[:2]]).update(
        submitted_at=timezone.now() - timedelta(days=91)
    )
    assert satisfaction_signals([first]) == {}

"""Recurring surveys: the next wave opens when the current one ends (once), responses stay apart per wave and
the results page trends NPS/CSAT/CES by wave with their 95 % intervals."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine
from django.urls import reverse
from django.utils import timezone

from servicecycle.core import periodic
from servicecycle.surveys import actions, waves
from servicecycle.surveys.actions import invitations
from servicecycle.surveys.models import Question, Survey, Wave
from servicecycle.surveys.tasks import open_due_waves
from servicecycle.surveys.waves import add_months, open_next_wave
from tests.factories import World
from tests.surveys import builders

K = Question.Kind


def _recurring(world: World, months: int = 3) -> tuple[Survey, Question]:
    s = builders.survey(world.admin, "Quarterly pulse")
    q = builders.question(world.admin, s, K.NPS, "Would you recommend us?")
    s = builders.open_survey(world.admin, s)
    s = invitations.update_invitation_settings(acting_user=world.admin.user, survey=s, recur_months=months)
    return s, q


def _end(wave: Wave) -> dt.date:
    assert wave.ends_on is not None
    return wave.ends_on


def test_months_are_added_to_the_end_of_shorter_months() -> None:
    assert add_months(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2027, 11, 15), 3) == dt.date(2028, 2, 15)


def test_setting_a_recurrence_opens_the_first_wave_today(world: World) -> None:
    survey, _q = _recurring(world)
    wave = Wave.objects.get(survey=survey)
    today = timezone.localdate()
    assert wave.starts_on == today
    assert wave.ends_on == add_months(today, 3) - dt.timedelta(days=1)
    assert actions.current_wave(survey) == wave


def test_the_next_wave_opens_when_the_current_one_ends_and_only_once(world: World) -> None:
    survey, _q = _recurring(world)
    first = Wave.objects.get(survey=survey)
    assert open_next_wave(survey, _end(first)) is None  # still running on its last day
    day_after = _end(first) + dt.timedelta(days=1)
    second = open_next_wave(survey, day_after)
    assert second is not None
    assert (second.starts_on, second.ends_on) == (day_after, add_months(day_after, 3) - dt.timedelta(days=1))
    assert open_next_wave(survey, day_after) is None  # a second run opens nothing
    # the periodic task, run for today, has nothing to do either
    assert open_due_waves.call() == 0
    assert any(p.task is open_due_waves for p in periodic.registered())
    assert Wave.objects.filter(survey=survey).count() == 2


def test_a_long_pause_opens_the_wave_containing_today_not_the_missed_ones(world: World) -> None:
    survey, _q = _recurring(world, months=1)
    first = Wave.objects.get(survey=survey)
    much_later = _end(first) + dt.timedelta(days=100)
    wave = open_next_wave(survey, much_later)
    assert wave is not None and wave.starts_on <= much_later <= _end(wave)
    assert Wave.objects.filter(survey=survey).count() == 2


def test_closed_or_non_recurring_surveys_open_no_wave(world: World) -> None:
    survey, _q = _recurring(world)
    first = Wave.objects.get(survey=survey)
    later = _end(first) + dt.timedelta(days=1)
    actions.set_survey_status(acting_user=world.admin.user, survey=survey, status=Survey.Status.CLOSED)
    survey.refresh_from_db()
    assert open_next_wave(survey, later) is None
    once = builders.survey(world.admin, "Once")
    builders.question(world.admin, once, K.CSAT)
    plain = builders.open_survey(world.admin, once)
    assert open_next_wave(plain, later) is None and not plain.waves.exists()


def test_responses_stay_apart_and_the_results_trend_by_wave(world: World, client_for: Any) -> None:
    survey, q = _recurring(world)
    first = Wave.objects.get(survey=survey)
    second = open_next_wave(survey, _end(first) + dt.timedelta(days=1))
    assert second is not None
    for wave, scores in ((first, [10, 9, 3, 8]), (second, [10, 10, 9, 6, 9])):
        for score in scores:
            actions.record_response(survey=survey, answers=[{"question": q.pk, "value": score}], wave=wave)
    assert first.responses.count() == 4 and second.responses.count() == 5
    page = client_for("viewer").get(reverse("survey-results", args=[survey.pk])).content.decode()
    trend = page.split('id="trend-h"')[1].split("</section>")[0]
    assert first.name in trend and second.name in trend
    assert trend.index(first.name) < trend.index(second.name)
    # NPS of the first wave: 2 promoters, 1 detractor of 4 = 25; of the second: 4 of 5 promoters, 1 detractor = 60
    assert "25.0" in trend and "60.0" in trend
    assert trend.count(" – ") >= 2  # an interval per wave


def test_waves_follow_the_organizations_calendar_whoever_asks(world: World) -> None:
    """At 20:00 UTC on 31 March it is already 1 April in Kuala Lumpur: the wave of April is the current one for
    a respondent, a staff member and the worker alike (they used to see the server's date)."""
    world.org.time_zone = "Asia/Kuala_Lumpur"
    world.org.save(update_fields=["time_zone"])
    survey, _q = _recurring(world)
    Wave.objects.filter(survey=survey).delete()
    march = actions.add_wave(
        acting_user=world.admin.user,
        survey=survey,
        name="March",
        starts_on=dt.date(2027, 3, 1),
        ends_on=dt.date(2027, 3, 31),
    )
    april = actions.add_wave(acting_user=world.admin.user, survey=survey, name="April", starts_on=dt.date(2027, 4, 1))
    survey = Survey.objects.get(pk=survey.pk)
    with time_machine.travel(dt.datetime(2027, 3, 31, 20, 0, tzinfo=dt.UTC), tick=False):
        assert waves.today_of(survey) == dt.date(2027, 4, 1)
        assert actions.current_wave(survey) == april
        with timezone.override("America/New_York"):  # whatever zone the caller happens to have active
            assert actions.current_wave(survey) == april
    with time_machine.travel(dt.datetime(2027, 3, 31, 15, 0, tzinfo=dt.UTC), tick=False):  # 23:00 there
        assert actions.current_wave(survey) == march

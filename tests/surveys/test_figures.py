"""The results' summary (surveys.figures, SurveyFigure) stays equal to a plain recount of the answers after every
write path: web responses, interviews, imports (whole, failed, interrupted and resumed), a rejected response, a
deleted moment, a deleted survey; the rebuild command and the migration's backfill count the same."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from servicecycle.core.errors import ValidationFailed
from servicecycle.cycles import actions as cycles
from servicecycle.surveys import actions, figures, imports
from servicecycle.surveys.models import Survey, SurveyFigure
from servicecycle.surveys.results import Filters, survey_results
from tests.factories import World
from tests.surveys.test_imports import _csv, _row, _start, _survey


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _same(survey: Survey) -> None:
    assert figures.stored(survey) == figures.recount(survey)


def _answers(qs: dict[str, Any], n: int) -> list[dict[str, Any]]:
    answers: list[dict[str, Any]] = [
        {"question": qs["nps"].pk, "value": n % 11},
        {"question": qs["csat"].pk, "value": 1 + n % 5},
        {"question": qs["office"].pk, "value": 1 + n % 2},
        {"question": qs["pair"].pk, "expectation": 6, "perception": 1 + n % 7},
    ]
    grid = qs["grid"]
    for attribute in grid.attributes.order_by("position"):
        answers.append({"question": grid.pk, "attribute": attribute.pk, "importance": 5, "performance": 1 + n % 7})
    if n % 2:
        answers.append({"question": qs["topics"].pk, "choices": [1, 3] if n % 3 else [2]})
    if n % 3 == 0:
        answers.append({"question": qs["text"].pk, "text": f"comment {n}"})
    return answers


def test_every_write_path_keeps_the_summary_equal_to_a_recount(world: World, tmp_path: Path) -> None:
    s, qs = _survey(world)
    wave = actions.add_wave(acting_user=world.admin.user, survey=s, name="Spring", starts_on=dt.date(2026, 1, 1))
    step1, step2, _step3 = world.moments
    # web and interview responses across waves, services, moments and channels
    for n in range(12):
        actions.record_response(
            acting_user=world.admin.user if n % 4 == 0 else None,
            survey=s,
            answers=_answers(qs, n),
            wave=wave if n % 2 else None,
            channel=("web", "email", "phone")[n % 3],
            service_id=world.service.pk if n % 3 else None,
            moment_id=(step1.pk, step2.pk, None)[n % 3] if n % 3 else None,
        )
        _same(s)
    # a rejected response changes nothing
    before = figures.stored(s)
    with pytest.raises(ValidationFailed):
        actions.record_response(survey=s, answers=[{"question": qs["nps"].pk, "value": 11}])
    assert figures.stored(s) == before
    _same(s)
    # an import in batches, into the wave
    job = _start(world, s, _csv(tmp_path / "a.csv", [_row(n) for n in range(1, 11)]), wave=wave)
    imports.queue(job)
    job = imports.run(job.pk, size=3)  # type: ignore[assignment]
    assert job is not None and job.status == "done"
    _same(s)
    # an import that fails its check saves nothing and counts nothing
    before = figures.stored(s)
    bad = _start(world, s, _csv(tmp_path / "b.csv", [_row(n) for n in range(20, 25)] + [_row(25, Q2=9)]))
    imports.queue(bad)
    bad = imports.run(bad.pk, size=2)  # type: ignore[assignment]
    assert bad is not None and bad.status == "invalid"
    assert figures.stored(s) == before
    # in batch mode the batches before the bad one stay, with their counts
    partial = _start(
        world, s, _csv(tmp_path / "c.csv", [_row(n) for n in range(30, 35)] + [_row(35, Q2=9)]), mode="batches"
    )
    imports.queue(partial)
    partial = imports.run(partial.pk, size=2)  # type: ignore[assignment]
    assert partial is not None and partial.status == "invalid" and partial.rows_done == 4
    _same(s)
    # a moment deleted later: its responses have no moment; read through ``known``, the summary agrees
    cycles.remove_moment(acting_user=world.admin.user, moment=step1)
    services = set(s.organization.services.values_list("pk", flat=True))
    moments = {m.pk for m in world.moments if m.pk != step1.pk}
    assert figures.known(figures.stored(s), services=services, moments=moments) == figures.recount(s)
    # and the page's figures equal those of a summary rebuilt from the answers
    questions = list(s.questions.order_by("position"))
    shown = survey_results(s, questions, Filters(), "en")
    figures.rebuild(s)
    _same(s)
    again = survey_results(s, questions, Filters(), "en")
    assert shown.responses == again.responses == 12 + 10 + 4
    assert [(r.n, [b.n for b in r.bars]) for r in shown.questions] == [
        (r.n, [b.n for b in r.bars]) for r in again.questions
    ]
    assert [(b.title, [(label, sc.n) for label, sc in b.rows]) for b in shown.breakdowns] == [
        (b.title, [(label, sc.n) for label, sc in b.rows]) for b in again.breakdowns
    ]


def test_an_interrupted_import_counts_only_its_committed_batches(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s, _qs = _survey(world)
    job = _start(world, s, _csv(tmp_path / "a.csv", [_row(n) for n in range(1, 11)]))
    real = figures.add
    calls = {"n": 0}

    def failing(survey_id: int, counts: Any) -> None:
        calls["n"] += 1
        real(survey_id, counts)  # the batch's rows and counts are written, then its transaction fails
        if calls["n"] == 2:
            raise ConnectionError("the database went away")

    monkeypatch.setattr(figures, "add", failing)
    imports.queue(job)
    job = imports.run(job.pk, size=4)  # type: ignore[assignment]
    assert job is not None and job.status == "failed" and job.rows_done == 4
    monkeypatch.setattr(figures, "add", real)
    assert figures.stored(s)[(SurveyFigure.RESPONSES, 0, 0, 0, "import", SurveyFigure.ANSWERED)] == 4
    _same(s)
    job.refresh_from_db()
    imports.queue(job)
    job = imports.run(job.pk, size=4)  # type: ignore[assignment]
    assert job is not None and job.status == "done"
    assert figures.stored(s)[(SurveyFigure.RESPONSES, 0, 0, 0, "import", SurveyFigure.ANSWERED)] == 10
    _same(s)


def test_the_command_and_the_backfill_recount(world: World) -> None:
    s, qs = _survey(world)
    for n in range(6):
        actions.record_response(survey=s, answers=_answers(qs, n), channel=("web", "email")[n % 2])
    expected = figures.recount(s)
    assert figures.stored(s) == expected
    # rows written outside the app leave the summary behind; the command counts it again
    SurveyFigure.objects.filter(survey=s).update(n=0)
    SurveyFigure.objects.filter(survey=s, value=SurveyFigure.ANSWERED).delete()
    call_command("rebuild_survey_figures", "--survey", str(s.pk), stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert figures.stored(s) == expected
    call_command("rebuild_survey_figures", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert figures.stored(s) == expected
    # the migration's backfill (SQL over the answers) counts what the app counts
    from importlib import import_module

    backfill = import_module("servicecycle.surveys.migrations.0005_survey_figures").BACKFILL
    SurveyFigure.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(backfill)
    assert figures.stored(s) == expected
    # a deleted survey (without waves: they protect their responses) takes its rows along
    pk = s.pk
    s.delete()
    assert not SurveyFigure.objects.filter(survey_id=pk).exists()


def test_the_rebuild_command_names_an_unknown_survey(world: World) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No survey with the id 999999"):
        call_command("rebuild_survey_figures", "--survey", "999999")

"""Writes of the people app: bad input is refused with the field named, and nothing is saved."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from servicecycle.core.errors import Conflict, PermissionDenied, ValidationFailed
from servicecycle.core.models import AuditEvent
from servicecycle.people import actions, queries
from servicecycle.people.content import CRITERIA
from servicecycle.people.models import Candidate, CandidateScore, Course, TrainingRecord
from tests import factories
from tests.factories import World
from tests.people import builders


def _all(score: Any) -> dict[str, Any]:
    return {c.key: score for c in CRITERIA}


def test_candidate_saved_with_scores_mean_and_audit(world: World) -> None:
    scores = _all(4) | {"listens": 5, "flexible": 2}
    candidate = builders.candidate(world, scores=scores, notes={"listens": "  Asked two good questions "})
    saved = {s.criterion: (s.score, s.note) for s in candidate.scores.all()}
    assert saved["listens"] == (5, "Asked two good questions")
    assert len(saved) == len(CRITERIA)
    row = queries.candidates(world.org.pk).get(pk=candidate.pk)
    expected = Decimal(sum(scores.values())) / len(CRITERIA)  # (6 x 4 + 5 + 2) / 8 = 3.875
    assert queries.mean_or_none(row.mean) == expected.quantize(Decimal("0.01"))
    rec = queries.recommendation(queries.mean_or_none(row.mean))
    assert rec is not None and rec.key == "consider"
    assert AuditEvent.objects.filter(verb="candidate.assessed", object_id=candidate.pk).exists()


@pytest.mark.parametrize(
    ("mean", "key"),
    [("4.00", "recommend"), ("3.99", "consider"), ("3.00", "consider"), ("2.99", "do_not_recommend")],
)
def test_recommendation_thresholds(mean: str, key: str) -> None:
    rec = queries.recommendation(Decimal(mean))
    assert rec is not None and rec.key == key


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"scores": _all(4) | {"listens": 0}},
            "score_listens",
            "Listens before answering: give a whole number from 1 to 5.",
        ),
        (
            {"scores": _all(4) | {"learns": 6}},
            "score_learns",
            "Wants to keep learning: give a whole number from 1 to 5.",
        ),
        (
            {"scores": _all(4) | {"learns": "4.5"}},
            "score_learns",
            "Wants to keep learning: give a whole number from 1 to 5.",
        ),
        ({"scores": {k: v for k, v in _all(4).items() if k != "flexible"}}, "score_flexible", None),
        ({"scores": _all(4) | {"charm": 5}}, "scores", "Unknown criteria: charm."),
        ({"assessed_on": "2999-01-01"}, "assessed_on", "Interview date cannot be in the future."),
        ({"assessed_on": "yesterday"}, "assessed_on", "Interview date: yesterday is not a date (YYYY-MM-DD)."),
        ({"interviewer_id": 999999}, "interviewer", "Unknown staff member: 999999."),
        ({"name": "  "}, "name", "Give the candidate's name."),
    ],
)
def test_bad_candidate_input_is_refused_and_nothing_saved(
    world: World, change: dict[str, Any], field: str, message: str | None
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        builders.candidate(world, **change)
    assert field in caught.value.errors
    if message is not None:
        assert caught.value.errors[field] == [message]
    assert Candidate.objects.count() == 0
    assert CandidateScore.objects.count() == 0


def test_an_interviewer_of_another_organization_is_unknown(world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        builders.candidate(world, interviewer_id=world.outsider.pk)
    assert caught.value.errors["interviewer"] == [f"Unknown staff member: {world.outsider.pk}."]


def test_only_managers_assess_candidates(world: World) -> None:
    with pytest.raises(PermissionDenied):
        actions.create_candidate(
            acting_user=world.lead.user,
            name="X",
            role_applied="Y",
            assessed_on=builders.today(),
            interviewer_id=world.lead.pk,
            scores=_all(3),
        )


def test_deleting_a_candidate_removes_their_scores(world: World) -> None:
    candidate = builders.candidate(world)
    actions.delete_candidate(acting_user=world.admin.user, candidate=candidate)
    assert not Candidate.objects.exists() and not CandidateScore.objects.exists()
    assert AuditEvent.objects.filter(verb="candidate.deleted").exists()


def test_course_interval_and_name_checks(world: World) -> None:
    builders.course(world, "Safety")
    with pytest.raises(ValidationFailed) as twice:
        builders.course(world, " safety ")
    assert twice.value.errors == {"name": ["A course with this name already exists."]}
    for bad in (0, 121, "six"):
        with pytest.raises(ValidationFailed) as caught:
            builders.course(world, "Other", refresher_months=bad)
        assert list(caught.value.errors) == ["refresher_months"]
    assert Course.objects.count() == 1
    course = builders.course(world, "Welcome", refresher_months="12")
    updated = actions.update_course(
        acting_user=world.manager.user, course=course, name="Welcome", refresher_months=None, is_active=False
    )
    assert (updated.refresher_months, updated.is_active) == (None, False)
    assert AuditEvent.objects.get(verb="course.updated").changes["refresher_months"] == [12, None]


def test_bulk_completion_records_everyone_with_audit(world: World) -> None:
    course = builders.course(world)
    day = builders.today() - timedelta(days=1)
    records = actions.record_completions(
        acting_user=world.manager.user,
        course=course,
        staff_ids=[world.agent.pk, str(world.lead.pk)],
        completed_on=day.isoformat(),
        score="88",
        passed=True,
    )
    assert len(records) == 2
    assert set(TrainingRecord.objects.values_list("staff_id", "completed_on", "score")) == {
        (world.agent.pk, day, 88),
        (world.lead.pk, day, 88),
    }
    assert AuditEvent.objects.filter(verb="training.completed").count() == 2


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"completed_on": "2999-12-31"}, "completed_on", "Completion date cannot be in the future."),
        ({"completed_on": ""}, "completed_on", "Completion date is missing."),
        ({"staff_ids": "unknown"}, "staff", "Unknown staff members: 999999, abc."),
        ({"staff_ids": "outsider"}, "staff", None),
        ({"staff_ids": []}, "staff", "Pick at least one staff member."),
        ({"score": 101}, "score", "The score is a whole percentage from 0 to 100."),
        ({"score": -1}, "score", "The score is a whole percentage from 0 to 100."),
    ],
)
def test_bad_completion_input_is_refused_and_nothing_saved(
    world: World, change: dict[str, Any], field: str, message: str | None
) -> None:
    course = builders.course(world)
    fields: dict[str, Any] = {"staff_ids": [world.agent.pk], "completed_on": builders.today()} | change
    if fields["staff_ids"] == "unknown":
        fields["staff_ids"] = [world.agent.pk, 999999, "abc"]
    elif fields["staff_ids"] == "outsider":
        fields["staff_ids"] = [world.agent.pk, world.outsider.pk]
    with pytest.raises(ValidationFailed) as caught:
        actions.record_completions(acting_user=world.manager.user, course=course, **fields)
    assert field in caught.value.errors
    if message is not None:
        assert caught.value.errors[field] == [message]
    else:
        assert caught.value.errors[field] == [f"Unknown staff members: {world.outsider.pk}."]
    assert TrainingRecord.objects.count() == 0


def test_the_same_completion_twice_names_the_person(world: World) -> None:
    course = builders.course(world)
    day = builders.today()
    actions.record_completions(
        acting_user=world.manager.user, course=course, staff_ids=[world.agent.pk], completed_on=day
    )
    with pytest.raises(ValidationFailed) as caught:
        actions.record_completions(
            acting_user=world.manager.user, course=course, staff_ids=[world.lead.pk, world.agent.pk], completed_on=day
        )
    assert caught.value.errors["staff"] == [f"Already recorded as completed on that day: {world.agent}."]
    assert TrainingRecord.objects.count() == 1


def test_team_leads_do_not_record_completions(world: World) -> None:
    course = builders.course(world)
    with pytest.raises(PermissionDenied):
        actions.record_completions(
            acting_user=world.lead.user, course=course, staff_ids=[world.agent.pk], completed_on=builders.today()
        )


def test_another_organizations_course_is_not_found(world: World) -> None:
    from django.http import Http404

    course = builders.course(world)
    with pytest.raises(Http404):
        actions.record_completions(
            acting_user=world.outsider.user, course=course, staff_ids=[world.outsider.pk], completed_on=builders.today()
        )
    other = factories.organization()
    assert other.pk != world.org.pk


def test_pulse_round_checks(world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        actions.open_round(acting_user=world.manager.user, title="", closes_on=builders.today() - timedelta(days=1))
    assert set(caught.value.errors) == {"title", "closes_on"}
    pulse = builders.pulse(world)
    actions.close_round(acting_user=world.manager.user, pulse=pulse)
    with pytest.raises(Conflict) as closed:
        actions.answer_round(acting_user=world.agent.user, pulse=pulse, manager_id=world.lead_other.pk, scores={})
    assert closed.value.message == "This round is closed."
    assert AuditEvent.objects.filter(verb="pulse.closed").count() == 1

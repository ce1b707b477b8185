from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from servicecycle.core.errors import PermissionDenied, ValidationFailed
from servicecycle.core.models import AuditEvent
from servicecycle.strategy import actions, assessment, queries
from servicecycle.strategy.models import SelfAssessment, SelfAssessmentAnswer
from tests import factories
from tests.factories import World

# need 5 + 4 + 3 = 12 (high), competitors 1 + 2 + 3 = 6 (low), expectations 3 + 3 + 3 + 3 = 12 (middle); 30 in all
ANSWERS = {
    "need_choice": 5,
    "need_support": 4,
    "need_contact": 3,
    "comp_slow": 1,
    "comp_costly": 2,
    "comp_switchers": 3,
    "exp_other": 3,
    "exp_history": 3,
    "exp_promises": 3,
    "exp_word": 3,
}


def _days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def _record(w: World, answers: dict[str, Any] | None = None, **kwargs: Any) -> SelfAssessment:
    return actions.record_self_assessment(acting_user=w.manager.user, answers=answers or ANSWERS, **kwargs)


def _nothing_saved() -> None:
    assert not SelfAssessment.objects.exists()
    assert not SelfAssessmentAnswer.objects.exists()
    assert not AuditEvent.objects.filter(verb="self_assessment.recorded").exists()


def test_the_questionnaire_has_fixed_items_under_the_three_questions() -> None:
    assert [q.key for q in assessment.QUESTIONS] == ["need", "competitors", "expectations"]
    assert len(assessment.ITEMS) == 10 and len(set(assessment.ITEM_KEYS)) == 10
    assert set(ANSWERS) == set(assessment.ITEM_KEYS)
    assert (assessment.OVERALL_MIN, assessment.OVERALL_MAX) == (10, 50)
    for question in assessment.QUESTIONS:
        assert set(question.advice) == {"low", "middle", "high"}


def test_saved_assessment_has_its_totals_answers_and_an_audit_event(world: World) -> None:
    record = _record(world, taken_on=_days_ago(3))
    record.refresh_from_db()
    assert (record.need_total, record.competitors_total, record.expectations_total, record.total) == (12, 6, 12, 30)
    assert record.organization_id == world.org.pk and record.service is None
    assert record.taken_by == world.manager and record.taken_on == _days_ago(3)
    assert dict(record.answers.values_list("item", "score")) == ANSWERS
    event = AuditEvent.objects.get(verb="self_assessment.recorded", object_id=record.pk)
    assert event.organization_id == world.org.pk
    assert event.changes["totals"] == {"need": 12, "competitors": 6, "expectations": 12, "overall": 30}
    assert event.changes["answers"]["need_choice"] == 5


def test_bands_of_the_three_questions_for_the_sample_answers(world: World) -> None:
    record = _record(world)
    bands = {q.key: q.band(getattr(record, f"{q.key}_total")) for q in assessment.QUESTIONS}
    assert bands == {"need": "high", "competitors": "low", "expectations": "middle"}
    assert assessment.band_of(record.total, len(assessment.ITEMS)) == "middle"


@pytest.mark.parametrize(
    ("total", "items", "band"),
    [
        (3, 3, "low"),
        (6, 3, "low"),
        (7, 3, "middle"),
        (11, 3, "middle"),
        (12, 3, "high"),
        (15, 3, "high"),
        (8, 4, "low"),
        (9, 4, "middle"),
        (15, 4, "middle"),
        (16, 4, "high"),
        (20, 10, "low"),
        (21, 10, "middle"),
        (40, 10, "high"),
    ],
)
def test_band_edges(total: int, items: int, band: str) -> None:
    assert assessment.band_of(total, items) == band


def test_answers_given_as_form_strings_are_accepted(world: World) -> None:
    record = _record(world, {key: f" {value} " for key, value in ANSWERS.items()})
    assert record.total == 30


@pytest.mark.parametrize("bad", [6, 0, "-1", "3.5", "many"])
def test_an_answer_outside_the_scale_names_the_item_and_saves_nothing(world: World, bad: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        _record(world, {**ANSWERS, "need_support": bad})
    assert set(exc.value.errors) == {"need_support"}
    [message] = exc.value.errors["need_support"]
    assert str(assessment.ITEM_BY_KEY["need_support"].text) in message
    assert f"{str(bad).strip()} is not on the scale from 1 to 5" in message
    _nothing_saved()


def test_a_missing_item_is_named_and_nothing_is_saved(world: World) -> None:
    answers: dict[str, Any] = {k: v for k, v in ANSWERS.items() if k not in ("exp_word", "comp_slow")}
    answers["need_choice"] = ""
    with pytest.raises(ValidationFailed) as exc:
        _record(world, answers)
    assert set(exc.value.errors) == {"exp_word", "comp_slow", "need_choice"}
    assert exc.value.errors["exp_word"] == [f"“{assessment.ITEM_BY_KEY['exp_word'].text}”: choose an answer."]
    _nothing_saved()


def test_an_unknown_item_is_refused(world: World) -> None:
    with pytest.raises(ValidationFailed) as exc:
        _record(world, {**ANSWERS, "mood": 3})
    assert exc.value.errors["__all__"] == ["Unknown items: mood."]
    _nothing_saved()


def test_a_future_date_is_refused(world: World) -> None:
    with pytest.raises(ValidationFailed) as exc:
        _record(world, taken_on=timezone.localdate() + dt.timedelta(days=1))
    assert set(exc.value.errors) == {"taken_on"}
    _nothing_saved()


def test_only_managers_and_admins_record_and_only_for_their_own_services(world: World) -> None:
    for role in ("viewer", "agent", "lead"):
        with pytest.raises(PermissionDenied):
            actions.record_self_assessment(acting_user=world.by_role[role].user, answers=ANSWERS)
    other_admin = world.outsider
    other_service = factories.service(other_admin, factories.team(other_admin))
    with pytest.raises(Http404):
        _record(world, service=other_service)
    _nothing_saved()
    assert actions.record_self_assessment(acting_user=world.admin.user, answers=ANSWERS).total == 30


def test_change_compares_with_the_previous_assessment_of_the_same_scope(world: World) -> None:
    first = _record(world, taken_on=_days_ago(10))  # 30
    of_service = _record(world, {**ANSWERS, "comp_slow": 5}, taken_on=_days_ago(8), service=world.service)  # 34
    lower = {**ANSWERS, "need_choice": 1, "need_support": 1}  # 30 - 4 - 3 = 23
    second = _record(world, lower, taken_on=_days_ago(5))
    history = queries.self_assessment_history(world.org.pk)
    rows = [(r.pk, r.total, r.previous_total) for r in history]  # type: ignore[attr-defined]
    assert rows == [(second.pk, 23, 30), (of_service.pk, 34, None), (first.pk, 30, None)]
    assert list(queries.self_assessment_history(world.outsider.organization_id)) == []


# pages


def test_empty_state_for_a_viewer_and_a_manager(world: World, client_for: Any) -> None:
    body = client_for("viewer").get(reverse("self-assessment")).content.decode()
    assert 'id="empty-assessments"' in body
    assert reverse("self-assessment-new") not in body
    body = client_for("manager").get(reverse("self-assessment")).content.decode()
    assert 'id="empty-assessments"' in body and reverse("self-assessment-new") in body


def test_history_shows_totals_bands_advice_and_change(world: World, client_for: Any) -> None:
    _record(world, taken_on=_days_ago(10))
    _record(world, {**ANSWERS, "exp_other": 5}, taken_on=_days_ago(2))  # expectations 14, total 32
    body = client_for("viewer").get(reverse("self-assessment")).content.decode()
    assert 'id="latest-assessment"' in body
    need, competitors, expectations = assessment.QUESTIONS
    assert str(need.advice["high"]) in body
    assert str(competitors.advice["low"]) in body
    assert str(expectations.advice["middle"]) in body
    assert str(need.advice["low"]) not in body
    assert "Total 32 of 50 (Middle)" in body
    assert "change since the previous one: +2" in body
    table = body.split('id="assessment-history"', 1)[1]
    assert table.index("<strong>32</strong>") < table.index("<strong>30</strong>")  # newest first
    assert reverse("self-assessment-new") not in body  # viewers read only


def test_history_is_paginated_newest_first(world: World, client_for: Any) -> None:
    for n in range(22):
        _record(world, taken_on=_days_ago(30 - n))
    client = client_for("viewer")
    first = client.get(reverse("self-assessment")).content.decode()
    assert first.count("<time datetime=") == 20
    assert f'datetime="{_days_ago(9):%Y-%m-%d}"' in first and f'datetime="{_days_ago(30):%Y-%m-%d}"' not in first
    second = client.get(reverse("self-assessment") + "?page=2").content.decode()
    assert second.count("<time datetime=") == 2
    assert f'datetime="{_days_ago(30):%Y-%m-%d}"' in second
    assert "Page 2 of 2" in second


def _post_data(answers: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"taken_on": _days_ago(1).isoformat(), "service": "", **{k: str(v) for k, v in answers.items()}, **extra}


def test_manager_takes_an_assessment_in_the_form(world: World, client_for: Any) -> None:
    client = client_for("manager")
    form = client.get(reverse("self-assessment-new")).content.decode()
    assert form.count("<fieldset") == 3 + 10  # a group per question, a radio group per item
    assert form.count('type="radio"') == 50
    assert str(assessment.ITEM_BY_KEY["exp_word"].text) in form
    response = client.post(
        reverse("self-assessment-new"), _post_data(ANSWERS, service=str(world.service.pk)), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("self-assessment")
    assert "Self-assessment saved: 30 of 50 points." in response.content.decode()
    record = SelfAssessment.objects.get()
    assert (record.service, record.taken_on, record.total) == (world.service, _days_ago(1), 30)


def test_form_names_the_items_at_fault_keeps_the_answers_and_saves_nothing(world: World, client_for: Any) -> None:
    answers = {k: v for k, v in ANSWERS.items() if k != "exp_promises"}
    answers["comp_costly"] = 9
    response = client_for("admin").post(reverse("self-assessment-new"), _post_data(answers))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="item-errors"' in body
    assert "choose an answer" in body and str(assessment.ITEM_BY_KEY["exp_promises"].text) in body
    assert "9 is not on the scale from 1 to 5" in body
    assert 'id="id_need_choice_5" name="need_choice" value="5" checked' in body  # the other answers are kept
    _nothing_saved()


def test_form_with_a_bad_date_still_names_the_missing_items(world: World, client_for: Any) -> None:
    response = client_for("admin").post(reverse("self-assessment-new"), _post_data({}, taken_on="yesterday"))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("choose an answer") >= 10
    _nothing_saved()


def test_form_refuses_a_service_of_another_organization(world: World, client_for: Any) -> None:
    other_service = factories.service(world.outsider, factories.team(world.outsider))
    response = client_for("manager").post(
        reverse("self-assessment-new"), _post_data(ANSWERS, service=str(other_service.pk))
    )
    assert response.status_code == 200
    _nothing_saved()


def test_viewer_and_agent_cannot_take_an_assessment(world: World, client_for: Any) -> None:
    for role in ("viewer", "agent", "lead"):
        assert client_for(role).get(reverse("self-assessment-new")).status_code == 403
        assert client_for(role).post(reverse("self-assessment-new"), _post_data(ANSWERS)).status_code == 403
    _nothing_saved()


def test_another_organization_sees_none_of_the_assessments(world: World, client_for: Any) -> None:
    _record(world, service=world.service)
    body = client_for("outsider").get(reverse("self-assessment")).content.decode()
    assert 'id="empty-assessments"' in body and world.service.name not in body


def test_history_query_count_does_not_grow_with_the_assessments(
    world: World, client_for: Any, django_assert_num_queries: Any
) -> None:
    client = client_for("viewer")
    _record(world, taken_on=_days_ago(40), service=world.service)
    client.get(reverse("self-assessment"))
    # 1 session, 1 user, 1 staff with organization, 1 unread notifications, 1 count, 1 page of assessments
    # with services and who took them, 1 answers of the latest, 3 for the session save (savepoint, update, release)
    with django_assert_num_queries(10):
        client.get(reverse("self-assessment"))
    for n in range(30):
        _record(world, taken_on=_days_ago(30 - n), service=world.service if n % 2 else None)
    with django_assert_num_queries(10):
        response = client.get(reverse("self-assessment"))
    assert response.content.decode().count("<time datetime=") == 20
    with django_assert_num_queries(11):  # a later page reads the latest assessment on its own
        client.get(reverse("self-assessment") + "?page=2")


def test_organization_page_links_to_the_self_assessment(world: World, client_for: Any) -> None:
    body = client_for("viewer").get(reverse("organization")).content.decode()
    assert reverse("self-assessment") in body


def test_history_shows_the_advice_in_the_active_language(world: World, client_for: Any) -> None:
    from django.utils import translation

    _record(world)
    client = client_for("viewer")
    client.cookies["django_language"] = "es"
    body = client.get(reverse("self-assessment")).content.decode()
    with translation.override("es"):
        advice = str(assessment.QUESTIONS[0].advice["high"])
        band = str(assessment.BAND_LABELS["middle"])
    assert advice.startswith("El servicio es lo que los clientes compran")
    assert advice in body and f"({band})" in body

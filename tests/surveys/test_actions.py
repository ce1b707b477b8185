from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.http import Http404

from servicecycle.accounts import actions as accounts
from servicecycle.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from servicecycle.core.models import AuditEvent
from servicecycle.surveys import actions
from servicecycle.surveys.models import Answer, Attribute, Question, Response, Survey
from servicecycle.surveys.queries import answers_to, get_survey_for_user, questions_of
from tests import factories
from tests.factories import World
from tests.surveys import builders

K = Question.Kind


def _counts() -> tuple[int, ...]:
    return (
        Survey.objects.count(),
        Question.objects.count(),
        Attribute.objects.count(),
        Response.objects.count(),
        Answer.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def draft(world: World) -> Survey:
    return builders.survey(world.manager, languages=["en", "es"])


@pytest.fixture
def opened(world: World) -> dict[str, Any]:
    """An open survey with one question of every kind (all required but the text)."""
    m = world.manager
    s = builders.survey(m, languages=["en", "ru"], service_id=world.service.pk)
    q = {
        "nps": builders.question(m, s, K.NPS, "How likely are you to recommend us to a friend?"),
        "csat": builders.question(m, s, K.CSAT, "How satisfied are you with the delivery?"),
        "ces": builders.question(m, s, K.CES, "It was easy to get my problem solved."),
        "rating": builders.question(m, s, K.RATING, "Rate the driver", scale_min=0, scale_max=4),
        "single": builders.question(
            m,
            s,
            K.SINGLE_CHOICE,
            "How did you order?",
            choices=[{"code": 1, "texts": {"en": "Phone"}}, {"code": 2, "texts": {"en": "Web"}}],
        ),
        "multi": builders.question(
            m,
            s,
            K.MULTIPLE_CHOICE,
            "What did you buy?",
            choices=[{"texts": {"en": "Bricks"}}, {"texts": {"en": "Cement"}}, {"texts": {"en": "Sand"}}],
        ),
        "text": builders.question(m, s, K.TEXT, "Anything else?", required=False),
        "grid": builders.grid(m, s, ("On time", "Undamaged"), competitor_name="BuildMart"),
        "pair": builders.question(
            m, s, K.SERVQUAL_PAIR, "Staff are always willing to help", dimension="responsiveness"
        ),
        "alloc": builders.question(m, s, K.ALLOCATION, "Share 100 points by what matters to you"),
    }
    for name in ("Speed", "Price"):
        actions.add_attribute(acting_user=m.user, question=q["alloc"], texts={"en": name})
    builders.open_survey(m, s)
    return {"survey": Survey.objects.get(pk=s.pk), **q}


def _full(o: dict[str, Any]) -> list[dict[str, Any]]:
    """A complete, valid set of answers to the ``opened`` survey."""
    on_time, undamaged = builders.attributes(o["grid"])
    speed, price = builders.attributes(o["alloc"])
    return [
        {"question": o["nps"].pk, "value": 9},
        {"question": o["csat"].pk, "value": 4},
        {"question": o["ces"].pk, "value": 2},
        {"question": o["rating"].pk, "value": 0},
        {"question": o["single"].pk, "value": 2},
        {"question": o["multi"].pk, "choices": [1, 3]},
        {"question": o["text"].pk, "text": "  The driver called ahead.  "},
        {
            "question": o["grid"].pk,
            "attribute": on_time.pk,
            "importance": 7,
            "performance": 5,
            "competitor_performance": 4,
        },
        {"question": o["grid"].pk, "attribute": undamaged.pk, "importance": 6, "performance": 6},
        {"question": o["pair"].pk, "expectation": 6, "perception": 4},
        {"question": o["alloc"].pk, "attribute": speed.pk, "value": 70},
        {"question": o["alloc"].pk, "attribute": price.pk, "value": 30},
    ]


# Surveys ------------------------------------------------------------------------------------------------


def test_manager_creates_a_draft_survey_and_the_creation_is_audited(world: World) -> None:
    s = actions.create_survey(
        acting_user=world.manager.user,
        titles={"en": "  After delivery  ", "ru": "После доставки"},
        languages=["en", "ru"],
        kind=Survey.Kind.POST_RESOLUTION,
        service_id=world.service.pk,
    )
    assert (s.status, s.default_language, s.languages) == ("draft", "en", ["en", "ru"])
    assert s.titles == {"en": "After delivery", "ru": "После доставки"}
    assert str(s) == "After delivery"
    assert s.created_by == world.manager.user
    event = AuditEvent.objects.get(verb="survey.created", object_id=s.pk)
    assert event.actor == world.manager.user
    assert event.changes["kind"] == "post_resolution"


def test_survey_languages_default_to_the_organization_language(world: World) -> None:
    accounts.update_organization(acting_user=world.admin.user, organization=world.org, default_language="ms")
    fresh = type(world.manager.user).objects.get(pk=world.manager.user.pk)  # no cached organization
    s = actions.create_survey(acting_user=fresh, titles={"ms": "Tinjauan"})
    assert (s.default_language, s.languages) == ("ms", ["ms"])


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        (
            {"titles": {"es": "Encuesta"}, "languages": ["en", "es"]},
            "titles",
            "Write the text in the survey's default language (en).",
        ),
        ({"titles": {"en": "   "}}, "titles", "Write the text in the survey's default language (en)."),
        ({"titles": {"en": "S", "ru": "Опрос"}}, "titles", "ru is not one of this survey's languages."),
        (
            {"titles": {"en": "S"}, "languages": ["en", "de"]},
            "languages",
            "Unknown language de: choose among en, ru, ms and es.",
        ),
        (
            {"titles": {"en": "S"}, "languages": ["en", "en"]},
            "languages",
            "Each language may be listed only once.",
        ),
        (
            {"titles": {"es": "S"}, "languages": ["es"], "default_language": "en"},
            "default_language",
            "The default language must be one of the survey's languages.",
        ),
        (
            {"titles": {"en": "S"}, "service_id": 999999},
            "service",
            "Unknown service: choose one of your organization's services.",
        ),
        ({"titles": {"en": "S"}, "kind": "poll"}, "kind", None),
    ],
)
def test_bad_survey_input_names_the_field_and_saves_nothing(
    world: World, kwargs: dict[str, Any], field: str, message: str | None
) -> None:
    before = _counts()
    with pytest.raises(ValidationFailed) as caught:
        actions.create_survey(acting_user=world.manager.user, **kwargs)
    assert caught.value.field == field
    if message is not None:
        assert caught.value.message == message
    assert _counts() == before


def test_only_admins_and_managers_design_surveys(world: World, draft: Survey) -> None:
    for role in ("lead", "agent", "viewer"):
        with pytest.raises(PermissionDenied):
            builders.survey(world.by_role[role])
        with pytest.raises(PermissionDenied):
            builders.question(world.by_role[role], draft, K.NPS)
    with pytest.raises(NotFound):
        builders.question(world.outsider, draft, K.NPS)
    with pytest.raises(NotFound):
        actions.add_wave(acting_user=world.outsider.user, survey=draft, name="Q1", starts_on=dt.date(2025, 1, 1))


def test_status_moves_from_draft_to_open_to_closed_and_back_to_open(world: World, draft: Survey) -> None:
    with pytest.raises(ValidationFailed) as caught:
        builders.open_survey(world.manager, draft)
    assert caught.value.message == "Add at least one question before opening the survey."
    builders.question(world.manager, draft, K.NPS)
    s = builders.open_survey(world.manager, draft)
    assert (s.status, s.version) == ("open", 2)
    s = actions.set_survey_status(acting_user=world.admin.user, survey=s, status="closed", expected_version=2)
    with pytest.raises(ValidationFailed) as caught:
        actions.set_survey_status(acting_user=world.admin.user, survey=s, status="draft")
    assert caught.value.message == "A survey cannot go from closed to draft."
    with pytest.raises(Conflict):
        actions.set_survey_status(acting_user=world.admin.user, survey=s, status="open", expected_version=2)
    s = actions.set_survey_status(acting_user=world.admin.user, survey=s, status="open", expected_version=3)
    assert s.status == "open"
    moves = [e.changes["status"] for e in AuditEvent.objects.filter(verb="survey.status_changed").order_by("id")]
    assert moves == [["draft", "open"], ["open", "closed"], ["closed", "open"]]


def test_waves_have_unique_names_and_end_after_they_start(world: World, draft: Survey) -> None:
    wave = actions.add_wave(
        acting_user=world.manager.user, survey=draft, name=" 2025 Q1 ", starts_on=dt.date(2025, 1, 1)
    )
    assert wave.name == "2025 Q1"
    assert AuditEvent.objects.get(verb="wave.added").scope_id == draft.pk
    with pytest.raises(ValidationFailed) as caught:
        actions.add_wave(acting_user=world.manager.user, survey=draft, name="2025 Q1", starts_on=dt.date(2025, 4, 1))
    assert caught.value.message == "This survey already has a wave with this name."
    with pytest.raises(ValidationFailed) as caught:
        actions.add_wave(
            acting_user=world.manager.user,
            survey=draft,
            name="2025 Q2",
            starts_on=dt.date(2025, 4, 1),
            ends_on=dt.date(2025, 3, 31),
        )
    assert caught.value.field == "ends_on"


# Questions ----------------------------------------------------------------------------------------------


def test_question_kinds_take_their_own_scales_and_are_audited(world: World, draft: Survey) -> None:
    m = world.manager
    scales = {
        kind: (q.scale_min, q.scale_max)
        for kind, q in (
            (kind, builders.question(m, draft, kind, **extra))
            for kind, extra in [
                (K.NPS, {}),
                (K.CSAT, {}),
                (K.CES, {}),
                (K.SERVQUAL_PAIR, {"dimension": "tangibles", "item_number": 1}),
                (K.ALLOCATION, {}),
                (K.RATING, {"scale_min": 0, "scale_max": 10}),
                (K.TEXT, {}),
            ]
        )
    }
    assert scales == {
        "nps": (0, 10),
        "csat": (1, 5),
        "ces": (1, 7),
        "servqual_pair": (1, 7),
        "allocation": (0, 100),
        "rating": (0, 10),
        "text": (None, None),
    }
    positions = list(draft.questions.order_by("position").values_list("position", flat=True))
    assert positions == [1, 2, 3, 4, 5, 6, 7]
    events = AuditEvent.objects.filter(verb="question.added", scope_id=draft.pk)
    assert events.count() == 7
    assert events.get(object_id=draft.questions.get(kind="rating").pk).changes["scale_max"] == 10


@pytest.mark.parametrize(
    ("kind", "kwargs", "field", "message"),
    [
        (
            K.NPS,
            {"scale_min": 1, "scale_max": 10},
            "scale_max",
            "This kind of question always uses the scale 0-10.",
        ),
        (K.CSAT, {"scale_max": 7}, "scale_max", "This kind of question always uses the scale 1-5."),
        (K.CES, {"scale_min": 0}, "scale_max", "This kind of question always uses the scale 1-7."),
        (K.RATING, {}, "scale_max", "Give the lowest and the highest answer of the scale."),
        (K.RATING, {"scale_min": 1, "scale_max": 12}, "scale_max", "A rating scale has from 2 to 11 points."),
        (K.RATING, {"scale_min": 1, "scale_max": 1}, "scale_max", "A rating scale has from 2 to 11 points."),
        (K.RATING, {"scale_min": 2, "scale_max": 6}, "scale_min", "The scale must start at 0 or 1."),
        (K.IPA_GRID, {"scale_min": 0, "scale_max": 6}, "scale_min", "The scale must start at 1."),
        (K.TEXT, {"scale_min": 1, "scale_max": 5}, "scale_max", "This kind of question has no scale."),
        (K.TEXT, {"choices": [{"texts": {"en": "a"}}]}, "choices", "Only choice questions have options."),
        (K.SINGLE_CHOICE, {"choices": [{"texts": {"en": "Only"}}]}, "choices", "Give at least two options."),
        (
            K.SINGLE_CHOICE,
            {"choices": [{"code": 3, "texts": {"en": "a"}}, {"code": 3, "texts": {"en": "b"}}]},
            "choices",
            "Option 2: the code 3 is used twice.",
        ),
        (
            K.SINGLE_CHOICE,
            {"choices": [{"code": 0, "texts": {"en": "a"}}, {"texts": {"en": "b"}}]},
            "choices",
            "Option 1: its code must be a whole number from 1 to 100.",
        ),
        (
            K.MULTIPLE_CHOICE,
            {"choices": [{"texts": {"es": "uno"}}, {"texts": {"en": "two"}}]},
            "choices",
            "Write the text in the survey's default language (en).",
        ),
        (K.SERVQUAL_PAIR, {}, "dimension", "Choose the SERVQUAL dimension this item belongs to."),
        (K.NPS, {"dimension": "empathy"}, "dimension", "Only SERVQUAL items belong to a dimension."),
        (
            K.NPS,
            {"competitor_name": "BuildMart"},
            "competitor_name",
            "Only an importance/performance grid can rate a competitor.",
        ),
        (
            K.NPS,
            {"moment_id": 999999},
            "moment",
            "Unknown moment of truth: choose one of your services' moments.",
        ),
        ("slider", {}, "kind", "Unknown kind of question."),
    ],
)
def test_bad_question_input_names_the_field_and_saves_nothing(
    world: World, draft: Survey, kind: str, kwargs: dict[str, Any], field: str, message: str
) -> None:
    before = _counts()
    with pytest.raises(ValidationFailed) as caught:
        builders.question(world.manager, draft, kind, **kwargs)
    assert (caught.value.field, caught.value.message) == (field, message)
    assert _counts() == before


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        ({"es": "¿Nos recomendaría?"}, "Write the text in the survey's default language (en)."),
        ({"en": "  ", "es": "¿Nos recomendaría?"}, "Write the text in the survey's default language (en)."),
        ({}, "Write the text in the survey's default language (en)."),
        ({"en": "Recommend?", "ms": "Cadangkan?"}, "ms is not one of this survey's languages."),
        ("Recommend?", "Give the text as {language: text}."),
        ({"en": "x" * 2001}, "A text may have at most 2000 characters."),
    ],
)
def test_question_text_must_be_in_the_default_language(world: World, draft: Survey, texts: Any, message: str) -> None:
    before = _counts()
    with pytest.raises(ValidationFailed) as caught:
        actions.add_question(acting_user=world.manager.user, survey=draft, kind=K.NPS, texts=texts)
    assert (caught.value.field, caught.value.message) == ("texts", message)
    assert _counts() == before


def test_question_links_to_a_service_and_a_moment_of_it(world: World, draft: Survey) -> None:
    moment = world.moments[1]
    q = builders.question(world.manager, draft, K.CSAT, service_id=world.service.pk, moment_id=moment.pk)
    assert (q.service, q.moment) == (world.service, moment)
    other = factories.service(world.admin, world.other_team, "Installation")
    with pytest.raises(ValidationFailed) as caught:
        builders.question(world.manager, draft, K.CSAT, service_id=other.pk, moment_id=moment.pk)
    assert caught.value.message == "The moment of truth must belong to the chosen service."
    foreign = factories.service(world.outsider, factories.team(world.outsider), "Foreign")
    with pytest.raises(ValidationFailed) as caught:
        builders.question(world.manager, draft, K.CSAT, service_id=foreign.pk)
    assert caught.value.field == "service"


def test_questions_change_only_while_the_survey_is_a_draft(world: World, draft: Survey) -> None:
    grid = builders.grid(world.manager, draft, ("On time",))
    builders.open_survey(world.manager, draft)
    before = _counts()
    with pytest.raises(ValidationFailed) as caught:
        builders.question(world.manager, draft, K.NPS)
    assert caught.value.message == "Questions can be changed only while the survey is a draft."
    with pytest.raises(ValidationFailed):
        actions.add_attribute(acting_user=world.manager.user, question=grid, texts={"en": "Undamaged"})
    assert _counts() == before


def test_attributes_belong_to_grids_and_allocations_with_distinct_texts(world: World, draft: Survey) -> None:
    grid = builders.grid(world.manager, draft, ("On time", "Undamaged"))
    assert [(a.position, a.texts) for a in builders.attributes(grid)] == [
        (1, {"en": "On time"}),
        (2, {"en": "Undamaged"}),
    ]
    assert AuditEvent.objects.filter(verb="attribute.added", scope_id=draft.pk).count() == 2
    with pytest.raises(ValidationFailed) as caught:
        actions.add_attribute(acting_user=world.manager.user, question=grid, texts={"en": "On time"})
    assert caught.value.message == "This question already has an attribute with this text."
    nps = builders.question(world.manager, draft, K.NPS)
    with pytest.raises(ValidationFailed) as caught:
        actions.add_attribute(acting_user=world.manager.user, question=nps, texts={"en": "Speed"})
    assert caught.value.message == "Only importance/performance grids and allocations have attributes."
    with pytest.raises(ValidationFailed) as caught:
        actions.add_attribute(acting_user=world.manager.user, question=grid, texts={"en": "Fast"}, dimension="empathy")
    assert caught.value.field == "dimension"
    alloc = builders.question(world.manager, draft, K.ALLOCATION)
    a = actions.add_attribute(
        acting_user=world.manager.user, question=alloc, texts={"en": "Empathy"}, dimension="empathy"
    )
    assert a.dimension == "empathy"


def test_display_condition_refers_to_an_earlier_scored_question(world: World, draft: Survey) -> None:
    nps = builders.question(world.manager, draft, K.NPS)
    text = builders.question(world.manager, draft, K.TEXT)
    why = builders.question(
        world.manager,
        draft,
        K.TEXT,
        "What should we improve?",
        condition={"question": nps.pk, "values": [6, 0, "3"]},
    )
    assert why.condition == {"question": nps.pk, "values": [0, 3, 6]}
    for condition, message in [
        ({"question": text.pk, "values": ["x"]}, "A condition can test only a scored or a choice question."),
        (
            {"question": 999999, "values": [1]},
            "The condition must refer to an earlier question of this survey.",
        ),
        ({"question": nps.pk, "values": [11]}, "11 is not a possible answer to question 1."),
        ({"question": nps.pk, "values": []}, "List the answers that show this question."),
        ({"question": nps.pk}, 'Write the condition as {"question": id, "values": [answers]}.'),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            builders.question(world.manager, draft, K.TEXT, condition=condition)
        assert (caught.value.field, caught.value.message) == ("condition", message)


# Responses ----------------------------------------------------------------------------------------------


def test_a_response_with_every_kind_of_answer_is_saved_whole(world: World, opened: dict[str, Any]) -> None:
    o = opened
    response = actions.record_response(survey=o["survey"], answers=_full(o), channel="email", language="ru")
    assert (response.channel, response.language, response.service) == ("email", "ru", world.service)
    assert response.submitted_at is not None and response.started_at <= response.submitted_at
    rows = {(a.question_id, a.attribute_id, a.value): a for a in Answer.objects.filter(response=response)}
    assert len(rows) == 13  # 12 entries, and the multiple choice keeps one row per chosen option
    on_time, undamaged = builders.attributes(o["grid"])
    assert (o["nps"].pk, None, 9) in rows
    assert {v for (q, _a, v) in rows if q == o["multi"].pk} == {1, 3}
    assert rows[(o["text"].pk, None, None)].text == "The driver called ahead."
    first = rows[(o["grid"].pk, on_time.pk, None)]
    assert (first.importance, first.performance, first.competitor_performance) == (7, 5, 4)
    assert rows[(o["grid"].pk, undamaged.pk, None)].competitor_performance is None
    pair = rows[(o["pair"].pk, None, None)]
    assert (pair.expectation, pair.perception) == (6, 4)
    assert sum(v for (q, _a, v) in rows if q == o["alloc"].pk) == 100


@pytest.mark.parametrize(
    ("name", "change", "field", "message"),
    [
        (
            "nps",
            {"value": 11},
            "answers[0].value",
            'Question 1 ("How likely are you to recommend us to a friend?"): 11 is outside its scale 0-10.',
        ),
        (
            "csat",
            {"value": 0},
            "answers[1].value",
            'Question 2 ("How satisfied are you with the delivery?"): 0 is outside its scale 1-5.',
        ),
        (
            "ces",
            {"value": 8},
            "answers[2].value",
            'Question 3 ("It was easy to get my problem solved."): 8 is outside its scale 1-7.',
        ),
        (
            "rating",
            {"value": 5},
            "answers[3].value",
            'Question 4 ("Rate the driver"): 5 is outside its scale 0-4.',
        ),
        (
            "nps",
            {"value": 7.5},
            "answers[0].value",
            'Question 1 ("How likely are you to recommend us to a friend?"): value must be a whole number.',
        ),
        (
            "nps",
            {"value": True},
            "answers[0].value",
            'Question 1 ("How likely are you to recommend us to a friend?"): value must be a whole number.',
        ),
        (
            "nps",
            {"value": None},
            "answers[0].value",
            'Question 1 ("How likely are you to recommend us to a friend?"): value must be a whole number.',
        ),
        (
            "single",
            {"value": 3},
            "answers[4].value",
            'Question 5 ("How did you order?"): 3 is not one of its options.',
        ),
        (
            "multi",
            {"choices": [1, 1]},
            "answers[5].choices",
            'Question 6 ("What did you buy?"): an option is chosen twice.',
        ),
        (
            "multi",
            {"choices": []},
            "answers[5].choices",
            'Question 6 ("What did you buy?"): choose at least one option.',
        ),
        (
            "text",
            {"text": "   "},
            "answers[6].text",
            'Question 7 ("Anything else?"): write an answer or leave the question out.',
        ),
        (
            "grid",
            {"performance": 8},
            "answers[7].performance",
            'Question 8 ("How important is each, and how did we do?"): 8 is outside its scale 1-7.',
        ),
        (
            "grid",
            {"competitor_performance": 0},
            "answers[7].competitor_performance",
            'Question 8 ("How important is each, and how did we do?"): 0 is outside its scale 1-7.',
        ),
        (
            "pair",
            {"perception": 0},
            "answers[9].perception",
            'Question 9 ("Staff are always willing to help"): 0 is outside its scale 1-7.',
        ),
        (
            "nps",
            {"text": "great"},
            "answers[0]",
            'Question 1 ("How likely are you to recommend us to a friend?"): text is not part of this kind of answer.',
        ),
    ],
)
def test_an_unacceptable_answer_names_its_question_and_nothing_is_saved(
    opened: dict[str, Any], name: str, change: dict[str, Any], field: str, message: str
) -> None:
    answers = _full(opened)
    index = next(i for i, a in enumerate(answers) if a["question"] == opened[name].pk)
    answers[index] = {**answers[index], **change}
    before = _counts()
    with pytest.raises(ValidationFailed) as caught:
        actions.record_response(survey=opened["survey"], answers=answers)
    assert (caught.value.field, caught.value.message) == (field, message)
    assert _counts() == before


def test_whole_numbers_written_as_text_are_accepted(opened: dict[str, Any]) -> None:
    answers = _full(opened)
    answers[0] = {"question": str(opened["nps"].pk), "value": " 10 "}
    response = actions.record_response(survey=opened["survey"], answers=answers)
    assert response.answers.get(question=opened["nps"]).value == 10


@pytest.mark.parametrize(
    ("tamper", "field", "message"),
    [
        (
            "missing_required",
            "answers",
            'Question 2 ("How satisfied are you with the delivery?") needs an answer.',
        ),
        (
            "twice",
            "answers[12].question",
            'Question 1 ("How likely are you to recommend us to a friend?") is answered twice.',
        ),
        (
            "grid_row_missing",
            "answers",
            'Question 8 ("How important is each, and how did we do?"): rate every attribute.',
        ),
        (
            "grid_row_twice",
            "answers[8].attribute",
            'Question 8 ("How important is each, and how did we do?"): the attribute 1 is answered twice.',
        ),
        (
            "points",
            "answers",
            'Question 10 ("Share 100 points by what matters to you"): '
            "the points must add up to 100; they add up to 90.",
        ),
        (
            "foreign_attribute",
            "answers[10].attribute",
            'Question 10 ("Share 100 points by what matters to you"): the attribute is not one of this question\'s.',
        ),
        ("not_a_mapping", "answers[0]", "Answer 1 must be a mapping with a question."),
    ],
)
def test_incomplete_or_inconsistent_responses_are_refused(
    opened: dict[str, Any], tamper: str, field: str, message: str
) -> None:
    o = opened
    answers = _full(o)
    if tamper == "missing_required":
        del answers[1]
    elif tamper == "twice":
        answers.append({"question": o["nps"].pk, "value": 3})
    elif tamper == "grid_row_missing":
        del answers[8]
    elif tamper == "grid_row_twice":
        answers[8] = {**answers[7], "competitor_performance": None}
    elif tamper == "points":
        answers[11] = {**answers[11], "value": 20}
    elif tamper == "foreign_attribute":
        answers[10] = {**answers[10], "attribute": answers[7]["attribute"]}
    else:
        answers[0] = 9  # type: ignore[call-overload]
    before = _counts()
    with pytest.raises(ValidationFailed) as caught:
        actions.record_response(survey=o["survey"], answers=answers)
    assert (caught.value.field, caught.value.message) == (field, message)
    assert _counts() == before


def test_a_question_of_another_survey_is_refused_and_nothing_is_saved(world: World, opened: dict[str, Any]) -> None:
    other = builders.survey(world.manager, "Other")
    foreign = builders.question(world.manager, other, K.NPS)
    answers = [*_full(opened), {"question": foreign.pk, "value": 10}]
    before = _counts()
    with pytest.raises(ValidationFailed) as caught:
        actions.record_response(survey=opened["survey"], answers=answers)
    assert caught.value.field == "answers[12].question"
    assert caught.value.message == "Answer 13 names a question that is not part of this survey."
    assert _counts() == before


def test_optional_questions_may_be_left_out(opened: dict[str, Any]) -> None:
    answers = [a for a in _full(opened) if a["question"] != opened["text"].pk]
    response = actions.record_response(survey=opened["survey"], answers=answers)
    assert not response.answers.filter(question=opened["text"]).exists()


def test_a_question_hidden_by_its_condition_is_neither_required_nor_accepted(world: World) -> None:
    m = world.manager
    s = builders.survey(m)
    nps = builders.question(m, s, K.NPS)
    why = builders.question(m, s, K.TEXT, "What went wrong?", condition={"question": nps.pk, "values": list(range(7))})
    builders.open_survey(m, s)
    actions.record_response(survey=s, answers=[{"question": nps.pk, "value": 9}])
    with pytest.raises(ValidationFailed) as caught:
        actions.record_response(survey=s, answers=[{"question": nps.pk, "value": 3}])
    assert caught.value.message == 'Question 2 ("What went wrong?") needs an answer.'
    actions.record_response(survey=s, answers=[{"question": nps.pk, "value": 3}, {"question": why.pk, "text": "Late"}])
    with pytest.raises(ValidationFailed) as caught:
        actions.record_response(
            survey=s, answers=[{"question": nps.pk, "value": 10}, {"question": why.pk, "text": "Nothing"}]
        )
    assert caught.value.message == 'Question 2 ("What went wrong?") is not shown after these answers; leave it out.'
    assert Response.objects.filter(survey=s).count() == 2


def test_a_link_token_accepts_one_response(opened: dict[str, Any]) -> None:
    first = actions.record_response(survey=opened["survey"], answers=_full(opened), token="link-abc")
    assert first.token_hash == actions.hash_token("link-abc") != "link-abc"
    before = _counts()
    with pytest.raises(Conflict) as caught:
        actions.record_response(survey=opened["survey"], answers=_full(opened), token="link-abc")
    assert caught.value.message == "This survey link has already been used to answer."
    assert _counts() == before
    actions.record_response(survey=opened["survey"], answers=_full(opened), token="link-def")


def test_responses_are_recorded_only_while_the_survey_is_open(world: World, opened: dict[str, Any]) -> None:
    actions.set_survey_status(acting_user=world.manager.user, survey=opened["survey"], status="closed")
    with pytest.raises(ValidationFailed) as caught:
        actions.record_response(survey=opened["survey"], answers=_full(opened))
    assert caught.value.message == "This survey is not open for responses."


def test_response_context_must_belong_to_the_survey_and_organization(world: World, opened: dict[str, Any]) -> None:
    s = opened["survey"]
    other = builders.survey(world.manager, "Other")
    foreign_wave = actions.add_wave(
        acting_user=world.manager.user, survey=other, name="W", starts_on=dt.date(2025, 1, 1)
    )
    foreign_customer = accounts.create_customer(acting_user=world.outsider.user, name="Someone else's")
    for kwargs, field in [
        ({"wave": foreign_wave}, "wave"),
        ({"customer_id": foreign_customer.pk}, "customer"),
        ({"language": "es"}, "language"),
        ({"channel": "pigeon"}, "channel"),
        ({"moment_id": 999999}, "moment"),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            actions.record_response(survey=s, answers=_full(opened), **kwargs)
        assert caught.value.field == field
    assert Response.objects.count() == 0
    customer = accounts.create_customer(acting_user=world.agent.user, name="Ms Lee")
    wave = actions.add_wave(acting_user=world.manager.user, survey=s, name="W1", starts_on=dt.date(2025, 1, 1))
    response = actions.record_response(
        survey=s, answers=_full(opened), wave=wave, customer_id=customer.pk, moment_id=world.moments[2].pk
    )
    assert (response.wave, response.customer, response.moment) == (wave, customer, world.moments[2])


def test_staff_entering_an_interview_need_customer_rights_in_the_organization(
    world: World, opened: dict[str, Any]
) -> None:
    s = opened["survey"]
    response = actions.record_response(acting_user=world.agent.user, survey=s, answers=_full(opened), channel="phone")
    assert response.channel == "phone"
    with pytest.raises(PermissionDenied):
        actions.record_response(acting_user=world.viewer.user, survey=s, answers=_full(opened))
    with pytest.raises(NotFound):
        actions.record_response(acting_user=world.outsider.user, survey=s, answers=_full(opened))


def test_the_database_refuses_scores_outside_every_scale(opened: dict[str, Any]) -> None:
    response = actions.record_response(survey=opened["survey"], answers=_full(opened))
    for fields in ({"value": 101}, {"value": -1}, {"importance": 12}, {"perception": -1}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Answer.objects.create(response=response, question=opened["nps"], **fields)


# Queries ------------------------------------------------------------------------------------------------


def test_answers_to_narrows_by_wave_service_moment_and_channel(world: World, opened: dict[str, Any]) -> None:
    s = opened["survey"]
    w1 = actions.add_wave(acting_user=world.manager.user, survey=s, name="W1", starts_on=dt.date(2025, 1, 1))
    w2 = actions.add_wave(acting_user=world.manager.user, survey=s, name="W2", starts_on=dt.date(2025, 4, 1))
    for wave, score, channel in [(w1, 9, "web"), (w1, 3, "sms"), (w2, 7, "web")]:
        answers = _full(opened)
        answers[0] = {"question": opened["nps"].pk, "value": score}
        actions.record_response(survey=s, answers=answers, wave=wave, channel=channel, moment_id=world.moments[0].pk)

    def scores(**kwargs: Any) -> list[int]:
        return sorted(answers_to(opened["nps"], **kwargs).values_list("value", flat=True))

    assert scores() == [3, 7, 9]
    assert scores(wave=w1) == [3, 9]
    assert scores(wave=w2, channel="web") == [7]
    assert scores(channel="sms") == [3]
    assert scores(service=world.service, moment=world.moments[0]) == [3, 7, 9]
    assert scores(moment=world.moments[1]) == []


def test_survey_access_follows_the_organization_and_role(
    world: World, opened: dict[str, Any], django_assert_num_queries: Any
) -> None:
    s = opened["survey"]
    assert get_survey_for_user(world.viewer.user, s.pk) == s
    with pytest.raises(PermissionDenied):
        get_survey_for_user(world.viewer.user, s.pk, write=True)
    assert get_survey_for_user(world.manager.user, str(s.pk), write=True) == s
    for user, survey_id in [(world.outsider.user, s.pk), (world.manager.user, "x"), (None, s.pk)]:
        with pytest.raises(Http404):
            get_survey_for_user(user, survey_id)
    with django_assert_num_queries(2):  # the questions with service and moment; their attributes
        listed = [(q.position, [a.position for a in q.attributes.all()]) for q in questions_of(s)]
    assert listed[7] == (8, [1, 2])
    assert [p for p, _a in listed] == list(range(1, 11))


def test_a_response_reads_in_words_for_every_kind_of_question(world: World, opened: dict[str, Any]) -> None:
    from servicecycle.surveys.queries import response_lines

    response = actions.record_response(survey=opened["survey"], answers=_full(opened))
    lines = [(line.position, line.attribute, line.answer) for line in response_lines(response, "en")]
    assert lines == [
        (1, "", "9"),
        (2, "", "4 of 5"),
        (3, "", "2 of 7"),
        (4, "", "0 on a scale of 0 to 4"),
        (5, "", "Web"),
        (6, "", "Bricks"),
        (6, "", "Sand"),
        (7, "", "The driver called ahead."),
        (8, "On time", "importance 7 · performance 5 · BuildMart 4"),
        (8, "Undamaged", "importance 6 · performance 6"),
        (9, "", "expected 6 · perceived 4"),
        (10, "Speed", "70 points"),
        (10, "Price", "30 points"),
    ]
    # the questions in the reader's language where the survey has it, else in its default language
    assert response_lines(response, "ru")[0].question == "How likely are you to recommend us to a friend?"

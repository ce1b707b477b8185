"""API endpoints of surveys (no `from __future__ import annotations`: django-ninja reads the annotations).

The same actions as the pages do the work, so the same rules hold: every member of the organization reads its
surveys, their responses and results (survey.view); administrators and managers design, open and close them
(survey.design); staff who may work with customers (customer.manage) enter a response, as for an interview.
A change sent with a ``version`` other than the current one answers 409 instead of overwriting a colleague's.
The results are those of the results page (``surveys.results``): one aggregation path for both.
"""

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AwareDatetime

from servicecycle.accounts.models import LANGUAGE_CHOICES
from servicecycle.accounts.permissions import require
from servicecycle.catalog.models import Service
from servicecycle.core.api_schemas import ERRORS, BodyId, Pages, PathId, QueryId
from servicecycle.core.changes import hash_token
from servicecycle.core.errors import Conflict, ValidationFailed
from servicecycle.core.idempotency import clean_key, created_status, fingerprint, idempotency_header
from servicecycle.core.notify import absolute_url
from servicecycle.core.validation import fail
from servicecycle.cycles.models import Moment
from servicecycle.surveys import actions
from servicecycle.surveys.blueprints import BLUEPRINTS
from servicecycle.surveys.models import Answer, Attribute, Question, Response, Survey, Wave, text_in
from servicecycle.surveys.queries import get_survey_for_user, questions_of, surveys_of
from servicecycle.surveys.results import Filters, Score, comments, servqual_summary, survey_results

router = Router(tags=["surveys"])


def _choices(values: list[str], empty: bool = False) -> str:
    return "^(" + "|".join(values) + ")" + ("?" if empty else "") + "$"


LANGUAGE = _choices([code for code, _label in LANGUAGE_CHOICES])
KIND = _choices(Survey.Kind.values)
STATUS = _choices(Survey.Status.values)
MOVE_TO = _choices([Survey.Status.OPEN, Survey.Status.CLOSED])
QUESTION_KIND = _choices(Question.Kind.values)
DIMENSION = _choices(Question.Dimension.values, empty=True)
CHANNEL = _choices(Response.Channel.values)
BLUEPRINT = _choices(sorted(BLUEPRINTS))
SMALL = 2**15 - 1  # answers and scales are small integers in the database

Version = Field(ge=1, le=2**31 - 1, description="The version you read; another one answers 409.")
Texts = Annotated[
    dict[str, str], Field(description="{language: text} in the survey's languages, the default one included")
]
Language = Annotated[str, Field(pattern=LANGUAGE)]
Score11 = Annotated[int, Field(ge=-SMALL, le=SMALL)]


# Schemas ----------------------------------------------------------------------------------------------------


class ChoiceOut(Schema):
    code: int
    texts: dict[str, str]


class ConditionOut(Schema):
    question: int = Field(description="The earlier question whose answer shows this one")
    values: list[int] = Field(description="The scores or option codes that show it")


class AttributeOut(Schema):
    id: int
    question_id: int
    position: int
    texts: dict[str, str]
    service_id: int | None
    moment_id: int | None
    dimension: str


class QuestionOut(Schema):
    id: int
    position: int
    kind: str
    texts: dict[str, str]
    scale_min: int | None
    scale_max: int | None
    choices: list[ChoiceOut]
    required: bool
    service_id: int | None
    moment_id: int | None
    dimension: str
    item_number: int | None
    competitor_name: str
    condition: ConditionOut | None
    version: int
    attributes: list[AttributeOut]


class WaveOut(Schema):
    id: int
    name: str
    starts_on: dt.date
    ends_on: dt.date | None


class SurveyOut(Schema):
    id: int
    title: str = Field(description="The title in the survey's default language")
    titles: dict[str, str]
    kind: str
    status: str
    languages: list[str]
    default_language: str
    service_id: int | None
    public_url: str | None = Field(description="The public answering link, when the survey has one")
    one_per_browser: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class SurveyListOut(SurveyOut):
    question_count: int
    response_count: int


class SurveyDetailOut(SurveyOut):
    questions: list[QuestionOut]
    waves: list[WaveOut]


class SurveyIn(Schema):
    blueprint: str | None = Field(
        None, pattern=BLUEPRINT, description="Start from a template (its questions are added); else from scratch"
    )
    titles: Texts | None = Field(None, description="Required from scratch; with a template it replaces its title")
    kind: str | None = Field(None, pattern=KIND, description="From scratch only (a template sets its own kind)")
    languages: list[Language] | None = Field(None, max_length=len(LANGUAGE_CHOICES))
    default_language: str | None = Field(None, pattern=LANGUAGE)
    service_id: BodyId | None = None


class SurveyPatch(Schema):
    version: int = Version
    titles: Texts | None = None
    languages: list[Language] | None = Field(None, max_length=len(LANGUAGE_CHOICES))
    default_language: str | None = Field(None, pattern=LANGUAGE)
    service_id: BodyId | None = Field(None, description="null takes the service away; leave it out to keep it")


class StatusIn(Schema):
    version: int = Version
    status: str = Field(pattern=MOVE_TO, description="open a draft or a closed survey; close an open one")


class SurveyFilters(Schema):
    status: str | None = Field(None, pattern=STATUS)
    kind: str | None = Field(None, pattern=KIND)
    q: str = Field("", max_length=200, description="Words in the title (in any of its languages)")


class ChoiceIn(Schema):
    code: int | None = Field(None, ge=1, le=100, description="Left out: the option's place, from 1")
    texts: Texts


class ConditionIn(Schema):
    question: BodyId
    values: list[Score11] = Field(min_length=1, max_length=100)


class QuestionFields(Schema):
    """What a question says and how it is answered (its kind is chosen when it is added)."""

    texts: Texts | None = None
    scale_min: int | None = Field(None, ge=-SMALL, le=SMALL)
    scale_max: int | None = Field(None, ge=-SMALL, le=SMALL)
    choices: list[ChoiceIn] | None = Field(None, max_length=100)
    required: bool | None = None
    service_id: BodyId | None = None
    moment_id: BodyId | None = None
    dimension: str | None = Field(None, pattern=DIMENSION)
    item_number: int | None = Field(None, ge=1, le=999)
    competitor_name: str | None = Field(None, max_length=120)
    condition: ConditionIn | None = None


class QuestionIn(QuestionFields):
    kind: str = Field(pattern=QUESTION_KIND)
    texts: Texts


class QuestionPatch(QuestionFields):
    """Fields left out keep their value; null clears a scale, service, moment, item number or condition."""

    version: int = Version


class OrderIn(Schema):
    question_ids: list[BodyId] = Field(max_length=500, description="Every question of the survey, once, in order")


class OrderOut(Schema):
    question_ids: list[int]


class AttributeIn(Schema):
    texts: Texts
    service_id: BodyId | None = None
    moment_id: BodyId | None = None
    dimension: str = Field("", pattern=DIMENSION, description="For an allocation among the SERVQUAL dimensions")


class AttributePatch(Schema):
    texts: Texts | None = None
    service_id: BodyId | None = None
    moment_id: BodyId | None = None
    dimension: str | None = Field(None, pattern=DIMENSION)


class WaveIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    starts_on: dt.date
    ends_on: dt.date | None = None


class AnswerIn(Schema):
    question: BodyId
    value: Score11 | None = Field(None, description="Scores, a single choice's code, allocated points")
    choices: list[Score11] | None = Field(None, max_length=100, description="Multiple choice: the codes chosen")
    text: str | None = Field(None, max_length=20_000)
    attribute: BodyId | None = Field(None, description="Grids and allocations: one answer per attribute")
    importance: Score11 | None = None
    performance: Score11 | None = None
    competitor_performance: Score11 | None = None
    expectation: Score11 | None = None
    perception: Score11 | None = None


class ResponseIn(Schema):
    answers: list[AnswerIn] = Field(max_length=10_000)
    wave_id: BodyId | None = None
    customer_id: BodyId | None = None
    channel: str = Field(Response.Channel.PHONE, pattern=CHANNEL, description="How the answers were collected")
    language: str | None = Field(None, pattern=LANGUAGE, description="Else the survey's default language")
    service_id: BodyId | None = Field(None, description="What the answers are about (else the survey's service)")
    moment_id: BodyId | None = None
    started_at: AwareDatetime | None = Field(None, description="When answering began, if not now")


class ResponseOut(Schema):
    id: int
    survey_id: int
    wave_id: int | None
    customer_id: int | None
    channel: str
    language: str
    started_at: dt.datetime
    submitted_at: dt.datetime | None
    service_id: int | None
    moment_id: int | None


class AnswerOut(Schema):
    id: int
    question_id: int
    attribute_id: int | None
    value: int | None
    importance: int | None
    performance: int | None
    competitor_performance: int | None
    expectation: int | None
    perception: int | None
    text: str | None


class ResponseDetailOut(ResponseOut):
    answers: list[AnswerOut]


class ResponseFilters(Schema):
    wave: QueryId = None
    submitted_from: AwareDatetime | None = Field(None, description="Submitted at or after this instant")
    submitted_to: AwareDatetime | None = Field(None, description="Submitted before this instant")


class ResultFilters(Schema):
    wave: QueryId = None
    service: QueryId = None
    moment: QueryId = None
    channel: str | None = Field(None, pattern=CHANNEL)
    language: str | None = Field(None, pattern=LANGUAGE, description="Of the question and option texts")


class CommentFilters(ResultFilters):
    question: QueryId = Field(None, description="Only the answers to this free-text question")
    q: str = Field("", max_length=100, description="A word the comment contains")


class BarOut(Schema):
    value: int
    label: str
    n: int
    share: float = Field(description="Percent of the question's answers")


class ScoreOut(Schema):
    kind: str = Field(description="nps, csat or ces")
    n: int
    value: float = Field(description="NPS (-100..100), CSAT (percent satisfied) or CES (mean)")
    ci95_low: float
    ci95_high: float
    promoters: int | None = None
    passives: int | None = None
    detractors: int | None = None
    satisfied: int | None = Field(None, description="CSAT: answers in the top two boxes")
    sd: float | None = Field(None, description="CES: standard deviation")


class IPAAttributeOut(Schema):
    name: str
    importance: float
    performance: float
    quadrant: str
    competitor_performance: float | None
    gap: float | None


class IPAOut(Schema):
    crosshair_method: str
    crosshair_importance: float
    crosshair_performance: float
    attributes: list[IPAAttributeOut]


class ServqualItemOut(Schema):
    expectation: float
    perception: float
    gap: float


class AllocationOut(Schema):
    attribute: str
    mean_points: float


class QuestionResultOut(Schema):
    question_id: int
    position: int
    kind: str
    text: str
    n: int
    distribution: list[BarOut]
    score: ScoreOut | None
    ipa: IPAOut | None
    servqual: ServqualItemOut | None
    allocation: list[AllocationOut]


class TrendPointOut(Schema):
    wave: str
    score: ScoreOut


class TrendOut(Schema):
    question_id: int
    waves: list[TrendPointOut]


class BreakdownRowOut(Schema):
    label: str
    score: ScoreOut


class BreakdownOut(Schema):
    title: str
    question_id: int
    rows: list[BreakdownRowOut]


class DimensionGapOut(Schema):
    dimension: str
    gap: float


class ServqualOut(Schema):
    dimensions: list[DimensionGapOut]
    overall: float


class ResultsOut(Schema):
    survey_id: int
    responses: int = Field(description="Submitted responses within the filters")
    questions: list[QuestionResultOut]
    trend: list[TrendOut] = Field(description="NPS, CSAT and CES by wave")
    breakdowns: list[BreakdownOut]
    servqual: ServqualOut | None


class CommentOut(Schema):
    id: int
    question_id: int
    response_id: int
    text: str
    submitted_at: dt.datetime | None
    wave_id: int | None
    service_id: int | None


# Helpers ----------------------------------------------------------------------------------------------------


def _public_url(survey: Survey) -> str | None:
    if not survey.public_key:
        return None
    try:
        return absolute_url(reverse("survey-public", kwargs={"key": survey.public_key}))
    except NoReverseMatch:  # the respondent pages are not mounted in this build
        return None


def _survey_out(survey: Survey) -> dict[str, Any]:
    return {
        "id": survey.pk,
        "title": text_in(survey.titles, survey.default_language),
        "titles": survey.titles,
        "kind": survey.kind,
        "status": survey.status,
        "languages": survey.languages,
        "default_language": survey.default_language,
        "service_id": survey.service_id,
        "public_url": _public_url(survey),
        "one_per_browser": survey.one_per_browser,
        "created_at": survey.created_at,
        "updated_at": survey.updated_at,
        "version": survey.version,
    }


def _attribute_out(attribute: Attribute) -> dict[str, Any]:
    return {name: getattr(attribute, name) for name in AttributeOut.model_fields}


def _question_out(question: Question, attributes: list[Attribute] | None = None) -> dict[str, Any]:
    out = {name: getattr(question, name) for name in QuestionOut.model_fields if name != "attributes"}
    if attributes is None:
        attributes = list(question.attributes.order_by("position"))
    out["attributes"] = [_attribute_out(a) for a in attributes]
    return out


def _detail(survey: Survey) -> dict[str, Any]:
    questions = list(questions_of(survey))
    return {
        **_survey_out(survey),
        "questions": [_question_out(q, list(q.attributes.all())) for q in questions],
        "waves": list(survey.waves.order_by("starts_on", "pk")),
    }


def _reloaded(request: HttpRequest, survey_id: int) -> dict[str, Any]:
    return _detail(get_survey_for_user(request.user, survey_id))


def _question(survey: Survey, question_id: int) -> Question:
    question = Question.objects.filter(pk=question_id, survey=survey).first()
    if question is None:
        raise Http404
    question.survey = survey
    return question


def _attribute(survey: Survey, question_id: int, attribute_id: int) -> Attribute:
    attribute = (
        Attribute.objects.select_related("question")
        .filter(pk=attribute_id, question_id=question_id, question__survey=survey)
        .first()
    )
    if attribute is None:
        raise Http404
    attribute.question.survey = survey
    return attribute


def _utc(value: dt.datetime | None, field: str) -> dt.datetime | None:
    """An aware instant in UTC; an offset that pushes it out of the years 1-9999 is refused, not crashed on."""
    if value is None:
        return None
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValidationFailed({field: [_("Give a date and time between the years 1 and 9999.")]}) from None


class _Rows:
    """A queryset that the pagination counts and slices, each row of the slice shaped by ``shape``."""

    def __init__(self, rows: "QuerySet[Any]", shape: Callable[[Any], dict[str, Any]]) -> None:
        self.rows, self.shape = rows, shape

    def __len__(self) -> int:
        return self.rows.count()

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        return [self.shape(row) for row in self.rows[window]]


def _survey_row(survey: Any) -> dict[str, Any]:
    return {**_survey_out(survey), "question_count": survey.question_count, "response_count": survey.response_count}


def _comment_row(answer: Answer) -> dict[str, Any]:
    return {
        "id": answer.pk,
        "question_id": answer.question_id,
        "response_id": answer.response_id,
        "text": answer.text or "",
        "submitted_at": answer.response.submitted_at,
        "wave_id": answer.response.wave_id,
        "service_id": answer.response.service_id,
    }


# Surveys ----------------------------------------------------------------------------------------------------


@router.get(
    "/surveys", response={200: list[SurveyListOut], **ERRORS}, summary="List surveys, newest first, with counts"
)
@paginate(Pages, page_size=50, max_page_size=200)
def list_surveys(request: HttpRequest, filters: Query[SurveyFilters]) -> Any:
    require(request.user, "survey.view")
    surveys = surveys_of(request.user, filters.status or "")
    if filters.kind:
        surveys = surveys.filter(kind=filters.kind)
    for word in filters.q.split()[:8]:
        surveys = surveys.filter(
            Q(*(Q(**{f"titles__{code}__icontains": word}) for code, _label in LANGUAGE_CHOICES), _connector=Q.OR)
        )
    return _Rows(surveys, _survey_row)


@router.post(
    "/surveys",
    response={201: SurveyDetailOut, **ERRORS},
    summary="Create a draft survey, from scratch or from a template (SERVQUAL, importance, ...)",
)
def create_survey(request: HttpRequest, payload: SurveyIn) -> Any:
    if payload.blueprint:
        if payload.kind is not None and payload.kind != BLUEPRINTS[payload.blueprint].kind:
            raise fail("kind", _("A template sets the kind of survey itself; leave the kind out."))
        survey = actions.create_from_blueprint(
            acting_user=request.user,
            blueprint=payload.blueprint,
            languages=payload.languages,
            default_language=payload.default_language,
            service_id=payload.service_id,
        )
        if payload.titles:
            survey = actions.update_survey(
                acting_user=request.user,
                survey=survey,
                titles={**survey.titles, **payload.titles},
                languages=survey.languages,
                default_language=survey.default_language,
                service_id=survey.service_id,
            )
    else:
        survey = actions.create_survey(
            acting_user=request.user,
            titles=payload.titles or {},
            kind=payload.kind or Survey.Kind.CUSTOM,
            languages=payload.languages,
            default_language=payload.default_language,
            service_id=payload.service_id,
        )
    return Status(201, _reloaded(request, survey.pk))


@router.get("/surveys/{survey_id}", response={200: SurveyDetailOut, **ERRORS}, summary="One survey, its questions")
def get_survey(request: HttpRequest, survey_id: PathId) -> Any:
    return _detail(get_survey_for_user(request.user, survey_id))


@router.patch(
    "/surveys/{survey_id}",
    response={200: SurveyDetailOut, **ERRORS},
    summary="Change a draft's titles, languages or service (fields left out keep their value)",
)
def update_survey(request: HttpRequest, survey_id: PathId, payload: SurveyPatch) -> Any:
    survey = get_survey_for_user(request.user, survey_id, write=True)
    given = payload.model_fields_set
    actions.update_survey(
        acting_user=request.user,
        survey=survey,
        titles=payload.titles if payload.titles is not None else survey.titles,
        languages=payload.languages if payload.languages is not None else survey.languages,
        default_language=payload.default_language or survey.default_language,
        service_id=payload.service_id if "service_id" in given else survey.service_id,
        expected_version=payload.version,
    )
    return _reloaded(request, survey_id)


@router.post(
    "/surveys/{survey_id}/status",
    response={200: SurveyDetailOut, **ERRORS},
    summary="Open a draft (its questions are then fixed), close an open survey, or reopen a closed one",
)
def set_status(request: HttpRequest, survey_id: PathId, payload: StatusIn) -> Any:
    survey = get_survey_for_user(request.user, survey_id, write=True)
    actions.set_survey_status(
        acting_user=request.user, survey=survey, status=payload.status, expected_version=payload.version
    )
    return _reloaded(request, survey_id)


# Questions and attributes -----------------------------------------------------------------------------------


def _condition(condition: ConditionIn | None) -> dict[str, Any] | None:
    return condition.dict() if condition is not None else None


def _choices_in(choices: list[ChoiceIn] | None) -> list[dict[str, Any]] | None:
    if choices is None:
        return None
    return [{"texts": c.texts, **({"code": c.code} if c.code is not None else {})} for c in choices]


@router.post(
    "/surveys/{survey_id}/questions",
    response={201: QuestionOut, **ERRORS},
    summary="Add a question at the end of a draft survey",
)
def add_question(request: HttpRequest, survey_id: PathId, payload: QuestionIn) -> Any:
    survey = get_survey_for_user(request.user, survey_id, write=True)
    question = actions.add_question(
        acting_user=request.user,
        survey=survey,
        kind=payload.kind,
        texts=payload.texts,
        scale_min=payload.scale_min,
        scale_max=payload.scale_max,
        choices=_choices_in(payload.choices),
        required=True if payload.required is None else payload.required,
        service_id=payload.service_id,
        moment_id=payload.moment_id,
        dimension=payload.dimension or "",
        item_number=payload.item_number,
        competitor_name=payload.competitor_name or "",
        condition=_condition(payload.condition),
    )
    return Status(201, _question_out(question, []))


# before "/questions/{question_id}", so "reorder" is never read as a question id
@router.post(
    "/surveys/{survey_id}/questions/reorder",
    response={200: OrderOut, **ERRORS},
    summary="Put a draft's questions in this order (a condition must still test an earlier question)",
)
def reorder_questions(request: HttpRequest, survey_id: PathId, payload: OrderIn) -> Any:
    survey = get_survey_for_user(request.user, survey_id, write=True)
    order = actions.reorder_questions(acting_user=request.user, survey=survey, question_ids=payload.question_ids)
    return {"question_ids": order}


@router.patch(
    "/surveys/{survey_id}/questions/{question_id}",
    response={200: QuestionOut, **ERRORS},
    summary="Change a question of a draft (its kind stays; fields left out keep their value)",
)
def update_question(request: HttpRequest, survey_id: PathId, question_id: PathId, payload: QuestionPatch) -> Any:
    survey = get_survey_for_user(request.user, survey_id, write=True)
    question = _question(survey, question_id)
    given = payload.model_fields_set
    current: dict[str, Any] = {
        "texts": question.texts,
        "scale_min": question.scale_min,
        "scale_max": question.scale_max,
        "choices": question.choices,
        "required": question.required,
        "service_id": question.service_id,
        "moment_id": question.moment_id,
        "dimension": question.dimension,
        "item_number": question.item_number,
        "competitor_name": question.competitor_name,
        "condition": question.condition,
    }
    changed: dict[str, Any] = {
        "texts": payload.texts,
        "scale_min": payload.scale_min,
        "scale_max": payload.scale_max,
        "choices": _choices_in(payload.choices),
        "required": payload.required,
        "service_id": payload.service_id,
        "moment_id": payload.moment_id,
        "dimension": payload.dimension or "",
        "item_number": payload.item_number,
        "competitor_name": payload.competitor_name or "",
        "condition": _condition(payload.condition),
    }
    for name in ("texts", "required"):  # not nullable: null keeps the value
        if changed[name] is None:
            given = given - {name}
    fields = {name: changed[name] if name in given else value for name, value in current.items()}
    updated = actions.update_question(
        acting_user=request.user, question=question, expected_version=payload.version, **fields
    )
    return _question_out(updated)


@router.delete(
    "/surveys/{survey_id}/questions/{question_id}",
    response={204: None, **ERRORS},
    summary="Remove a question from a draft (the later ones move up)",
)
def remove_question(request: HttpRequest, survey_id: PathId, question_id: PathId) -> Any:
    survey = get_survey_for_user(request.user, survey_id, write=True)
    actions.remove_question(acting_user=request.user, question=_question(survey, question_id))
    return Status(204, None)


@router.post(
    "/surveys/{survey_id}/questions/{question_id}/attributes",
    response={201: AttributeOut, **ERRORS},
    summary="Add an attribute (a grid row, a thing points go to) to a question of a draft",
)
def add_attribute(request: HttpRequest, survey_id: PathId, question_id: PathId, payload: AttributeIn) -> Any:
    survey = get_survey_for_user(request.user, survey_id, write=True)
    attribute = actions.add_attribute(
        acting_user=request.user,
        question=_question(survey, question_id),
        texts=payload.texts,
        service_id=payload.service_id,
        moment_id=payload.moment_id,
        dimension=payload.dimension,
    )
    return Status(201, _attribute_out(attribute))


@router.patch(
    "/surveys/{survey_id}/questions/{question_id}/attributes/{attribute_id}",
    response={200: AttributeOut, **ERRORS},
    summary="Change an attribute of a draft's question (fields left out keep their value)",
)
def update_attribute(
    request: HttpRequest, survey_id: PathId, question_id: PathId, attribute_id: PathId, payload: AttributePatch
) -> Any:
    survey = get_survey_for_user(request.user, survey_id, write=True)
    attribute = _attribute(survey, question_id, attribute_id)
    given = payload.model_fields_set
    updated = actions.update_attribute(
        acting_user=request.user,
        attribute=attribute,
        texts=payload.texts if payload.texts is not None else attribute.texts,
        service_id=payload.service_id if "service_id" in given else attribute.service_id,
        moment_id=payload.moment_id if "moment_id" in given else attribute.moment_id,
        dimension=payload.dimension if payload.dimension is not None else attribute.dimension,
    )
    return _attribute_out(updated)


@router.delete(
    "/surveys/{survey_id}/questions/{question_id}/attributes/{attribute_id}",
    response={204: None, **ERRORS},
    summary="Remove an attribute from a draft's question",
)
def remove_attribute(request: HttpRequest, survey_id: PathId, question_id: PathId, attribute_id: PathId) -> Any:
    survey = get_survey_for_user(request.user, survey_id, write=True)
    actions.remove_attribute(acting_user=request.user, attribute=_attribute(survey, question_id, attribute_id))
    return Status(204, None)


# Waves ------------------------------------------------------------------------------------------------------


@router.get(
    "/surveys/{survey_id}/waves", response={200: list[WaveOut], **ERRORS}, summary="The survey's waves, oldest first"
)
@paginate(Pages, page_size=50, max_page_size=200)
def list_waves(request: HttpRequest, survey_id: PathId) -> Any:
    survey = get_survey_for_user(request.user, survey_id)
    return survey.waves.order_by("starts_on", "pk")


@router.post(
    "/surveys/{survey_id}/waves",
    response={201: WaveOut, **ERRORS},
    summary="Add a wave: one run of the survey, reported apart and trended",
)
def add_wave(request: HttpRequest, survey_id: PathId, payload: WaveIn) -> Any:
    survey = get_survey_for_user(request.user, survey_id, write=True)
    wave = actions.add_wave(
        acting_user=request.user,
        survey=survey,
        name=payload.name,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
    )
    return Status(201, wave)


# Responses --------------------------------------------------------------------------------------------------


def _answers_of(response: Response) -> list[Answer]:
    return list(Answer.objects.filter(response=response).order_by("question__position", "attribute__position", "id"))


def _response_out(response: Response, answers: list[Answer]) -> dict[str, Any]:
    out = {name: getattr(response, name) for name in ResponseOut.model_fields}
    out["answers"] = answers
    return out


@router.get(
    "/surveys/{survey_id}/responses",
    response={200: list[ResponseOut], **ERRORS},
    summary="The survey's responses, last submitted first",
)
@paginate(Pages, page_size=50, max_page_size=200)
def list_responses(request: HttpRequest, survey_id: PathId, filters: Query[ResponseFilters]) -> Any:
    survey = get_survey_for_user(request.user, survey_id)
    responses = Response.objects.filter(survey=survey)
    if filters.wave is not None:
        responses = responses.filter(wave_id=filters.wave)
    submitted_from = _utc(filters.submitted_from, "submitted_from")
    submitted_to = _utc(filters.submitted_to, "submitted_to")
    if submitted_from is not None:
        responses = responses.filter(submitted_at__gte=submitted_from)
    if submitted_to is not None:
        responses = responses.filter(submitted_at__lt=submitted_to)
    return responses.order_by("-submitted_at", "-id")


@router.get(
    "/surveys/{survey_id}/responses/{response_id}",
    response={200: ResponseDetailOut, **ERRORS},
    summary="One response with its answers (one row per scored item, as stored)",
)
def get_response(request: HttpRequest, survey_id: PathId, response_id: PathId) -> Any:
    survey = get_survey_for_user(request.user, survey_id)
    response = Response.objects.filter(pk=response_id, survey=survey).first()
    if response is None:
        raise Http404
    return _response_out(response, _answers_of(response))


def _rows_of_request(payload: ResponseIn) -> list[str]:
    """The answer rows the request asks for, in the shape they are stored in (see ``surveys.models``)."""
    rows = []
    for entry in payload.answers:
        base = entry.dict(exclude={"choices"})
        base["text"] = base["text"].strip() if base["text"] is not None else None
        for code in entry.choices if entry.choices is not None else [None]:
            rows.append({**base, "value": code} if code is not None else base)
    return sorted(fingerprint(row) for row in rows)


def _rows_of_response(response: Response) -> list[str]:
    rows = []
    for answer in _answers_of(response):
        rows.append(
            {
                "question": answer.question_id,
                "attribute": answer.attribute_id,
                **{
                    name: getattr(answer, name)
                    for name in AnswerIn.model_fields
                    if name not in ("question", "choices", "attribute")
                },
            }
        )
    return sorted(fingerprint(row) for row in rows)


def _same_request(survey: Survey, payload: ResponseIn, started_at: dt.datetime | None, response: Response) -> bool:
    """Whether ``response`` is what this request asks to record (a true repeat of the request that made it)."""
    asked = {
        "wave": payload.wave_id,
        "customer": payload.customer_id,
        "channel": payload.channel,
        "language": payload.language or survey.default_language,
        "service": payload.service_id or survey.service_id,
        "moment": payload.moment_id,
        "started_at": started_at,
        "answers": _rows_of_request(payload),
    }
    stored = {
        "wave": response.wave_id,
        "customer": response.customer_id,
        "channel": response.channel,
        "language": response.language,
        "service": response.service_id,
        "moment": response.moment_id,
        "started_at": response.started_at if started_at is not None else None,
        "answers": _rows_of_response(response),
    }
    return fingerprint(asked) == fingerprint(stored)


def _repeat(survey: Survey, payload: ResponseIn, started_at: dt.datetime | None, token: str) -> Response | None:
    """The response an earlier request with this key recorded, when this request repeats it exactly."""
    existing = Response.objects.filter(survey=survey, token_hash=hash_token(token)).first()
    if existing is None:
        return None
    if not _same_request(survey, payload, started_at, existing):
        raise Conflict(
            _(
                "This idempotency key was already used for a different response. Use a new key for a new "
                "response, or repeat exactly the same request."
            ),
            field="idempotency_key",
        )
    return existing


@router.post(
    "/surveys/{survey_id}/responses",
    response={200: ResponseDetailOut, 201: ResponseDetailOut, **ERRORS},
    summary="Record a response (an interview, a paper form, a kiosk); with an Idempotency-Key a repeat returns "
    "the same response (200)",
)
def submit_response(
    request: HttpRequest,
    survey_id: PathId,
    payload: ResponseIn,
    idempotency_key: str | None = idempotency_header("response"),
) -> Any:
    require(request.user, "customer.manage")
    survey = get_survey_for_user(request.user, survey_id)
    started_at = _utc(payload.started_at, "started_at")
    wave = None
    if payload.wave_id is not None:
        wave = Wave.objects.filter(pk=payload.wave_id, survey=survey).first()
        if wave is None:
            raise fail("wave", _("Choose one of this survey's waves."))
    key = clean_key(idempotency_key)
    # the key is kept as the response's one-use token (only its hash is stored), scoped to the survey
    token = f"api:{survey.pk}:{key}" if key is not None else None
    if token is not None:
        repeated = _repeat(survey, payload, started_at, token)
        if repeated is not None:
            return Status(created_status(False), _response_out(repeated, _answers_of(repeated)))
    try:
        response = actions.record_response(
            acting_user=request.user,
            survey=survey,
            answers=[entry.dict(exclude_none=True) for entry in payload.answers],
            wave=wave,
            customer_id=payload.customer_id,
            channel=payload.channel,
            language=payload.language,
            token=token,
            service_id=payload.service_id,
            moment_id=payload.moment_id,
            started_at=started_at,
        )
    except Conflict as exc:
        # a concurrent request with the same key committed first
        repeated = _repeat(survey, payload, started_at, token) if token is not None and exc.field == "token" else None
        if repeated is None:
            raise
        return Status(created_status(False), _response_out(repeated, _answers_of(repeated)))
    return Status(created_status(True), _response_out(response, _answers_of(response)))


# Results ----------------------------------------------------------------------------------------------------


def _filters(survey: Survey, given: ResultFilters) -> Filters:
    """The results page's filters; an id that is not the survey's (or the organization's) is refused by name."""
    wave = service = moment = None
    if given.wave is not None:
        wave = Wave.objects.filter(pk=given.wave, survey=survey).first()
        if wave is None:
            raise fail("wave", _("Choose one of this survey's waves."))
    if given.service is not None:
        service = Service.objects.filter(pk=given.service, organization_id=survey.organization_id).first()
        if service is None:
            raise fail("service", _("Unknown service: choose one of your organization's services."))
    if given.moment is not None:
        moment = Moment.objects.filter(pk=given.moment, service__organization_id=survey.organization_id).first()
        if moment is None:
            raise fail("moment", _("Unknown moment of truth: choose one of your services' moments."))
    return Filters(wave=wave, service=service, moment=moment, channel=given.channel or "")


def _score_out(score: Score) -> dict[str, Any]:
    detail = score.detail
    return {
        "kind": score.kind,
        "n": score.n,
        "value": score.value,
        "ci95_low": score.low,
        "ci95_high": score.high,
        "promoters": getattr(detail, "promoters", None),
        "passives": getattr(detail, "passives", None),
        "detractors": getattr(detail, "detractors", None),
        "satisfied": getattr(detail, "top_two", None),
        "sd": getattr(detail, "sd", None),
    }


@router.get(
    "/surveys/{survey_id}/results",
    response={200: ResultsOut, **ERRORS},
    summary="The survey's results: distributions, NPS/CSAT/CES with 95% intervals, trend by wave, breakdowns",
)
def get_results(request: HttpRequest, survey_id: PathId, filters: Query[ResultFilters]) -> Any:
    survey = get_survey_for_user(request.user, survey_id)
    language = filters.language or survey.default_language
    questions = list(questions_of(survey))
    results = survey_results(survey, questions, _filters(survey, filters), language)
    servqual = servqual_summary(results)
    return {
        "survey_id": survey.pk,
        "responses": results.responses,
        "questions": [
            {
                "question_id": r.question.pk,
                "position": r.question.position,
                "kind": r.question.kind,
                "text": r.text,
                "n": r.n,
                "distribution": [vars(bar) for bar in r.bars],
                "score": _score_out(r.score) if r.score is not None else None,
                "ipa": r.ipa,
                "servqual": r.servqual,
                "allocation": [{"attribute": name, "mean_points": mean} for name, mean in r.allocation],
            }
            for r in results.questions
        ],
        "trend": [
            {"question_id": q.pk, "waves": [{"wave": name, "score": _score_out(s)} for name, s in series]}
            for q, series in results.trend
        ],
        "breakdowns": [
            {
                "title": b.title,
                "question_id": b.question.pk,
                "rows": [{"label": label, "score": _score_out(s)} for label, s in b.rows],
            }
            for b in results.breakdowns
        ],
        "servqual": {
            "dimensions": [{"dimension": str(d), "gap": gap} for d, gap in servqual["dimensions"]],
            "overall": servqual["overall"],
        }
        if servqual is not None
        else None,
    }


@router.get(
    "/surveys/{survey_id}/comments",
    response={200: list[CommentOut], **ERRORS},
    summary="Free-text answers, the latest received first, narrowed like the results and by question and word",
)
@paginate(Pages, page_size=50, max_page_size=200)
def list_comments(request: HttpRequest, survey_id: PathId, filters: Query[CommentFilters]) -> Any:
    survey = get_survey_for_user(request.user, survey_id)
    answers = comments(survey, _filters(survey, filters), filters.question, filters.q.strip())
    return _Rows(answers, _comment_row)

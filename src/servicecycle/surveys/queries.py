"""Reads of surveys: access checks, questions in order, and the answer sets the reports aggregate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from servicecycle.accounts.permissions import MESSAGE_NOT_ALLOWED, has, staff_of
from servicecycle.accounts.personal_data import iso
from servicecycle.catalog.models import Service
from servicecycle.core.errors import PermissionDenied
from servicecycle.core.records import Record, RecordList, counted_page
from servicecycle.cycles.models import Moment
from servicecycle.surveys.models import Answer, Attribute, Invitation, Question, Response, Survey, Wave, text_in


def get_survey_for_user(user: Any, survey_id: Any, *, write: bool = False) -> Survey:
    """The survey when the user's organization holds it (else 404); 403 when write access is missing."""
    staff = staff_of(user)
    if staff is None:
        raise Http404
    try:
        survey = Survey.objects.select_related("service", "organization").get(
            pk=int(survey_id), organization_id=staff.organization_id
        )
    except (Survey.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if write and not has(user, "survey.design"):
        raise PermissionDenied(MESSAGE_NOT_ALLOWED)
    return survey


def questions_of(survey: Survey) -> QuerySet[Question]:
    """The survey's questions in order, with their attributes in order (two queries when iterated)."""
    return (
        survey.questions.select_related("service", "moment")
        .prefetch_related(Prefetch("attributes", queryset=Attribute.objects.order_by("position")))
        .order_by("position")
    )


def answers_to(
    question: Question,
    *,
    wave: Wave | None = None,
    service: Service | None = None,
    moment: Moment | None = None,
    channel: str = "",
) -> QuerySet[Answer]:
    """The answers to one question, narrowed to a wave, the service or moment answered about, or a channel.

    This is the input of ``servicecycle.analytics.reports``; no query runs until it is aggregated.
    """
    answers = Answer.objects.filter(question=question)
    if wave is not None:
        answers = answers.filter(response__wave=wave)
    if service is not None:
        answers = answers.filter(response__service=service)
    if moment is not None:
        answers = answers.filter(response__moment=moment)
    if channel:
        answers = answers.filter(response__channel=channel)
    return answers


def surveys_of(user: Any, status: str = "") -> QuerySet[Survey]:
    """The organization's surveys, newest first, with their question and response counts (one query)."""
    staff = staff_of(user)
    if staff is None:
        raise Http404
    surveys = Survey.objects.filter(organization_id=staff.organization_id).select_related("service")
    if status in Survey.Status.values:
        surveys = surveys.filter(status=status)
    questions = Question.objects.filter(survey=OuterRef("pk")).values("survey").annotate(n=Count("pk")).values("n")
    responses = (
        Response.objects.filter(survey=OuterRef("pk"), submitted_at__isnull=False)
        .values("survey")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return surveys.annotate(
        question_count=Coalesce(Subquery(questions), 0), response_count=Coalesce(Subquery(responses), 0)
    ).order_by("-created_at", "-pk")


@dataclass(frozen=True)
class MissingText:
    where: str  # "Title", "Question 3", "Question 3, option 2", "Question 5, attribute 1"
    languages: list[str]
    url_hint: str = ""  # "survey" | "question:<id>" | "attribute:<id>"


@dataclass
class Completeness:
    """Which texts are missing in which of the survey's languages."""

    missing: list[MissingText] = field(default_factory=list)
    per_language: dict[str, int] = field(default_factory=dict)
    total_texts: int = 0

    @property
    def complete(self) -> bool:
        return not self.missing


def completeness(survey: Survey, questions: list[Question]) -> Completeness:
    """Every text a respondent reads (title, questions, options, attributes), checked in each language.

    Works on the questions already loaded with their attributes (``questions_of``): no query.
    """
    result = Completeness(per_language={lang: 0 for lang in survey.languages})

    def check(texts: dict[str, str], where: str, hint: str) -> None:
        result.total_texts += 1
        lacking = [lang for lang in survey.languages if not (texts or {}).get(lang)]
        if lacking:
            result.missing.append(MissingText(where, lacking, hint))
            for lang in lacking:
                result.per_language[lang] += 1

    check(survey.titles, _("Title"), "survey")
    for q in questions:
        check(q.texts, _("Question %(n)d") % {"n": q.position}, f"question:{q.pk}")
        for option in q.choices:
            check(
                option.get("texts", {}),
                _("Question %(n)d, option %(o)d") % {"n": q.position, "o": option["code"]},
                f"question:{q.pk}",
            )
        for a in q.attributes.all():
            check(
                a.texts,
                _("Question %(n)d, attribute %(a)d") % {"n": q.position, "a": a.position},
                f"attribute:{a.pk}",
            )
    return result


def readiness(survey: Survey, questions: list[Question]) -> list[str]:
    """What stops the survey from working once opened (no query beyond the loaded questions)."""
    problems = []
    if not questions:
        problems.append(_("The survey has no question yet."))
    for q in questions:
        if q.kind in (Question.Kind.IPA_GRID, Question.Kind.ALLOCATION) and not q.attributes.all():
            problems.append(_("Question %(n)d has no attribute to rate yet.") % {"n": q.position})
    return problems


def invitation_counts(survey: Survey) -> dict[str, int]:
    return Invitation.objects.filter(survey=survey).aggregate(
        total=Count("pk"),
        answered=Count("pk", filter=Q(used_at__isnull=False)),
    )


# One response ------------------------------------------------------------------------------------------------


def get_response_for_user(user: Any, survey: Survey, response_id: Any) -> Response:
    """A response to ``survey`` (already checked to be the user's organization's), else 404."""
    try:
        response = Response.objects.select_related("wave", "service", "moment", "customer", "follow_up_case").get(
            pk=int(response_id), survey=survey
        )
    except (Response.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
    response.survey = survey
    return response


@dataclass(frozen=True)
class AnswerLine:
    """One answer of a response as a person reads it: the question (and grid row), the answer in words."""

    position: int
    question: str
    attribute: str
    answer: str
    kind: str
    low: bool = False  # an unhappy score (NPS 0-6, satisfaction in the bottom two points)


def answer_text(a: Answer, language: str, fallback: str) -> str:
    """One answer in words (``a.question`` read with it): a score on its scale, the chosen option, a grid row,
    a SERVQUAL pair, allocated points, or the respondent's own text."""
    q = a.question
    K = Question.Kind
    if q.kind in (K.SINGLE_CHOICE, K.MULTIPLE_CHOICE):
        return _option_label(q, a.value, language, fallback) or str(a.value)
    if q.kind == K.TEXT:
        return a.text or ""
    if q.kind == K.IPA_GRID:
        parts = [_("importance %(n)s") % {"n": a.importance}, _("performance %(n)s") % {"n": a.performance}]
        if a.competitor_performance is not None:
            parts.append(f"{q.competitor_name} {a.competitor_performance}")
        return " · ".join(parts)
    if q.kind == K.SERVQUAL_PAIR:
        return _("expected %(e)s · perceived %(p)s") % {"e": a.expectation, "p": a.perception}
    if q.kind == K.ALLOCATION:
        return ngettext("%(n)s point", "%(n)s points", a.value or 0) % {"n": a.value}
    if q.scale_max is not None and q.kind != K.NPS and q.scale_min == 1:
        return _("%(value)d of %(high)d") % {"value": a.value, "high": q.scale_max}
    if q.scale_max is not None and q.scale_min is not None and q.kind != K.NPS:
        return _("%(value)d on a scale of %(low)d to %(high)d") % {
            "value": a.value,
            "low": q.scale_min,
            "high": q.scale_max,
        }
    return str(a.value)


def response_lines(response: Response, language: str) -> list[AnswerLine]:
    """The response's answers in question order (one query): questions in ``language`` when the survey has it,
    answers as given (free text in the respondent's own words)."""
    from servicecycle.surveys.closed_loop import unhappy  # closed_loop reaches into cases, which reads these

    fallback = response.survey.default_language
    lines = []
    for a in (
        Answer.objects.filter(response=response)
        .select_related("question", "attribute")
        .order_by("question__position", "attribute__position", "value", "id")
    ):
        q = a.question
        lines.append(
            AnswerLine(
                position=q.position,
                question=text_in(q.texts, language, fallback),
                attribute=text_in(a.attribute.texts, language, fallback) if a.attribute else "",
                answer=answer_text(a, language, fallback),
                kind=q.kind,
                low=unhappy(a),
            )
        )
    return lines


# Personal data ---------------------------------------------------------------------------------------------


def _option_label(question: Question, code: int | None, language: str, fallback: str) -> str | None:
    if code is None or question.kind not in (Question.Kind.SINGLE_CHOICE, Question.Kind.MULTIPLE_CHOICE):
        return None
    for option in question.choices or []:
        if option.get("code") == code:
            return text_in(option.get("texts"), language, fallback) or None
    return None


def customer_responses(customer: Any) -> QuerySet[Response]:
    """The customer's survey responses: naming them, or sent through an invitation to their email address without
    naming a customer, in the same organization (the personal-data export and erasure read the same set)."""
    match = Q(customer=customer)
    if customer.email:
        match |= Q(customer__isnull=True, invitation__email__iexact=customer.email)
    return Response.objects.filter(match, survey__organization_id=customer.organization_id)


SCORE_KINDS = (Question.Kind.NPS, Question.Kind.CSAT, Question.Kind.CES)


def customer_responses_history(customer: Any, offset: int, limit: int) -> RecordList:
    """The customer's survey responses for their page, newest first, with their NPS, CSAT and CES answers and
    comments (three queries: the count, the page and the page's answers)."""
    from servicecycle.surveys.closed_loop import unhappy  # closed_loop reaches into cases, which reads these

    ordered = customer_responses(customer).select_related("survey").order_by("-started_at", "-id")
    total, page = counted_page(ordered, offset, limit)
    scores: dict[int, list[Answer]] = {}
    if page:
        for answer in (
            Answer.objects.filter(
                Q(question__kind__in=SCORE_KINDS, value__isnull=False)
                | Q(question__kind=Question.Kind.TEXT, text__gt=""),
                response_id__in=[r.pk for r in page],
            )
            .select_related("question")
            .order_by("question__position", "id")
        ):
            scores.setdefault(answer.response_id, []).append(answer)
    language = translation.get_language()
    items = []
    for response in page:
        answers = scores.get(response.pk, [])
        items.append(
            Record(
                title=text_in(response.survey.titles, language, response.survey.default_language),
                url=reverse("survey-response", kwargs={"pk": response.survey_id, "response_pk": response.pk}),
                when=response.submitted_at or response.started_at,
                state=pgettext("a survey response", "Answered") if response.submitted_at else _("Not finished"),
                detail=" · ".join(_score_text(a) for a in answers),
                hot=any(unhappy(a) for a in answers),
            )
        )
    return RecordList(
        key="responses",
        title=_("Survey responses"),
        explanation=_(
            "Their answers to your surveys, with the scores and comments; red when unhappy (NPS 0-6, satisfaction 1-2)."
        ),
        total=total,
        items=items,
    )


def _score_text(answer: Answer) -> str:
    """“NPS 9”, “CSAT 2 of 5”: the kind's short name (the same in every language) and the value; a comment in
    quotation marks."""
    if answer.question.kind == Question.Kind.TEXT:
        return f"“{answer.text}”"
    return f"{answer.question.kind.upper()} {answer_text(answer, '', '')}"  # scores need no language


def customer_responses_export(customer: Any) -> list[dict[str, Any]]:
    """The customer's survey responses with every answer, for their personal-data export (two queries): those
    naming the customer, and those sent through an invitation to the customer's email address without naming a
    customer, in the same organization. Texts are in the language the customer answered in."""

    responses = list(
        customer_responses(customer).select_related("survey", "wave", "service", "moment").order_by("started_at", "id")
    )
    answers: dict[int, list[Answer]] = {}
    for answer in (
        Answer.objects.filter(response_id__in=[r.pk for r in responses])
        .select_related("question", "attribute")
        .order_by("response_id", "question__position", "attribute__position", "id")
    ):
        answers.setdefault(answer.response_id, []).append(answer)
    result = []
    for response in responses:
        language, fallback = response.language, response.survey.default_language
        result.append(
            {
                "id": response.pk,
                "survey": text_in(response.survey.titles, language, fallback),
                "channel": response.channel,
                "language": language,
                "wave": response.wave.name if response.wave else None,
                "service": response.service.name if response.service else None,
                "moment": response.moment.name if response.moment else None,
                "started_at": iso(response.started_at),
                "submitted_at": iso(response.submitted_at),
                "answers": [
                    {
                        "question": text_in(a.question.texts, language, fallback),
                        "kind": a.question.kind,
                        "attribute": text_in(a.attribute.texts, language, fallback) if a.attribute else None,
                        "value": a.value,
                        "option": _option_label(a.question, a.value, language, fallback),
                        "text": a.text,
                        "importance": a.importance,
                        "performance": a.performance,
                        "competitor_performance": a.competitor_performance,
                        "expectation": a.expectation,
                        "perception": a.perception,
                    }
                    for a in answers.get(response.pk, [])
                ],
            }
        )
    return result

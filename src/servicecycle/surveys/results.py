"""A survey's results, aggregated in the database: a fixed number of GROUP BY queries per page.

Distributions come from one ``GROUP BY question, value`` query; the NPS, CSAT and CES of each question
are finished from those counts by the ``analytics.methods`` entry points (``*_from_counts`` /
``*_from_sums``); the trend by wave and the breakdowns by service, moment and channel are one grouped
query each; each importance/performance grid goes through ``analytics.reports.ipa_of``. So the number of
queries depends on the survey's questions, never on how many people answered.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, CharField, Count, Q, QuerySet, Value, When
from django.db.models import Case as DbCase
from django.utils.translation import gettext as _

from servicecycle.accounts.models import LANGUAGE_CHOICES
from servicecycle.analytics.methods.ces import CESResult, ces_from_sums
from servicecycle.analytics.methods.csat import CSATResult, csat_from_counts
from servicecycle.analytics.methods.ipa import IPAResult
from servicecycle.analytics.methods.nps import NPSResult, nps_from_counts
from servicecycle.analytics.reports import ipa_of
from servicecycle.catalog.models import Service
from servicecycle.cycles.models import Moment
from servicecycle.surveys.models import Answer, Question, Response, Survey, Wave, text_in

K = Question.Kind
SCORE_KINDS = (K.NPS, K.CSAT, K.CES)
DISTRIBUTION_KINDS = (K.NPS, K.CSAT, K.CES, K.RATING, K.SINGLE_CHOICE, K.MULTIPLE_CHOICE)


@dataclass(frozen=True)
class Filters:
    wave: Wave | None = None
    service: Service | None = None
    moment: Moment | None = None
    channel: str = ""

    def responses(self, survey: Survey) -> QuerySet[Response]:
        responses = Response.objects.filter(survey=survey, submitted_at__isnull=False)
        if self.wave is not None:
            responses = responses.filter(wave=self.wave)
        if self.service is not None:
            responses = responses.filter(service=self.service)
        if self.moment is not None:
            responses = responses.filter(moment=self.moment)
        if self.channel:
            responses = responses.filter(channel=self.channel)
        return responses

    def answers(self, survey: Survey) -> QuerySet[Answer]:
        answers = Answer.objects.filter(question__survey=survey, response__submitted_at__isnull=False)
        if self.wave is not None:
            answers = answers.filter(response__wave=self.wave)
        if self.service is not None:
            answers = answers.filter(response__service=self.service)
        if self.moment is not None:
            answers = answers.filter(response__moment=self.moment)
        if self.channel:
            answers = answers.filter(response__channel=self.channel)
        return answers


@dataclass
class Bar:
    value: int
    label: str
    n: int
    share: float  # percent of those who answered the question (multiple choice: may add up to more than 100)


@dataclass
class Score:
    """NPS, CSAT or CES of one set of answers, as the page shows it."""

    kind: str
    n: int
    value: float
    low: float
    high: float
    detail: Any  # the method's result

    @property
    def label(self) -> str:
        labels: dict[str, str] = {K.NPS: "NPS", K.CSAT: "CSAT", K.CES: "CES"}
        return labels[self.kind]

    @property
    def unit(self) -> str:
        return "%" if self.kind == K.CSAT else ""


@dataclass
class QuestionResult:
    question: Question
    text: str
    n: int = 0
    bars: list[Bar] = field(default_factory=list)
    score: Score | None = None
    ipa: IPAResult | None = None
    servqual: dict[str, float] | None = None
    allocation: list[tuple[str, float]] = field(default_factory=list)  # (attribute, mean points)


def score_from_counts(question: Question, counts: dict[int, int]) -> Score | None:
    """NPS, CSAT or CES from {score: number of answers}: counted in the database, finished here."""
    n = sum(counts.values())
    if not n:
        return None
    kind = question.kind
    if kind == K.NPS:
        promoters = sum(c for v, c in counts.items() if v >= 9)
        detractors = sum(c for v, c in counts.items() if v <= 6)
        nps: NPSResult = nps_from_counts(promoters, n - promoters - detractors, detractors)
        return Score(kind, n, nps.nps, nps.ci95[0], nps.ci95[1], nps)
    if kind == K.CSAT:
        top = question.scale_max or 5
        csat: CSATResult = csat_from_counts(sum(c for v, c in counts.items() if v >= top - 1), n)
        return Score(kind, n, csat.csat, csat.ci95[0], csat.ci95[1], csat)
    if kind == K.CES:
        if n < 2:
            return None
        total = sum(v * c for v, c in counts.items())
        squares = sum(v * v * c for v, c in counts.items())
        ces: CESResult = ces_from_sums(n, total, squares, scale=question.scale_max or 7)
        return Score(kind, n, ces.mean, ces.ci95[0], ces.ci95[1], ces)
    return None


def _counts(rows: Iterable[Any], *keys: str) -> dict[tuple[Any, ...], dict[int, int]]:
    grouped: dict[tuple[Any, ...], dict[int, int]] = defaultdict(dict)
    for row in rows:
        grouped[tuple(row[k] for k in keys)][row["value"]] = row["n"]
    return grouped


@dataclass
class Breakdown:
    title: str
    question: Question
    rows: list[tuple[str, Score]]


@dataclass
class Results:
    survey: Survey
    responses: int
    questions: list[QuestionResult]
    headline: list[QuestionResult]
    trend: list[tuple[Question, list[tuple[str, Score]]]]
    breakdowns: list[Breakdown]


def survey_results(survey: Survey, questions: list[Question], filters: Filters, language: str) -> Results:
    fallback = survey.default_language
    answers = filters.answers(survey)
    responses = filters.responses(survey).count()
    by_question = {q.pk: QuestionResult(q, text_in(q.texts, language, fallback)) for q in questions}

    # 1. every distribution in one query
    rows = (
        answers.filter(question__kind__in=DISTRIBUTION_KINDS, attribute__isnull=True, value__isnull=False)
        .values("question_id", "value")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = _counts(rows, "question_id")
    # a multiple-choice question is answered by people, each ticking one or more options: its n and its shares
    # are per respondent (the shares may add up to more than 100 %), not per ticked option
    respondents = (
        {
            row["question_id"]: row["n"]
            for row in answers.filter(question__kind=K.MULTIPLE_CHOICE, attribute__isnull=True, value__isnull=False)
            .values("question_id")
            .annotate(n=Count("response_id", distinct=True))
            .order_by()
        }
        if any(q.kind == K.MULTIPLE_CHOICE for q in questions)
        else {}
    )
    for q in questions:
        if q.kind not in DISTRIBUTION_KINDS:
            continue
        result = by_question[q.pk]
        got = counts.get((q.pk,), {})
        answered = respondents.get(q.pk, 0) if q.kind == K.MULTIPLE_CHOICE else sum(got.values())
        result.n = answered
        if q.kind in (K.SINGLE_CHOICE, K.MULTIPLE_CHOICE):
            options = [(c["code"], text_in(c["texts"], language, fallback)) for c in q.choices]
        else:
            low, high = q.scale_min or 0, q.scale_max or 0
            options = [(v, str(v)) for v in range(low, high + 1)]
        result.bars = [
            Bar(value, label, got.get(value, 0), 100.0 * got.get(value, 0) / answered if answered else 0.0)
            for value, label in options
        ]
        result.score = score_from_counts(q, got)

    # 2. text answers: how many per question (one query)
    for row in (
        answers.filter(question__kind=K.TEXT, text__isnull=False)
        .values("question_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        by_question[row["question_id"]].n = row["n"]

    # 3. grids: one aggregate per grid (analytics.reports.ipa_of)
    for q in questions:
        if q.kind == K.IPA_GRID:
            result = by_question[q.pk]
            result.ipa = ipa_of(answers.filter(question=q), language=language)
            result.n = len(result.ipa.attributes) if result.ipa else 0

    # 4. SERVQUAL items: mean expectation and perception per item in one query
    servqual_qs = [q for q in questions if q.kind == K.SERVQUAL_PAIR]
    if servqual_qs:
        for row in (
            answers.filter(question__kind=K.SERVQUAL_PAIR)
            .values("question_id")
            .annotate(n=Count("id"), e=Avg("expectation"), p=Avg("perception"))
            .order_by()
        ):
            if row["n"]:
                result = by_question[row["question_id"]]
                result.n = row["n"]
                result.servqual = {"expectation": row["e"], "perception": row["p"], "gap": row["p"] - row["e"]}

    # 5. allocations: mean points per attribute, one query for every allocation question
    if any(q.kind == K.ALLOCATION for q in questions):
        attribute_names = {a.pk: text_in(a.texts, language, fallback) for q in questions for a in q.attributes.all()}
        for row in (
            answers.filter(question__kind=K.ALLOCATION, attribute__isnull=False)
            .values("question_id", "attribute_id")
            .annotate(n=Count("id"), mean=Avg("value"))
            .order_by("question_id", "attribute_id")
        ):
            result = by_question[row["question_id"]]
            result.n = max(result.n, row["n"])
            result.allocation.append((attribute_names.get(row["attribute_id"], ""), float(row["mean"] or 0)))

    score_questions = [q for q in questions if q.kind in SCORE_KINDS]
    trend: list[tuple[Question, list[tuple[str, Score]]]] = []
    breakdowns: list[Breakdown] = []
    if score_questions:
        score_answers = answers.filter(question__in=score_questions, value__isnull=False)
        # 5. trend by wave (one query for every score question)
        waves = {w.pk: w for w in Wave.objects.filter(survey=survey).order_by("starts_on", "pk")}
        per_wave = _counts(
            score_answers.values("question_id", "response__wave_id", "value").annotate(n=Count("id")).order_by(),
            "question_id",
            "response__wave_id",
        )
        for q in score_questions:
            series = []
            for wave in waves.values():
                score = score_from_counts(q, per_wave.get((q.pk, wave.pk), {}))
                if score is not None:
                    series.append((wave.name, score))
            if series:
                trend.append((q, series))
        # 6. breakdowns of the first score question: by service, moment, channel, and by what we know of the
        # customer (business or private, their preferred language); one query each
        head = score_questions[0]
        head_answers = score_answers.filter(question=head).annotate(
            customer_type=DbCase(
                When(response__customer__isnull=True, then=Value("unknown")),
                When(response__customer__company="", then=Value("private")),
                default=Value("business"),
                output_field=CharField(),
            )
        )
        names: dict[str, dict[Any, str]] = {
            "response__service_id": dict(
                Service.objects.filter(organization_id=survey.organization_id).values_list("pk", "name")
            ),
            "response__moment_id": dict(
                Moment.objects.filter(service__organization_id=survey.organization_id).values_list("pk", "name")
            ),
            "response__channel": {str(k): str(v) for k, v in Response.Channel.choices},
            "customer_type": {
                "business": _("Business customers"),
                "private": _("Private customers"),
                "unknown": _("Not a customer on file"),
            },
            "response__customer__preferred_language": {str(k): str(v) for k, v in LANGUAGE_CHOICES},
        }
        titles = {
            "response__service_id": _("By service"),
            "response__moment_id": _("By moment of truth"),
            "response__channel": _("By channel"),
            "customer_type": _("By customer type"),
            "response__customer__preferred_language": _("By the customer's preferred language"),
        }
        for key, title in titles.items():
            grouped = _counts(head_answers.values(key, "value").annotate(n=Count("id")).order_by(), key)
            rows_out = []
            for (group,), got in sorted(grouped.items(), key=lambda item: -sum(item[1].values())):
                score = score_from_counts(head, got)
                if score is not None:
                    label = names[key].get(group, _("not given")) if group is not None else _("not given")
                    rows_out.append((label, score))
            if rows_out:
                breakdowns.append(Breakdown(title, head, rows_out))
    results = [by_question[q.pk] for q in questions]
    return Results(
        survey=survey,
        responses=responses,
        questions=results,
        headline=[r for r in results if r.score is not None],
        trend=trend,
        breakdowns=breakdowns,
    )


def servqual_summary(results: Results) -> dict[str, Any] | None:
    """Dimension gaps = mean of their items' gaps; overall = mean of the dimension gaps."""
    per_dimension: dict[str, list[float]] = defaultdict(list)
    for r in results.questions:
        if r.servqual is not None and r.question.dimension:
            per_dimension[r.question.dimension].append(r.servqual["gap"])
    if not per_dimension:
        return None
    dimensions = {d: math.fsum(gaps) / len(gaps) for d, gaps in per_dimension.items()}
    labels = dict(Question.Dimension.choices)
    return {
        "dimensions": [(labels.get(d, d), gap) for d, gap in dimensions.items()],
        "overall": math.fsum(dimensions.values()) / len(dimensions),
    }


def comments(survey: Survey, filters: Filters, question_id: int | None, search: str) -> QuerySet[Answer]:
    """Free-text answers, newest first, narrowed to a question and a word."""
    answers = (
        filters.answers(survey)
        .filter(question__kind=K.TEXT, text__isnull=False)
        .select_related("question", "response", "response__wave", "response__service", "response__follow_up_case")
        .order_by("-response__submitted_at", "-id")
    )
    if question_id:
        answers = answers.filter(question_id=question_id)
    if search:
        answers = answers.filter(Q(text__icontains=search))
    return answers

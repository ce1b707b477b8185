"""A survey's results, aggregated in the database: a fixed number of GROUP BY queries per page.

Distributions come from one ``GROUP BY question, value`` query; the NPS, CSAT and CES of each question
are finished from those counts by the ``analytics.methods`` entry points (``*_from_counts`` /
``*_from_sums``); the trend by wave and the breakdowns by service, moment and channel are one grouped
query each; each importance/performance grid goes through ``analytics.reports.ipa_of``. So the number of
queries depends on the survey's questions, never on how many people answered.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, CharField, Count, Q, QuerySet, Sum, Value, When
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
from servicecycle.surveys import figures
from servicecycle.surveys.models import Answer, Question, Response, Survey, SurveyFigure, Wave, text_in

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


MIN_INTERVAL_N = 10


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

    @property
    def has_interval(self) -> bool:
        """Whether the 95 % interval says anything. It is the normal approximation of each method: with fewer than
        MIN_INTERVAL_N answers it is not to be trusted, and answers all alike give a standard error of 0 and an
        interval of no width (NPS 100, "100 to 100", from one promoter)."""
        return self.n >= MIN_INTERVAL_N and self.high > self.low


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


def _summary(survey: Survey, filters: Filters, services: set[int], moments: set[int]) -> Counter[figures.Key]:
    """The survey's counts (``SurveyFigure``, see surveys/figures.py) under the filters: a few hundred rows."""
    rows = SurveyFigure.objects.filter(survey_id=survey.pk)
    if filters.wave is not None:
        rows = rows.filter(wave_id=filters.wave.pk)
    if filters.service is not None:
        rows = rows.filter(service_id=filters.service.pk)
    if filters.moment is not None:
        rows = rows.filter(moment_id=filters.moment.pk)
    if filters.channel:
        rows = rows.filter(channel=filters.channel)
    counts: Counter[figures.Key] = Counter()
    for *key, n in rows.values_list("question_id", "wave_id", "service_id", "moment_id", "channel", "value", "n"):
        counts[tuple(key)] += n  # type: ignore[index]
    return figures.known(counts, services=services, moments=moments)


def survey_results(survey: Survey, questions: list[Question], filters: Filters, language: str) -> Results:
    fallback = survey.default_language
    answers = filters.answers(survey)
    service_names = dict(Service.objects.filter(organization_id=survey.organization_id).values_list("pk", "name"))
    moment_names = dict(
        Moment.objects.filter(service__organization_id=survey.organization_id).values_list("pk", "name")
    )
    summary = _summary(survey, filters, set(service_names), set(moment_names))
    by_question = {q.pk: QuestionResult(q, text_in(q.texts, language, fallback)) for q in questions}

    # 1. every distribution, and how many responded, from the summary
    counts: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    answered: dict[int, int] = defaultdict(int)
    for (question_id, _wave, _service, _moment, _channel, value), n in summary.items():
        if value == SurveyFigure.ANSWERED:
            answered[question_id] += n
        else:
            counts[question_id][value] += n
    responses = answered.get(SurveyFigure.RESPONSES, 0)
    for q in questions:
        if q.kind not in DISTRIBUTION_KINDS:
            continue
        result = by_question[q.pk]
        got = dict(counts.get(q.pk, {}))
        # a multiple-choice question is answered by people, each ticking one or more options: its n and its
        # shares are per respondent (the shares may add up to more than 100 %), not per ticked option
        n_answered = answered.get(q.pk, 0) if q.kind == K.MULTIPLE_CHOICE else sum(got.values())
        result.n = n_answered
        if q.kind in (K.SINGLE_CHOICE, K.MULTIPLE_CHOICE):
            options = [(c["code"], text_in(c["texts"], language, fallback)) for c in q.choices]
        else:
            low, high = q.scale_min or 0, q.scale_max or 0
            options = [(v, str(v)) for v in range(low, high + 1)]
        result.bars = [
            Bar(value, label, got.get(value, 0), 100.0 * got.get(value, 0) / n_answered if n_answered else 0.0)
            for value, label in options
        ]
        result.score = score_from_counts(q, got)

    # 2. text answers: how many per question
    for q in questions:
        if q.kind == K.TEXT:
            by_question[q.pk].n = answered.get(q.pk, 0)

    # 3. grids: one aggregate per grid (analytics.reports.ipa_of)
    for q in questions:
        if q.kind == K.IPA_GRID:
            result = by_question[q.pk]
            result.ipa = ipa_of(answers.filter(question=q), language=language)
            result.n = len(result.ipa.attributes) if result.ipa else 0

    # 4. SERVQUAL items: mean expectation and perception per item in one query
    servqual_qs = [q for q in questions if q.kind == K.SERVQUAL_PAIR]
    if servqual_qs:
        for item in (
            answers.filter(question__kind=K.SERVQUAL_PAIR)
            .values("question_id")
            .annotate(n=Count("id"), e=Avg("expectation"), p=Avg("perception"))
            .order_by()
        ):
            if item["n"]:
                result = by_question[item["question_id"]]
                result.n = item["n"]
                result.servqual = {"expectation": item["e"], "perception": item["p"], "gap": item["p"] - item["e"]}

    # 5. allocations: mean points per attribute, one query for every allocation question
    if any(q.kind == K.ALLOCATION for q in questions):
        attribute_names = {a.pk: text_in(a.texts, language, fallback) for q in questions for a in q.attributes.all()}
        for share in (
            answers.filter(question__kind=K.ALLOCATION, attribute__isnull=False)
            .values("question_id", "attribute_id")
            .annotate(n=Count("id"), mean=Avg("value"))
            .order_by("question_id", "attribute_id")
        ):
            result = by_question[share["question_id"]]
            result.n = max(result.n, share["n"])
            result.allocation.append((attribute_names.get(share["attribute_id"], ""), float(share["mean"] or 0)))

    score_questions = [q for q in questions if q.kind in SCORE_KINDS]
    trend: list[tuple[Question, list[tuple[str, Score]]]] = []
    breakdowns: list[Breakdown] = []
    if score_questions:
        score_ids = {q.pk for q in score_questions}
        # 5. trend by wave, from the summary
        waves = {w.pk: w for w in Wave.objects.filter(survey=survey).order_by("starts_on", "pk")}
        per_wave: dict[tuple[int, int], dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for (question_id, wave_id, _service, _moment, _channel, value), n in summary.items():
            if question_id in score_ids and value != SurveyFigure.ANSWERED:
                per_wave[(question_id, wave_id)][value] += n
        for q in score_questions:
            series = []
            for wave in waves.values():
                score = score_from_counts(q, dict(per_wave.get((q.pk, wave.pk), {})))
                if score is not None:
                    series.append((wave.name, score))
            if series:
                trend.append((q, series))
        # 6. breakdowns of the first score question: by service, moment and channel (from the summary), and by
        # what we know of the customer (business or private, their preferred language): counted over the
        # responses that name a customer (one query), the rest are "not a customer on file" / "not given"
        head = score_questions[0]
        head_counts: dict[int, int] = defaultdict(int)
        grouped: dict[str, dict[Any, dict[int, int]]] = {
            key: defaultdict(lambda: defaultdict(int)) for key in ("service", "moment", "channel", "type", "language")
        }
        for (question_id, _wave, service_id, moment_id, channel, value), n in summary.items():
            if question_id != head.pk or value == SurveyFigure.ANSWERED:
                continue
            head_counts[value] += n
            grouped["service"][service_id or None][value] += n
            grouped["moment"][moment_id or None][value] += n
            grouped["channel"][channel][value] += n
        known: dict[int, int] = defaultdict(int)
        for known_row in (
            answers.filter(question=head, value__isnull=False, response__customer__isnull=False)
            .annotate(
                customer_type=DbCase(
                    When(response__customer__company="", then=Value("private")),
                    default=Value("business"),
                    output_field=CharField(),
                )
            )
            .values("customer_type", "response__customer__preferred_language", "value")
            .annotate(n=Count("id"))
            .order_by()
        ):
            point, n = known_row["value"] or 0, known_row["n"]  # never null: filtered above
            grouped["type"][known_row["customer_type"]][point] += n
            grouped["language"][known_row["response__customer__preferred_language"]][point] += n
            known[point] += n
        for value, n in head_counts.items():
            if n - known.get(value, 0):
                grouped["type"]["unknown"][value] += n - known.get(value, 0)
                grouped["language"][None][value] += n - known.get(value, 0)
        names: dict[str, dict[Any, str]] = {
            "service": service_names,
            "moment": moment_names,
            "channel": {str(k): str(v) for k, v in Response.Channel.choices},
            "type": {
                "business": _("Business customers"),
                "private": _("Private customers"),
                "unknown": _("Not a customer on file"),
            },
            "language": {str(k): str(v) for k, v in LANGUAGE_CHOICES},
        }
        titles = {
            "service": _("By service"),
            "moment": _("By moment of truth"),
            "channel": _("By channel"),
            "type": _("By customer type"),
            "language": _("By the customer's preferred language"),
        }
        for key, title in titles.items():
            rows_out = []
            for group, got in grouped[key].items():
                score = score_from_counts(head, dict(got))
                if score is not None:
                    label = names[key].get(group, _("not given")) if group is not None else _("not given")
                    rows_out.append((label, score))
            rows_out.sort(key=lambda row: (-row[1].n, row[0]))  # the biggest groups first, ties by name
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
    """Free-text answers, the latest received first (by response), narrowed to a question and a word.

    Ordered by the response's id, not its submission time: the index of the text answers
    (``answer_text_question_idx``) then hands a page over in order without sorting every comment of a big survey.
    """
    text_questions = Question.objects.filter(survey=survey, kind=K.TEXT)
    if question_id:
        # one question: an equality, so the index hands the page over already in order
        answers = Answer.objects.filter(question_id=question_id, question__in=text_questions)
    else:
        answers = Answer.objects.filter(question__in=text_questions)
    return _narrowed(answers, filters, search)


def _text_questions(survey: Survey, question_id: int | None) -> list[int]:
    text_questions = Question.objects.filter(survey=survey, kind=K.TEXT)
    if question_id:
        text_questions = text_questions.filter(pk=question_id)
    return list(text_questions.values_list("pk", flat=True))


def _comments(text_ids: list[int], filters: Filters, search: str) -> QuerySet[Answer]:
    # one question: an equality, so the index hands the page over already in order (an IN list would sort them all)
    answers = (
        Answer.objects.filter(question_id=text_ids[0])
        if len(text_ids) == 1
        else Answer.objects.filter(question_id__in=text_ids)
    )
    return _narrowed(answers, filters, search)


def _narrowed(answers: QuerySet[Answer], filters: Filters, search: str) -> QuerySet[Answer]:
    answers = answers.filter(text__isnull=False)
    if filters.wave is not None:
        answers = answers.filter(response__wave=filters.wave)
    if filters.service is not None:
        answers = answers.filter(response__service=filters.service)
    if filters.moment is not None:
        answers = answers.filter(response__moment=filters.moment)
    if filters.channel:
        answers = answers.filter(response__channel=filters.channel)
    if search:
        answers = answers.filter(Q(text__icontains=search))
    return answers.select_related(
        "question", "response", "response__wave", "response__service", "response__follow_up_case"
    ).order_by("-response_id", "-id")


class CountedComments:
    """``comments`` for a paginator, counted from the summary (``SurveyFigure``) instead of over the answers."""

    def __init__(self, answers: QuerySet[Answer], count: int) -> None:
        self.answers, self._count = answers, count

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: Any) -> Any:
        return self.answers[index]


def counted_comments(
    survey: Survey, filters: Filters, question_id: int | None, search: str
) -> QuerySet[Answer] | CountedComments:
    """``comments``; without a word searched its count comes from the summary (one text answer per response)."""
    text_ids = _text_questions(survey, question_id)
    answers = _comments(text_ids, filters, search)
    if search:
        return answers
    rows = SurveyFigure.objects.filter(survey_id=survey.pk, question_id__in=text_ids, value=SurveyFigure.ANSWERED)
    if filters.wave is not None:
        rows = rows.filter(wave_id=filters.wave.pk)
    if filters.service is not None:
        rows = rows.filter(service_id=filters.service.pk)
    if filters.moment is not None:
        rows = rows.filter(moment_id=filters.moment.pk)
    if filters.channel:
        rows = rows.filter(channel=filters.channel)
    return CountedComments(answers, rows.aggregate(n=Sum("n"))["n"] or 0)

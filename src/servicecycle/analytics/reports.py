"""Survey figures computed in the database and finished by the pure methods.

Each function takes a queryset of ``surveys.Answer`` already narrowed to one question (and, as
wanted, to a wave, service, moment or channel: see ``surveys.queries.answers_to``), runs ONE
aggregate query (conditional counts and sums, grouped by attribute for IPA), and passes the
aggregates to the ``*_from_counts`` / ``*_from_sums`` entry point of ``analytics.methods``. So a
figure over a million answers moves a handful of numbers out of the database, not the answers.

Empty input: each function returns None when the answers are too few for the figure (no answer
for NPS and CSAT, fewer than two for CES, no attribute rated for IPA), so a page can say "no
answers yet". Answers of more than one question, or scores outside the figure's scale, raise
MethodInputError: they mean the queryset was built wrongly, and a figure from them would mislead.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum

from servicecycle.analytics.methods import MethodInputError
from servicecycle.analytics.methods.ces import CESResult, ces_from_sums
from servicecycle.analytics.methods.csat import CSATResult, csat_from_counts
from servicecycle.analytics.methods.ipa import AttributeSums, Crosshair, IPAResult, ipa_from_sums
from servicecycle.analytics.methods.nps import NPSResult, nps_from_counts
from servicecycle.catalog.models import Service
from servicecycle.surveys.models import Answer, Attribute, Question, Wave, text_in


def _one_question(row: dict[str, int | None]) -> None:
    if row["first_question"] != row["last_question"]:
        raise MethodInputError("the answers belong to more than one question; narrow them to one question first")


def _within(row: dict[str, int | None], low: int, high: int, what: str) -> None:
    lowest, highest = row["lowest"], row["highest"]
    if lowest is not None and highest is not None and (lowest < low or highest > high):
        raise MethodInputError(f"{what} must lie in {low}..{high}; the answers run from {lowest} to {highest}")


def _guards() -> dict[str, Min | Max]:
    """Aggregates riding along in the same query: the question span and the score range."""
    return {
        "first_question": Min("question_id"),
        "last_question": Max("question_id"),
        "lowest": Min("value"),
        "highest": Max("value"),
    }


def nps_of(answers: QuerySet[Answer]) -> NPSResult | None:
    """NPS of answers on 0..10: promoters 9-10, passives 7-8, detractors 0-6, counted in one query."""
    row = answers.aggregate(
        promoters=Count("value", filter=Q(value__gte=9)),
        passives=Count("value", filter=Q(value__gte=7, value__lte=8)),
        detractors=Count("value", filter=Q(value__lte=6)),
        **_guards(),
    )
    if row["first_question"] is None:
        return None
    _one_question(row)
    _within(row, 0, 10, "NPS scores")
    if row["lowest"] is None:  # answers without a score
        return None
    return nps_from_counts(row["promoters"], row["passives"], row["detractors"])


def csat_of(answers: QuerySet[Answer], scale: int = 5) -> CSATResult | None:
    """CSAT of ratings on 1..scale: the share of answers in the top two boxes, counted in one query."""
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 3:
        raise MethodInputError(f"the CSAT scale must be a whole number of at least 3 points, got {scale!r}")
    row = answers.aggregate(
        top_two=Count("value", filter=Q(value__gte=scale - 1)),
        n=Count("value"),
        **_guards(),
    )
    if row["first_question"] is None:
        return None
    _one_question(row)
    _within(row, 1, scale, "CSAT ratings")
    if not row["n"]:
        return None
    return csat_from_counts(row["top_two"], row["n"])


def ces_of(answers: QuerySet[Answer], scale: int = 7) -> CESResult | None:
    """CES (mean effort on 1..scale, SD, t interval) from the count, sum and sum of squares in one query."""
    row = answers.aggregate(
        n=Count("value"),
        total=Sum("value"),
        sum_of_squares=Sum(F("value") * F("value")),
        **_guards(),
    )
    if row["first_question"] is None:
        return None
    _one_question(row)
    _within(row, 1, scale, "CES scores")
    if row["n"] < 2:
        return None
    return ces_from_sums(row["n"], row["total"], row["sum_of_squares"], scale=scale)


def ipa_of(
    answers: QuerySet[Answer], *, crosshair: Crosshair = "mean", language: str | None = None
) -> IPAResult | None:
    """Importance-performance analysis of a grid: one GROUP BY attribute query for the sums and counts.

    Attributes are named in ``language`` (default: the survey's default language) and keep their
    order in the grid; an attribute nobody rated is left out. The midpoint crosshair uses the grid's
    scale. A second, small query reads the attributes' names and the grid's scale.
    """
    rows = list(
        answers.filter(attribute__isnull=False)
        .values("attribute_id")
        .annotate(
            importance_sum=Sum("importance"),
            importance_n=Count("importance"),
            performance_sum=Sum("performance"),
            performance_n=Count("performance"),
            competitor_sum=Sum("competitor_performance"),
            competitor_n=Count("competitor_performance"),
        )
        .order_by("attribute_id")
    )
    rated = {r["attribute_id"]: r for r in rows if r["importance_n"] and r["performance_n"]}
    if not rated:
        return None
    attributes = list(
        Attribute.objects.filter(pk__in=rated)
        .select_related("question__survey")
        .only(
            "pk",
            "position",
            "texts",
            "question__id",
            "question__scale_max",
            "question__survey__default_language",
        )
        .order_by("question_id", "position")
    )
    if len({a.question_id for a in attributes}) != 1:
        raise MethodInputError("the answers belong to more than one question; narrow them to one question first")
    question = attributes[0].question
    names = _names(attributes, language or question.survey.default_language, question.survey.default_language)
    sums = [
        AttributeSums(
            name=names[a.pk],
            importance_sum=float(rated[a.pk]["importance_sum"]),
            importance_n=rated[a.pk]["importance_n"],
            performance_sum=float(rated[a.pk]["performance_sum"]),
            performance_n=rated[a.pk]["performance_n"],
            competitor_sum=float(rated[a.pk]["competitor_sum"] or 0),
            competitor_n=rated[a.pk]["competitor_n"],
        )
        for a in attributes
    ]
    return ipa_from_sums(sums, crosshair=crosshair, scale=question.scale_max)


def _names(attributes: list[Attribute], language: str, fallback: str) -> dict[int, str]:
    """Each attribute's text; a text two attributes share (after falling back) gets its position added."""
    names = {a.pk: text_in(a.texts, language, fallback) or str(a.position) for a in attributes}
    taken = [n for n in names.values()]
    return {
        a.pk: (names[a.pk] if taken.count(names[a.pk]) == 1 else f"{names[a.pk]} ({a.position})") for a in attributes
    }


@dataclass(frozen=True)
class ServiceFeedback:
    """What customers said about one service in its surveys: each figure from its latest question."""

    nps: NPSResult | None
    nps_by_wave: list[tuple[str, NPSResult]]
    csat: CSATResult | None
    ces: CESResult | None
    ipa: IPAResult | None
    competitor: str

    @property
    def empty(self) -> bool:
        return self.nps is None and self.csat is None and self.ces is None and self.ipa is None


def _latest_question(service: Service, kind: str) -> Question | None:
    """The most recent question of this kind asked about the service (directly or through its survey)."""
    return (
        Question.objects.filter(kind=kind)
        .filter(Q(service=service) | Q(service__isnull=True, survey__service=service))
        .select_related("survey")
        .order_by("-survey__created_at", "-pk")
        .first()
    )


def service_feedback(service: Service, language: str | None = None) -> ServiceFeedback:
    """NPS (overall and by wave), CSAT, CES and IPA of a service, each aggregated in the database."""
    nps_q = _latest_question(service, Question.Kind.NPS)
    csat_q = _latest_question(service, Question.Kind.CSAT)
    ces_q = _latest_question(service, Question.Kind.CES)
    ipa_q = _latest_question(service, Question.Kind.IPA_GRID)
    by_wave: list[tuple[str, NPSResult]] = []
    if nps_q is not None:
        for wave in Wave.objects.filter(survey_id=nps_q.survey_id).order_by("starts_on", "pk"):
            result = nps_of(Answer.objects.filter(question=nps_q, response__wave=wave))
            if result is not None:
                by_wave.append((wave.name, result))
    return ServiceFeedback(
        nps=nps_of(Answer.objects.filter(question=nps_q)) if nps_q else None,
        nps_by_wave=by_wave,
        csat=csat_of(Answer.objects.filter(question=csat_q), scale=csat_q.scale_max or 5) if csat_q else None,
        ces=ces_of(Answer.objects.filter(question=ces_q), scale=ces_q.scale_max or 7) if ces_q else None,
        ipa=ipa_of(Answer.objects.filter(question=ipa_q), language=language) if ipa_q else None,
        competitor=ipa_q.competitor_name if ipa_q else "",
    )

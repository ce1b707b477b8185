"""What survey answers say about each moment of truth, for the moment health on the cycle wheel."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.db.models import Avg, Count, F, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from servicecycle.core.records import Record, RecordList
from servicecycle.cycles.models import Moment
from servicecycle.cycles.queries import Signal
from servicecycle.surveys.actions.design import FIXED_SCALES
from servicecycle.surveys.models import Answer, Question, text_in

WINDOW = timedelta(days=90)
MIN_ANSWERS = 5
CSAT_LOW, CSAT_HIGH = FIXED_SCALES[Question.Kind.CSAT]


def satisfaction_signals(moments: list[Moment]) -> dict[int, dict[str, Signal]]:
    """Per moment: the mean CSAT answer of the last 90 days (1..5), as badness (5 - mean) / 4.

    An answer counts for the moment its question is about, else the moment its response is about.
    One aggregate query; a moment with fewer than five answers gets no signal (too few to judge).
    """
    ids = [m.pk for m in moments]
    if not ids:
        return {}
    rows = (
        Answer.objects.filter(
            question__kind=Question.Kind.CSAT,
            value__isnull=False,
            response__submitted_at__gte=timezone.now() - WINDOW,
        )
        .annotate(moment_id=Coalesce(F("question__moment_id"), F("response__moment_id")))
        .filter(moment_id__in=ids)
        .values("moment_id")
        .annotate(n=Count("id"), mean=Avg("value"))
        .filter(n__gte=MIN_ANSWERS)
        .order_by()
    )
    span = CSAT_HIGH - CSAT_LOW
    return {
        row["moment_id"]: {
            "satisfaction": Signal(
                label=_("Mean satisfaction, 1-5 (90 days, %(n)d answers)") % {"n": row["n"]},
                value=round(float(row["mean"]), 2),
                badness=min(1.0, max(0.0, (CSAT_HIGH - float(row["mean"])) / span)),
            )
        }
        for row in rows
    }


LOW_SCORE = CSAT_LOW + 1  # 1 or 2 on the 1-5 scale: a dissatisfied customer


def satisfaction_evidence(moment: Moment, offset: int, limit: int) -> RecordList:
    """The survey answers behind the moment's satisfaction figure: the low scores (1 or 2 of 5) of the last 90
    days, newest first, with what the same respondent wrote in the survey's free-text questions (three queries:
    the counts, the page, the comments of the page)."""
    counted = Answer.objects.filter(
        question__kind=Question.Kind.CSAT,
        value__isnull=False,
        response__submitted_at__gte=timezone.now() - WINDOW,
    ).annotate(moment_id=Coalesce(F("question__moment_id"), F("response__moment_id")))
    counted = counted.filter(moment_id=moment.pk)
    counts = counted.aggregate(n=Count("id"), low=Count("id", filter=Q(value__lte=LOW_SCORE)))
    total = counts["low"]
    page: list[Answer] = []
    if total > offset:
        page = list(
            counted.filter(value__lte=LOW_SCORE)
            .select_related("response__survey")
            .order_by("-response__submitted_at", "-id")[offset : offset + limit]
        )
    comments: dict[int, list[str]] = {}
    if page:
        texts = Answer.objects.filter(
            response_id__in={a.response_id for a in page}, question__kind=Question.Kind.TEXT, text__gt=""
        ).order_by("question__position", "id")
        for row in texts.values("response_id", "text"):
            comments.setdefault(row["response_id"], []).append(row["text"] or "")
    language = translation.get_language()
    items = [
        Record(
            title=text_in(answer.response.survey.titles, language, answer.response.survey.default_language),
            url=reverse("survey-results", kwargs={"pk": answer.response.survey_id})
            + "?"
            + urlencode({"moment": moment.pk}),
            when=answer.response.submitted_at,
            state=_("%(value)d of %(high)d") % {"value": answer.value, "high": CSAT_HIGH},
            detail=" · ".join(comments.get(answer.response_id, [])),
            hot=True,
        )
        for answer in page
    ]
    return RecordList(
        key="satisfaction",
        title=_("Low satisfaction scores"),
        explanation=_(
            "Answers of 1 or 2 out of 5 in the last 90 days, of %(n)d satisfaction answers about this moment."
        )
        % {"n": counts["n"]},
        total=total,
        items=items,
    )

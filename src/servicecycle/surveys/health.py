"""What survey answers say about each moment of truth, for the moment health on the cycle wheel."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Avg, Count, F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from servicecycle.cycles.models import Moment
from servicecycle.cycles.queries import Signal
from servicecycle.surveys.actions.design import FIXED_SCALES
from servicecycle.surveys.models import Answer, Question

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

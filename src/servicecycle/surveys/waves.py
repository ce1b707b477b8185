"""Recurring surveys: the next wave opens when the current one ends, so each period's answers stay apart.

A survey that repeats every N months runs in waves of N months, one after the other. The periodic task
``open_due_waves`` opens the wave that contains today for every open recurring survey whose last wave has
ended; a gap (the worker stopped for a while) is skipped, not filled with empty waves. A wave's name is its
period (``2027-03-01 – 2027-05-31``), unique within the survey, which also makes opening idempotent.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from servicecycle.core import audit
from servicecycle.surveys.models import Survey, Wave

log = logging.getLogger(__name__)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def today_of(survey: Survey) -> dt.date:
    """Today on the survey's organization's calendar: waves start and end on its days, whoever asks (a staff
    member, a respondent, the worker)."""
    return timezone.localdate(timezone=survey.organization.zone)


def period_name(starts_on: dt.date, ends_on: dt.date) -> str:
    return f"{starts_on.isoformat()} – {ends_on.isoformat()}"


def open_wave(survey: Survey, starts_on: dt.date, *, actor: Any = None) -> Wave | None:
    """Open the wave of ``survey.recur_months`` months starting on ``starts_on``; None when it exists already."""
    months = survey.recur_months or 0
    if months < 1:
        return None
    ends_on = add_months(starts_on, months) - dt.timedelta(days=1)
    try:
        with transaction.atomic():
            wave = Wave.objects.create(
                survey=survey, name=period_name(starts_on, ends_on), starts_on=starts_on, ends_on=ends_on
            )
    except IntegrityError:  # opened by another run
        return None
    audit.record(
        actor=actor,
        organization_id=survey.organization_id,
        verb="wave.opened",
        obj=wave,
        scope=survey,
        changes={"name": wave.name, "starts_on": starts_on, "ends_on": ends_on},
    )
    return wave


def open_next_wave(survey: Survey, today: dt.date | None = None) -> Wave | None:
    """The next wave of a recurring survey whose last wave has ended (None when none is due)."""
    today = today or today_of(survey)
    if survey.status != Survey.Status.OPEN or not survey.recur_months:
        return None
    last = Wave.objects.filter(survey=survey).order_by("-starts_on", "-pk").first()
    if last is None:
        return open_wave(survey, today)
    if last.ends_on is None or last.ends_on >= today:
        return None
    start = last.ends_on + dt.timedelta(days=1)
    while add_months(start, survey.recur_months) <= today:  # skip periods missed while nothing ran
        start = add_months(start, survey.recur_months)
    return open_wave(survey, start)


def open_due_waves(today: dt.date | None = None) -> int:
    """Open the due wave of every open recurring survey; how many were opened."""
    opened = 0
    for survey in Survey.objects.filter(status=Survey.Status.OPEN, recur_months__isnull=False):
        try:
            if open_next_wave(survey, today) is not None:
                opened += 1
        except Exception:
            log.exception("the next wave of survey %s could not be opened; trying again later", survey.pk)
    return opened

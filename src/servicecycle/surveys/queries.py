"""Reads of surveys: access checks, questions in order, and the answer sets the reports aggregate."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from servicecycle.accounts.permissions import MESSAGE_NOT_ALLOWED, has, staff_of
from servicecycle.catalog.models import Service
from servicecycle.core.errors import PermissionDenied
from servicecycle.cycles.models import Moment
from servicecycle.surveys.models import Answer, Attribute, Question, Survey, Wave


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
    if write and not has(user, "service.manage"):
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

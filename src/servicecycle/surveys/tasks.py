"""Background work for surveys: invitation rounds, reminders, invitations after events, recurring waves and the
closed loop. Every task is idempotent (see ``surveys.actions.invitations`` and ``surveys.closed_loop``): a task
run twice, or by two workers at once, has its effect once."""

from __future__ import annotations

import logging
from datetime import timedelta

from django_tasks import task

from servicecycle.core import periodic
from servicecycle.surveys import closed_loop, waves
from servicecycle.surveys.actions import invitations

log = logging.getLogger(__name__)


@task()
def send_invitation_round(
    survey_id: int, wave_id: int | None, round_key: str, customer_ids: list[int], emails: list[str]
) -> dict[str, int]:
    """Make and mail the round's invitations; returns what happened to each person, counted."""
    counts = invitations.send_round(
        survey_id=survey_id, wave_id=wave_id, round_key=round_key, customer_ids=customer_ids, emails=emails
    )
    log.info("invitation round %s of survey %s: %s", round_key, survey_id, counts)
    return counts


@task()
def send_due_reminders() -> int:
    """The one reminder of each mailed invitation still unanswered after its survey's days."""
    return invitations.remind_due()


@task()
def invite_after_event(survey_id: int, customer_id: int, source: str) -> str:
    """The invitation after a case was closed or a promise kept (once per survey and event)."""
    return invitations.invite_for_event(survey_id=survey_id, customer_id=customer_id, source=source)


@task()
def open_due_waves() -> int:
    """Open the next wave of every recurring survey whose current wave has ended."""
    return waves.open_due_waves()


@task()
def follow_up_response(response_id: int) -> str:
    """Open the follow-up case of an unhappy answer (once per response); returns its reference, or ""."""
    case = closed_loop.open_follow_up(response_id)
    return case.reference if case is not None else ""


periodic.register(send_due_reminders, every=timedelta(hours=1))
periodic.register(open_due_waves, every=timedelta(hours=1))


@task()
def run_survey_import(job_id: int) -> str:
    """Check and load a response import (surveys/imports.py); returns the job's status ("" when not runnable)."""
    from servicecycle.surveys import imports

    job = imports.run(job_id)
    return job.status if job is not None else ""

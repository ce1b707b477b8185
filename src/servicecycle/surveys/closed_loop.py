"""Closing the loop: an unhappy answer from a customer who may be contacted opens a follow-up case.

A response whose NPS answer is 0 to 6 (a detractor) or whose satisfaction answer is in the bottom two points
of its scale (1 or 2 of 5) gets one case, made through the cases app's own intake (so it gets a reference, an
SLA clock and the acknowledgement mail) for the service the survey or the response is about, whose owner team
handles it. The case is linked from the response (``Response.follow_up_case``).

It runs in a background task queued when the response commits. Once per response: the response row is locked
and the case is made only while its link is empty, and the intake's idempotency key (``survey-response:<id>``)
returns the same case if a run died between making the case and storing the link.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from servicecycle.cases.actions.intake import create_case
from servicecycle.cases.models import Case, Kind
from servicecycle.catalog.models import Service
from servicecycle.core import audit, outbox
from servicecycle.surveys.models import Answer, Question, Response, text_in

log = logging.getLogger(__name__)

K = Question.Kind


def schedule_follow_up(response: Response) -> None:
    """Queue the check with the response (only responses of a known customer can be followed up)."""
    if response.customer_id is None:
        return
    from servicecycle.surveys.tasks import follow_up_response

    outbox.enqueue(follow_up_response, response_id=response.pk)


def unhappy_answers(response: Response) -> list[Answer]:
    """The response's NPS answers from 0 to 6 and satisfaction answers in the bottom two points."""
    found = []
    for answer in (
        Answer.objects.filter(response=response, question__kind__in=[K.NPS, K.CSAT], value__isnull=False)
        .select_related("question")
        .order_by("question__position")
    ):
        if unhappy(answer):
            found.append(answer)
    return found


def unhappy(answer: Answer) -> bool:
    """An NPS answer from 0 to 6 (a detractor) or a satisfaction answer in the bottom two points of its scale
    (``answer.question`` read with it)."""
    question, value = answer.question, answer.value
    if value is None:
        return False
    return (question.kind == K.NPS and value <= 6) or (
        question.kind == K.CSAT and value <= (question.scale_min or 1) + 1
    )


def _description(response: Response, low: list[Answer]) -> tuple[str, str]:
    survey = response.survey
    language = survey.organization.default_language or survey.default_language
    with translation.override(language):
        title = text_in(survey.titles, language, survey.default_language)
        subject = _("Follow-up of a survey answer: %(survey)s") % {"survey": title}
        lines = [
            _("%(customer)s answered the survey “%(survey)s” and was not satisfied. Contact them to follow up.")
            % {"customer": response.customer.name if response.customer else "", "survey": title},
            "",
        ]
        for answer in low:
            q = answer.question
            lines.append(
                _("%(question)s: %(value)s (scale %(low)s to %(high)s)")
                % {
                    "question": text_in(q.texts, language, survey.default_language),
                    "value": answer.value,
                    "low": q.scale_min,
                    "high": q.scale_max,
                }
            )
        comments = Answer.objects.filter(response=response, question__kind=K.TEXT).exclude(text="").exclude(text=None)
        for comment in comments.select_related("question").order_by("question__position"):
            lines += ["", f"{text_in(comment.question.texts, language, survey.default_language)}:", comment.text or ""]
    return subject, "\n".join(lines)


def open_follow_up(response_id: int) -> Case | None:
    """The follow-up case of the response: made when the answer calls for one, else None; made once."""
    with transaction.atomic():
        response = (
            Response.objects.select_for_update(of=("self",))
            .select_related("survey", "survey__organization", "customer")
            .filter(pk=response_id, submitted_at__isnull=False)
            .first()
        )
        if response is None:
            return None
        if response.follow_up_case_id is not None:
            return Case.objects.get(pk=response.follow_up_case_id)
        customer = response.customer
        if customer is None or not customer.consent_contact:
            return None
        low = unhappy_answers(response)
        if not low:
            return None
        service_id = response.service_id or response.survey.service_id
        service = (
            Service.objects.filter(pk=service_id, organization_id=response.survey.organization_id).first()
            if service_id is not None
            else None
        )
        if service is None:
            log.info("response %s calls for a follow-up but neither it nor its survey names a service", response.pk)
            return None
        subject, description = _description(response, low)
        created = create_case(
            acting_user=None,
            organization=response.survey.organization,
            kind=Kind.COMPLAINT,
            channel=Case.Channel.WEB_FORM,
            service_id=service.pk,
            team_id=service.owner_team_id,
            moment_id=response.moment_id,
            customer_id=customer.pk,
            subject=subject[:200],
            description=description,
            idempotency_key=f"survey-response:{response.pk}",
            language=response.language,
        )
        Response.objects.filter(pk=response.pk, follow_up_case__isnull=True).update(follow_up_case=created.case)
        audit.record(
            actor=None,
            organization_id=response.survey.organization_id,
            verb="response.follow_up_opened",
            obj=response,
            scope=response.survey,
            changes={"case": created.case.reference},
        )
        return created.case

"""Collecting answers: personal invitation links, drafts saved page by page, and the one submission.

A personal link (``/s/i/<token>/``) is answered once: its response carries the token's hash, so the
database itself refuses a second one. The same final page sent twice (a double click, a retry after a
lost answer) carries the same submission nonce and is answered as the first success, not as an error.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from servicecycle.accounts.models import Customer
from servicecycle.accounts.permissions import require
from servicecycle.core import audit
from servicecycle.core.changes import hash_token
from servicecycle.core.errors import NotFound
from servicecycle.core.validation import fail
from servicecycle.surveys.actions.design import _whole
from servicecycle.surveys.actions.responses import record_response
from servicecycle.surveys.closed_loop import schedule_follow_up
from servicecycle.surveys.models import Draft, Invitation, Question, Response, Survey, Wave
from servicecycle.surveys.waves import today_of

Outcome = Literal["recorded", "repeat", "used"]


@dataclass(frozen=True)
class Submitted:
    outcome: Outcome
    response: Response | None = None


def current_wave(survey: Survey, today: dt.date | None = None) -> Wave | None:
    """The wave running today (the latest started one not yet ended), or None."""
    today = today or today_of(survey)
    return (
        Wave.objects.filter(survey=survey, starts_on__lte=today)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .order_by("-starts_on", "-pk")
        .first()
    )


@transaction.atomic
def create_invitation(
    *,
    acting_user: Any,
    survey: Survey,
    wave_id: Any = None,
    customer_id: Any = None,
    email: str = "",
    language: str = "",
) -> tuple[Invitation, str]:
    """A personal single-use link for a customer or an email address; returns it with its secret token.

    The token is shown once: only its hash is kept. The language is the one given, else the customer's
    preferred one when the survey has it, else the survey's default language.
    """
    staff = require(acting_user, "survey.design")
    if survey.organization_id != staff.organization_id:
        raise NotFound(_("Survey not found."))
    return new_invitation(
        actor=acting_user,
        survey=survey,
        wave_id=wave_id,
        customer_id=customer_id,
        email=email,
        language=language,
    )


def new_invitation(
    *,
    actor: Any,
    survey: Survey,
    wave_id: Any = None,
    customer_id: Any = None,
    email: str = "",
    language: str = "",
    token: str = "",
    source: str = "",
) -> tuple[Invitation, str]:
    """``create_invitation`` once the caller is known to act for the survey's organization (a person who may
    invite, or the background tasks with ``actor`` None). ``token`` and ``source`` are given by invitations
    made in rounds and after events (see ``surveys.actions.invitations``), whose token is derived again to
    remind; otherwise the token is random."""
    if survey.status == Survey.Status.CLOSED:
        raise fail("survey", _("This survey is closed; reopen it before inviting anyone."))
    customer = None
    if customer_id not in (None, ""):
        customer = Customer.objects.filter(organization_id=survey.organization_id, pk=_whole(customer_id) or 0).first()
        if customer is None:
            raise fail("customer", _("Unknown customer."))
    email = (email or "").strip() or (customer.email if customer else "")
    if customer is None and not email:
        raise fail("email", _("Choose a customer or give an email address."))
    wave = None
    if wave_id not in (None, ""):
        wave = Wave.objects.filter(survey=survey, pk=_whole(wave_id) or 0).first()
        if wave is None:
            raise fail("wave", _("The wave belongs to another survey."))
    if language:
        if language not in survey.languages:
            raise fail("language", _("%(lang)s is not one of this survey's languages.") % {"lang": language})
    elif customer is not None and customer.preferred_language in survey.languages:
        language = customer.preferred_language
    else:
        language = survey.default_language
    token = token or secrets.token_urlsafe(24)
    invitation = Invitation(
        survey=survey,
        wave=wave or current_wave(survey),
        customer=customer,
        email=email,
        language=language,
        token_hash=hash_token(token),
        source=source,
    )
    invitation.full_clean(exclude=["survey", "wave", "customer", "response"], validate_constraints=False)
    invitation.save()
    audit.record(
        actor=actor,
        organization_id=survey.organization_id,
        verb="invitation.created",
        obj=invitation,
        scope=survey,
        changes={"email": email, "customer": customer.pk if customer else None, "language": language, "source": source},
    )
    return invitation, token


def invitation_of(token: str) -> Invitation | None:
    if not token or len(token) > 100:
        return None
    return Invitation.objects.select_related("survey", "wave", "customer").filter(token_hash=hash_token(token)).first()


def browser_key(survey: Survey, browser_id: str) -> str:
    return hash_token(f"browser:{survey.pk}:{browser_id}")


def open_draft(*, survey: Survey, key: str, language: str) -> Draft:
    """The respondent's draft under this key, made on the first visit (with its submission nonce)."""
    draft, _created = Draft.objects.get_or_create(
        key=key, defaults={"survey": survey, "language": language, "submission": secrets.token_urlsafe(16)}
    )
    if draft.survey_id != survey.pk:  # keys are hashes of the survey id and a secret; never shared
        raise NotFound(_("Survey not found."))
    return draft


def restart_draft(draft: Draft) -> Draft:
    """A public link answered again from the same browser (when allowed): a fresh draft, a new nonce."""
    draft.answers = {}
    draft.submitted_at = None
    draft.submission = secrets.token_urlsafe(16)
    draft.save(update_fields=["answers", "submitted_at", "submission", "updated_at"])
    return draft


def save_draft(*, draft: Draft, answers: Mapping[str, Any], language: str | None = None) -> Draft:
    """Merge one page's answers into the draft ({question id: [entries]}, an empty list clears one)."""
    merged = dict(draft.answers)
    for key, entries in answers.items():
        if entries:
            merged[str(key)] = entries
        else:
            merged.pop(str(key), None)
    draft.answers = merged
    fields = ["answers", "updated_at"]
    if language:
        draft.language = language
        fields.append("language")
    draft.save(update_fields=fields)
    return draft


def shown(question: Question, answers: Mapping[str, Any]) -> bool:
    """Whether the question is shown after these draft answers (its condition's answer matches)."""
    if not question.condition:
        return True
    given = answers.get(str(question.condition["question"])) or []
    values: set[int] = set()
    for entry in given:
        if "value" in entry and _whole(entry["value"]) is not None:
            values.add(_whole(entry["value"]))  # type: ignore[arg-type]
        for code in entry.get("choices", []):
            if _whole(code) is not None:
                values.add(_whole(code))  # type: ignore[arg-type]
    return bool(values & set(question.condition["values"]))


def answers_for_submission(questions: list[Question], answers: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The draft's entries of the questions shown, in the shape ``record_response`` takes."""
    result: list[dict[str, Any]] = []
    for question in questions:
        if shown(question, answers):
            result.extend({**entry, "question": question.pk} for entry in answers.get(str(question.pk), []))
    return result


@transaction.atomic
def submit_draft(
    *,
    draft: Draft,
    submission: str,
    invitation: Invitation | None = None,
    invitation_token: str = "",
    browser_id: str = "",
) -> Submitted:
    """Record the draft as the response, once.

    ``repeat``: this very submission was recorded before (answered like the first time); ``used``: the
    link (or, for a one-per-browser survey, the browser) has answered already. Bad answers raise the
    errors of ``record_response`` and save nothing.
    """
    locked = Draft.objects.select_for_update().select_related("survey").get(pk=draft.pk)
    if locked.submitted_at is not None:
        return Submitted("repeat" if submission and submission == locked.submission else "used")
    survey = locked.survey
    token = None
    wave = None
    customer_id = None
    channel = Response.Channel.WEB
    if invitation is not None:
        current = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if current.used_at is not None:
            return Submitted("used")
        token, wave, customer_id = invitation_token, current.wave, current.customer_id
        if current.sent_at is not None:
            channel = Response.Channel.EMAIL
    else:
        wave = current_wave(survey)
        if survey.one_per_browser:
            token = f"browser:{survey.pk}:{browser_id}"
            if Response.objects.filter(token_hash=hash_token(token)).exists():
                return Submitted("used")
    questions = list(survey.questions.order_by("position"))
    response = record_response(
        survey=survey,
        answers=answers_for_submission(questions, locked.answers),
        wave=wave,
        customer_id=customer_id,
        channel=channel,
        language=locked.language,
        token=token,
    )
    now = timezone.now()
    if invitation is not None:
        Invitation.objects.filter(pk=invitation.pk).update(used_at=now, response=response)
    locked.answers = {}
    locked.submitted_at = now
    locked.save(update_fields=["answers", "submitted_at", "updated_at"])
    schedule_follow_up(response)
    return Submitted("recorded", response)

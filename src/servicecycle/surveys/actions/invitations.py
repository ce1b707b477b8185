"""Inviting by email: rounds staff start for an audience, one reminder, the contact rule, invitations after events.

A round is planned in the request (the audience resolved, the contact rule applied, the counts shown) and sent by
a background task once the request commits. Each invitation made this way has a ``source`` unique within its
survey (``r<round>:c<customer>``, ``r<round>:e<address hash>``, ``case:<id>``, ``promise:<id>``), and its token is
derived from that source with the server's secret key, so:

- running the same task twice finds the invitation it made the first time instead of making a second one;
- the reminder carries the same personal link as the first mail, although only the token's hash is stored.

Each mail is claimed by a conditional UPDATE (``sent_at`` / ``reminded_at`` still empty) in the transaction that
queues it, so a task run twice, or by two workers at once, sends each mail once.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from servicecycle.accounts.models import Customer
from servicecycle.accounts.permissions import require
from servicecycle.catalog.models import Service
from servicecycle.core import audit, outbox
from servicecycle.core.changes import check_version
from servicecycle.core.errors import NotFound
from servicecycle.core.notify import absolute_url, send_mail
from servicecycle.core.validation import fail
from servicecycle.surveys.actions.collection import current_wave, new_invitation
from servicecycle.surveys.actions.design import LANGUAGES, _whole
from servicecycle.surveys.models import Invitation, Survey, Wave, text_in

log = logging.getLogger(__name__)

MAX_PASTED = 2000  # addresses in one pasted list
MAX_RECUR_MONTHS = 24
MAX_DAYS = 365


class Audience:
    CONSENTED = "consented"  # every customer who agreed to receive surveys
    LANGUAGE = "language"  # ... who prefer a language
    SERVICE = "service"  # ... who had a case or a promise about a service
    PASTED = "pasted"  # the addresses pasted, one per line

    values = (CONSENTED, LANGUAGE, SERVICE, PASTED)


@dataclass
class Plan:
    """Who a round would invite, and who it leaves out (counted, shown to the person sending)."""

    customer_ids: list[int] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)  # pasted addresses of nobody on file
    skipped_recent: int = 0  # invited within the contact rule's days
    skipped_no_email: int = 0  # customers without an address

    @property
    def count(self) -> int:
        return len(self.customer_ids) + len(self.emails)


# Tokens ------------------------------------------------------------------------------------------------------


def derived_token(survey_id: int, source: str) -> str:
    """The personal link's token of an invitation made in a round or after an event (needs the secret key)."""
    digest = salted_hmac("servicecycle.surveys.invitation", f"{survey_id}:{source}", algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def invitation_url(invitation: Invitation) -> str:
    token = derived_token(invitation.survey_id, invitation.source)
    return absolute_url(reverse("survey-invitation", kwargs={"token": token}))


def _email_key(email: str) -> str:
    return hashlib.sha256(email.lower().encode()).hexdigest()[:16]


# The contact rule ---------------------------------------------------------------------------------------------


def recently_invited(
    survey: Survey, customer_ids: Iterable[int], emails: Iterable[str], now: dt.datetime | None = None
) -> tuple[set[int], set[str]]:
    """Customers and addresses invited by any survey of the organization within the survey's contact rule."""
    days = survey.contact_gap_days
    if not days:
        return set(), set()
    since = (now or timezone.now()) - dt.timedelta(days=days)
    recent = Invitation.objects.filter(survey__organization_id=survey.organization_id, created_at__gte=since)
    ids = list(customer_ids)
    addresses = [e.lower() for e in emails]
    found_ids = set(recent.filter(customer_id__in=ids).values_list("customer_id", flat=True)) if ids else set()
    found_emails = (
        {e.lower() for e in recent.filter(email__in=addresses).values_list("email", flat=True)} if addresses else set()
    )
    return found_ids, found_emails


# Planning and starting a round ---------------------------------------------------------------------------------


def _invitable_survey(acting_user: Any, survey: Survey) -> Survey:
    staff = require(acting_user, "survey.design")
    current = (
        Survey.objects.select_related("organization")
        .filter(pk=survey.pk, organization_id=staff.organization_id)
        .first()
    )
    if current is None:
        raise NotFound(_("Survey not found."))
    survey = current
    if survey.status != Survey.Status.OPEN:
        raise fail("survey", _("Open the survey before sending invitations: links answer only while it is open."))
    return survey


def _pasted(survey: Survey, raw: str) -> tuple[list[int], list[str], int]:
    """Customer ids and other addresses of a pasted list; a bad line or a customer without consent is an error."""
    lines = [(n, line.strip()) for n, line in enumerate((raw or "").splitlines(), start=1) if line.strip()]
    if not lines:
        raise fail("emails", _("Paste at least one email address, one per line."))
    if len(lines) > MAX_PASTED:
        raise fail("emails", _("Paste at most %(n)d addresses at once.") % {"n": MAX_PASTED})
    addresses: dict[str, int] = {}
    for n, line in lines:
        try:
            validate_email(line)
        except ValidationError:
            raise fail(
                "emails", _("Line %(n)d: “%(text)s” is not an email address.") % {"n": n, "text": line}
            ) from None
        addresses.setdefault(line.lower(), n)
    on_file: dict[str, Customer] = {}
    matches = Customer.objects.annotate(address=Lower("email")).filter(
        organization_id=survey.organization_id, address__in=list(addresses)
    )
    for match in matches.order_by("pk"):
        on_file.setdefault(match.email.lower(), match)
    customer_ids: list[int] = []
    others: list[str] = []
    for address, n in addresses.items():
        customer = on_file.get(address)
        if customer is None:
            others.append(address)
        elif not customer.consent_surveys:
            raise fail(
                "emails",
                _("Line %(n)d: %(name)s has not agreed to receive surveys; remove the line.")
                % {"n": n, "name": customer.name},
            )
        else:
            customer_ids.append(customer.pk)
    return customer_ids, others, len(lines) - len(addresses)


def audience_customers(survey: Survey, mode: str, language: str = "", service: Service | None = None) -> QuerySet[Any]:
    """The customers of an audience (not the pasted one): those who agreed to surveys, narrowed."""
    customers = Customer.objects.filter(organization_id=survey.organization_id, consent_surveys=True)
    if mode == Audience.LANGUAGE:
        customers = customers.filter(preferred_language=language)
    elif mode == Audience.SERVICE and service is not None:
        customers = customers.filter(Q(cases__service=service) | Q(promises__service=service)).distinct()
    return customers


def plan_round(
    *,
    acting_user: Any,
    survey: Survey,
    audience: str,
    language: str = "",
    service_id: Any = None,
    emails: str = "",
) -> Plan:
    """Who a round would invite now, with the customers the contact rule or a missing address leaves out."""
    survey = _invitable_survey(acting_user, survey)
    if audience not in Audience.values:
        raise fail("audience", _("Choose who to invite."))
    plan = Plan()
    if audience == Audience.PASTED:
        customer_ids, others, _repeats = _pasted(survey, emails)
    else:
        service = None
        if audience == Audience.LANGUAGE and language not in LANGUAGES:
            raise fail("language", _("Choose the language of the customers to invite."))
        if audience == Audience.SERVICE:
            service = Service.objects.filter(organization_id=survey.organization_id, pk=_whole(service_id) or 0).first()
            if service is None:
                raise fail("service", _("Unknown service: choose one of your organization's services."))
        rows = list(audience_customers(survey, audience, language, service).values_list("pk", "email"))
        customer_ids = [pk for pk, email in rows if email]
        plan.skipped_no_email = len(rows) - len(customer_ids)
        others = []
    recent_ids, recent_emails = recently_invited(survey, customer_ids, others)
    plan.customer_ids = [pk for pk in customer_ids if pk not in recent_ids]
    plan.emails = [e for e in others if e not in recent_emails]
    plan.skipped_recent = len(customer_ids) - len(plan.customer_ids) + len(others) - len(plan.emails)
    return plan


@transaction.atomic
def start_round(
    *,
    acting_user: Any,
    survey: Survey,
    audience: str,
    language: str = "",
    service_id: Any = None,
    emails: str = "",
    wave_id: Any = None,
) -> Plan:
    """Plan the round and queue its mail for when the request commits; returns the plan (counts to show)."""
    plan = plan_round(
        acting_user=acting_user,
        survey=survey,
        audience=audience,
        language=language,
        service_id=service_id,
        emails=emails,
    )
    wave = None
    if wave_id not in (None, ""):
        wave = Wave.objects.filter(survey=survey, pk=_whole(wave_id) or 0).first()
        if wave is None:
            raise fail("wave", _("The wave belongs to another survey."))
    if not plan.count:
        raise fail("audience", _("Nobody to invite: everyone in this audience was left out (see the counts)."))
    round_key = secrets.token_hex(4)
    audit.record(
        actor=acting_user,
        organization_id=survey.organization_id,
        verb="survey.invitations_queued",
        obj=survey,
        changes={
            "round": round_key,
            "audience": audience,
            "invited": plan.count,
            "skipped_recent": plan.skipped_recent,
            "skipped_no_email": plan.skipped_no_email,
        },
    )
    survey_id, chosen_wave = survey.pk, wave.pk if wave else None
    customer_ids, addresses = plan.customer_ids, plan.emails

    from servicecycle.surveys.tasks import send_invitation_round

    outbox.enqueue(
        send_invitation_round,
        survey_id=survey_id,
        wave_id=chosen_wave,
        round_key=round_key,
        customer_ids=customer_ids,
        emails=addresses,
    )
    return plan


# Sending ------------------------------------------------------------------------------------------------------


def _mail_context(invitation: Invitation, survey: Survey) -> dict[str, Any]:
    language = invitation.language or survey.default_language
    return {
        "survey_title": text_in(survey.titles, language, survey.default_language),
        "organization": survey.organization.name,
        "customer_name": invitation.customer.name if invitation.customer else "",
        "url": invitation_url(invitation),
        "ends_on": invitation.wave.ends_on if invitation.wave else None,
    }


def _mail(invitation: Invitation, survey: Survey, name: str) -> None:
    language = invitation.language or survey.default_language
    send_mail(
        invitation.email,
        name,
        _mail_context(invitation, survey),
        language=language,
        headers={"Content-Language": language, "Auto-Submitted": "auto-generated"},
    )


def invite(
    *,
    survey: Survey,
    source: str,
    customer: Customer | None = None,
    email: str = "",
    wave: Wave | None = None,
    actor: Any = None,
    now: dt.datetime | None = None,
) -> str:
    """Make (once per source) the invitation of one person and mail it (once); what happened, as a word:
    ``sent``, ``already`` (sent before), ``recent`` (the contact rule), ``no_consent`` or ``no_email``."""
    now = now or timezone.now()
    with transaction.atomic():
        invitation = Invitation.objects.filter(survey=survey, source=source).first()
        if invitation is None:
            if customer is not None and not customer.consent_surveys:
                return "no_consent"
            address = (email or (customer.email if customer else "")).strip().lower()
            if not address:
                return "no_email"
            recent_ids, recent_emails = recently_invited(
                survey, [customer.pk] if customer else [], [] if customer else [address], now
            )
            if recent_ids or recent_emails:
                return "recent"
            try:
                with transaction.atomic():
                    invitation, _token = new_invitation(
                        actor=actor,
                        survey=survey,
                        wave_id=wave.pk if wave else None,
                        customer_id=customer.pk if customer else None,
                        email=address,
                        token=derived_token(survey.pk, source),
                        source=source,
                    )
            except IntegrityError:  # the same source made by a run at the same moment
                invitation = Invitation.objects.get(survey=survey, source=source)
        claimed = Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=True).update(sent_at=now)
        if not claimed:
            return "already"
        invitation = Invitation.objects.select_related("customer", "wave").get(pk=invitation.pk)
        _mail(invitation, survey, "survey_invitation")
    return "sent"


def send_round(
    *, survey_id: int, wave_id: int | None, round_key: str, customer_ids: list[int], emails: list[str]
) -> dict[str, int]:
    """The body of the round's task: one invitation per person, each in its own transaction; the counts."""
    counts: dict[str, int] = {"sent": 0, "already": 0, "recent": 0, "no_consent": 0, "no_email": 0, "closed": 0}
    survey = Survey.objects.select_related("organization").filter(pk=survey_id).first()
    if survey is None:
        return counts
    wave = Wave.objects.filter(pk=wave_id, survey=survey).first() if wave_id else None
    customers = Customer.objects.in_bulk(customer_ids)
    people: list[tuple[str, Customer | None, str]] = [
        (f"r{round_key}:c{pk}", customers[pk], "") for pk in customer_ids if pk in customers
    ]
    people += [(f"r{round_key}:e{_email_key(e)}", None, e) for e in emails]
    for source, customer, email in people:
        survey.refresh_from_db(fields=["status"])
        if survey.status == Survey.Status.CLOSED:  # closed while the round was going out: stop
            counts["closed"] += len(people) - sum(counts.values())
            break
        counts[invite(survey=survey, source=source, customer=customer, email=email, wave=wave)] += 1
    return counts


def remind_due(now: dt.datetime | None = None) -> int:
    """Send the one reminder of every mailed invitation not answered after its survey's days; how many were sent."""
    now = now or timezone.now()
    sent = 0
    surveys = Survey.objects.select_related("organization").filter(
        status=Survey.Status.OPEN, remind_after_days__isnull=False, remind_after_days__gt=0
    )
    for survey in surveys:
        due = (
            Invitation.objects.filter(
                survey=survey,
                sent_at__lte=now - dt.timedelta(days=survey.remind_after_days or 0),
                reminded_at__isnull=True,
                used_at__isnull=True,
            )
            .exclude(source="")
            .exclude(email="")
            .values_list("pk", flat=True)
        )
        for pk in list(due[:5000]):
            with transaction.atomic():
                claimed = Invitation.objects.filter(pk=pk, reminded_at__isnull=True, used_at__isnull=True).update(
                    reminded_at=now
                )
                if not claimed:
                    continue
                invitation = Invitation.objects.select_related("customer", "wave").get(pk=pk)
                if invitation.wave is not None and invitation.wave.ends_on and invitation.wave.ends_on < now.date():
                    continue  # the wave is over: claimed, not sent
                _mail(invitation, survey, "survey_reminder")
                sent += 1
    return sent


# Invitations after an event -------------------------------------------------------------------------------------


def surveys_for_event(organization_id: int, trigger: str, service_id: int | None) -> list[int]:
    """Open surveys set to invite after this event, for the event's service or for any service."""
    return list(
        Survey.objects.filter(organization_id=organization_id, status=Survey.Status.OPEN, trigger=trigger)
        .filter(Q(service__isnull=True) | Q(service_id=service_id))
        .values_list("pk", flat=True)
    )


def schedule_event_invitations(
    *, organization_id: int, trigger: str, customer: Customer | None, service_id: int | None, source: str
) -> None:
    """On commit, queue the invitation of the event's customer to every survey set for the event."""
    if customer is None or not customer.consent_surveys or not customer.email:
        return
    survey_ids = surveys_for_event(organization_id, trigger, service_id)
    if not survey_ids:
        return
    from servicecycle.surveys.tasks import invite_after_event

    for survey_id in survey_ids:
        outbox.enqueue(invite_after_event, survey_id=survey_id, customer_id=customer.pk, source=source)


def on_case_closed(sender: Any, case: Any, **kwargs: Any) -> None:
    schedule_event_invitations(
        organization_id=case.organization_id,
        trigger=Survey.Trigger.CASE_CLOSED,
        customer=case.customer,
        service_id=case.service_id,
        source=f"case:{case.pk}",
    )


def on_promise_kept(sender: Any, promise: Any, **kwargs: Any) -> None:
    schedule_event_invitations(
        organization_id=promise.organization_id,
        trigger=Survey.Trigger.PROMISE_KEPT,
        customer=promise.customer,
        service_id=promise.service_id,
        source=f"promise:{promise.pk}",
    )


def invite_for_event(*, survey_id: int, customer_id: int, source: str) -> str:
    survey = Survey.objects.select_related("organization").filter(pk=survey_id).first()
    if survey is None or survey.status != Survey.Status.OPEN:
        return "closed"
    customer = Customer.objects.filter(pk=customer_id, organization_id=survey.organization_id).first()
    if customer is None:
        return "unknown"
    return invite(survey=survey, source=source, customer=customer)


# Settings -------------------------------------------------------------------------------------------------------


def _days(raw: Any, name: str, upper: int) -> int | None:
    if raw in (None, ""):
        return None
    value = _whole(raw)
    if value is None or value < 1 or value > upper:
        raise fail(name, _("Give a whole number from 1 to %(n)d, or leave it empty.") % {"n": upper})
    return value


@transaction.atomic
def update_invitation_settings(
    *,
    acting_user: Any,
    survey: Survey,
    recur_months: Any = None,
    remind_after_days: Any = None,
    contact_gap_days: Any = None,
    trigger: str = "",
    expected_version: int | None = None,
) -> Survey:
    """Recurrence, the reminder, the contact rule and the event trigger (may change while the survey is open).

    Setting a recurrence on a survey without a running wave opens its first wave today."""
    staff = require(acting_user, "survey.design")
    locked = Survey.objects.select_for_update().filter(pk=survey.pk, organization_id=staff.organization_id).first()
    if locked is None:
        raise NotFound(_("Survey not found."))
    check_version(locked, expected_version)
    months = _days(recur_months, "recur_months", MAX_RECUR_MONTHS)
    remind = _days(remind_after_days, "remind_after_days", MAX_DAYS)
    gap = _days(contact_gap_days, "contact_gap_days", MAX_DAYS)
    trigger = (trigger or "").strip()
    if trigger and trigger not in Survey.Trigger.values:
        raise fail("trigger", _("Choose the event that invites automatically, or none."))
    fields = ("recur_months", "remind_after_days", "contact_gap_days", "trigger")
    before = audit.snapshot(locked, fields)
    locked.recur_months, locked.remind_after_days, locked.contact_gap_days, locked.trigger = (
        months,
        remind,
        gap,
        trigger,
    )
    changes = audit.diff(before, audit.snapshot(locked, fields))
    if changes:
        locked.version += 1
        locked.save(update_fields=[*fields, "version", "updated_at"])
        audit.record(
            actor=acting_user,
            organization_id=locked.organization_id,
            verb="survey.invitation_settings_changed",
            obj=locked,
            changes=changes,
        )
    if months and current_wave(locked) is None:
        from servicecycle.surveys.waves import open_wave, today_of

        open_wave(locked, today_of(locked), actor=acting_user)
    return locked


def invitation_summary(survey: Survey) -> dict[str, int]:
    """How many invitations were mailed, reminded and answered (one query)."""
    return Invitation.objects.filter(survey=survey).aggregate(
        total=Count("pk"),
        sent=Count("pk", filter=Q(sent_at__isnull=False)),
        reminded=Count("pk", filter=Q(reminded_at__isnull=False)),
        answered=Count("pk", filter=Q(used_at__isnull=False)),
    )

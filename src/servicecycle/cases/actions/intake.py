"""Receiving a case (from the public form, email, the hotline log or a staff member), and the per-organization
configuration cases rely on: categories and SLA policies."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ParamSpec
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from servicecycle.accounts.actions import settings_changed
from servicecycle.accounts.models import LANGUAGE_CHOICES, Customer, Organization, Team
from servicecycle.accounts.permissions import require
from servicecycle.cases import mail, sla
from servicecycle.cases.actions._common import schedule_check
from servicecycle.cases.models import Case, CaseSequence, Category, Kind, Priority, SlaPolicy
from servicecycle.catalog.models import Service
from servicecycle.core import audit
from servicecycle.core.changes import fingerprint as payload_fingerprint
from servicecycle.core.changes import hash_token
from servicecycle.core.errors import Conflict, ValidationFailed
from servicecycle.core.notify import absolute_url, send_mail
from servicecycle.core.validation import check, fail
from servicecycle.cycles.models import Moment

REFERENCE_PREFIX = "C"
MAX_IDEMPOTENCY_KEY = 100
CASE_FIELDS = (
    "kind",
    "channel",
    "service",
    "moment",
    "customer",
    "contact_name",
    "contact_email",
    "subject",
    "priority",
    "hotline_caller",
    "hotline_duration_seconds",
    "claim_request",
    "claim_amount",
    "claim_currency",
    "received_at",
)


@dataclass(frozen=True)
class CreatedCase:
    """The case, and its status-link token: given once, when the case is first created (None on a repeat)."""

    case: Case
    status_token: str | None
    created: bool


def _text(value: Any) -> str:
    return str(value or "").strip()


def _choice(value: Any, choices: Any, field: str, message: str) -> str:
    text = _text(value)
    if text not in choices.values:
        raise fail(field, message)
    return text


def service_of(organization_id: int, service_id: Any) -> Service:
    try:
        return Service.objects.get(pk=int(service_id), organization_id=organization_id)
    except (Service.DoesNotExist, ValueError, TypeError):
        raise fail("service", _("Choose one of your organization's services.")) from None


def moment_of(service: Service, moment_id: Any) -> Moment | None:
    if moment_id in (None, ""):
        return None
    try:
        return Moment.objects.get(pk=int(moment_id), service=service)
    except (Moment.DoesNotExist, ValueError, TypeError):
        raise fail("moment", _("Choose a moment of truth of the case's service.")) from None


def team_of(organization_id: int, team_id: Any) -> Team | None:
    """The team that handles the case when it is known at intake (a survey's follow-up goes to the service's owner)."""
    if team_id in (None, ""):
        return None
    try:
        return Team.objects.get(pk=int(team_id), organization_id=organization_id)
    except (Team.DoesNotExist, ValueError, TypeError):
        raise fail("team", _("Choose one of your organization's teams.")) from None


def customer_of(organization_id: int, customer_id: Any) -> Customer | None:
    if customer_id in (None, ""):
        return None
    try:
        return Customer.objects.get(pk=int(customer_id), organization_id=organization_id)
    except (Customer.DoesNotExist, ValueError, TypeError):
        raise fail("customer", _("Unknown customer: choose one of your organization's customers.")) from None


def money(value: Any, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise fail(field, _("The amount must be a number.")) from None
    if not amount.is_finite() or amount < 0:
        raise fail(field, _("The amount must be a number of zero or more."))
    return amount


def currency(value: Any, field: str) -> str:
    code = _text(value).upper()
    if code and not (len(code) == 3 and code.isalpha()):
        raise fail(field, _("Give the currency as a three-letter code, such as EUR or MYR."))
    return code


def _next_reference(organization: Organization, received_at: datetime) -> str:
    """Allocate the next number of the organization's local year; the row lock makes concurrent intakes queue."""
    year = timezone.localtime(received_at, ZoneInfo(organization.time_zone)).year
    number = _bump_sequence(organization.pk, year)
    if number is None:
        try:
            with transaction.atomic():
                CaseSequence.objects.create(organization=organization, year=year, last_number=1)
            number = 1
        except IntegrityError:  # another intake created this year's row first
            number = _bump_sequence(organization.pk, year)
        if number is None:  # pragma: no cover - the row exists by now
            raise RuntimeError("case sequence row missing")
    return f"{REFERENCE_PREFIX}-{year}-{number:05d}"


def _bump_sequence(organization_id: int, year: int) -> int | None:
    """Add one to the year's counter and read it in one round trip (UPDATE ... RETURNING: PostgreSQL, SQLite
    3.35+); None when the year has no row yet."""
    meta = CaseSequence._meta
    with connection.cursor() as cursor:
        qn = connection.ops.quote_name
        table, org, num = qn(meta.db_table), qn(meta.get_field("organization").column), qn("last_number")
        cursor.execute(
            f"UPDATE {table} SET {num} = {num} + 1 WHERE {org} = %s AND {qn('year')} = %s RETURNING {num}",  # noqa: S608
            [organization_id, year],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


P = ParamSpec("P")


class _KeyTaken(Exception):
    """The idempotency key is already taken: by a repeated request, or by a concurrent one that committed first."""

    def __init__(self, organization: Organization, key: str, fingerprint: str) -> None:
        super().__init__(key)
        self.organization, self.key, self.fingerprint = organization, key, fingerprint


def _settle_key_race(action: Callable[P, CreatedCase]) -> Callable[P, CreatedCase]:
    """Answer a repeated idempotency key with the case made by the first request, once ``action``'s transaction is
    rolled back: the repeat then left nothing behind (no reference number used, no audit event, no task), and
    the insert needs no savepoint of its own (two round trips less on every intake). The same key with a
    different body is a Conflict."""

    @functools.wraps(action)
    def run(*args: P.args, **kwargs: P.kwargs) -> CreatedCase:
        try:
            return action(*args, **kwargs)
        except _KeyTaken as taken:
            existing = _existing(taken.organization, taken.key, taken.fingerprint)
            if existing is None:  # the insert failed for another reason
                raise taken.__cause__ from None  # type: ignore[misc]
            return CreatedCase(case=existing, status_token=None, created=False)

    return run


@_settle_key_race
@transaction.atomic
def create_case(
    *,
    acting_user: Any,
    organization: Organization | None = None,
    kind: str,
    channel: str,
    service_id: Any,
    description: str,
    subject: str = "",
    moment_id: Any = None,
    customer_id: Any = None,
    contact_name: str = "",
    contact_email: str = "",
    hotline_caller: str = "",
    hotline_duration_seconds: Any = None,
    hotline_notes: str = "",
    claim_request: str = "",
    claim_amount: Any = None,
    claim_currency: str = "",
    received_at: datetime | None = None,
    idempotency_key: str | None = None,
    language: str = "",
    team_id: Any = None,
) -> CreatedCase:
    """Record a new case at status "received" and start its SLA clock.

    ``acting_user`` None is the public path (web form, suggestion box, inbound email): ``organization`` is then
    required. A staff member records cases of their own organization. With an ``idempotency_key``, repeating
    the same request returns the case already created (without its token); reusing the key for different
    content is a Conflict.

    When the case has a contact email (given, or the customer's), the customer is sent an acknowledgement with
    the reference and the status link, in ``language`` (else the customer's preferred language, else the
    organization's default language).
    """
    if acting_user is not None:
        staff = require(acting_user, "case.work")
        if organization is not None and organization.pk != staff.organization_id:
            raise Http404
        organization = staff.organization
    if organization is None:
        raise fail("organization", _("Say which organization receives the case."))
    now = timezone.now()
    key = _text(idempotency_key) or None
    if key is not None and len(key) > MAX_IDEMPOTENCY_KEY:
        raise fail("idempotency_key", _("The idempotency key can be at most 100 characters long."))

    kind = _choice(kind, Kind, "kind", _("Choose what kind of case this is."))
    channel = _choice(channel, Case.Channel, "channel", _("Choose the channel the case came through."))
    description = _text(description)
    missing = {}  # the required fields left empty, all named at once (a form shows each error on its field)
    if not description:
        missing["description"] = [_("Describe what happened.")]
    if service_id in (None, ""):
        missing["service"] = [_("Choose one of your organization's services.")]
    if missing:
        raise ValidationFailed(missing)
    subject = _text(subject) or description.splitlines()[0][:120]
    service = service_of(organization.pk, service_id)
    moment = moment_of(service, moment_id)
    customer = customer_of(organization.pk, customer_id)
    team = team_of(organization.pk, team_id)
    given_received_at = received_at
    if received_at is None:
        received_at = now
    elif received_at > now:
        raise fail("received_at", _("A case cannot be received in the future."))
    duration: int | None = None
    if hotline_duration_seconds not in (None, ""):
        try:
            duration = int(hotline_duration_seconds)
        except (TypeError, ValueError):
            raise fail("hotline_duration_seconds", _("Give the call duration in whole seconds.")) from None
        if duration < 0:
            raise fail("hotline_duration_seconds", _("Give the call duration in whole seconds."))
    if channel == Case.Channel.HOTLINE and not (_text(hotline_caller) or customer):
        raise fail("hotline_caller", _("Note who called, or choose the customer."))
    request = _text(claim_request)
    if kind == Kind.CLAIM:
        request = _choice(request, Case.ClaimRequest, "claim_request", _("Say what the customer asks for."))
        if customer is None and not _text(contact_email):
            raise fail("contact_email", _("A claim needs a way to reach the customer: give an email address."))
    elif request:
        raise fail("claim_request", _("Only a claim asks for a refund, replacement or compensation."))

    case = Case(
        organization=organization,
        kind=kind,
        channel=channel,
        service=service,
        moment=moment,
        customer=customer,
        team=team,
        contact_name=_text(contact_name),
        contact_email=_text(contact_email).lower(),
        subject=subject[:200],
        description=description,
        priority=Priority.NORMAL,
        hotline_caller=_text(hotline_caller),
        hotline_duration_seconds=duration,
        hotline_notes=_text(hotline_notes),
        claim_request=request,
        claim_amount=money(claim_amount, "claim_amount") if kind == Kind.CLAIM else None,
        claim_currency=currency(claim_currency, "claim_currency") if kind == Kind.CLAIM else "",
        received_at=received_at,
        idempotency_key=key,
        language=_text(language) if _text(language) in dict(LANGUAGE_CHOICES) else "",
    )
    # Field validation only: service, moment and customer were just read (their existence check would read them
    # again), and the constraints cannot fail here (no score, escalation level 0, a fresh reference; a repeated
    # idempotency key fails the insert and _settle_key_race answers it). Each constraint check cost a query
    # inside a savepoint.
    try:
        case.full_clean(
            exclude=["reference", "status_token_hash", "organization", "service", "moment", "customer", "team"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        raise ValidationFailed({field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}) from exc
    fingerprint = ""
    if key is not None:
        # what the client sent, so a retry with the same body matches (the receipt time is only part of it if given)
        payload = {**audit.snapshot(case, CASE_FIELDS), "description": description, "hotline_notes": case.hotline_notes}
        payload["received_at"] = given_received_at
        # no look-up first: a repeated key fails the insert on the unique constraint, and _settle_key_race
        # answers with the case already made once this transaction is rolled back (a query less per intake)
        fingerprint = payload_fingerprint(payload)
        case.idempotency_fingerprint = fingerprint

    token = secrets.token_urlsafe(32)
    case.status_token_hash = hash_token(token)
    case.reference = _next_reference(organization, received_at)
    sla.apply_deadlines(case, now)
    try:
        case.save()
    except IntegrityError as exc:
        if key is None:
            raise
        raise _KeyTaken(organization, key, fingerprint) from exc  # a repeat, or a concurrent request was first
    audit.record(
        actor=acting_user,
        organization_id=organization.pk,
        verb="case.created",
        obj=case,
        changes={
            **audit.snapshot(case, CASE_FIELDS),
            "reference": case.reference,
            "sla_due_at": case.due_at,
            **({"team": team.pk} if team is not None else {}),
        },
    )
    schedule_check(case, None)
    _send_received_mail(case, token, language)
    return CreatedCase(case=case, status_token=token, created=True)


def mail_language(case: Case, language: str = "") -> str:
    """The language to write to the customer of a case in: the one chosen at intake, the customer's, the
    organization's."""
    if _text(language) in dict(LANGUAGE_CHOICES):
        return _text(language)
    return mail.customer_language(case)


def _send_received_mail(case: Case, token: str, language: str) -> None:
    """Tell the customer the case arrived: reference and status link, threaded like the case's other mail
    (sent once the transaction commits; nobody to write to, or no consent to contact, sends nothing)."""
    address = mail.customer_address(case)
    if not address:
        return
    chosen = mail_language(case, language)
    send_mail(
        address,
        "case_received",
        {
            "case": case,
            "contact_name": case.contact_name or (case.customer.name if case.customer else ""),
            "status_url": absolute_url(reverse("case-status", kwargs={"token": token})),
        },
        language=chosen,
        headers={**mail.thread_headers(case), "Content-Language": chosen},
        reply_to=mail.reply_to_address(case),
    )


def _existing(organization: Organization, key: str, fingerprint: str) -> Case | None:
    existing = Case.objects.filter(organization=organization, idempotency_key=key).first()
    if existing is None:
        return None
    if existing.idempotency_fingerprint != fingerprint:
        raise Conflict(
            _(
                "This idempotency key was already used for a different case. Use a new key for a new case, "
                "or repeat exactly the same request."
            ),
            field="idempotency_key",
        )
    return existing


# Configuration ----------------------------------------------------------------------------------------------


@transaction.atomic
def create_category(*, acting_user: Any, name: str) -> Category:
    staff = require(acting_user, "case.configure")
    category = Category(organization=staff.organization, name=_text(name))
    if not category.name:
        raise fail("name", _("Give the category a name."))
    if Category.objects.filter(organization=staff.organization, name__iexact=category.name).exists():
        raise fail("name", _("A category with this name already exists."))
    check(category, exclude=["organization"])
    category.save()
    audit.record(
        actor=acting_user,
        organization_id=staff.organization_id,
        verb="case_category.created",
        obj=category,
        changes={"name": category.name},
    )
    return category


def _minutes(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        raise fail(field, _("Give the target in whole business minutes, or leave it empty for no target.")) from None
    if minutes < 0:
        raise fail(field, _("Give the target in whole business minutes, or leave it empty for no target."))
    return minutes


@transaction.atomic
def set_sla_policy(
    *,
    acting_user: Any,
    kind: str,
    priority: str,
    acknowledgement_minutes: Any = None,
    first_response_minutes: Any = None,
    resolution_minutes: Any = None,
) -> SlaPolicy:
    """Set the business-minute targets of one kind and priority; open cases of that kind and priority follow."""
    staff = require(acting_user, "case.configure")
    kind = _choice(kind, Kind, "kind", _("Choose what kind of case this is."))
    priority = _choice(priority, Priority, "priority", _("Choose a priority."))
    targets = {
        "acknowledgement_minutes": _minutes(acknowledgement_minutes, "acknowledgement_minutes"),
        "first_response_minutes": _minutes(first_response_minutes, "first_response_minutes"),
        "resolution_minutes": _minutes(resolution_minutes, "resolution_minutes"),
    }
    policy, _created = SlaPolicy.objects.get_or_create(
        organization=staff.organization, kind=kind, priority=priority, defaults=targets
    )
    changed = audit.diff(audit.snapshot(policy, targets), targets) if not _created else targets
    for name, value in targets.items():
        setattr(policy, name, value)
    policy.save()
    audit.record(
        actor=acting_user,
        organization_id=staff.organization_id,
        verb="sla_policy.set",
        obj=policy,
        changes=changed,
    )
    settings_changed(staff.organization)
    from servicecycle.cases.actions.deadlines import recompute_open_deadlines

    recompute_open_deadlines(staff.organization, kind=kind, priority=priority)
    return policy

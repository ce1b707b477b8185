"""Every write to promises goes through these functions.

A promise is drafted by a front-line staff member (the promiser) about work another team must do, checked with
that team (confirm, or decline with a reason and an alternative), given to the customer, and then kept, broken
(found past its due time by the deadline task) or withdrawn. A broken promise needs a recovery: an apology, a new
date agreed with the customer, or compensation. The customer is told of each change that concerns them, in their
language.

Races: confirm and decline claim the request with a conditional ``UPDATE ... WHERE state='awaiting'``, so of two
simultaneous answers exactly one wins and the other is told who answered first. The other steps lock the row.
The deadline task claims its work the same way (conditional UPDATE on the state and instants it read), so any
number of checks and sweeps can run side by side and each escalation is recorded once.

Escalation levels: 0 none; 1 the team lead(s) of the fulfilling team; 2 the managers (administrators when there
are none). An unanswered confirmation request escalates to level 1 when its business-clock target passes, and to
level 2 when a second target passes; a promise past its due time becomes broken and escalates one level more.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from servicecycle.accounts.models import Customer, Role, Staff, Team
from servicecycle.accounts.permissions import require, team_ids
from servicecycle.cases.actions.deadlines import managers_of
from servicecycle.cases.models import Case
from servicecycle.cases.sla import calendar_for
from servicecycle.catalog.models import Service
from servicecycle.core import audit, clock, events, outbox
from servicecycle.core.changes import check_version, hash_token
from servicecycle.core.changes import fingerprint as payload_fingerprint
from servicecycle.core.errors import Conflict, DomainError, PermissionDenied
from servicecycle.core.notify import absolute_url, notify_staff, send_mail
from servicecycle.core.validation import check, fail
from servicecycle.cycles.models import Moment
from servicecycle.promises import figures
from servicecycle.promises.models import OPEN_STATES, Promise, PromiseSettings, Recovery, State, TeamCalendarFeed

WORK = "case.work"  # the same roles that work cases make and answer promises (viewers only read)
MAX_LEVEL = 2
MAX_IDEMPOTENCY_KEY = 100
RETRY_DELAY = timedelta(minutes=5)
FIRST_YEAR, LAST_YEAR = 2000, 2199  # due times outside these years are typing mistakes
PROMISE_FIELDS = (
    "service",
    "moment",
    "case",
    "customer",
    "customer_name",
    "customer_email",
    "language",
    "fulfilling_team",
    "text",
    "due_at",
)

# step -> states it may start from
TRANSITIONS: dict[str, frozenset[str]] = {
    "request_confirmation": frozenset({State.DRAFT, State.DECLINED}),
    "confirm": frozenset({State.AWAITING}),
    "decline": frozenset({State.AWAITING}),
    "accept_alternative": frozenset({State.DECLINED}),
    "give": frozenset({State.DRAFT, State.AWAITING, State.CONFIRMED, State.DECLINED}),
    "mark_kept": frozenset({State.GIVEN}),
    "withdraw": frozenset(OPEN_STATES),
    "record_recovery": frozenset({State.BROKEN}),
}


# Links -----------------------------------------------------------------------------------------------------


def status_token(promise: Promise) -> str:
    """The customer's status-link token of a promise: derived from its id with the site's secret key, so it can
    be put in every mail to the customer while only its SHA-256 is stored (as for the case status links)."""
    return salted_hmac("servicecycle.promises.status", str(promise.pk), algorithm="sha256").hexdigest()[:43]


def status_url(promise: Promise) -> str:
    return absolute_url(reverse("promise-status", args=[status_token(promise)]))


def detail_url(promise: Promise) -> str:
    try:
        return absolute_url(reverse("promise-detail", args=[promise.pk]))
    except NoReverseMatch:  # the staff pages are not mounted (e.g. a trimmed-down URL configuration)
        return ""


# Small helpers ---------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return str(value or "").strip()


def _id(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _aware(value: Any, field: str) -> datetime:
    if isinstance(value, str):
        from django.utils.dateparse import parse_datetime

        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            raise fail(field, _("Give a date and time, such as 2026-05-04 09:30."))
        value = parsed
    if not isinstance(value, datetime):
        raise fail(field, _("Give a date and time, such as 2026-05-04 09:30."))
    if timezone.is_naive(value):
        raise fail(field, _("Give the time with its time zone."))
    try:
        value = value.astimezone(UTC)
    except OverflowError:
        raise fail(field, _("Give a date within the next few years.")) from None
    if not (FIRST_YEAR <= value.year <= LAST_YEAR):
        raise fail(field, _("Give a date within the next few years."))
    return value


def _future(value: Any, field: str, now: datetime) -> datetime:
    moment = _aware(value, field)
    if moment <= now:
        raise fail(field, _("The due time must be in the future."))
    return moment


def settings_for(organization_id: int) -> PromiseSettings:
    found = PromiseSettings.objects.filter(organization_id=organization_id).first()
    return found or PromiseSettings(organization_id=organization_id)


def customer_language(promise: Promise) -> str:
    """The customer's language: the promise's own, else the customer's preferred one, else the organization's."""
    if promise.language:
        return promise.language
    if promise.customer is not None and promise.customer.preferred_language:
        return promise.customer.preferred_language
    return promise.organization.default_language or settings.LANGUAGE_CODE


def customer_address(promise: Promise) -> str:
    if promise.customer_email:
        return promise.customer_email
    if promise.customer is not None and promise.customer.consent_contact:
        return promise.customer.email
    return ""


def customer_display_name(promise: Promise) -> str:
    if promise.customer is not None:
        return promise.customer.name
    return promise.customer_name


def _worker(acting_user: Any, promise: Promise) -> Staff:
    staff = require(acting_user, WORK)
    if staff.organization_id != promise.organization_id:
        raise Http404
    return staff


def may_answer(staff: Staff, promise: Promise) -> bool:
    """Members of the fulfilling team (and its lead), managers and administrators answer a confirmation request."""
    if staff.role in (Role.ADMIN, Role.MANAGER):
        return True
    return staff.role != Role.VIEWER and promise.fulfilling_team_id in team_ids(staff)


def _answerer(acting_user: Any, promise: Promise) -> Staff:
    staff = _worker(acting_user, promise)
    if not may_answer(staff, promise):
        raise PermissionDenied(
            _("Only members of the team %(team)s (or its lead, a manager or an administrator) can answer this.")
            % {"team": promise.fulfilling_team.name}
        )
    return staff


def _locked(promise: Promise) -> Promise:
    try:
        return (
            Promise.objects.select_for_update(of=("self",))
            .select_related("organization", "fulfilling_team", "customer", "promiser__user", "service")
            .get(pk=promise.pk)
        )
    except Promise.DoesNotExist:
        raise Http404 from None


def _fresh(promise: Promise) -> Promise:
    try:
        return Promise.objects.select_related(
            "organization", "fulfilling_team", "customer", "promiser__user", "service"
        ).get(pk=promise.pk)
    except Promise.DoesNotExist:
        raise Http404 from None


def _allow(promise: Promise, step: str) -> None:
    if promise.state not in TRANSITIONS[step]:
        raise DomainError(
            _("This promise is “%(state)s”, so it cannot be %(step)s now.")
            % {"state": State(promise.state).label, "step": _step_name(step)},
            field="state",
        )


def _step_name(step: str) -> str:
    names = {
        "request_confirmation": _("sent to the team for confirmation"),
        "confirm": _("confirmed"),
        "decline": _("declined"),
        "accept_alternative": _("changed to the team's alternative"),
        "give": _("given to the customer"),
        "mark_kept": _("marked as kept"),
        "withdraw": _("withdrawn"),
        "record_recovery": _("recovered"),
    }
    return names[step]


def _save(
    *,
    acting_user: Any,
    promise: Promise,
    verb: str,
    changes: dict[str, Any],
    fields: Iterable[str],
    extra: dict[str, Any] | None = None,
    former_due_at: datetime | None = None,
) -> Promise:
    promise.version = F("version") + 1  # type: ignore[assignment]
    promise.save(update_fields=sorted({*fields, "version", "updated_at"}))
    promise.refresh_from_db(fields=["version", "updated_at"])
    _figures_changed(promise, former_due_at)
    _audit(acting_user, promise, verb, {**changes, **(extra or {})})
    return promise


def _figures_changed(promise: Promise, *former_due: datetime | None) -> None:
    """Every write that can change a counted field of a promise (state, given_at, given_unconfirmed,
    requested_at, confirmed_at, due_at, team, promiser, service, moment) calls this in its transaction
    (``_save``, ``_claim_answer``, ``_break``, ``postpone``): the per-day kept-rate summary of the promise's due
    day (and of its former due day when the due time moved) is counted again, so the dashboard's figures stay
    exact (see ``figures``). Skipped only where no counted field changes: creating a draft (drafts are never
    counted), the escalation and the risk notice. tests/promises/test_figures.py walks every step and compares
    the summary with a recount."""
    figures.refresh_for_promise(promise, *former_due)


def _audit(acting_user: Any, promise: Promise, verb: str, changes: dict[str, Any]) -> None:
    audit.record(
        actor=acting_user,
        organization_id=promise.organization_id,
        verb=verb,
        obj=promise,
        changes=changes,
        scope=promise.case if promise.case_id else None,
    )


def schedule_check(promise: Promise) -> None:
    """Queue (with the change) the deadline task for the promise's next instant (confirmation target, risk, due)."""
    when = next_check_at(promise)
    if when is None:
        return
    from servicecycle.promises.tasks import check_promise

    outbox.enqueue(check_promise, promise.pk, run_after=when)


def next_check_at(promise: Promise) -> datetime | None:
    if promise.state == State.AWAITING:
        return promise.confirm_due_at
    if promise.state in (State.CONFIRMED, State.GIVEN):
        if not promise.risk_notified and promise.risk_at is not None and promise.risk_at < promise.due_at:
            return promise.risk_at
        return promise.due_at
    return None


def _risk_at(promise: Promise) -> datetime:
    minutes = settings_for(promise.organization_id).at_risk_minutes
    return promise.due_at - timedelta(minutes=minutes)


def team_members(team_id: int) -> list[Staff]:
    return list(
        Staff.objects.filter(teams__id=team_id)
        .exclude(role=Role.VIEWER)
        .select_related("user", "organization")
        .order_by("pk")
    )


def team_leads(team_id: int) -> list[Staff]:
    return list(
        Staff.objects.filter(teams__id=team_id, role=Role.TEAM_LEAD)
        .select_related("user", "organization")
        .order_by("pk")
    )


def _managers(organization_id: int) -> list[Staff]:
    ids = [s.pk for s in managers_of(organization_id)]
    return list(Staff.objects.filter(pk__in=ids).select_related("user", "organization").order_by("pk"))


def escalation_recipients(promise: Promise, level: int) -> list[Staff]:
    if level >= MAX_LEVEL:
        return _managers(promise.organization_id)
    return team_leads(promise.fulfilling_team_id) or _managers(promise.organization_id)


def _promiser(promise: Promise) -> list[Staff]:
    return list(Staff.objects.filter(pk=promise.promiser_id).select_related("user", "organization"))


def _mail_context(promise: Promise) -> dict[str, Any]:
    return {
        "promise": promise,
        "team": promise.fulfilling_team,
        "service": promise.service,
        "customer_name": customer_display_name(promise),
        "promiser": promise.promiser,
        "organization": promise.organization,
        "zone": promise.organization.time_zone,
    }


def _tell_customer(promise: Promise, mail: str, **extra: Any) -> bool:
    address = customer_address(promise)
    if not address:
        return False
    send_mail(
        address,
        mail,
        {**_mail_context(promise), "status_url": status_url(promise), **extra},
        language=customer_language(promise),
    )
    return True


# Creating --------------------------------------------------------------------------------------------------


@transaction.atomic
def create_promise(
    *,
    acting_user: Any,
    service_id: Any,
    fulfilling_team_id: Any,
    text: str,
    due_at: Any,
    customer_id: Any = None,
    customer_name: str = "",
    customer_email: str = "",
    language: str = "",
    moment_id: Any = None,
    case_id: Any = None,
    idempotency_key: str | None = None,
) -> Promise:
    """Draft a promise made by the acting staff member. With an ``idempotency_key``, repeating the same request
    returns the promise already created; reusing the key for a different promise is a Conflict."""
    staff = require(acting_user, WORK)
    organization = staff.organization
    now = timezone.now()
    key = _text(idempotency_key) or None
    if key is not None and len(key) > MAX_IDEMPOTENCY_KEY:
        raise fail("idempotency_key", _("The idempotency key can be at most 100 characters long."))

    text = _text(text)
    if not text:
        raise fail("text", _("Say what is promised."))
    service_pk = _id(service_id)
    service = Service.objects.filter(pk=service_pk, organization=organization).first() if service_pk else None
    if service is None:
        raise fail("service", _("Choose one of your organization's services."))
    team_pk = _id(fulfilling_team_id)
    team = Team.objects.filter(pk=team_pk, organization=organization).first() if team_pk else None
    if team is None:
        raise fail("fulfilling_team", _("Choose the team of your organization that must fulfil the promise."))
    moment = None
    if moment_id not in (None, ""):
        moment_pk = _id(moment_id)
        moment = Moment.objects.filter(pk=moment_pk, service=service).first() if moment_pk else None
        if moment is None:
            raise fail("moment", _("Choose a moment of truth of the promise's service."))
    customer = None
    if customer_id not in (None, ""):
        customer_pk = _id(customer_id)
        customer = Customer.objects.filter(pk=customer_pk, organization=organization).first() if customer_pk else None
        if customer is None:
            raise fail("customer", _("Unknown customer: choose one of your organization's customers."))
    case = None
    if case_id not in (None, ""):
        case_pk = _id(case_id)
        case = Case.objects.filter(pk=case_pk, organization=organization).first() if case_pk else None
        if case is None:
            raise fail("case", _("Unknown case: choose one of your organization's cases."))
    given_due = _aware(due_at, "due_at")
    language = _text(language)
    if language and language not in dict(settings.LANGUAGES):
        raise fail("language", _("Choose one of the languages the app speaks."))

    promise = Promise(
        organization=organization,
        promiser=staff,
        customer=customer,
        customer_name=_text(customer_name)[:200],
        customer_email=_text(customer_email).lower(),
        language=language,
        service=service,
        moment=moment,
        case=case,
        fulfilling_team=team,
        text=text,
        due_at=given_due,
        idempotency_key=key,
    )
    fingerprint = ""
    if key is not None:
        payload = audit.snapshot(promise, PROMISE_FIELDS)
        fingerprint = payload_fingerprint(payload)
        existing = _existing(organization.pk, key, fingerprint)
        if existing is not None:
            return existing
        promise.idempotency_fingerprint = fingerprint
    if given_due <= now:
        raise fail("due_at", _("The due time must be in the future."))
    promise.status_token_hash = hash_token(secrets.token_urlsafe(32))  # replaced by the derived token below
    check(promise, exclude=["organization", "promiser", "status_token_hash", "idempotency_key"])
    try:
        with transaction.atomic():
            promise.save()
    except IntegrityError:
        existing = _existing(organization.pk, key, fingerprint) if key is not None else None
        if existing is None:
            raise
        return existing
    promise.status_token_hash = hash_token(status_token(promise))
    promise.save(update_fields=["status_token_hash"])
    # a draft is never counted in the figures (queries.counted_promises): no summary day changes here
    _audit(acting_user, promise, "promise.created", audit.snapshot(promise, PROMISE_FIELDS))
    return promise


def _existing(organization_id: int, key: str, fingerprint: str) -> Promise | None:
    existing = Promise.objects.filter(organization_id=organization_id, idempotency_key=key).first()
    if existing is None:
        return None
    if existing.idempotency_fingerprint != fingerprint:
        raise Conflict(
            _(
                "This idempotency key was already used for a different promise. Use a new key for a new promise, "
                "or repeat exactly the same request."
            ),
            field="idempotency_key",
        )
    return existing


# Asking the team -------------------------------------------------------------------------------------------


@transaction.atomic
def request_confirmation(*, acting_user: Any, promise: Promise, expected_version: int | None = None) -> Promise:
    """Ask the fulfilling team to confirm; they answer within the organization's target on its business clock."""
    promise = _locked(promise)
    _worker(acting_user, promise)
    check_version(promise, expected_version)
    _allow(promise, "request_confirmation")
    now = timezone.now()
    if promise.due_at <= now:
        raise fail("due_at", _("The due time has passed: set a new one before asking the team."))
    minutes = settings_for(promise.organization_id).confirm_within_minutes
    old_state = promise.state
    promise.state = State.AWAITING
    promise.requested_at = now
    promise.confirm_due_at = clock.due_at(calendar_for(promise.organization), now, minutes * 60)
    promise.escalation_level = 0
    fields = ["state", "requested_at", "confirm_due_at", "escalation_level"]
    if old_state == State.DECLINED:  # asking again after a change: the earlier answer no longer stands
        promise.declined_at, promise.declined_by = None, None
        fields += ["declined_at", "declined_by"]
    members = team_members(promise.fulfilling_team_id)
    _save(
        acting_user=acting_user,
        promise=promise,
        verb="promise.confirmation_requested",
        changes={"state": [old_state, State.AWAITING], "confirm_due_at": promise.confirm_due_at},
        fields=fields,
        extra={"notify_staff_ids": [s.pk for s in members]},
    )
    notify_staff(
        members,
        kind="promise.confirmation_requested",
        mail="promise_confirm_request",
        context=_mail_context(promise),
        url=detail_url(promise),
    )
    schedule_check(promise)
    return promise


def _local_time(promise: Promise, moment: datetime | None) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment, calendar_for(promise.organization).zone).strftime("%H:%M")


def _first_answer_message(promise: Promise) -> str:
    if promise.state == State.CONFIRMED and promise.confirmed_by is not None:
        return _("%(name)s already confirmed this promise at %(time)s.") % {
            "name": str(promise.confirmed_by),
            "time": _local_time(promise, promise.confirmed_at),
        }
    if promise.state == State.DECLINED and promise.declined_by is not None:
        return _("%(name)s already declined this promise at %(time)s.") % {
            "name": str(promise.declined_by),
            "time": _local_time(promise, promise.declined_at),
        }
    return _("This promise is “%(state)s”, so the request can no longer be answered.") % {
        "state": State(promise.state).label
    }


def _claim_answer(promise: Promise, changes: dict[str, Any]) -> None:
    """Move the request out of 'awaiting' only if nobody answered first (the conditional UPDATE decides)."""
    claimed = Promise.objects.filter(pk=promise.pk, state=State.AWAITING).update(
        **changes, version=F("version") + 1, updated_at=timezone.now()
    )
    if claimed != 1:
        first = Promise.objects.select_related("organization", "confirmed_by__user", "declined_by__user").get(
            pk=promise.pk
        )
        raise Conflict(_first_answer_message(first), field="state")
    _figures_changed(promise)


def _answerable(acting_user: Any, promise: Promise, expected_version: int | None, step: str) -> tuple[Promise, Staff]:
    promise = _fresh(promise)
    staff = _answerer(acting_user, promise)
    if promise.state in (State.CONFIRMED, State.DECLINED):
        first = Promise.objects.select_related("organization", "confirmed_by__user", "declined_by__user").get(
            pk=promise.pk
        )
        raise Conflict(_first_answer_message(first), field="state")
    _allow(promise, step)
    check_version(promise, expected_version)
    return promise, staff


@transaction.atomic
def confirm(*, acting_user: Any, promise: Promise, expected_version: int | None = None) -> Promise:
    """A member of the fulfilling team accepts the request (exactly one of simultaneous answers wins)."""
    promise, staff = _answerable(acting_user, promise, expected_version, "confirm")
    now = timezone.now()
    _claim_answer(promise, {"state": State.CONFIRMED, "confirmed_at": now, "confirmed_by": staff})
    promise = _fresh(promise)
    promise.risk_at = _risk_at(promise)
    promise.risk_notified = False
    promise.save(update_fields=["risk_at", "risk_notified"])
    _audit(
        acting_user,
        promise,
        "promise.confirmed",
        {"state": [State.AWAITING, State.CONFIRMED], "confirmed_by": str(staff)},
    )
    notify_staff(
        _promiser(promise),
        kind="promise.confirmed",
        mail="promise_confirmed",
        context=_mail_context(promise),
        url=detail_url(promise),
    )
    schedule_check(promise)
    return promise


@transaction.atomic
def decline(
    *,
    acting_user: Any,
    promise: Promise,
    reason: str,
    alternative_text: str = "",
    alternative_due_at: Any = None,
    expected_version: int | None = None,
) -> Promise:
    """The fulfilling team cannot do it as asked: it says why and may propose something else (another date or
    form). The promiser is told."""
    promise, staff = _answerable(acting_user, promise, expected_version, "decline")
    now = timezone.now()
    reason = _text(reason)
    if not reason:
        raise fail("reason", _("Say why the team cannot do it."))
    alternative = _text(alternative_text)
    alternative_due = None
    if alternative_due_at not in (None, ""):
        alternative_due = _future(alternative_due_at, "alternative_due_at", now)
    if alternative_due is not None and not alternative:
        raise fail("alternative_text", _("Say what the team proposes for the new time."))
    _claim_answer(
        promise,
        {
            "state": State.DECLINED,
            "declined_at": now,
            "declined_by": staff,
            "decline_reason": reason,
            "alternative_text": alternative,
            "alternative_due_at": alternative_due,
        },
    )
    promise = _fresh(promise)
    _audit(
        acting_user,
        promise,
        "promise.declined",
        {
            "state": [State.AWAITING, State.DECLINED],
            "declined_by": str(staff),
            "decline_reason": reason,
            "alternative_text": alternative,
            "alternative_due_at": alternative_due,
        },
    )
    notify_staff(
        _promiser(promise),
        kind="promise.declined",
        mail="promise_declined",
        context={**_mail_context(promise), "declined_by": staff},
        url=detail_url(promise),
    )
    return promise


@transaction.atomic
def accept_alternative(*, acting_user: Any, promise: Promise, expected_version: int | None = None) -> Promise:
    """The promiser takes the team's proposal: it becomes the promise, already confirmed (the team proposed it)."""
    promise = _locked(promise)
    _worker(acting_user, promise)
    check_version(promise, expected_version)
    _allow(promise, "accept_alternative")
    if not promise.alternative_text and promise.alternative_due_at is None:
        raise DomainError(_("The team proposed no alternative to accept."), field="alternative_text")
    now = timezone.now()
    if promise.alternative_due_at is not None and promise.alternative_due_at <= now:
        raise fail("alternative_due_at", _("The proposed time has passed: ask the team again."))
    before = audit.snapshot(promise, ["text", "due_at", "state"])
    former_due_at = promise.due_at
    if promise.original_due_at is None:
        promise.original_due_at = promise.due_at
    if promise.alternative_text:
        promise.text = promise.alternative_text
    if promise.alternative_due_at is not None:
        promise.due_at = promise.alternative_due_at
    promise.state = State.CONFIRMED
    promise.confirmed_at = now
    promise.confirmed_by = promise.declined_by
    promise.risk_at = _risk_at(promise)
    promise.risk_notified = False
    _save(
        acting_user=acting_user,
        promise=promise,
        verb="promise.alternative_accepted",
        changes=audit.diff(before, audit.snapshot(promise, ["text", "due_at", "state"])),
        fields=[
            "text",
            "due_at",
            "original_due_at",
            "state",
            "confirmed_at",
            "confirmed_by",
            "risk_at",
            "risk_notified",
        ],
        former_due_at=former_due_at,
    )
    schedule_check(promise)
    return promise


# Giving and the outcome ------------------------------------------------------------------------------------


@transaction.atomic
def give(
    *, acting_user: Any, promise: Promise, unconfirmed_reason: str = "", expected_version: int | None = None
) -> Promise:
    """Tell the customer. Without the team's confirmation only with a stated reason, and flagged for good."""
    promise = _locked(promise)
    _worker(acting_user, promise)
    check_version(promise, expected_version)
    _allow(promise, "give")
    now = timezone.now()
    if promise.due_at <= now:
        raise fail("due_at", _("The due time has passed: agree a new one before giving the promise."))
    reason = _text(unconfirmed_reason)
    unconfirmed = promise.state != State.CONFIRMED
    if unconfirmed and not reason:
        raise fail(
            "unconfirmed_reason",
            _("The team has not confirmed this promise: say why you give it anyway, or wait for their answer."),
        )
    old_state = promise.state
    promise.state = State.GIVEN
    promise.given_at = now
    promise.given_unconfirmed = unconfirmed
    promise.unconfirmed_reason = reason if unconfirmed else ""
    promise.confirm_due_at = None if unconfirmed else promise.confirm_due_at
    promise.risk_at = _risk_at(promise)
    promise.risk_notified = False
    _save(
        acting_user=acting_user,
        promise=promise,
        verb="promise.given",
        changes={
            "state": [old_state, State.GIVEN],
            "given_unconfirmed": unconfirmed,
            "unconfirmed_reason": promise.unconfirmed_reason,
        },
        fields=[
            "state",
            "given_at",
            "given_unconfirmed",
            "unconfirmed_reason",
            "confirm_due_at",
            "risk_at",
            "risk_notified",
        ],
    )
    _tell_customer(promise, "promise_given")
    schedule_check(promise)
    return promise


@transaction.atomic
def mark_kept(*, acting_user: Any, promise: Promise, expected_version: int | None = None) -> Promise:
    promise = _locked(promise)
    _worker(acting_user, promise)
    check_version(promise, expected_version)
    _allow(promise, "mark_kept")
    promise.state = State.KEPT
    promise.kept_at = timezone.now()
    promise = _save(
        acting_user=acting_user,
        promise=promise,
        verb="promise.kept",
        changes={"state": [State.GIVEN, State.KEPT]},
        fields=["state", "kept_at"],
    )
    events.promise_kept.send(sender=Promise, promise=promise)
    return promise


@transaction.atomic
def withdraw(*, acting_user: Any, promise: Promise, reason: str, expected_version: int | None = None) -> Promise:
    promise = _locked(promise)
    _worker(acting_user, promise)
    check_version(promise, expected_version)
    _allow(promise, "withdraw")
    reason = _text(reason)
    if not reason:
        raise fail("reason", _("Say why the promise is withdrawn."))
    old_state = promise.state
    promise.state = State.WITHDRAWN
    promise.withdrawn_at = timezone.now()
    promise.withdraw_reason = reason
    return _save(
        acting_user=acting_user,
        promise=promise,
        verb="promise.withdrawn",
        changes={"state": [old_state, State.WITHDRAWN], "reason": reason},
        fields=["state", "withdrawn_at", "withdraw_reason"],
    )


def _amount(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise fail("amount", _("The amount must be a number.")) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        raise fail("amount", _("The amount must be a number of zero or more."))
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def record_recovery(
    *,
    acting_user: Any,
    promise: Promise,
    recovery: str,
    note: str = "",
    amount: Any = None,
    new_due_at: Any = None,
    expected_version: int | None = None,
) -> Promise:
    """What was done about a broken promise: an apology, a new date agreed with the customer, or compensation.
    The customer is told. The promise stays broken in the figures (a recovery does not undo the break)."""
    promise = _locked(promise)
    _worker(acting_user, promise)
    check_version(promise, expected_version)
    _allow(promise, "record_recovery")
    if promise.recovered_at is not None:
        raise DomainError(_("A recovery is already recorded for this promise."), field="recovery")
    recovery = _text(recovery)
    if recovery not in Recovery.values:
        raise fail("recovery", _("Choose how the promise is made good: apology, new date or compensation."))
    now = timezone.now()
    note = _text(note)
    money = _amount(amount)
    new_due = None
    if recovery == Recovery.NEW_DATE:
        if new_due_at in (None, ""):
            raise fail("new_due_at", _("Give the new date agreed with the customer."))
        new_due = _future(new_due_at, "new_due_at", now)
    elif new_due_at not in (None, ""):
        raise fail("new_due_at", _("Only a new-date recovery takes a new date."))
    if recovery == Recovery.COMPENSATION and money is None:
        raise fail("amount", _("Give the compensation amount."))
    if recovery != Recovery.COMPENSATION and money is not None:
        raise fail("amount", _("Only a compensation takes an amount."))
    if recovery == Recovery.APOLOGY and not note:
        raise fail("note", _("Write what was said to the customer."))
    promise.recovery = recovery
    promise.recovery_note = note
    promise.recovery_amount = money
    promise.recovery_due_at = new_due
    promise.recovered_at = now
    _save(
        acting_user=acting_user,
        promise=promise,
        verb="promise.recovered",
        changes={"recovery": recovery, "note": note, "amount": money, "new_due_at": new_due},
        fields=["recovery", "recovery_note", "recovery_amount", "recovery_due_at", "recovered_at"],
    )
    if recovery == Recovery.NEW_DATE:
        _tell_customer(promise, "promise_new_date")
    else:
        _tell_customer(promise, "promise_recovery")
    return promise


# Deadlines -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Handled:
    promise_id: int
    event: str  # "escalated", "at_risk" or "broken"
    level: int


@transaction.atomic
def handle_promise_deadline(*, promise_id: int, now: datetime | None = None) -> Handled | None:
    """Record what a passed instant of one promise calls for; None when nothing is due (or another worker won).

    * awaiting past its confirmation target: escalate to the team lead, then (one target later) the managers;
    * confirmed or given past its risk instant: an "at risk" notice to the promiser, the team and its leads;
    * confirmed or given past its due time without being kept: broken, and escalated one level.
    """
    now = now or timezone.now()
    promise = (
        Promise.objects.select_related("organization", "fulfilling_team", "customer", "promiser__user", "service")
        .filter(pk=promise_id)
        .first()
    )
    if promise is None:
        return None
    if promise.state == State.AWAITING and promise.confirm_due_at is not None and promise.confirm_due_at <= now:
        return _escalate_request(promise, now)
    if promise.state in (State.CONFIRMED, State.GIVEN):
        if promise.due_at <= now:
            return _break(promise, now)
        if not promise.risk_notified and promise.risk_at is not None and promise.risk_at <= now:
            return _warn_at_risk(promise)
    return None


def _escalate_request(promise: Promise, now: datetime) -> Handled | None:
    level = min(promise.escalation_level + 1, MAX_LEVEL)
    next_due = None
    if level < MAX_LEVEL:
        minutes = settings_for(promise.organization_id).confirm_within_minutes
        next_due = clock.due_at(calendar_for(promise.organization), now, minutes * 60)
    claimed = Promise.objects.filter(
        pk=promise.pk,
        state=State.AWAITING,
        escalation_level=promise.escalation_level,
        confirm_due_at=promise.confirm_due_at,
    ).update(escalation_level=level, confirm_due_at=next_due)
    if claimed != 1:
        return None
    old_level = promise.escalation_level
    promise.escalation_level, promise.confirm_due_at = level, next_due
    recipients = escalation_recipients(promise, level)
    _audit(
        None,
        promise,
        "promise.escalated",
        {
            "escalation_level": [old_level, level],
            "reason": "confirmation_overdue",
            "notify_staff_ids": [s.pk for s in recipients],
        },
    )
    notify_staff(
        recipients,
        kind="promise.escalated",
        mail="promise_unanswered",
        context={**_mail_context(promise), "level": level},
        url=detail_url(promise),
    )
    schedule_check(promise)
    return Handled(promise_id=promise.pk, event="escalated", level=level)


def _warn_at_risk(promise: Promise) -> Handled | None:
    claimed = Promise.objects.filter(
        pk=promise.pk, state=promise.state, risk_notified=False, risk_at=promise.risk_at
    ).update(risk_notified=True)
    if claimed != 1:
        return None
    promise.risk_notified = True
    recipients = [*_promiser(promise), *team_members(promise.fulfilling_team_id)]
    _audit(
        None,
        promise,
        "promise.at_risk",
        {"risk_at": promise.risk_at, "due_at": promise.due_at, "notify_staff_ids": sorted({s.pk for s in recipients})},
    )
    notify_staff(
        recipients,
        kind="promise.at_risk",
        mail="promise_at_risk",
        context=_mail_context(promise),
        url=detail_url(promise),
    )
    schedule_check(promise)
    return Handled(promise_id=promise.pk, event="at_risk", level=promise.escalation_level)


def _break(promise: Promise, now: datetime) -> Handled | None:
    level = min(promise.escalation_level + 1, MAX_LEVEL)
    claimed = Promise.objects.filter(pk=promise.pk, state=promise.state, due_at=promise.due_at).update(
        state=State.BROKEN, broken_at=now, escalation_level=level, version=F("version") + 1, updated_at=now
    )
    if claimed != 1:
        return None
    old_state, old_level = promise.state, promise.escalation_level
    promise.state, promise.broken_at, promise.escalation_level = State.BROKEN, now, level
    _figures_changed(promise)
    recipients = [*_promiser(promise), *escalation_recipients(promise, level)]
    _audit(
        None,
        promise,
        "promise.broken",
        {
            "state": [old_state, State.BROKEN],
            "escalation_level": [old_level, level],
            "due_at": promise.due_at,
            "notify_staff_ids": sorted({s.pk for s in recipients}),
        },
    )
    notify_staff(
        recipients,
        kind="promise.broken",
        mail="promise_broken",
        context={**_mail_context(promise), "level": level},
        url=detail_url(promise),
    )
    return Handled(promise_id=promise.pk, event="broken", level=level)


def due_promise_ids(now: datetime, limit: int = 500) -> list[int]:
    """Promises with a passed instant not handled yet (each condition is served by a partial index)."""
    ids = set(
        Promise.objects.filter(state=State.AWAITING, confirm_due_at__lte=now)
        .order_by("confirm_due_at")
        .values_list("pk", flat=True)[:limit]
    )
    ids |= set(
        Promise.objects.filter(state__in=[State.CONFIRMED, State.GIVEN], due_at__lte=now)
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
    ids |= set(
        Promise.objects.filter(state__in=[State.CONFIRMED, State.GIVEN], risk_at__lte=now, risk_notified=False)
        .order_by("risk_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sorted(ids)[:limit]


@transaction.atomic
def postpone(promise_id: int, now: datetime) -> None:
    """After a failure, move the passed instants a little ahead so the sweep does not loop on the promise."""
    later = now + RETRY_DELAY
    Promise.objects.filter(pk=promise_id, confirm_due_at__lte=now).update(confirm_due_at=later)
    Promise.objects.filter(pk=promise_id, risk_at__lte=now).update(risk_at=later)
    promise = (
        Promise.objects.select_for_update(of=("self",))
        .select_related("organization")
        .filter(pk=promise_id, due_at__lte=now)
        .filter(Q(state=State.CONFIRMED) | Q(state=State.GIVEN))
        .first()
    )
    if promise is None:
        return
    former_due_at = promise.due_at
    Promise.objects.filter(pk=promise_id).update(due_at=later)
    promise.due_at = later
    _figures_changed(promise, former_due_at)


# Calendar feed ---------------------------------------------------------------------------------------------


@transaction.atomic
def issue_calendar_token(*, acting_user: Any, team: Team) -> str:
    """A new private token for the team's calendar feed (any earlier one stops working). Returned once; only its
    hash is stored. Members of the team, managers and administrators may issue it."""
    staff = require(acting_user, WORK)
    if staff.organization_id != team.organization_id:
        raise Http404
    if staff.role not in (Role.ADMIN, Role.MANAGER) and team.pk not in team_ids(staff):
        raise PermissionDenied(_("Only members of the team, managers and administrators can issue its feed link."))
    raw = secrets.token_urlsafe(32)
    feed, created = TeamCalendarFeed.objects.select_for_update().get_or_create(
        team=team, defaults={"token_hash": hash_token(raw)}
    )
    if not created:
        feed.token_hash = hash_token(raw)
        feed.save(update_fields=["token_hash"])
    audit.record(
        actor=acting_user,
        organization_id=team.organization_id,
        verb="promise_calendar.token_issued",
        obj=team,
        changes={"replaced": not created},
    )
    return raw

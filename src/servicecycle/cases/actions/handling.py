"""The handling steps of a case (ISO 10002): acknowledge, assess, assign, reply, decide, communicate, close,
reopen, wait for the customer, and the customer's own steps through the status link."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from servicecycle.accounts.models import Staff, Team
from servicecycle.accounts.permissions import CAPABILITIES
from servicecycle.cases import mail as case_mail
from servicecycle.cases.actions._common import allow, locked, require_worker, save_step
from servicecycle.cases.actions.intake import currency, moment_of, money, service_of
from servicecycle.cases.models import Case, CaseMessage, CasePause, Category, Kind, Priority, Status
from servicecycle.core import audit, events
from servicecycle.core.changes import check_version
from servicecycle.core.errors import DomainError
from servicecycle.core.validation import fail

# kinds that are closed once answered, without an outcome or a decided response
LIGHT_KINDS = frozenset({Kind.SUGGESTION, Kind.COMPLIMENT, Kind.QUESTION})
# the customer may accept or dispute the outcome once the response reached them
CUSTOMER_RESPONSE_STATUSES = frozenset({Status.COMMUNICATED, Status.CLOSED})
OUTCOME_ACCEPTED = "case.outcome_accepted"


def _text(value: Any) -> str:
    return str(value or "").strip()


@transaction.atomic
def acknowledge(*, acting_user: Any, case: Case, expected_version: int | None = None) -> Case:
    """Tell the customer the case was received (ISO 10002: acknowledge promptly); meets the acknowledgement target."""
    case = locked(case)
    require_worker(acting_user, case)
    check_version(case, expected_version)
    allow(case, "acknowledge")
    now = timezone.now()
    case.status, case.acknowledged_at = Status.ACKNOWLEDGED, now
    return save_step(
        acting_user=acting_user,
        case=case,
        verb="case.acknowledged",
        changes={"status": [Status.RECEIVED, case.status], "acknowledged_at": [None, now]},
        now=now,
        fields=["status", "acknowledged_at"],
    )


@transaction.atomic
def assess(
    *,
    acting_user: Any,
    case: Case,
    severity: str,
    priority: str,
    category_id: Any = None,
    service_id: Any = None,
    moment_id: Any = None,
    expected_version: int | None = None,
) -> Case:
    """Judge the case: severity, priority (which picks the SLA policy), category, and where in the cycle it happened.

    ``service_id`` None keeps the service; the moment (None for none) must belong to the resulting service.
    """
    case = locked(case)
    require_worker(acting_user, case)
    check_version(case, expected_version)
    allow(case, "assess")
    severity = _text(severity)
    if severity not in Case.Severity.values:
        raise fail("severity", _("Choose how severe the case is."))
    priority = _text(priority)
    if priority not in Priority.values:
        raise fail("priority", _("Choose a priority."))
    service = case.service if service_id in (None, "") else service_of(case.organization_id, service_id)
    moment = moment_of(service, moment_id)
    category = None
    if category_id not in (None, ""):
        try:
            category = Category.objects.get(pk=int(category_id), organization_id=case.organization_id, is_active=True)
        except (Category.DoesNotExist, ValueError, TypeError):
            raise fail("category", _("Choose one of your organization's case categories.")) from None
    fields = ("severity", "priority", "category", "service", "moment", "status")
    before = audit.snapshot(case, fields)
    case.severity, case.priority, case.category, case.service, case.moment = (
        severity,
        priority,
        category,
        service,
        moment,
    )
    if case.status == Status.ACKNOWLEDGED:
        case.status = Status.ASSESSED
    changes = audit.diff(before, audit.snapshot(case, fields))
    return save_step(
        acting_user=acting_user, case=case, verb="case.assessed", changes=changes, now=timezone.now(), fields=[*fields]
    )


@transaction.atomic
def assign(
    *,
    acting_user: Any,
    case: Case,
    assignee_id: Any = None,
    team_id: Any = None,
    expected_version: int | None = None,
) -> Case:
    """Give the case to a staff member and/or a team; an assessed or reopened case moves on to investigating."""
    case = locked(case)
    staff = require_worker(acting_user, case)
    check_version(case, expected_version)
    allow(case, "assign")
    if assignee_id in (None, "") and team_id in (None, ""):
        raise fail("assignee", _("Choose who handles the case, or which team does."))
    assignee = case.assignee
    if assignee_id not in (None, ""):
        try:
            assignee = Staff.objects.select_related("user").get(
                pk=int(assignee_id), organization_id=case.organization_id, role__in=CAPABILITIES["case.work"]
            )
        except (Staff.DoesNotExist, ValueError, TypeError):
            raise fail("assignee", _("Choose a staff member of your organization who handles cases.")) from None
    team = case.team
    if team_id not in (None, ""):
        try:
            team = Team.objects.get(pk=int(team_id), organization_id=case.organization_id)
        except (Team.DoesNotExist, ValueError, TypeError):
            raise fail("team", _("Choose one of your organization's teams.")) from None
    fields = ("assignee", "team", "status")
    before = audit.snapshot(case, fields)
    case.assignee, case.team = assignee, team
    if case.status in (Status.ASSESSED, Status.REOPENED):
        case.status = Status.INVESTIGATING
    changes = audit.diff(before, audit.snapshot(case, fields))
    case = save_step(
        acting_user=acting_user, case=case, verb="case.assigned", changes=changes, now=timezone.now(), fields=[*fields]
    )
    if "assignee" in changes:
        case_mail.assigned(case, by=staff)
    return case


@transaction.atomic
def add_message(
    *, acting_user: Any, case: Case, kind: str, body: str, expected_version: int | None = None
) -> CaseMessage:
    """A public reply to the customer (the first one meets the first-response target) or an internal note."""
    case = locked(case)
    staff = require_worker(acting_user, case)
    check_version(case, expected_version)
    allow(case, "add_message")
    if kind not in (CaseMessage.Kind.PUBLIC_REPLY, CaseMessage.Kind.INTERNAL_NOTE):
        raise fail("kind", _("Choose a reply to the customer or an internal note."))
    body = _text(body)
    if not body:
        raise fail("body", _("Write the message."))
    now = timezone.now()
    message = CaseMessage.objects.create(case=case, kind=kind, author_staff=staff, body=body, created_at=now)
    changes: dict[str, Any] = {"message": [None, kind]}
    fields: list[str] = []
    if kind == CaseMessage.Kind.PUBLIC_REPLY and case.first_response_at is None:
        case.first_response_at = now
        changes["first_response_at"] = [None, now]
        fields.append("first_response_at")
    save_step(acting_user=acting_user, case=case, verb="case.message_added", changes=changes, now=now, fields=fields)
    if kind == CaseMessage.Kind.PUBLIC_REPLY:
        case_mail.public_reply(case, message)
    return message


@transaction.atomic
def decide_response(*, acting_user: Any, case: Case, decision: str, expected_version: int | None = None) -> Case:
    """Record the response the organization decided on, before it is communicated."""
    case = locked(case)
    require_worker(acting_user, case)
    check_version(case, expected_version)
    allow(case, "decide_response")
    decision = _text(decision)
    if not decision:
        raise fail("decision", _("Write the response you decided on."))
    old_status = case.status
    case.status, case.response_decision = Status.RESPONSE_DECIDED, decision
    return save_step(
        acting_user=acting_user,
        case=case,
        verb="case.response_decided",
        changes={"status": [old_status, case.status], "response_decision": [None, decision]},
        now=timezone.now(),
        fields=["status", "response_decision"],
    )


@transaction.atomic
def communicate(*, acting_user: Any, case: Case, body: str = "", expected_version: int | None = None) -> Case:
    """Send the decided response to the customer as a public reply; this resolves the case (resolution target)."""
    case = locked(case)
    staff = require_worker(acting_user, case)
    check_version(case, expected_version)
    allow(case, "communicate")
    now = timezone.now()
    body = _text(body) or case.response_decision
    reply = CaseMessage.objects.create(
        case=case, kind=CaseMessage.Kind.PUBLIC_REPLY, author_staff=staff, body=body, created_at=now
    )
    fields = ["status", "resolved_at"]
    changes: dict[str, Any] = {"status": [case.status, Status.COMMUNICATED], "resolved_at": [None, now]}
    case.status, case.resolved_at = Status.COMMUNICATED, now
    if case.first_response_at is None:
        case.first_response_at = now
        fields.append("first_response_at")
        changes["first_response_at"] = [None, now]
    case = save_step(
        acting_user=acting_user, case=case, verb="case.communicated", changes=changes, now=now, fields=fields
    )
    case_mail.public_reply(case, reply)
    return case


@transaction.atomic
def close(
    *,
    acting_user: Any,
    case: Case,
    outcome: str = "",
    remedy: str = "",
    remedy_amount: Any = None,
    remedy_currency: str = "",
    expected_version: int | None = None,
) -> Case:
    """Close the case with its outcome and remedy. Complaints and claims close after the response was
    communicated and need an outcome; suggestions, compliments and questions may close at any open step."""
    case = locked(case)
    require_worker(acting_user, case)
    check_version(case, expected_version)
    allow(case, "close_without_response" if case.kind in LIGHT_KINDS else "close")
    outcome, remedy = _text(outcome), _text(remedy) or Case.Remedy.NONE
    if outcome and outcome not in Case.Outcome.values:
        raise fail("outcome", _("Choose whether the case was upheld, partly upheld or not upheld."))
    if not outcome and case.kind not in LIGHT_KINDS:
        raise fail("outcome", _("Choose whether the case was upheld, partly upheld or not upheld."))
    if remedy not in Case.Remedy.values:
        raise fail("remedy", _("Choose the remedy given to the customer."))
    amount = money(remedy_amount, "remedy_amount")
    code = currency(remedy_currency, "remedy_currency")
    if remedy == Case.Remedy.COMPENSATION:
        if amount is None:
            raise fail("remedy_amount", _("Give the amount of the compensation."))
        if not code:
            raise fail("remedy_currency", _("Give the currency of the compensation."))
    if amount is not None and remedy not in (Case.Remedy.COMPENSATION, Case.Remedy.REFUND):
        raise fail("remedy_amount", _("Only a refund or a compensation has an amount."))
    if amount is not None and not code:
        raise fail("remedy_currency", _("Give the currency of the amount."))
    now = timezone.now()
    fields = ("status", "outcome", "remedy", "remedy_amount", "remedy_currency", "closed_at", "resolved_at")
    before = audit.snapshot(case, fields)
    case.status, case.outcome, case.remedy = Status.CLOSED, outcome, remedy
    case.remedy_amount, case.remedy_currency, case.closed_at = amount, code, now
    case.resolved_at = case.resolved_at or now
    changes = audit.diff(before, audit.snapshot(case, fields))
    case = save_step(acting_user=acting_user, case=case, verb="case.closed", changes=changes, now=now, fields=[*fields])
    case_mail.case_closed(case)
    events.case_closed.send(sender=Case, case=case)
    return case


def _case_by_token(token: str) -> Case:
    from servicecycle.cases.queries import get_case_by_token

    return get_case_by_token(token)


@transaction.atomic
def reopen(
    *,
    acting_user: Any,
    reason: str,
    case: Case | None = None,
    token: str | None = None,
    expected_version: int | None = None,
) -> Case:
    """The customer disputes the outcome: the case goes back to work and the resolution clock restarts.

    The customer reopens through the status link (``acting_user`` None with ``token``), also when the response
    was communicated but the case not yet closed; staff may reopen a closed case on the customer's behalf
    (``case``). The customer's reason is kept as a customer message.
    """
    if acting_user is None:
        case = _case_by_token(token or "")
    elif case is None:
        raise Http404
    case = locked(case)
    staff = require_worker(acting_user, case) if acting_user is not None else None
    check_version(case, expected_version)
    if not (acting_user is None and case.status in CUSTOMER_RESPONSE_STATUSES):
        allow(case, "reopen")
    reason = _text(reason)
    if not reason:
        raise fail("reason", _("Say why the outcome does not settle the case."))
    now = timezone.now()
    CaseMessage.objects.create(
        case=case,
        kind=CaseMessage.Kind.CUSTOMER,
        author_customer=case.customer,
        author_staff=staff,
        body=reason,
        created_at=now,
    )
    changes: dict[str, Any] = {
        "status": [case.status, Status.REOPENED],
        "reopened_at": [case.reopened_at, now],
        "closed_at": [case.closed_at, None],
        "resolved_at": [case.resolved_at, None],
        "reason": reason,
    }
    case.status, case.reopened_at, case.closed_at, case.resolved_at = Status.REOPENED, now, None, None
    case.reopen_count += 1
    case = save_step(
        acting_user=acting_user,
        case=case,
        verb="case.reopened",
        changes=changes,
        now=now,
        fields=["status", "reopened_at", "closed_at", "resolved_at", "reopen_count"],
    )
    case_mail.case_reopened(case)
    return case


@transaction.atomic
def wait_for_customer(*, acting_user: Any, case: Case, reason: str = "", expected_version: int | None = None) -> Case:
    """Put the case on hold while the customer owes an answer: the SLA clock stands still until resumed."""
    case = locked(case)
    require_worker(acting_user, case)
    check_version(case, expected_version)
    allow(case, "wait_for_customer")
    if CasePause.objects.filter(case=case, ended_at__isnull=True).exists():
        raise DomainError(_("The case is already waiting for the customer."), field="status")
    now = timezone.now()
    CasePause.objects.create(case=case, started_at=now, reason=_text(reason)[:300])
    return save_step(
        acting_user=acting_user,
        case=case,
        verb="case.paused",
        changes={"paused_at": [None, now], "reason": _text(reason)},
        now=now,
        fields=[],
    )


def _end_pause(case: Case, now: Any) -> bool:
    return bool(CasePause.objects.filter(case=case, ended_at__isnull=True).update(ended_at=now))


@transaction.atomic
def resume(*, acting_user: Any, case: Case, expected_version: int | None = None) -> Case:
    """End the wait for the customer; the deadlines are computed again without the paused time."""
    case = locked(case)
    require_worker(acting_user, case)
    check_version(case, expected_version)
    allow(case, "resume")
    now = timezone.now()
    if not _end_pause(case, now):
        raise DomainError(_("The case is not waiting for the customer."), field="status")
    return save_step(
        acting_user=acting_user, case=case, verb="case.resumed", changes={"resumed_at": [None, now]}, now=now, fields=[]
    )


@transaction.atomic
def customer_add_information(*, acting_user: None = None, token: str, body: str) -> CaseMessage:
    """The customer adds information through the status link; a wait for the customer ends with it."""
    case = locked(_case_by_token(token))
    if case.status == Status.CLOSED:
        raise DomainError(
            _("This case is closed. If you disagree with the outcome, ask for it to be reopened."), field="status"
        )
    allow(case, "customer_add_information")
    body = _text(body)
    if not body:
        raise fail("body", _("Write the information you want to add."))
    now = timezone.now()
    message = CaseMessage.objects.create(
        case=case, kind=CaseMessage.Kind.CUSTOMER, author_customer=case.customer, body=body, created_at=now
    )
    changes: dict[str, Any] = {"message": [None, CaseMessage.Kind.CUSTOMER]}
    if _end_pause(case, now):
        changes["resumed_at"] = [None, now]
    save_step(acting_user=None, case=case, verb="case.customer_added_information", changes=changes, now=now, fields=[])
    case_mail.customer_wrote(case, message)
    return message


@transaction.atomic
def rate_satisfaction(*, acting_user: None = None, token: str, score: Any, comment: str = "") -> Case:
    """The customer's satisfaction with how the case was handled, 1 (very unhappy) to 5, once, after closing."""
    case = locked(_case_by_token(token))
    allow(case, "rate_satisfaction")
    if case.satisfaction_score is not None:
        raise DomainError(_("You have already rated how this case was handled. Thank you."), field="score")
    try:
        value = int(score)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        raise fail("score", _("Choose a score from 1 to 5."))
    now = timezone.now()
    case.satisfaction_score, case.satisfaction_comment, case.satisfaction_at = value, _text(comment), now
    return save_step(
        acting_user=None,
        case=case,
        verb="case.rated",
        changes={"satisfaction_score": [None, value], "satisfaction_comment": [None, case.satisfaction_comment]},
        now=now,
        fields=["satisfaction_score", "satisfaction_comment", "satisfaction_at"],
    )


@transaction.atomic
def customer_accept_outcome(*, acting_user: None = None, token: str) -> Case:
    """The customer says the communicated response settles the case (through the status link); audited only,
    the case's status is unchanged (staff still close it with the outcome)."""
    case = locked(_case_by_token(token))
    if case.status not in CUSTOMER_RESPONSE_STATUSES:
        raise DomainError(
            _("There is no response to accept yet. We will tell you as soon as there is one."), field="status"
        )
    if outcome_accepted_at(case) is not None:
        raise DomainError(_("You have already accepted this response. Thank you."), field="status")
    audit.record(
        actor=None,
        organization_id=case.organization_id,
        verb=OUTCOME_ACCEPTED,
        obj=case,
        changes={"status": case.status, "resolved_at": case.resolved_at},
    )
    return case


def outcome_accepted_at(case: Case) -> Any:
    """When the customer accepted the latest communicated response, or None (a later reopening resets it)."""
    from servicecycle.core.models import AuditEvent

    if case.resolved_at is None:
        return None
    return (
        AuditEvent.objects.filter(
            object_type=case._meta.label_lower, object_id=case.pk, verb=OUTCOME_ACCEPTED, at__gte=case.resolved_at
        )
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )

"""API endpoints of cases (no `from __future__ import annotations`: django-ninja reads the annotations).

The same actions as the pages do the work, so the same rules hold: every member of the organization reads its
cases (case.view), all but viewers work them (case.work), and a step sent with a ``version`` other than the
case's current one answers 409 instead of overwriting a colleague's change.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AwareDatetime, EmailStr

from servicecycle.accounts.permissions import require
from servicecycle.cases import actions
from servicecycle.cases.models import Case, CaseMessage
from servicecycle.cases.queries import CASE_RELATED, get_case_for_user
from servicecycle.core.api_schemas import ERRORS, BodyId, Pages, PathId, QueryId
from servicecycle.core.errors import ValidationFailed
from servicecycle.core.idempotency import clean_key, created_status, idempotency_header
from servicecycle.core.notify import absolute_url

router = Router(tags=["cases"])


def _choices(values: list[str], empty: bool = False) -> str:
    return "^(" + "|".join(values) + ")" + ("?" if empty else "") + "$"


KIND = _choices(Case.Kind.values)
CHANNEL = _choices(Case.Channel.values)
STATUS = _choices(Case.Status.values)
PRIORITY = _choices(Case.Priority.values)
SEVERITY = _choices(Case.Severity.values)
OUTCOME = _choices(Case.Outcome.values, empty=True)
REMEDY = _choices(Case.Remedy.values, empty=True)
CLAIM = _choices(Case.ClaimRequest.values, empty=True)
CURRENCY = "^([A-Za-z]{3})?$"
MESSAGE_KIND = _choices([CaseMessage.Kind.PUBLIC_REPLY, CaseMessage.Kind.INTERNAL_NOTE])
# how far back a case may be dated when it is recorded late (older cases belong in an import, not the API)
OLDEST_RECEIPT = timedelta(days=366)


class CaseOut(Schema):
    id: int
    reference: str
    kind: str
    channel: str
    status: str
    priority: str
    severity: str
    subject: str
    description: str
    service_id: int
    moment_id: int | None
    category_id: int | None
    customer_id: int | None
    contact_name: str
    contact_email: str
    assignee_id: int | None
    team_id: int | None
    response_decision: str
    outcome: str
    remedy: str
    remedy_amount: Decimal | None
    remedy_currency: str
    received_at: datetime
    acknowledged_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    sla_target: str
    sla_state: str
    due_at: datetime | None
    escalation_level: int
    satisfaction_score: int | None
    version: int


class CaseCreatedOut(CaseOut):
    status_url: str | None = Field(
        None, description="The customer's status link: given once, when the case is created (null on a repeat)."
    )


class CaseIn(Schema):
    kind: str = Field(pattern=KIND)
    channel: str = Field(pattern=CHANNEL)
    service_id: BodyId
    description: str = Field(min_length=1, max_length=20_000)
    subject: str = Field("", max_length=200)
    moment_id: BodyId | None = None
    customer_id: BodyId | None = None
    contact_name: str = Field("", max_length=200)
    contact_email: EmailStr | None = None
    hotline_caller: str = Field("", max_length=200)
    hotline_duration_seconds: int | None = Field(None, ge=0, le=86_400)
    hotline_notes: str = Field("", max_length=20_000)
    claim_request: str = Field("", pattern=CLAIM)
    claim_amount: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    claim_currency: str = Field("", pattern=CURRENCY)
    received_at: AwareDatetime | None = Field(None, description="When the case reached you, if not now")


class MessageOut(Schema):
    id: int
    kind: str
    body: str
    author_staff_id: int | None
    author_customer_id: int | None
    created_at: datetime


class MessageIn(Schema):
    kind: str = Field(pattern=MESSAGE_KIND)
    body: str = Field(min_length=1, max_length=20_000)
    version: int | None = Field(None, ge=1, le=2**31 - 1, description="The version you read (optional here)")


class VersionIn(Schema):
    version: int = Field(ge=1, le=2**31 - 1, description="The version you read; another one answers 409.")


class AssessIn(VersionIn):
    severity: str = Field(pattern=SEVERITY)
    priority: str = Field(pattern=PRIORITY)
    category_id: BodyId | None = None
    service_id: BodyId | None = Field(None, description="Null keeps the service")
    moment_id: BodyId | None = None


class AssignIn(VersionIn):
    assignee_id: BodyId | None = None
    team_id: BodyId | None = None


class DecideIn(VersionIn):
    decision: str = Field(min_length=1, max_length=20_000)


class CommunicateIn(VersionIn):
    body: str = Field("", max_length=20_000, description="Empty sends the decided response as it is")


class CloseIn(VersionIn):
    outcome: str = Field("", pattern=OUTCOME)
    remedy: str = Field("", pattern=REMEDY)
    remedy_amount: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    remedy_currency: str = Field("", pattern=CURRENCY)


class ReopenIn(VersionIn):
    reason: str = Field(min_length=1, max_length=20_000)


class CaseFilters(Schema):
    status: str | None = Field(None, pattern=STATUS)
    kind: str | None = Field(None, pattern=KIND)
    priority: str | None = Field(None, pattern=PRIORITY)
    service: QueryId = None
    moment: QueryId = None
    assignee: QueryId = None
    team: QueryId = None
    q: str = Field("", max_length=200, description="Words in the reference, subject, description or contact")


def _filtered(organization_id: int, filters: CaseFilters) -> "QuerySet[Case]":
    cases = Case.objects.filter(organization_id=organization_id)
    exact = {
        "status": filters.status,
        "kind": filters.kind,
        "priority": filters.priority,
        "service_id": filters.service,
        "moment_id": filters.moment,
        "assignee_id": filters.assignee,
        "team_id": filters.team,
    }
    cases = cases.filter(**{name: value for name, value in exact.items() if value})
    for word in filters.q.split()[:8]:
        cases = cases.filter(
            Q(reference__icontains=word)
            | Q(subject__icontains=word)
            | Q(description__icontains=word)
            | Q(contact_email__icontains=word)
            | Q(contact_name__icontains=word)
        )
    return cases.order_by("-received_at", "-id")


@router.get("/cases", response={200: list[CaseOut], **ERRORS}, summary="List cases, newest first")
@paginate(Pages, page_size=50, max_page_size=200)
def list_cases(request: HttpRequest, filters: Query[CaseFilters]) -> Any:
    staff = require(request.user, "case.view")
    return _filtered(staff.organization_id, filters)


def _status_url(token: str | None) -> str | None:
    if not token:
        return None
    try:
        return absolute_url(reverse("case-status", kwargs={"token": token}))
    except NoReverseMatch:  # the public status page is not mounted in this build
        return None


@router.post(
    "/cases",
    response={200: CaseCreatedOut, 201: CaseCreatedOut, **ERRORS},
    summary="Record a case; with an Idempotency-Key a repeat returns the same case (200)",
)
def create_case(
    request: HttpRequest,
    payload: CaseIn,
    idempotency_key: str | None = idempotency_header("case"),
) -> Any:
    data = payload.dict()
    received_at = data.get("received_at")
    if received_at is not None:
        try:  # in UTC from here on; an offset can push a year-1 or year-9999 instant out of range
            received_at = data["received_at"] = received_at.astimezone(UTC)
        except OverflowError:
            raise ValidationFailed({"received_at": ["Give a date and time between the years 1 and 9999."]}) from None
        if received_at < timezone.now() - OLDEST_RECEIPT:
            raise ValidationFailed(
                {"received_at": ["A case recorded through the API can be dated at most a year back."]}
            )
    data["contact_email"] = data["contact_email"] or ""
    created = actions.create_case(acting_user=request.user, idempotency_key=clean_key(idempotency_key), **data)
    out = {**_case_out(created.case), "status_url": _status_url(created.status_token)}
    return Status(created_status(created.created), out)


def _case_out(case: Case) -> dict[str, Any]:
    return {name: getattr(case, name) for name in CaseOut.model_fields}


@router.get("/cases/{case_id}", response={200: CaseOut, **ERRORS}, summary="One case")
def get_case(request: HttpRequest, case_id: PathId) -> Any:
    return _case_out(get_case_for_user(request.user, case_id))


@router.get(
    "/cases/{case_id}/messages",
    response={200: list[MessageOut], **ERRORS},
    summary="The case's messages, oldest first (internal notes included)",
)
@paginate(Pages, page_size=50, max_page_size=200)
def list_messages(request: HttpRequest, case_id: PathId) -> Any:
    case = get_case_for_user(request.user, case_id)
    return case.messages.order_by("created_at", "id")


@router.post(
    "/cases/{case_id}/messages",
    response={201: MessageOut, **ERRORS},
    summary="Add an internal note or a public reply (the reply is emailed to the customer)",
)
def add_message(request: HttpRequest, case_id: PathId, payload: MessageIn) -> Any:
    case = get_case_for_user(request.user, case_id, write=True)
    message = actions.add_message(
        acting_user=request.user, case=case, kind=payload.kind, body=payload.body, expected_version=payload.version
    )
    return Status(201, message)


def _step(request: HttpRequest, case_id: int) -> Case:
    return get_case_for_user(request.user, case_id, write=True)


def _reloaded(case: Case) -> dict[str, Any]:
    return _case_out(Case.objects.select_related(*CASE_RELATED).get(pk=case.pk))


@router.post("/cases/{case_id}/acknowledge", response={200: CaseOut, **ERRORS}, summary="Acknowledge receipt")
def acknowledge(request: HttpRequest, case_id: PathId, payload: VersionIn) -> Any:
    case = actions.acknowledge(acting_user=request.user, case=_step(request, case_id), expected_version=payload.version)
    return _reloaded(case)


@router.post(
    "/cases/{case_id}/assess", response={200: CaseOut, **ERRORS}, summary="Assess: severity, priority, category"
)
def assess(request: HttpRequest, case_id: PathId, payload: AssessIn) -> Any:
    data = payload.dict()
    version = data.pop("version")
    case = actions.assess(acting_user=request.user, case=_step(request, case_id), expected_version=version, **data)
    return _reloaded(case)


@router.post("/cases/{case_id}/assign", response={200: CaseOut, **ERRORS}, summary="Assign to a person and/or team")
def assign(request: HttpRequest, case_id: PathId, payload: AssignIn) -> Any:
    case = actions.assign(
        acting_user=request.user,
        case=_step(request, case_id),
        assignee_id=payload.assignee_id,
        team_id=payload.team_id,
        expected_version=payload.version,
    )
    return _reloaded(case)


@router.post("/cases/{case_id}/decide", response={200: CaseOut, **ERRORS}, summary="Record the decided response")
def decide(request: HttpRequest, case_id: PathId, payload: DecideIn) -> Any:
    case = actions.decide_response(
        acting_user=request.user,
        case=_step(request, case_id),
        decision=payload.decision,
        expected_version=payload.version,
    )
    return _reloaded(case)


@router.post(
    "/cases/{case_id}/communicate",
    response={200: CaseOut, **ERRORS},
    summary="Send the decided response to the customer",
)
def communicate(request: HttpRequest, case_id: PathId, payload: CommunicateIn) -> Any:
    case = actions.communicate(
        acting_user=request.user, case=_step(request, case_id), body=payload.body, expected_version=payload.version
    )
    return _reloaded(case)


@router.post("/cases/{case_id}/close", response={200: CaseOut, **ERRORS}, summary="Close with outcome and remedy")
def close(request: HttpRequest, case_id: PathId, payload: CloseIn) -> Any:
    data = payload.dict()
    version = data.pop("version")
    case = actions.close(acting_user=request.user, case=_step(request, case_id), expected_version=version, **data)
    return _reloaded(case)


@router.post(
    "/cases/{case_id}/reopen",
    response={200: CaseOut, **ERRORS},
    summary="Reopen a closed case on the customer's behalf",
)
def reopen(request: HttpRequest, case_id: PathId, payload: ReopenIn) -> Any:
    case = actions.reopen(
        acting_user=request.user, case=_step(request, case_id), reason=payload.reason, expected_version=payload.version
    )
    return _reloaded(case)

"""API endpoints of promises (no `from __future__ import annotations`: django-ninja reads the annotations).

The same actions as the pages do the work, so the same rules hold: every member of the organization reads its
promises, all but viewers make and work them, only the fulfilling team (its lead, managers, administrators)
answers a confirmation request, and a step sent with a ``version`` other than the promise's current one answers
409 instead of overwriting a colleague's change.
"""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AwareDatetime, EmailStr

from servicecycle.accounts.permissions import require
from servicecycle.core.api_schemas import ERRORS, MAX_ID, BodyId, Pages, PathId, QueryId
from servicecycle.core.idempotency import clean_key, created_status, idempotency_header
from servicecycle.promises import actions, queries
from servicecycle.promises.models import Promise, Recovery, State

router = Router(tags=["promises"])

STATE = "^(" + "|".join(State.values) + ")$"
RECOVERY = "^(" + "|".join(Recovery.values) + ")$"
LANGUAGE = "^(en|ru|ms|es)?$"
BY = "^(team|staff|service|moment)$"
Version = Field(ge=1, le=MAX_ID, description="The version you read; a mismatch answers 409.")


class PromiseOut(Schema):
    id: int
    state: str
    text: str
    due_at: datetime
    original_due_at: datetime | None
    promiser_id: int
    fulfilling_team_id: int
    service_id: int
    moment_id: int | None
    case_id: int | None
    customer_id: int | None
    customer_name: str
    customer_email: str
    language: str
    requested_at: datetime | None
    confirm_due_at: datetime | None
    confirmed_at: datetime | None
    confirmed_by_id: int | None
    declined_at: datetime | None
    declined_by_id: int | None
    decline_reason: str
    alternative_text: str
    alternative_due_at: datetime | None
    given_at: datetime | None
    given_unconfirmed: bool
    unconfirmed_reason: str
    kept_at: datetime | None
    broken_at: datetime | None
    withdrawn_at: datetime | None
    withdraw_reason: str
    recovery: str
    recovery_note: str
    recovery_amount: Decimal | None
    recovery_due_at: datetime | None
    recovered_at: datetime | None
    escalation_level: int
    version: int
    created_at: datetime
    updated_at: datetime
    status_url: str = Field(description="The customer's status link of the promise")

    @staticmethod
    def resolve_status_url(obj: Promise) -> str:
        return actions.status_url(obj)


class PromiseIn(Schema):
    service_id: BodyId
    fulfilling_team_id: BodyId = Field(description="The team that must fulfil the promise")
    text: str = Field(min_length=1, max_length=5000, description="What exactly is promised")
    due_at: AwareDatetime = Field(description="By when, with its time zone; must be in the future")
    customer_id: BodyId | None = None
    customer_name: str = Field("", max_length=200)
    customer_email: EmailStr | None = None
    language: str = Field("", pattern=LANGUAGE, description="The customer's language (else theirs on file)")
    moment_id: BodyId | None = None
    case_id: BodyId | None = None


class VersionIn(Schema):
    version: int = Version


class DeclineIn(Schema):
    version: int = Version
    reason: str = Field(min_length=1, max_length=2000)
    alternative_text: str = Field("", max_length=2000, description="What the team can do instead")
    alternative_due_at: AwareDatetime | None = None


class GiveIn(Schema):
    version: int = Version
    unconfirmed_reason: str = Field(
        "", max_length=2000, description="Required when the team has not confirmed: why it is given anyway"
    )


class WithdrawIn(Schema):
    version: int = Version
    reason: str = Field(min_length=1, max_length=2000)


class RecoveryIn(Schema):
    version: int = Version
    recovery: str = Field(pattern=RECOVERY)
    note: str = Field("", max_length=2000)
    amount: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    new_due_at: AwareDatetime | None = None


class PromiseFilters(Schema):
    state: str | None = Field(None, pattern=STATE)
    team: QueryId = None
    promiser: QueryId = None
    service: QueryId = None
    due_from: AwareDatetime | None = None
    due_to: AwareDatetime | None = None


class KeptRateOut(Schema):
    key_id: int
    label: str
    given: int
    kept: int
    broken: int
    unconfirmed: int
    kept_rate: float | None = Field(description="kept / (kept + broken); null while nothing is resolved")
    unconfirmed_share: float | None = Field(description="given without confirmation / given")
    mean_minutes_to_confirm: float | None


class KeptRateFilters(Schema):
    by: str = Field("team", pattern=BY)
    since: AwareDatetime | None = Field(
        None,
        description=(
            "Count promises due on or after the day of this instant in the organization's time zone (the figures "
            "are kept per local due day, so a period starts at local midnight)"
        ),
    )


@router.get(
    "/promises/kept-rates",
    response={200: list[KeptRateOut], **ERRORS},
    summary="Kept-rate figures per team, staff member, service or moment",
)
def kept_rates(request: HttpRequest, filters: Query[KeptRateFilters]) -> Any:
    staff = require(request.user, "case.view")
    rates = queries.kept_rates(staff.organization, by=filters.by, since=filters.since)
    return [
        {
            **{name: getattr(r, name) for name in KeptRateOut.model_fields if name != "mean_minutes_to_confirm"},
            "mean_minutes_to_confirm": r.median_or_mean_minutes_to_confirm,
        }
        for r in rates
    ]


@router.get("/promises", response={200: list[PromiseOut], **ERRORS}, summary="List promises, soonest due first")
@paginate(Pages, page_size=50, max_page_size=200)
def list_promises(request: HttpRequest, filters: Query[PromiseFilters]) -> Any:
    promises: QuerySet[Promise] = queries.promises_for_user(request.user, scope="all", state=filters.state)
    exact = {
        "fulfilling_team_id": filters.team,
        "promiser_id": filters.promiser,
        "service_id": filters.service,
    }
    promises = promises.filter(**{name: value for name, value in exact.items() if value})
    if filters.due_from is not None:
        promises = promises.filter(due_at__gte=filters.due_from)
    if filters.due_to is not None:
        promises = promises.filter(due_at__lt=filters.due_to)
    return promises


@router.post(
    "/promises",
    response={200: PromiseOut, 201: PromiseOut, **ERRORS},
    summary="Draft a promise; with an Idempotency-Key a repeat returns the same promise (200)",
)
def create_promise(
    request: HttpRequest,
    payload: PromiseIn,
    idempotency_key: str | None = idempotency_header("promise"),
) -> Any:
    staff = require(request.user, "case.work")
    key = clean_key(idempotency_key)
    existed = key is not None and Promise.objects.filter(organization=staff.organization, idempotency_key=key).exists()
    data = payload.dict()
    data["customer_email"] = data["customer_email"] or ""
    promise = actions.create_promise(acting_user=request.user, idempotency_key=key, **data)
    return Status(created_status(not existed), promise)


@router.get("/promises/{promise_id}", response={200: PromiseOut, **ERRORS}, summary="One promise")
def get_promise(request: HttpRequest, promise_id: PathId) -> Any:
    return queries.get_promise_for_user(request.user, promise_id)


def _step(
    action: Callable[..., Promise], request: HttpRequest, promise_id: int, version: int, **fields: Any
) -> Promise:
    """Run one step of the promise's life on a promise the user may work, checking the version they read."""
    promise = queries.get_promise_for_user(request.user, promise_id, write=True)
    return action(acting_user=request.user, promise=promise, expected_version=version, **fields)


@router.post(
    "/promises/{promise_id}/request-confirmation",
    response={200: PromiseOut, **ERRORS},
    summary="Ask the fulfilling team to confirm",
)
def request_confirmation(request: HttpRequest, promise_id: PathId, payload: VersionIn) -> Any:
    return _step(actions.request_confirmation, request, promise_id, payload.version)


@router.post(
    "/promises/{promise_id}/confirm",
    response={200: PromiseOut, **ERRORS},
    summary="The fulfilling team confirms (409 when someone answered first)",
)
def confirm(request: HttpRequest, promise_id: PathId, payload: VersionIn) -> Any:
    return _step(actions.confirm, request, promise_id, payload.version)


@router.post(
    "/promises/{promise_id}/decline",
    response={200: PromiseOut, **ERRORS},
    summary="The fulfilling team declines with a reason and may propose an alternative",
)
def decline(request: HttpRequest, promise_id: PathId, payload: DeclineIn) -> Any:
    return _step(
        actions.decline,
        request,
        promise_id,
        payload.version,
        reason=payload.reason,
        alternative_text=payload.alternative_text,
        alternative_due_at=payload.alternative_due_at,
    )


@router.post(
    "/promises/{promise_id}/accept-alternative",
    response={200: PromiseOut, **ERRORS},
    summary="Take the team's alternative: it becomes the promise, confirmed",
)
def accept_alternative(request: HttpRequest, promise_id: PathId, payload: VersionIn) -> Any:
    return _step(actions.accept_alternative, request, promise_id, payload.version)


@router.post(
    "/promises/{promise_id}/give",
    response={200: PromiseOut, **ERRORS},
    summary="Give the promise to the customer (who is emailed); unconfirmed only with a reason",
)
def give(request: HttpRequest, promise_id: PathId, payload: GiveIn) -> Any:
    return _step(actions.give, request, promise_id, payload.version, unconfirmed_reason=payload.unconfirmed_reason)


@router.post("/promises/{promise_id}/kept", response={200: PromiseOut, **ERRORS}, summary="Mark the promise kept")
def kept(request: HttpRequest, promise_id: PathId, payload: VersionIn) -> Any:
    return _step(actions.mark_kept, request, promise_id, payload.version)


@router.post(
    "/promises/{promise_id}/withdraw", response={200: PromiseOut, **ERRORS}, summary="Withdraw an open promise"
)
def withdraw(request: HttpRequest, promise_id: PathId, payload: WithdrawIn) -> Any:
    return _step(actions.withdraw, request, promise_id, payload.version, reason=payload.reason)


@router.post(
    "/promises/{promise_id}/recovery",
    response={200: PromiseOut, **ERRORS},
    summary="Record the recovery of a broken promise (apology, new date, compensation); the customer is told",
)
def recovery(request: HttpRequest, promise_id: PathId, payload: RecoveryIn) -> Any:
    return _step(
        actions.record_recovery,
        request,
        promise_id,
        payload.version,
        recovery=payload.recovery,
        note=payload.note,
        amount=payload.amount,
        new_due_at=payload.new_due_at,
    )

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from servicecycle.catalog.queries import get_service_for_user
from servicecycle.core.api_schemas import ERRORS, BodyId, PathId
from servicecycle.cycles import actions
from servicecycle.cycles.models import Moment
from servicecycle.cycles.queries import get_moment_for_user, moment_health, moments_of

router = Router(tags=["cycles"])

UNIT_PATTERN = "^(" + "|".join(Moment.Unit.values) + ")?$"
CHANNEL_PATTERN = "^(" + "|".join(Moment.Channel.values) + ")$"


class MomentOut(Schema):
    id: int
    position: int
    name: str
    customer_goal: str
    owner_team_id: int
    standard: str
    target_value: Decimal | None
    target_unit: str
    channel: str
    version: int
    health: float | None = Field(None, description="0 critical .. 1 healthy; null while nothing measures it")


class CycleOut(Schema):
    service_id: int
    service_name: str
    moments: list[MomentOut]


class MomentIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    customer_goal: str = Field("", max_length=300)
    owner_team_id: BodyId
    standard: str = Field("", max_length=300)
    target_value: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    target_unit: str = Field("", pattern=UNIT_PATTERN)
    channel: str = Field("in_person", pattern=CHANNEL_PATTERN)


class MomentPatch(Schema):
    version: int | None = Field(None, description="The version you read; a mismatch answers 409.")
    name: str | None = Field(None, min_length=1, max_length=120)
    customer_goal: str | None = Field(None, max_length=300)
    owner_team_id: BodyId | None = None
    standard: str | None = Field(None, max_length=300)
    target_value: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    target_unit: str | None = Field(None, pattern=UNIT_PATTERN)
    channel: str | None = Field(None, pattern=CHANNEL_PATTERN)


class OrderIn(Schema):
    moment_ids: list[BodyId] = Field(description="Every moment of the cycle, in the new customer order", max_length=200)


def _moment_out(moment: Moment, health: float | None) -> dict[str, Any]:
    return {**{f: getattr(moment, f) for f in MomentOut.model_fields if f != "health"}, "health": health}


@router.get(
    "/services/{service_id}/cycle",
    response={200: CycleOut, **ERRORS},
    summary="The cycle of service: its moments of truth in customer order",
)
def get_cycle(request: HttpRequest, service_id: PathId) -> Any:
    service = get_service_for_user(request.user, service_id)
    moments = moments_of(service)
    health = moment_health(moments)
    return {
        "service_id": service.pk,
        "service_name": service.name,
        "moments": [_moment_out(m, health[m.pk].score) for m in moments],
    }


@router.post(
    "/services/{service_id}/cycle/moments",
    response={201: MomentOut, **ERRORS},
    summary="Add a moment at the end of the cycle",
)
def add_moment(request: HttpRequest, service_id: PathId, payload: MomentIn) -> Any:
    service = get_service_for_user(request.user, service_id)
    moment = actions.add_moment(acting_user=request.user, service=service, **payload.dict())
    return Status(201, _moment_out(moment, None))


@router.get("/services/{service_id}/cycle/moments/{moment_id}", response={200: MomentOut, **ERRORS})
def get_moment(request: HttpRequest, service_id: PathId, moment_id: PathId) -> Any:
    service = get_service_for_user(request.user, service_id)
    moment = get_moment_for_user(request.user, service, moment_id)
    return _moment_out(moment, moment_health([moment])[moment.pk].score)


@router.patch("/services/{service_id}/cycle/moments/{moment_id}", response={200: MomentOut, **ERRORS})
def update_moment(request: HttpRequest, service_id: PathId, moment_id: PathId, payload: MomentPatch) -> Any:
    service = get_service_for_user(request.user, service_id)
    moment = get_moment_for_user(request.user, service, moment_id)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version", None)
    changes = {k: v for k, v in changes.items() if v is not None or k == "target_value"}
    moment = actions.update_moment(acting_user=request.user, moment=moment, expected_version=version, **changes)
    return _moment_out(moment, moment_health([moment])[moment.pk].score)


@router.delete("/services/{service_id}/cycle/moments/{moment_id}", response={204: None, **ERRORS})
def remove_moment(request: HttpRequest, service_id: PathId, moment_id: PathId) -> Any:
    service = get_service_for_user(request.user, service_id)
    moment = get_moment_for_user(request.user, service, moment_id)
    actions.remove_moment(acting_user=request.user, moment=moment)
    return Status(204, None)


@router.put(
    "/services/{service_id}/cycle/order",
    response={200: CycleOut, **ERRORS},
    summary="Reorder the cycle: send every moment id in the new order",
)
def reorder(request: HttpRequest, service_id: PathId, payload: OrderIn) -> Any:
    service = get_service_for_user(request.user, service_id)
    actions.reorder_moments(acting_user=request.user, service=service, moment_ids=payload.moment_ids)
    return get_cycle(request, service_id)

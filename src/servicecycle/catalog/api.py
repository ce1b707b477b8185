import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from servicecycle.accounts.permissions import require
from servicecycle.catalog import actions, queries
from servicecycle.catalog.models import OfferingDecision, Service
from servicecycle.core.api_schemas import ERRORS, BodyId, Pages, PathId, QueryId

router = Router(tags=["services"])

STATUS_PATTERN = "^(" + "|".join(Service.Status.values) + ")$"
PRICE_PATTERN = "^(" + "|".join(OfferingDecision.PriceModel.values) + ")$"
DELIVERY_PATTERN = "^(" + "|".join(OfferingDecision.Delivery.values) + ")$"


class ServiceOut(Schema):
    id: int
    name: str
    description: str
    category: str
    owner_team_id: int
    status: str
    service_share: int
    version: int
    updated_at: dt.datetime


class ServiceListOut(ServiceOut):
    moment_count: int
    current_price_model: str | None
    current_delivery: str | None


class ServiceIn(Schema):
    name: str = Field(min_length=1, max_length=160)
    description: str = ""
    category: str = Field("", max_length=80)
    owner_team_id: BodyId
    status: str = Field("active", pattern=STATUS_PATTERN)
    service_share: int = Field(50, ge=0, le=100)


class ServicePatch(Schema):
    version: int | None = Field(None, description="The version you read; a mismatch answers 409.")
    name: str | None = Field(None, min_length=1, max_length=160)
    description: str | None = None
    category: str | None = Field(None, max_length=80)
    owner_team_id: BodyId | None = None
    status: str | None = Field(None, pattern=STATUS_PATTERN)
    service_share: int | None = Field(None, ge=0, le=100)


class DecisionOut(Schema):
    id: int
    service_id: int
    price_model: str
    free_period_months: int | None
    price: Decimal | None
    currency: str
    delivery_channel: str
    partners: list[str]
    rationale: str
    review_date: dt.date | None
    decided_by: str | None
    decided_at: dt.datetime

    @staticmethod
    def resolve_decided_by(obj: OfferingDecision) -> str | None:
        user = obj.decided_by
        return (user.get_full_name() or user.get_username()) if user else None


class DecisionIn(Schema):
    price_model: str = Field(pattern=PRICE_PATTERN)
    free_period_months: int | None = Field(None, ge=1, le=600)
    price: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    currency: str = Field("", max_length=3)
    delivery_channel: str = Field(pattern=DELIVERY_PATTERN)
    partners: list[str] = Field(default_factory=list, max_length=50)
    rationale: str = ""
    review_date: dt.date | None = None


@router.get("/services", response={200: list[ServiceListOut], **ERRORS}, summary="List services")
@paginate(Pages, page_size=50, max_page_size=200)
def list_services(
    request: HttpRequest,
    q: str = "",
    status: str = "",
    category: str = "",
    owner_team_id: QueryId = None,
    sort: str = "name",
) -> Any:
    organization = require(request.user, "view").organization
    return queries.services_for_list(
        organization, search=q[:100], status=status, category=category[:80], team_id=owner_team_id, sort=sort
    )


@router.get("/services/{service_id}", response={200: ServiceOut, **ERRORS}, summary="One service")
def get_service(request: HttpRequest, service_id: PathId) -> Any:
    return queries.get_service_for_user(request.user, service_id)


@router.post("/services", response={201: ServiceOut, **ERRORS}, summary="Create a service")
def create_service(request: HttpRequest, payload: ServiceIn) -> Any:
    return Status(201, actions.create_service(acting_user=request.user, **payload.dict()))


@router.patch("/services/{service_id}", response={200: ServiceOut, **ERRORS}, summary="Change a service")
def update_service(request: HttpRequest, service_id: PathId, payload: ServicePatch) -> Any:
    service = queries.get_service_for_user(request.user, service_id, write=True)
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    version = changes.pop("version", None)
    return actions.update_service(acting_user=request.user, service=service, expected_version=version, **changes)


@router.get(
    "/services/{service_id}/decisions",
    response={200: list[DecisionOut], **ERRORS},
    summary="Offering decisions of a service, newest first (the first is in force)",
)
def list_decisions(request: HttpRequest, service_id: PathId) -> Any:
    service = queries.get_service_for_user(request.user, service_id)
    return list(queries.decision_history(service)[:200])


@router.post(
    "/services/{service_id}/decisions",
    response={201: DecisionOut, **ERRORS},
    summary="Record a new offering decision",
)
def create_decision(request: HttpRequest, service_id: PathId, payload: DecisionIn) -> Any:
    service = queries.get_service_for_user(request.user, service_id)
    data = payload.dict()
    data["partner_names"] = "\n".join(p.strip() for p in data.pop("partners") if p.strip())
    return Status(201, actions.record_offering_decision(acting_user=request.user, service=service, **data))

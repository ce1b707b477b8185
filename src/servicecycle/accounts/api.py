from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import EmailStr

from servicecycle.accounts import actions
from servicecycle.accounts.models import LANGUAGE_CHOICES, Customer, Staff, Team
from servicecycle.accounts.permissions import require
from servicecycle.core.api_schemas import ERRORS, Pages, PathId, QueryId

router = Router(tags=["people"])
Language = str


class TeamOut(Schema):
    id: int
    name: str
    description: str
    color: str
    email: str


class TeamIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    description: str = ""
    color: str = Field("#3566a8", pattern=r"^#[0-9a-fA-F]{6}$")
    email: EmailStr | None = None


class StaffOut(Schema):
    id: int
    name: str
    email: str
    role: str
    job_title: str
    team_ids: list[int]
    active: bool

    @staticmethod
    def resolve_name(obj: Staff) -> str:
        return str(obj)

    @staticmethod
    def resolve_email(obj: Staff) -> str:
        return obj.user.email

    @staticmethod
    def resolve_team_ids(obj: Staff) -> list[int]:
        return [t.pk for t in obj.teams.all()]

    @staticmethod
    def resolve_active(obj: Staff) -> bool:
        return obj.user.is_active


class CustomerOut(Schema):
    id: int
    name: str
    email: str
    phone: str
    company: str
    preferred_language: str
    consent_contact: bool
    consent_surveys: bool
    consent_marketing: bool
    notes: str
    version: int


LANGS = tuple(code for code, _label in LANGUAGE_CHOICES)


class CustomerIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = None
    phone: str = Field("", max_length=40)
    company: str = Field("", max_length=200)
    preferred_language: str = Field("en", pattern=r"^(en|ru|ms|es)$")
    consent_contact: bool = True
    consent_surveys: bool = False
    consent_marketing: bool = False
    notes: str = ""


class CustomerPatch(Schema):
    version: int | None = Field(None, description="The version you read; a mismatch answers 409.")
    name: str | None = Field(None, min_length=1, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(None, max_length=40)
    company: str | None = Field(None, max_length=200)
    preferred_language: str | None = Field(None, pattern=r"^(en|ru|ms|es)$")
    consent_contact: bool | None = None
    consent_surveys: bool | None = None
    consent_marketing: bool | None = None
    notes: str | None = None


def _org_id(request: HttpRequest) -> int:
    return require(request.user, "view").organization_id


@router.get("/teams", response={200: list[TeamOut], **ERRORS}, summary="List teams")
@paginate(Pages, page_size=50, max_page_size=200)
def list_teams(request: HttpRequest, q: str = "") -> Any:
    teams = Team.objects.filter(organization_id=_org_id(request)).order_by("name", "id")
    return teams.filter(name__icontains=q) if q else teams


@router.get("/teams/{team_id}", response={200: TeamOut, **ERRORS}, summary="One team")
def get_team(request: HttpRequest, team_id: PathId) -> Any:
    return get_object_or_404(Team, pk=team_id, organization_id=_org_id(request))


@router.post("/teams", response={201: TeamOut, **ERRORS}, summary="Create a team")
def create_team(request: HttpRequest, payload: TeamIn) -> Any:
    data = payload.dict()
    data["email"] = data["email"] or ""
    return Status(201, actions.create_team(acting_user=request.user, **data))


@router.get("/staff", response={200: list[StaffOut], **ERRORS}, summary="List staff (read only)")
@paginate(Pages, page_size=50, max_page_size=200)
def list_staff(request: HttpRequest, role: str = "", team_id: QueryId = None, q: str = "") -> Any:
    people = (
        Staff.objects.filter(organization_id=_org_id(request))
        .select_related("user")
        .prefetch_related("teams")
        .order_by("user__first_name", "user__last_name", "id")
    )
    if role:
        people = people.filter(role=role)
    if team_id:
        people = people.filter(teams__id=team_id)
    if q:
        people = people.filter(
            Q(user__first_name__icontains=q) | Q(user__last_name__icontains=q) | Q(user__email__icontains=q)
        )
    return people


@router.get("/staff/{staff_id}", response={200: StaffOut, **ERRORS}, summary="One staff member")
def get_staff(request: HttpRequest, staff_id: PathId) -> Any:
    return get_object_or_404(Staff.objects.select_related("user"), pk=staff_id, organization_id=_org_id(request))


@router.get("/customers", response={200: list[CustomerOut], **ERRORS}, summary="List customers", tags=["customers"])
@paginate(Pages, page_size=50, max_page_size=200)
def list_customers(request: HttpRequest, q: str = "", preferred_language: str = "") -> Any:
    customers = Customer.objects.filter(organization_id=_org_id(request)).order_by("name", "id")
    if q:
        customers = customers.filter(Q(name__icontains=q) | Q(email__icontains=q) | Q(phone__icontains=q))
    if preferred_language:
        customers = customers.filter(preferred_language=preferred_language)
    return customers


@router.get("/customers/{customer_id}", response={200: CustomerOut, **ERRORS}, tags=["customers"])
def get_customer(request: HttpRequest, customer_id: PathId) -> Any:
    return get_object_or_404(Customer, pk=customer_id, organization_id=_org_id(request))


@router.post("/customers", response={201: CustomerOut, **ERRORS}, tags=["customers"])
def create_customer(request: HttpRequest, payload: CustomerIn) -> Any:
    data = payload.dict()
    data["email"] = data["email"] or ""
    return Status(201, actions.create_customer(acting_user=request.user, **data))


@router.patch("/customers/{customer_id}", response={200: CustomerOut, **ERRORS}, tags=["customers"])
def update_customer(request: HttpRequest, customer_id: PathId, payload: CustomerPatch) -> Any:
    customer = get_object_or_404(Customer, pk=customer_id, organization_id=_org_id(request))
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version", None)
    if "email" in changes:
        changes["email"] = changes["email"] or ""
    changes = {k: v for k, v in changes.items() if v is not None or k == "email"}
    return actions.update_customer(acting_user=request.user, customer=customer, expected_version=version, **changes)

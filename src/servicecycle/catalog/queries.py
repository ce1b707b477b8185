"""Reads of the service catalog, with their joins done once."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from servicecycle.accounts.models import Organization
from servicecycle.accounts.permissions import MESSAGE_NOT_ALLOWED, has, staff_of
from servicecycle.catalog.models import OfferingDecision, Service
from servicecycle.core.errors import PermissionDenied

SERVICE_SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "category": ("category", "name"),
    "status": ("status", "name"),
    "team": ("owner_team__name", "name"),
    "moments": ("moment_count", "name"),
    "-moments": ("-moment_count", "name"),
    "updated": ("-updated_at", "id"),
}


def services_for_list(
    organization: Organization,
    *,
    search: str = "",
    status: str = "",
    category: str = "",
    team_id: int | None = None,
    sort: str = "name",
) -> QuerySet[Service]:
    """Services with owner team, moment count and current price model in one query."""
    latest = OfferingDecision.objects.filter(service=OuterRef("pk")).order_by("-decided_at", "-id")
    qs = (
        Service.objects.filter(organization=organization)
        .select_related("owner_team")
        .annotate(
            moment_count=Count("moments", distinct=True),
            current_price_model=Subquery(latest.values("price_model")[:1]),
            current_delivery=Subquery(latest.values("delivery_channel")[:1]),
        )
    )
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(description__icontains=search) | Q(category__icontains=search))
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category=category)
    if team_id:
        qs = qs.filter(owner_team_id=team_id)
    return qs.order_by(*SERVICE_SORTS.get(sort, SERVICE_SORTS["name"]))


def categories(organization: Organization) -> list[str]:
    return list(
        Service.objects.filter(organization=organization)
        .exclude(category="")
        .values_list("category", flat=True)
        .distinct()
        .order_by("category")
    )


def get_service_for_user(user: Any, service_id: Any, *, write: bool = False) -> Service:
    """The service when the user's organization holds it (else 404); 403 when write access is asked and missing."""
    staff = staff_of(user)
    if staff is None:
        raise Http404
    try:
        service = Service.objects.select_related("owner_team", "organization").get(
            pk=int(service_id), organization_id=staff.organization_id
        )
    except (Service.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if write and not has(user, "service.manage"):
        raise PermissionDenied(MESSAGE_NOT_ALLOWED)
    return service


def current_decision(service: Service) -> OfferingDecision | None:
    return service.decisions.select_related("decided_by").first()


def decision_history(service: Service) -> QuerySet[OfferingDecision]:
    return service.decisions.select_related("decided_by").order_by("-decided_at", "-id")

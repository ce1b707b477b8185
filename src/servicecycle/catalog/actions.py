"""Every write to services and offering decisions goes through these functions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from servicecycle.accounts.models import Team
from servicecycle.accounts.permissions import require
from servicecycle.catalog.models import OfferingDecision, Service
from servicecycle.core import audit
from servicecycle.core.changes import apply_changes, check_version
from servicecycle.core.validation import check, fail

SERVICE_FIELDS = ("name", "description", "category", "owner_team", "status", "service_share")
DECISION_FIELDS = (
    "price_model",
    "free_period_months",
    "price",
    "currency",
    "delivery_channel",
    "partner_names",
    "rationale",
    "review_date",
)


def team_of_organization(organization_id: int, team_id: Any, field: str = "owner_team") -> Team:
    """The team with this id in the organization, or a clear error naming the field."""
    try:
        return Team.objects.get(organization_id=organization_id, pk=int(team_id))
    except (Team.DoesNotExist, TypeError, ValueError):
        raise fail(field, _("Unknown owner team: choose one of your organization's teams.")) from None


@transaction.atomic
def create_service(
    *,
    acting_user: Any,
    name: str,
    owner_team_id: int,
    description: str = "",
    category: str = "",
    status: str = Service.Status.ACTIVE,
    service_share: int = 50,
) -> Service:
    staff = require(acting_user, "service.manage")
    service = Service(
        organization=staff.organization,
        name=(name or "").strip(),
        description=description,
        category=(category or "").strip(),
        owner_team=team_of_organization(staff.organization_id, owner_team_id),
        status=status,
        service_share=service_share,
    )
    check(service)
    service.save()
    audit.record(
        actor=acting_user,
        organization_id=service.organization_id,
        verb="service.created",
        obj=service,
        changes=audit.snapshot(service, SERVICE_FIELDS),
    )
    return service


@transaction.atomic
def update_service(
    *, acting_user: Any, service: Service, expected_version: int | None = None, **changes: Any
) -> Service:
    require(acting_user, "service.manage")
    service = Service.objects.select_for_update().select_related("owner_team").get(pk=service.pk)
    check_version(service, expected_version)
    if "owner_team_id" in changes:
        changes["owner_team"] = team_of_organization(service.organization_id, changes.pop("owner_team_id"))
    for text_field in ("name", "category"):
        if text_field in changes:
            changes[text_field] = (changes[text_field] or "").strip()
    changed = apply_changes(service, SERVICE_FIELDS, changes)
    check(service)
    if changed:
        service.version = F("version") + 1
        service.save(update_fields=[*changed, "version", "updated_at"])
        service.refresh_from_db(fields=["version"])
        audit.record(
            actor=acting_user,
            organization_id=service.organization_id,
            verb="service.updated",
            obj=service,
            changes=changed,
        )
    return service


@transaction.atomic
def record_offering_decision(
    *,
    acting_user: Any,
    service: Service,
    price_model: str,
    delivery_channel: str,
    free_period_months: int | None = None,
    price: Decimal | None = None,
    currency: str = "",
    partner_names: str = "",
    rationale: str = "",
    review_date: dt.date | None = None,
) -> OfferingDecision:
    """Record how the service is offered now; earlier decisions stay as its history."""
    require(acting_user, "decision.manage")
    decision = OfferingDecision(
        service=service,
        price_model=price_model,
        delivery_channel=delivery_channel,
        free_period_months=free_period_months,
        price=price,
        currency=(currency or "").strip().upper(),
        partner_names=(partner_names or "").strip(),
        rationale=(rationale or "").strip(),
        review_date=review_date,
        decided_by=acting_user,
    )
    check(decision, exclude=["decided_by"])
    _check_decision_rules(decision)
    decision.save()
    audit.record(
        actor=acting_user,
        organization_id=service.organization_id,
        verb="decision.recorded",
        obj=decision,
        scope=service,
        changes=audit.snapshot(decision, DECISION_FIELDS),
    )
    return decision


def _check_decision_rules(d: OfferingDecision) -> None:
    P, D = OfferingDecision.PriceModel, OfferingDecision.Delivery
    if d.price_model == P.FREE_PERIOD:
        if not d.free_period_months:
            raise fail("free_period_months", _("Say for how many months the service is free."))
        d.price, d.currency = None, ""
    elif d.price_model == P.SOLD_SEPARATELY:
        if d.price is None:
            raise fail("price", _("Enter the price of the service."))
        if d.price < 0:
            raise fail("price", _("The price cannot be negative."))
        if len(d.currency) != 3 or not d.currency.isalpha():
            raise fail("currency", _("Enter a three-letter currency code, for example EUR or MYR."))
        d.free_period_months = None
    else:
        d.free_period_months, d.price, d.currency = None, None, ""
    if d.delivery_channel in (D.DISTRIBUTORS, D.THIRD_PARTIES):
        if not d.partners:
            raise fail("partner_names", _("Name at least one partner who delivers the service."))
    else:
        d.partner_names = ""

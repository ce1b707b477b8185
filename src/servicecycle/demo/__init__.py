"""Load the demo organizations through the same actions the app uses. Running it twice changes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from servicecycle.accounts import actions as accounts
from servicecycle.accounts.models import Customer, Organization, Staff, Team
from servicecycle.catalog import actions as catalog
from servicecycle.catalog.models import Service
from servicecycle.cycles import actions as cycles
from servicecycle.demo.data import DEMO_PASSWORD, ORGANIZATIONS

User = get_user_model()


def load(stdout: Any = None) -> list[tuple[str, str, str]]:
    """Create whatever part of the demo is missing; return (organization, email, role) for every demo login."""
    logins: list[tuple[str, str, str]] = []
    for spec in ORGANIZATIONS:
        with transaction.atomic():
            logins.extend(_load_organization(spec))
    return logins


def _load_organization(spec: dict[str, Any]) -> list[tuple[str, str, str]]:
    organization = Organization.objects.filter(slug=spec["slug"]).first()
    if organization is None:
        organization = accounts.create_organization(
            name=spec["name"],
            slug=spec["slug"],
            time_zone=spec["time_zone"],
            holiday_country=spec["holiday_country"],
            holiday_subdivision=spec["holiday_subdivision"],
            default_language=spec["default_language"],
        )
    admin_email = spec["staff"][0][0]
    admin = _staff(organization, None, spec["staff"][0], {})
    teams: dict[str, Team] = {}
    for key, (name, color, description) in spec["teams"].items():
        team = Team.objects.filter(organization=organization, name=name).first()
        teams[key] = team or accounts.create_team(
            acting_user=admin.user, name=name, color=color, description=description
        )
    logins = [(organization.name, admin_email, admin.role)]
    for row in spec["staff"][1:]:
        person = _staff(organization, admin.user, row, teams)
        logins.append((organization.name, person.user.email, person.role))
    for name, email, phone, company, language, contact, surveys in spec["customers"]:
        if not Customer.objects.filter(organization=organization, email=email).exists():
            accounts.create_customer(
                acting_user=admin.user,
                name=name,
                email=email,
                phone=phone,
                company=company,
                preferred_language=language,
                consent_contact=contact,
                consent_surveys=surveys,
            )
    for service_spec in spec["services"]:
        _service(organization, admin.user, service_spec, teams)
    return logins


def _staff(organization: Organization, acting_user: Any, row: tuple[Any, ...], teams: dict[str, Team]) -> Staff:
    email, first, last, role, team_keys, title, language = row
    existing = Staff.objects.filter(user__username=email).select_related("user").first()
    if existing is not None:
        return existing
    person = accounts.create_staff(
        acting_user=acting_user,
        organization=organization,
        email=email,
        first_name=first,
        last_name=last,
        role=role,
        team_ids=[teams[k].pk for k in team_keys],
        job_title=title,
        password=DEMO_PASSWORD,
    )
    person.language = language
    person.save(update_fields=["language"])
    return person


def _service(organization: Organization, acting_user: Any, spec: dict[str, Any], teams: dict[str, Team]) -> None:
    service = Service.objects.filter(organization=organization, name=spec["name"]).first()
    if service is None:
        service = catalog.create_service(
            acting_user=acting_user,
            name=spec["name"],
            description=spec["description"],
            category=spec["category"],
            owner_team_id=teams[spec["owner"]].pk,
            status=spec["status"],
            service_share=spec["share"],
        )
    if not service.decisions.exists():
        price_model, months, price, currency, delivery, partners, rationale = spec["decision"]
        catalog.record_offering_decision(
            acting_user=acting_user,
            service=service,
            price_model=price_model,
            free_period_months=months,
            price=Decimal(price) if price is not None else None,
            currency=currency,
            delivery_channel=delivery,
            partner_names=partners,
            rationale=rationale,
        )
    existing = set(service.moments.values_list("name", flat=True))
    for name, goal, team_key, channel, standard, target, unit in spec["moments"]:
        if name in existing:
            continue
        cycles.add_moment(
            acting_user=acting_user,
            service=service,
            name=name,
            customer_goal=goal,
            owner_team_id=teams[team_key].pk,
            channel=channel,
            standard=standard,
            target_value=target,
            target_unit=unit,
        )

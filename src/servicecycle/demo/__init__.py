"""Load the demo organizations through the same actions the app uses. Running it twice changes nothing."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from servicecycle.accounts import actions as accounts
from servicecycle.accounts.models import Customer, Organization, Staff, Team
from servicecycle.catalog import actions as catalog
from servicecycle.catalog.models import Service
from servicecycle.cycles import actions as cycles
from servicecycle.demo.cases import load_cases
from servicecycle.demo.data import DELIVERY_SURVEY, DEMAND_HISTORIES, DEMO_PASSWORD, ORGANIZATIONS
from servicecycle.demo.people import load_people
from servicecycle.demo.promises import load_promises
from servicecycle.demo.shopping import load_candidate_importance, load_shopping
from servicecycle.strategy import actions as strategy
from servicecycle.strategy.actions import DemandRow
from servicecycle.strategy.models import DemandPeriod
from servicecycle.surveys import actions as surveys
from servicecycle.surveys.models import Survey

User = get_user_model()


def load(stdout: Any = None) -> list[tuple[str, str, str]]:
    """Create whatever part of the demo is missing; return (organization, email, role) for every demo login."""
    logins: list[tuple[str, str, str]] = []
    for spec in ORGANIZATIONS:
        with transaction.atomic():
            logins.extend(_load_organization(spec))
    with transaction.atomic():
        _delivery_survey(DELIVERY_SURVEY)
    for organization_slug, service_name, from_launch, histories in DEMAND_HISTORIES:
        with transaction.atomic():
            _demand_history(organization_slug, service_name, from_launch, histories)
    load_cases()
    load_promises()
    load_shopping()
    load_candidate_importance()
    load_people()
    return logins


def _demand_history(
    organization_slug: str, service_name: str, from_launch: bool, histories: list[list[tuple[str, int]]]
) -> None:
    """Enter the service's demand histories one after another (skipped once it has any demand history)."""
    service = Service.objects.select_related("owner_team").get(organization__slug=organization_slug, name=service_name)
    if DemandPeriod.objects.filter(service=service).exists():
        return
    manager = Staff.objects.filter(organization_id=service.organization_id, role="manager").select_related("user")
    author = manager.first()
    assert author is not None
    for history in histories:
        strategy.set_demand_history(
            acting_user=author.user,
            service=service,
            rows=[DemandRow(row=i, period=p, demand=d) for i, (p, d) in enumerate(history, start=1)],
            from_launch=from_launch,
        )


def _clamp_score(rng: random.Random, mean: float) -> int:
    return max(1, min(7, round(rng.gauss(mean, 1.0))))


def _delivery_survey(spec: dict[str, Any]) -> None:
    """A two-wave delivery survey with NPS, CSAT and an importance/performance grid (skipped if present)."""
    organization = Organization.objects.get(slug=spec["organization"])
    service = Service.objects.get(organization=organization, name=spec["service"])
    if Survey.objects.filter(organization=organization, service=service).exists():
        return
    author = Staff.objects.filter(organization=organization, role="manager").select_related("user").first()
    assert author is not None
    user = author.user
    survey = surveys.create_survey(
        acting_user=user,
        titles=spec["title"],
        languages=["en", "es", "ru", "ms"],
        default_language="en",
        service_id=service.pk,
    )
    nps_q = surveys.add_question(acting_user=user, survey=survey, kind="nps", texts=spec["nps"])
    csat_q = surveys.add_question(acting_user=user, survey=survey, kind="csat", texts=spec["csat"])
    grid = surveys.add_question(
        acting_user=user,
        survey=survey,
        kind="ipa_grid",
        texts=spec["grid"],
        scale_min=1,
        scale_max=7,
        competitor_name=spec["competitor"],
    )
    moments = dict(service.moments.values_list("name", "pk"))
    attributes = [
        (surveys.add_attribute(acting_user=user, question=grid, texts={"en": name}, moment_id=moments[moment]), means)
        for name, moment, means in spec["attributes"]
    ]
    surveys.set_survey_status(acting_user=user, survey=survey, status="open")
    rng = random.Random(20261123)
    customers = list(Customer.objects.filter(organization=organization).values_list("pk", flat=True))
    for name, starts_on, count, weights in spec["waves"]:
        wave = surveys.add_wave(acting_user=user, survey=survey, name=name, starts_on=dt.date.fromisoformat(starts_on))
        for index in range(count):
            nps = rng.choices(range(11), weights=weights)[0]
            answers: list[dict[str, Any]] = [
                {"question": nps_q.pk, "value": nps},
                {"question": csat_q.pk, "value": max(1, min(5, round(nps / 2.2 + rng.gauss(0.4, 0.6))))},
            ]
            for attribute, (importance, ours, theirs) in attributes:
                answers.append(
                    {
                        "question": grid.pk,
                        "attribute": attribute.pk,
                        "importance": _clamp_score(rng, importance),
                        "performance": _clamp_score(rng, ours),
                        "competitor_performance": _clamp_score(rng, theirs),
                    }
                )
            surveys.record_response(
                survey=survey,
                wave=wave,
                answers=answers,
                customer_id=customers[index % len(customers)] if customers else None,
            )


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
    for name, email, phone, company, language, contact, survey_consent in spec["customers"]:
        if not Customer.objects.filter(organization=organization, email=email).exists():
            accounts.create_customer(
                acting_user=admin.user,
                name=name,
                email=email,
                phone=phone,
                company=company,
                preferred_language=language,
                consent_contact=contact,
                consent_surveys=survey_consent,
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

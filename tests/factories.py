"""Test data built through the same actions the app uses (never raw saves of domain state)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from servicecycle.accounts import actions as accounts
from servicecycle.accounts.models import Organization, Staff, Team
from servicecycle.catalog import actions as catalog
from servicecycle.catalog.models import Service
from servicecycle.cycles import actions as cycles
from servicecycle.cycles.models import Moment

_seq = itertools.count(1)


def organization(name: str = "Test Org", **kwargs: Any) -> Organization:
    n = next(_seq)
    return accounts.create_organization(name=f"{name} {n}", slug=f"org-{n}", **kwargs)


def staff(
    org: Organization,
    role: str,
    teams: list[Team] | None = None,
    email: str | None = None,
    password: str | None = None,
) -> Staff:
    n = next(_seq)
    return accounts.create_staff(
        acting_user=None,
        organization=org,
        email=email or f"{role}{n}@example.test",
        first_name=role.replace("_", " ").title(),
        last_name=str(n),
        role=role,
        team_ids=[t.pk for t in teams or []],
        password=password,
    )


def team(admin: Staff, name: str | None = None, color: str = "#3566a8") -> Team:
    return accounts.create_team(acting_user=admin.user, name=name or f"Team {next(_seq)}", color=color)


def service(admin: Staff, owner: Team, name: str | None = None, **kwargs: Any) -> Service:
    return catalog.create_service(
        acting_user=admin.user, name=name or f"Service {next(_seq)}", owner_team_id=owner.pk, **kwargs
    )


def moment(admin: Staff, svc: Service, owner: Team | None = None, name: str | None = None, **kwargs: Any) -> Moment:
    return cycles.add_moment(
        acting_user=admin.user,
        service=svc,
        name=name or f"Moment {next(_seq)}",
        owner_team_id=(owner or svc.owner_team).pk,
        **kwargs,
    )


@dataclass
class World:
    """An organization with a member of every role, and outsiders who must not see its data."""

    org: Organization
    admin: Staff
    manager: Staff
    lead: Staff  # team lead of the team owning the service
    lead_other: Staff  # team lead of another team
    agent: Staff
    viewer: Staff
    owner_team: Team
    other_team: Team
    service: Service
    moments: list[Moment]
    outsider: Staff  # administrator of another organization
    by_role: dict[str, Staff] = field(default_factory=dict)


def world() -> World:
    org = organization("Acme Supplies")
    admin = staff(org, "admin")
    owner_team = team(admin, "Warehouse", "#2e7d4f")
    other_team = team(admin, "Counter", "#3566a8")
    svc = service(admin, owner_team, "Delivery")
    moments = [moment(admin, svc, name=f"Step {i}") for i in range(1, 4)]
    other_org = organization("Other Org")
    w = World(
        org=org,
        admin=admin,
        manager=staff(org, "manager"),
        lead=staff(org, "team_lead", [owner_team]),
        lead_other=staff(org, "team_lead", [other_team]),
        agent=staff(org, "agent", [other_team]),
        viewer=staff(org, "viewer"),
        owner_team=owner_team,
        other_team=other_team,
        service=svc,
        moments=moments,
        outsider=staff(other_org, "admin"),
    )
    w.by_role = {
        "admin": w.admin,
        "manager": w.manager,
        "lead": w.lead,
        "lead_other": w.lead_other,
        "agent": w.agent,
        "viewer": w.viewer,
        "outsider": w.outsider,
    }
    return w

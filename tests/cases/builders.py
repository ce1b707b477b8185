"""Cases for the tests, built through the same actions the app uses."""

from __future__ import annotations

from typing import Any

from servicecycle.accounts.models import Staff
from servicecycle.cases import actions
from servicecycle.cases.actions import CreatedCase
from servicecycle.cases.models import Case, SlaPolicy
from tests.factories import World


def policy(
    author: Staff,
    kind: str = "complaint",
    priority: str = "normal",
    acknowledgement: int | None = None,
    first_response: int | None = None,
    resolution: int | None = None,
) -> SlaPolicy:
    return actions.set_sla_policy(
        acting_user=author.user,
        kind=kind,
        priority=priority,
        acknowledgement_minutes=acknowledgement,
        first_response_minutes=first_response,
        resolution_minutes=resolution,
    )


def complaint(w: World, by: Staff | None = None, **kwargs: Any) -> CreatedCase:
    """A complaint about the world's service, logged by the agent unless said otherwise."""
    fields: dict[str, Any] = {
        "kind": "complaint",
        "channel": "web_form",
        "service_id": w.service.pk,
        "description": "The parcel arrived two days late and the box was crushed.",
        "subject": "Late and damaged parcel",
        **kwargs,
    }
    return actions.create_case(acting_user=(by or w.agent).user, **fields)


def public_complaint(w: World, **kwargs: Any) -> CreatedCase:
    """A complaint sent through the public form: no signed-in user."""
    fields: dict[str, Any] = {
        "kind": "complaint",
        "channel": "web_form",
        "service_id": w.service.pk,
        "description": "Nobody answered the phone for an hour.",
        "contact_email": "Ana@Example.test",
        **kwargs,
    }
    return actions.create_case(acting_user=None, organization=w.org, **fields)


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def to_investigating(w: World, case: Case, by: Staff | None = None) -> Case:
    user = (by or w.agent).user
    if case.status == Case.Status.RECEIVED:
        case = actions.acknowledge(acting_user=user, case=case)
    if case.status == Case.Status.ACKNOWLEDGED:
        case = actions.assess(acting_user=user, case=case, severity="moderate", priority=case.priority)
    return actions.assign(acting_user=user, case=case, assignee_id=w.agent.pk, team_id=w.owner_team.pk)


def to_communicated(w: World, case: Case, by: Staff | None = None) -> Case:
    user = (by or w.agent).user
    case = to_investigating(w, case, by)
    case = actions.decide_response(acting_user=user, case=case, decision="We will refund the delivery fee.")
    return actions.communicate(acting_user=user, case=case)


def closed(w: World, case: Case, by: Staff | None = None, **kwargs: Any) -> Case:
    case = to_communicated(w, case, by)
    fields: dict[str, Any] = {"outcome": "upheld", "remedy": "apology", **kwargs}
    return actions.close(acting_user=(by or w.agent).user, case=case, **fields)

"""People test data, built through the app's own actions."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from servicecycle.people import actions
from servicecycle.people.content import CRITERIA
from servicecycle.people.models import Candidate, Course, PulseRound
from tests.factories import World


def candidate(w: World, score: int = 4, **kwargs: Any) -> Candidate:
    fields: dict[str, Any] = {
        "name": "Robin Candidate",
        "role_applied": "Front-line agent",
        "assessed_on": timezone.localdate() - timedelta(days=1),
        "interviewer_id": w.manager.pk,
        "scores": {c.key: score for c in CRITERIA},
    }
    fields.update(kwargs)
    return actions.create_candidate(acting_user=w.manager.user, **fields)


def course(w: World, name: str = "Listening to customers", **kwargs: Any) -> Course:
    return actions.create_course(acting_user=w.manager.user, name=name, **kwargs)


def pulse(w: World, title: str = "Spring pulse") -> PulseRound:
    return actions.open_round(
        acting_user=w.manager.user, title=title, closes_on=timezone.localdate() + timedelta(days=14)
    )


def matrix_url(name: str, w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    """URL arguments and POST data of a people page for the permission matrix (one object of each kind per
    world: the security sweep asks for every page of the same world)."""
    if name in ("people-candidate-detail", "people-candidate-delete"):
        return {"pk": (Candidate.objects.filter(organization=w.org).first() or candidate(w)).pk}, {}
    if name in ("people-course-edit", "people-course-record"):
        return {"pk": (Course.objects.filter(organization=w.org).first() or course(w)).pk}, {}
    if name in ("people-staff-training", "people-scorecard"):
        return {"pk": w.agent.pk}, {}
    if name in ("people-pulse-detail", "people-pulse-answer", "people-pulse-close"):
        return {"pk": (PulseRound.objects.filter(organization=w.org).first() or pulse(w)).pk}, {}
    return {}, {}


def today() -> date:
    return timezone.localdate()

"""Promises for the tests, built through the same actions the app uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from servicecycle.accounts import actions as accounts
from servicecycle.accounts.models import Customer, Staff
from servicecycle.promises import actions
from servicecycle.promises.models import Promise
from tests.factories import World

# A Monday morning inside the default working hours (Mon-Fri 09:00-18:00 UTC), far from any holiday.
MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def customer(w: World, language: str = "en", email: str = "mia@example.test", name: str = "Mia Tan") -> Customer:
    return accounts.create_customer(
        acting_user=w.admin.user, name=name, email=email, preferred_language=language, consent_contact=True
    )


def draft(w: World, by: Staff | None = None, **kwargs: Any) -> Promise:
    """The warehouse transfer: the agent promises that the Warehouse team moves the goods, due tomorrow."""
    fields: dict[str, Any] = {
        "service_id": w.service.pk,
        "fulfilling_team_id": w.owner_team.pk,
        "text": "Move all the ordered tiles to the north warehouse so they can be picked up in one place.",
        "due_at": timezone.now() + timedelta(days=1),
        "customer_name": "Mia Tan",
        "customer_email": "mia@example.test",
        **kwargs,
    }
    return actions.create_promise(acting_user=(by or w.agent).user, **fields)


def awaiting(w: World, **kwargs: Any) -> Promise:
    return actions.request_confirmation(acting_user=w.agent.user, promise=draft(w, **kwargs))


def confirmed(w: World, **kwargs: Any) -> Promise:
    return actions.confirm(acting_user=w.lead.user, promise=awaiting(w, **kwargs))


def given(w: World, **kwargs: Any) -> Promise:
    return actions.give(acting_user=w.agent.user, promise=confirmed(w, **kwargs))


def fresh(promise: Promise) -> Promise:
    return Promise.objects.get(pk=promise.pk)

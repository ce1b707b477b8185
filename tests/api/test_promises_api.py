"""The promises API: list filters, create with an idempotency key, every step with its version, kept rates."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from servicecycle.core.models import AuditEvent
from servicecycle.promises import actions
from servicecycle.promises.models import Promise, State
from tests.factories import World
from tests.promises import builders

pytestmark = pytest.mark.django_db


def _body(world: World, **changes: Any) -> dict[str, Any]:
    return {
        "service_id": world.service.pk,
        "fulfilling_team_id": world.owner_team.pk,
        "text": "Move the goods to the north warehouse",
        "due_at": (timezone.now() + timedelta(days=1)).isoformat(),
        "customer_name": "Mia Tan",
        "customer_email": "mia@example.com",
        **changes,
    }


def test_create_with_an_idempotency_key_returns_the_same_promise_or_409(world: World, api_for: Any) -> None:
    api = api_for("agent")
    body = _body(world)
    first = api.call("post", "/promises", body, headers={"Idempotency-Key": "abc"})
    assert first.status_code == 201, first.content
    assert first.json()["state"] == "draft" and first.json()["status_url"].startswith("http")
    again = api.call("post", "/promises", body, headers={"Idempotency-Key": "abc"})
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    other = api.call("post", "/promises", {**body, "text": "Something else"}, headers={"Idempotency-Key": "abc"})
    assert other.status_code == 409 and other.json()["field"] == "idempotency_key"
    assert Promise.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"due_at": "2020-01-01T09:00:00+00:00"}, 422, "due_at"),
        ({"fulfilling_team_id": 987654}, 422, "fulfilling_team"),
        ({"service_id": 987654}, 422, "service"),
        ({"due_at": "9999-12-31T23:59:59-23:59"}, 422, "due_at"),
    ],
)
def test_bad_input_answers_422_naming_the_field(
    world: World, api_for: Any, change: dict[str, Any], status: int, field: str
) -> None:
    response = api_for("agent").call("post", "/promises", _body(world, **change))
    assert response.status_code == status, response.content
    assert response.json().get("field") == field
    assert Promise.objects.count() == 0


def test_viewers_cannot_create(world: World, api_for: Any) -> None:
    assert api_for("viewer").call("post", "/promises", _body(world)).status_code == 403


def test_the_whole_journey_through_the_api_with_versions(world: World, api_for: Any) -> None:
    agent, lead = api_for("agent"), api_for("lead")
    promise = agent.call("post", "/promises", _body(world)).json()
    pid = promise["id"]
    asked = agent.call("post", f"/promises/{pid}/request-confirmation", {"version": promise["version"]})
    assert asked.json()["state"] == "awaiting"
    stale = lead.call("post", f"/promises/{pid}/confirm", {"version": promise["version"]})
    assert stale.status_code == 409 and stale.json()["field"] == "version"
    tomorrow = (timezone.now() + timedelta(days=2)).isoformat()
    declined = lead.call(
        "post",
        f"/promises/{pid}/decline",
        {
            "version": asked.json()["version"],
            "reason": "No truck today",
            "alternative_text": "Tomorrow at 9",
            "alternative_due_at": tomorrow,
        },
    )
    assert declined.json()["state"] == "declined", declined.content
    late = lead.call("post", f"/promises/{pid}/confirm", {"version": declined.json()["version"]})
    assert late.status_code == 409 and "already declined" in late.json()["detail"]
    accepted = agent.call("post", f"/promises/{pid}/accept-alternative", {"version": declined.json()["version"]})
    assert (accepted.json()["state"], accepted.json()["text"]) == ("confirmed", "Tomorrow at 9")
    given = agent.call("post", f"/promises/{pid}/give", {"version": accepted.json()["version"]})
    assert given.json()["state"] == "given" and given.json()["given_unconfirmed"] is False
    kept = lead.call("post", f"/promises/{pid}/kept", {"version": given.json()["version"]})
    assert kept.json()["state"] == "kept"
    withdrawn = agent.call("post", f"/promises/{pid}/withdraw", {"version": kept.json()["version"], "reason": "x"})
    assert withdrawn.status_code == 400 and withdrawn.json()["field"] == "state"
    verbs = list(
        AuditEvent.objects.filter(object_type="promises.promise", object_id=pid).values_list("verb", flat=True)
    )
    assert "promise.kept" in verbs and len(verbs) == 6


def test_confirming_a_withdrawn_promise_answers_a_clear_error(world: World, api_for: Any) -> None:
    promise = builders.awaiting(world)
    promise = actions.withdraw(acting_user=world.agent.user, promise=promise, reason="Cancelled")
    response = api_for("lead").call("post", f"/promises/{promise.pk}/confirm", {"version": promise.version})
    assert response.status_code == 400
    assert "Withdrawn" in response.json()["detail"]
    assert builders.fresh(promise).state == State.WITHDRAWN


def test_giving_unconfirmed_and_recovering_a_broken_promise(world: World, api_for: Any) -> None:
    agent = api_for("agent")
    promise = builders.draft(world)
    refused = agent.call("post", f"/promises/{promise.pk}/give", {"version": promise.version})
    assert refused.status_code == 422 and refused.json()["field"] == "unconfirmed_reason"
    given = agent.call(
        "post", f"/promises/{promise.pk}/give", {"version": promise.version, "unconfirmed_reason": "Customer leaving"}
    )
    assert given.json()["given_unconfirmed"] is True
    actions.handle_promise_deadline(promise_id=promise.pk, now=promise.due_at + timedelta(minutes=1))
    broken = agent.call("get", f"/promises/{promise.pk}").json()
    assert broken["state"] == "broken"
    recovered = agent.call(
        "post",
        f"/promises/{promise.pk}/recovery",
        {"version": broken["version"], "recovery": "compensation", "amount": "20.00", "note": "Voucher"},
    )
    assert recovered.status_code == 200, recovered.content
    assert recovered.json()["recovery"] == "compensation"


def test_list_filters_and_pagination(world: World, api_for: Any) -> None:
    soon = builders.awaiting(world, due_at=timezone.now() + timedelta(hours=5))
    builders.draft(world, due_at=timezone.now() + timedelta(days=5))
    builders.draft(world, by=world.lead, fulfilling_team_id=world.other_team.pk)
    api = api_for("viewer")
    every = api.call("get", "/promises").json()
    assert every["count"] == 3
    assert [p["id"] for p in api.call("get", "/promises", state="awaiting").json()["items"]] == [soon.pk]
    assert api.call("get", "/promises", team=world.other_team.pk).json()["count"] == 1
    assert api.call("get", "/promises", promiser=world.agent.pk).json()["count"] == 2
    window = {"due_to": (timezone.now() + timedelta(days=2)).isoformat()}
    assert api.call("get", "/promises", **window).json()["count"] == 2
    assert api.call("get", "/promises", page_size=1, page=2).json()["count"] == 3
    assert len(api.call("get", "/promises", page_size=1, page=2).json()["items"]) == 1
    assert api_for("outsider").call("get", "/promises").json()["count"] == 0
    assert api_for("outsider").call("get", f"/promises/{soon.pk}").status_code == 404


def test_kept_rates_endpoint(world: World, api_for: Any) -> None:
    actions.mark_kept(acting_user=world.lead.user, promise=builders.given(world))
    api = api_for("viewer")
    rows = api.call("get", "/promises/kept-rates", by="team").json()
    assert rows == [
        {
            "key_id": world.owner_team.pk,
            "label": world.owner_team.name,
            "given": 1,
            "kept": 1,
            "broken": 0,
            "unconfirmed": 0,
            "kept_rate": 1.0,
            "unconfirmed_share": 0.0,
            "mean_minutes_to_confirm": rows[0]["mean_minutes_to_confirm"],
        }
    ]
    assert api.call("get", "/promises/kept-rates", by="staff").json()[0]["key_id"] == world.agent.pk
    assert api.call("get", "/promises/kept-rates", by="weather").status_code == 422

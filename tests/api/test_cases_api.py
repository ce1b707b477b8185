"""The case API: listing with filters, creation with an Idempotency-Key, the handling steps with version checks."""

from __future__ import annotations

import json
from typing import Any

from servicecycle.cases.models import Case, CaseMessage
from servicecycle.core.models import AuditEvent
from tests.cases import builders
from tests.factories import World


def _body(world: World, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "complaint",
        "channel": "hotline",
        "service_id": world.service.pk,
        "description": "The caller waited 40 minutes for the technician.",
        "hotline_caller": "Lee Chong",
        "contact_email": "lee@example.com",
        **extra,
    }


def test_create_with_idempotency_key_repeats_safely(world: World, api_for: Any) -> None:
    api = api_for("agent")
    first = api.call("post", "/cases", _body(world), headers={"Idempotency-Key": "crm-4711"})
    assert first.status_code == 201, first.content
    created = first.json()
    assert created["reference"].startswith("C-") and created["status"] == "received"
    assert created["status_url"] and "/c/" in created["status_url"]
    again = api.call("post", "/cases", _body(world), headers={"Idempotency-Key": "crm-4711"})
    assert again.status_code == 200
    assert again.json()["id"] == created["id"] and again.json()["status_url"] is None
    assert Case.objects.count() == 1
    other = api.call(
        "post", "/cases", _body(world, description="Something else"), headers={"Idempotency-Key": "crm-4711"}
    )
    assert other.status_code == 409
    assert "idempotency key" in other.json()["detail"].lower() and other.json()["field"] == "idempotency_key"
    assert Case.objects.count() == 1
    # without a key every request is a new case
    assert api.call("post", "/cases", _body(world)).status_code == 201
    assert Case.objects.count() == 2


def test_create_refuses_bad_input_with_the_field_named(world: World, api_for: Any) -> None:
    api = api_for("agent")
    missing = api.call("post", "/cases", {"kind": "complaint", "channel": "email", "service_id": world.service.pk})
    assert missing.status_code == 422
    assert "description" in json.dumps(missing.json()["errors"])
    foreign = api.call("post", "/cases", _body(world, service_id=world.service.pk + 999))
    assert foreign.status_code == 422 and foreign.json()["field"] == "service"
    naive = api.call("post", "/cases", _body(world, received_at="2026-01-01T10:00:00"))
    assert naive.status_code == 422
    ancient = api.call("post", "/cases", _body(world, received_at="2001-01-01T10:00:00Z"))
    assert ancient.status_code == 422 and ancient.json()["field"] == "received_at"
    assert Case.objects.count() == 0
    assert api_for("viewer").call("post", "/cases", _body(world)).status_code == 403


def test_list_filters_search_and_paginates(world: World, api_for: Any) -> None:
    mine = builders.complaint(world, subject="Broken heater").case
    mine = builders.to_investigating(world, mine)
    builders.complaint(world, subject="Noisy fan", kind="suggestion")
    builders.complaint(world, subject="Lost keys")
    api = api_for("viewer")
    everything = api.call("get", "/cases").json()
    assert everything["count"] == 3
    assert everything["items"][0]["subject"] == "Lost keys"  # newest first
    assert [c["id"] for c in api.call("get", "/cases", assignee=world.agent.pk).json()["items"]] == [mine.pk]
    assert [c["id"] for c in api.call("get", "/cases", status="investigating").json()["items"]] == [mine.pk]
    assert api.call("get", "/cases", kind="suggestion").json()["count"] == 1
    assert api.call("get", "/cases", q="heater").json()["count"] == 1
    assert api.call("get", "/cases", q=mine.reference).json()["items"][0]["id"] == mine.pk
    assert api.call("get", "/cases", team=world.owner_team.pk).json()["count"] == 1
    assert api.call("get", "/cases", page_size=2).json()["count"] == 3
    assert len(api.call("get", "/cases", page_size=2).json()["items"]) == 2
    assert api.call("get", "/cases", status="nonsense").status_code == 422
    # other organizations' cases are not there
    assert api_for("outsider").call("get", "/cases").json()["count"] == 0
    assert api_for("outsider").call("get", f"/cases/{mine.pk}").status_code == 404


def test_the_handling_steps_with_version_checks(world: World, api_for: Any) -> None:
    api = api_for("agent")
    case = api.call("post", "/cases", _body(world)).json()
    path = f"/cases/{case['id']}"
    step = api.call("post", f"{path}/acknowledge", {"version": case["version"]})
    assert step.status_code == 200 and step.json()["status"] == "acknowledged"
    stale = api.call("post", f"{path}/assess", {"version": case["version"], "severity": "major", "priority": "high"})
    assert stale.status_code == 409 and stale.json()["field"] == "version"
    version = step.json()["version"]
    assessed = api.call("post", f"{path}/assess", {"version": version, "severity": "major", "priority": "high"}).json()
    assert (assessed["status"], assessed["priority"], assessed["severity"]) == ("assessed", "high", "major")
    assigned = api.call(
        "post", f"{path}/assign", {"version": assessed["version"], "assignee_id": world.agent.pk}
    ).json()
    assert assigned["status"] == "investigating" and assigned["assignee_id"] == world.agent.pk
    note = api.call("post", f"{path}/messages", {"kind": "internal_note", "body": "Technician was sick."})
    assert note.status_code == 201 and note.json()["kind"] == "internal_note"
    reply = api.call("post", f"{path}/messages", {"kind": "public_reply", "body": "We are sorry for the wait."})
    assert reply.status_code == 201
    messages = api.call("get", f"{path}/messages").json()["items"]
    assert [m["kind"] for m in messages] == ["internal_note", "public_reply"]
    current = api.call("get", path).json()
    decided = api.call("post", f"{path}/decide", {"version": current["version"], "decision": "Refund the call-out fee"})
    assert decided.json()["status"] == "response_decided"
    communicated = api.call("post", f"{path}/communicate", {"version": decided.json()["version"]}).json()
    assert communicated["status"] == "communicated"
    closed = api.call(
        "post",
        f"{path}/close",
        {
            "version": communicated["version"],
            "outcome": "upheld",
            "remedy": "refund",
            "remedy_amount": "35.00",
            "remedy_currency": "eur",
        },
    ).json()
    assert (closed["status"], closed["remedy"], closed["remedy_amount"], closed["remedy_currency"]) == (
        "closed",
        "refund",
        "35.00",
        "EUR",
    )
    reopened = api.call("post", f"{path}/reopen", {"version": closed["version"], "reason": "No refund arrived."})
    assert reopened.json()["status"] == "reopened"
    assert CaseMessage.objects.filter(case_id=case["id"]).count() == 4  # note, reply, response, the reason
    verbs = set(AuditEvent.objects.filter(object_id=case["id"]).values_list("verb", flat=True))
    assert {"case.acknowledged", "case.assessed", "case.assigned", "case.closed", "case.reopened"} <= verbs


def test_steps_in_the_wrong_state_or_role_are_refused(world: World, api_for: Any) -> None:
    case = builders.complaint(world).case
    agent, viewer = api_for("agent"), api_for("viewer")
    wrong = agent.call("post", f"/cases/{case.pk}/close", {"version": case.version, "outcome": "upheld"})
    assert wrong.status_code == 400 and wrong.json()["field"] == "status"
    assert viewer.call("post", f"/cases/{case.pk}/acknowledge", {"version": case.version}).status_code == 403
    assert viewer.call("get", f"/cases/{case.pk}/messages").status_code == 200
    assert viewer.call("post", f"/cases/{case.pk}/messages", {"kind": "internal_note", "body": "x"}).status_code == 403
    assert agent.call("post", f"/cases/{case.pk}/messages", {"kind": "customer", "body": "x"}).status_code == 422
    assert agent.call("post", f"/cases/{case.pk}/acknowledge", {}).status_code == 422  # the version is required
    assert agent.call("post", "/cases/999999/acknowledge", {"version": 1}).status_code == 404
    assert Case.objects.get(pk=case.pk).status == "received"


def test_out_of_range_receipt_times_are_refused_not_crashed(world: World, api_for: Any) -> None:
    api = api_for("agent")
    for value in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"):
        response = api.call("post", "/cases", _body(world, received_at=value))
        assert response.status_code == 422, (value, response.content)
    assert Case.objects.count() == 0

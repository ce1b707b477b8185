from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from servicecycle.accounts import actions as accounts
from servicecycle.catalog.models import Service
from servicecycle.core.models import AuditEvent
from servicecycle.cycles.models import Moment
from tests.factories import World

ENDPOINTS = [
    ("get", "/teams"),
    ("get", "/staff"),
    ("get", "/customers"),
    ("get", "/services"),
    ("post", "/services"),
    ("get", "/services/1/cycle"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_api_without_a_token_answers_401(method: str, path: str, db: None) -> None:
    response = getattr(Client(), method)(f"/api/v1{path}")
    assert response.status_code == 401


def test_api_refuses_forged_and_revoked_tokens(world: World) -> None:
    token, raw = accounts.create_api_token(acting_user=world.admin.user, name="script")
    assert token.key_hash != raw and raw not in token.key_hash  # only the hash is stored
    ok = Client().get("/api/v1/teams", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert ok.status_code == 200
    forged = Client().get("/api/v1/teams", HTTP_AUTHORIZATION=f"Bearer {raw[:-2]}xx")
    assert forged.status_code == 401
    accounts.revoke_api_token(acting_user=world.admin.user, token=token)
    assert Client().get("/api/v1/teams", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_api_lists_only_the_callers_organization(world: World, api_for: Any) -> None:
    mine = api_for("viewer").call("get", "/services").json()
    theirs = api_for("outsider").call("get", "/services").json()
    assert [s["name"] for s in mine["items"]] == ["Delivery"]
    assert theirs == {"items": [], "count": 0}
    assert api_for("outsider").call("get", f"/services/{world.service.pk}").status_code == 404
    assert api_for("outsider").call("get", f"/services/{world.service.pk}/cycle").status_code == 404


def test_api_paginates_and_filters(world: World, api_for: Any) -> None:
    client = api_for("admin")
    for i in range(3):
        client.call(
            "post",
            "/services",
            {"name": f"Extra {i}", "owner_team_id": world.other_team.pk, "category": "Extras"},
        )
    page = client.call("get", "/services", page=1, page_size=2).json()
    assert page["count"] == 4 and len(page["items"]) == 2
    filtered = client.call("get", "/services", category="Extras", sort="-name").json()
    assert [s["name"] for s in filtered["items"]] == ["Extra 2", "Extra 1", "Extra 0"]


@pytest.mark.parametrize(
    ("role", "status"), [("admin", 201), ("manager", 201), ("lead", 403), ("agent", 403), ("viewer", 403)]
)
def test_creating_a_service_follows_the_page_permissions(world: World, api_for: Any, role: str, status: int) -> None:
    response = api_for(role).call("post", "/services", {"name": "New one", "owner_team_id": world.owner_team.pk})
    assert response.status_code == status
    assert Service.objects.filter(name="New one").exists() is (status == 201)


@pytest.mark.parametrize(("role", "status"), [("lead", 201), ("lead_other", 403), ("agent", 403), ("viewer", 403)])
def test_adding_a_moment_follows_the_cycle_permissions(world: World, api_for: Any, role: str, status: int) -> None:
    response = api_for(role).call(
        "post",
        f"/services/{world.service.pk}/cycle/moments",
        {"name": "Signs", "owner_team_id": world.owner_team.pk},
    )
    assert response.status_code == status


def test_moment_with_bad_input_gets_a_422_naming_the_field(world: World, api_for: Any) -> None:
    client = api_for("admin")
    url = f"/services/{world.service.pk}/cycle/moments"
    before = Moment.objects.count()
    empty = client.call("post", url, {"name": "", "owner_team_id": world.owner_team.pk})
    assert empty.status_code == 422 and "name" in json.dumps(empty.json())
    negative = client.call(
        "post",
        url,
        {"name": "X", "owner_team_id": world.owner_team.pk, "target_value": -2, "target_unit": "minutes"},
    )
    assert negative.status_code == 422 and "target_value" in json.dumps(negative.json())
    unknown = client.call("post", url, {"name": "X", "owner_team_id": 987654})
    assert unknown.status_code == 422
    assert unknown.json() == {
        "detail": "Unknown owner team: choose one of your organization's teams.",
        "field": "owner_team",
        "errors": {"owner_team": ["Unknown owner team: choose one of your organization's teams."]},
    }
    assert Moment.objects.count() == before


def test_moment_update_with_a_stale_version_answers_409(world: World, api_for: Any) -> None:
    client = api_for("admin")
    url = f"/services/{world.service.pk}/cycle/moments/{world.moments[0].pk}"
    assert client.call("patch", url, {"version": 1, "name": "First"}).json()["version"] == 2
    stale = client.call("patch", url, {"version": 1, "name": "Second"})
    assert stale.status_code == 409
    assert "Someone else changed this record" in stale.json()["detail"]


def test_cycle_reorder_through_the_api(world: World, api_for: Any) -> None:
    ids = [m.pk for m in reversed(world.moments)]
    response = api_for("manager").call("put", f"/services/{world.service.pk}/cycle/order", {"moment_ids": ids})
    assert response.status_code == 200
    assert [m["id"] for m in response.json()["moments"]] == ids
    assert [m["position"] for m in response.json()["moments"]] == [1, 2, 3]
    assert all(m["health"] is None for m in response.json()["moments"])


def test_offering_decision_through_the_api_is_kept_as_history(world: World, api_for: Any) -> None:
    client = api_for("manager")
    url = f"/services/{world.service.pk}/decisions"
    first = client.call(
        "post", url, {"price_model": "free_period", "free_period_months": 6, "delivery_channel": "own_staff"}
    )
    assert first.status_code == 201
    bad = client.call("post", url, {"price_model": "sold_separately", "delivery_channel": "own_staff"})
    assert bad.status_code == 422 and bad.json()["field"] == "price"
    second = client.call(
        "post",
        url,
        {
            "price_model": "sold_separately",
            "price": "19.90",
            "currency": "eur",
            "delivery_channel": "distributors",
            "partners": ["North Depot"],
        },
    )
    assert second.status_code == 201 and second.json()["currency"] == "EUR"
    history = client.call("get", url).json()
    assert [d["price_model"] for d in history] == ["sold_separately", "free_period"]
    assert history[0]["decided_by"] == str(world.manager)


def test_customer_crud_through_the_api_is_audited(world: World, api_for: Any) -> None:
    client = api_for("agent")
    created = client.call(
        "post", "/customers", {"name": "Rosa Díaz", "email": "rosa@example.com", "preferred_language": "es"}
    )
    assert created.status_code == 201
    cid = created.json()["id"]
    updated = client.call("patch", f"/customers/{cid}", {"version": 1, "phone": "+34 600 000 000"})
    assert updated.json()["phone"] == "+34 600 000 000" and updated.json()["version"] == 2
    assert client.call("get", "/customers", q="rosa").json()["count"] == 1
    bad = client.call("post", "/customers", {"name": "No Mail", "email": "not-an-email"})
    assert bad.status_code == 422
    assert AuditEvent.objects.filter(object_type="accounts.customer", object_id=cid).count() == 2


def test_staff_is_read_only_through_the_api(world: World, api_for: Any) -> None:
    client = api_for("viewer")
    listing = client.call("get", "/staff", role="team_lead").json()
    assert listing["count"] == 2
    assert client.call("post", "/staff", {"email": "x@example.test"}).status_code == 405


def test_openapi_schema_and_docs_are_served(db: None) -> None:
    schema = Client().get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/teams",
        "/api/v1/staff",
        "/api/v1/customers",
        "/api/v1/services",
        "/api/v1/services/{service_id}/decisions",
        "/api/v1/services/{service_id}/cycle",
        "/api/v1/services/{service_id}/cycle/moments",
    ):
        assert path in paths
    docs = Client().get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"/static/ninja/swagger-ui-bundle.js" in docs.content  # vendored, no CDN at run time
    assert b"cdn." not in docs.content


def test_api_answers_429_with_retry_after_beyond_the_rate_limit(
    world: World, api_for: Any, settings: Any, one_rate_window: None
) -> None:
    settings.API_RATE_LIMIT = "3/m"
    agent = api_for("agent")
    statuses = [agent.call("get", "/services").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    response = agent.call("get", "/services")
    assert int(response["Retry-After"]) >= 1
    assert "Too many requests" in response.json()["detail"]
    # another user has their own allowance
    assert api_for("manager").call("get", "/services").status_code == 200

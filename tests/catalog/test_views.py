from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import reverse

from servicecycle.accounts.models import Team
from servicecycle.catalog.models import OfferingDecision, Service
from tests import factories
from tests.factories import World


def _bulk_services(w: World, n: int) -> None:
    """Many services at once: bulk_create for volume (the actions are tested elsewhere)."""
    Service.objects.bulk_create(
        Service(organization=w.org, name=f"Bulk service {i:04d}", owner_team=w.owner_team, category="Bulk")
        for i in range(n)
    )


def test_services_list_query_count_is_the_same_for_10_and_1000_services(
    world: World, client_for: Any, django_assert_num_queries: Any
) -> None:
    client = client_for("viewer")
    _bulk_services(world, 9)
    client.get(reverse("service-list"))
    # 1 session, 1 user, 1 staff+organization, 1 count, 1 page of services (owner team, moment count and
    # current decision in one query), 1 categories, 1 teams for the filter, 3 for the session save
    # (savepoint, update, release)
    with django_assert_num_queries(11):
        client.get(reverse("service-list"))
    Service.objects.bulk_create(
        Service(organization=world.org, name=f"More {i:04d}", owner_team=world.owner_team) for i in range(990)
    )
    assert Service.objects.filter(organization=world.org).count() == 1000
    with django_assert_num_queries(11):
        response = client.get(reverse("service-list"))
    assert "Page 1 of 40" in response.content.decode()


def test_services_list_searches_filters_and_sorts(world: World, client_for: Any) -> None:
    factories.service(world.admin, world.other_team, "Installation", category="Fitting")
    factories.service(world.admin, world.owner_team, "Returns", category="Aftercare", status="paused")
    client = client_for("agent")
    body = client.get(reverse("service-list"), {"q": "instal"}).content.decode()
    assert "Installation" in body and "Returns" not in body
    body = client.get(reverse("service-list"), {"status": "paused"}).content.decode()
    assert "Returns" in body and "Installation" not in body
    body = client.get(reverse("service-list"), {"team": world.other_team.pk}).content.decode()
    assert "Installation" in body and "Delivery" not in body
    body = client.get(reverse("service-list"), {"sort": "-name"}).content.decode()
    assert body.index("Returns") < body.index("Installation") < body.index("Delivery")
    body = client.get(reverse("service-list"), {"q": "nothing like this"}).content.decode()
    assert "No service matches these filters." in body


def test_services_list_answers_htmx_with_only_the_results(world: World, client_for: Any) -> None:
    response = client_for("agent").get(reverse("service-list"), {"q": "Deli"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Delivery" in body and "<html" not in body


def test_services_list_ignores_garbage_filters(world: World, client_for: Any) -> None:
    response = client_for("agent").get(
        reverse("service-list"), {"team": "1 OR 1=1", "status": "'; DROP TABLE", "sort": "x", "page": "zz"}
    )
    assert response.status_code == 200
    assert "Delivery" in response.content.decode()


def test_creating_a_service_leads_to_its_cycle(world: World, client_for: Any) -> None:
    response = client_for("manager").post(
        reverse("service-create"),
        {
            "name": "Gift wrapping",
            "description": "",
            "category": "Extras",
            "owner_team": world.other_team.pk,
            "status": "active",
            "service_share": 40,
        },
    )
    service = Service.objects.get(name="Gift wrapping")
    assert response["Location"] == reverse("cycle", kwargs={"service_id": service.pk})


def test_service_with_an_unknown_owner_team_is_refused(world: World, client_for: Any) -> None:
    foreign = Team.objects.create(organization=world.outsider.organization, name="Elsewhere")
    response = client_for("manager").post(
        reverse("service-create"),
        {
            "name": "Ghost",
            "owner_team": foreign.pk,
            "status": "active",
            "service_share": 40,
        },
    )
    assert "Select a valid choice" in response.content.decode()
    assert not Service.objects.filter(name="Ghost").exists()


def test_decision_form_explains_what_is_missing(world: World, client_for: Any) -> None:
    url = reverse("decision-create", kwargs={"pk": world.service.pk})
    response = client_for("manager").post(
        url,
        {"price_model": "sold_separately", "delivery_channel": "own_staff", "price": "", "currency": "EUR"},
    )
    assert "Enter the price of the service." in response.content.decode()
    response = client_for("manager").post(
        url,
        {
            "price_model": "free_period",
            "delivery_channel": "distributors",
            "free_period_months": "6",
            "partner_names": "",
        },
    )
    assert "Name at least one partner who delivers the service." in response.content.decode()
    assert not OfferingDecision.objects.exists()


def test_decisions_keep_their_history_newest_first(world: World, client_for: Any) -> None:
    client = client_for("manager")
    url = reverse("decision-create", kwargs={"pk": world.service.pk})
    client.post(url, {"price_model": "free_period", "free_period_months": "3", "delivery_channel": "own_staff"})
    client.post(
        url,
        {
            "price_model": "sold_separately",
            "price": "45.00",
            "currency": "gbp",
            "delivery_channel": "third_parties",
            "partner_names": "Fastfit\nQuickfix",
            "rationale": "Peak season",
        },
    )
    body = client.get(reverse("decision-list", kwargs={"pk": world.service.pk})).content.decode()
    assert body.index("Sold separately") < body.index("Free for a period")
    assert "45.00 GBP" in body and "Fastfit, Quickfix" in body
    detail = client.get(reverse("service-detail", kwargs={"pk": world.service.pk})).content.decode()
    assert "decision.recorded" in detail  # the decision is in the service's timeline


def test_the_price_is_written_and_read_in_the_users_language(world: World, client_for: Any) -> None:
    client = client_for("manager")
    client.cookies["django_language"] = "es"
    url = reverse("decision-create", kwargs={"pk": world.service.pk})
    base = {"price_model": "sold_separately", "currency": "EUR", "delivery_channel": "own_staff"}
    client.post(url, {**base, "price": "49,50"})
    assert OfferingDecision.objects.get().price == Decimal("49.50")
    body = client.get(url).content.decode()  # the form starts from the decision in force
    assert 'value="49,50"' in body and 'value="49.50"' not in body
    client.post(url, {**base, "price": "12.75"})  # a point is taken too
    assert OfferingDecision.objects.order_by("-pk").first().price == Decimal("12.75")  # type: ignore[union-attr]
    client.cookies["django_language"] = "en"
    assert 'value="12.75"' in client.get(url).content.decode()

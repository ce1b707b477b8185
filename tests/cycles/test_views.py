from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from servicecycle.cycles import queries, wheel
from servicecycle.cycles.models import Moment
from tests import factories
from tests.factories import World


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _with_moments(w: World, n: int) -> Any:
    svc = factories.service(w.admin, w.owner_team)
    for i in range(n):
        factories.moment(w.admin, svc, owner=w.other_team if i % 2 else w.owner_team, name=f"M{i}")
    return svc


def test_wheel_page_query_count_is_the_same_for_5_and_40_moments(
    world: World, client_for: Any, django_assert_num_queries: Any
) -> None:
    client = client_for("manager")
    small, large = _with_moments(world, 5), _with_moments(world, 40)
    client.get(reverse("cycle", kwargs={"service_id": small.pk}))  # warm the session
    # 1 session, 1 user, 1 staff+organization (permission), 1 service+owner team+organization,
    # 1 moments+owner teams, 3 for the session save (savepoint, update, release: SESSION_SAVE_EVERY_REQUEST),
    # 1 unread notifications (header), and one aggregate per health source (cases, promises, surveys)
    sources = len(queries._HEALTH_SOURCES)
    assert sources == 3
    with django_assert_num_queries(9 + sources):
        client.get(reverse("cycle", kwargs={"service_id": small.pk}))
    with django_assert_num_queries(9 + sources):
        client.get(reverse("cycle", kwargs={"service_id": large.pk}))
    with django_assert_num_queries(9 + sources):
        client.get(reverse("wheel-svg", kwargs={"service_id": large.pk}))


def test_wheel_draws_every_moment_with_a_link_and_an_accessible_name(world: World, client_for: Any) -> None:
    body = client_for("viewer").get(reverse("cycle", kwargs={"service_id": world.service.pk})).content.decode()
    assert body.count('class="segment"') == 3
    assert 'role="img"' in body
    for m in world.moments:
        assert reverse("moment-detail", kwargs={"service_id": world.service.pk, "pk": m.pk}) in body
    assert "Moment 1: Step 1, owned by Warehouse" in body
    assert "<table" in body  # the accessible table view of the same data
    assert 'class="heat"' not in body  # nothing measures the moments yet: no heat ring
    # the team is a narrow band named in the legend; the unmeasured segments themselves stay neutral
    assert body.count('class="team"') == 3
    assert body.count(f'fill="{wheel.UNMEASURED_FILL}" stroke="#fff" stroke-width="2" class="base"') == 3
    assert f'fill="{world.owner_team.color}" stroke="#fff"' not in body
    assert 'class="team-legend"' in body and f"--swatch: {world.owner_team.color}" in body


def test_the_overview_names_the_teams_of_each_wheel(world: World, client_for: Any) -> None:
    body = client_for("viewer").get(reverse("home")).content.decode()
    assert 'class="team-legend compact"' in body
    assert f'<span class="team-swatch" style="--swatch: {world.owner_team.color}" aria-hidden="true"></span>' in body


def test_wheel_svg_download_is_a_standalone_svg(world: World, client_for: Any) -> None:
    response = client_for("viewer").get(reverse("wheel-svg", kwargs={"service_id": world.service.pk}))
    assert response["Content-Type"].startswith("image/svg+xml")
    assert response.content.lstrip().startswith(b"<?xml")
    assert b'xmlns="http://www.w3.org/2000/svg"' in response.content


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "Give the moment of truth a name."),
        ({"target_value": "-3", "target_unit": "minutes"}, "The target cannot be negative."),
        ({"owner_team": "999999"}, "Select a valid choice."),
    ],
)
def test_moment_form_shows_the_error_by_the_field_and_saves_nothing(
    world: World, client_for: Any, data: dict, message: str
) -> None:
    before = Moment.objects.count()
    payload = {"name": "Pays", "owner_team": world.owner_team.pk, "channel": "in_person", **data}
    response = client_for("lead").post(reverse("moment-add", kwargs={"service_id": world.service.pk}), payload)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Moment.objects.count() == before


def test_drag_and_drop_order_is_saved_and_the_editor_is_redrawn(world: World, client_for: Any) -> None:
    ids = [m.pk for m in reversed(world.moments)]
    response = client_for("lead").post(
        reverse("cycle-reorder", kwargs={"service_id": world.service.pk}),
        {"moment": ids},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "<html" not in response.content.decode()  # only the editor fragment
    assert list(world.service.moments.order_by("position").values_list("pk", flat=True)) == ids


def test_reorder_with_a_stale_list_shows_a_message(world: World, client_for: Any) -> None:
    response = client_for("admin").post(
        reverse("cycle-reorder", kwargs={"service_id": world.service.pk}),
        {"moment": [world.moments[0].pk]},
        HTTP_HX_REQUEST="true",
    )
    assert "must list every moment" in response.content.decode()


def test_move_button_without_javascript_redirects_back_to_the_cycle(world: World, client_for: Any) -> None:
    m = world.moments[2]
    response = client_for("admin").post(
        reverse("moment-move", kwargs={"service_id": world.service.pk, "pk": m.pk}), {"direction": "up"}
    )
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.position == 2


def test_moment_page_shows_its_history(world: World, client_for: Any) -> None:
    m = world.moments[0]
    body = (
        client_for("viewer")
        .get(reverse("moment-detail", kwargs={"service_id": world.service.pk, "pk": m.pk}))
        .content.decode()
    )
    assert "moment.added" in body


def test_wheel_coordinates_are_not_localized_in_languages_with_decimal_commas(world: World, client_for: Any) -> None:
    client = client_for("viewer")
    client.cookies["django_language"] = "ru"
    body = client.get(reverse("wheel-svg", kwargs={"service_id": world.service.pk})).content.decode()
    assert 'viewBox="-150 -12 940 664"' in body
    assert 'cx="320.0"' in body and "320,0" not in body


def test_moment_options_lists_the_chosen_services_moments_in_cycle_order(world: World, client_for: Any) -> None:
    client = client_for("viewer")
    body = client.get(reverse("moment-options"), {"service": world.service.pk}).content.decode()
    positions = [body.index(f">{m.position}. {m.name}<") for m in world.moments]
    assert positions == sorted(positions) and body.count("<option") == len(world.moments) + 1
    other_admin = factories.staff(factories.organization("Elsewhere"), "admin")
    foreign = factories.service(other_admin, factories.team(other_admin, "Their team"), "Their service")
    factories.moment(other_admin, foreign, name="Their secret step")
    for service in (str(foreign.pk), "abc", ""):
        body = client.get(reverse("moment-options"), {"service": service}).content.decode()
        assert body.count("<option") == 1 and "Their secret step" not in body  # only "not tied to a moment"

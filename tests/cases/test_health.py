"""Complaints and claims per moment feed the moment health the wheel shows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.urls import reverse
from django.utils import timezone

from servicecycle.cases.reports import complaint_signals
from servicecycle.cycles.queries import moment_health, moments_of
from tests import factories
from tests.cases import builders
from tests.factories import World


def test_badness_is_the_share_of_the_worst_moment_of_the_organization(world: World) -> None:
    first, second, third = world.moments
    for _ in range(4):
        builders.complaint(world, moment_id=first.pk)
    builders.complaint(world, moment_id=second.pk)
    builders.complaint(
        world, kind="claim", moment_id=second.pk, claim_request="refund", contact_email="kim@example.test"
    )
    builders.complaint(world, kind="compliment", moment_id=third.pk)  # not a complaint
    signals = complaint_signals(world.moments)
    assert signals[first.pk]["complaints"].value == 4
    assert signals[first.pk]["complaints"].badness == 1.0
    assert signals[second.pk]["complaints"].value == 2
    assert signals[second.pk]["complaints"].badness == 0.5
    assert signals[third.pk]["complaints"].value == 0  # measured: the service has cases, none complaining here
    assert signals[third.pk]["complaints"].badness == 0.0
    assert signals[first.pk]["complaints"].label == "Complaints (90 days)"
    health = moment_health(moments_of(world.service))
    assert health[first.pk].score == 0.0
    assert health[second.pk].score == 0.5
    assert health[third.pk].score == 1.0


def test_a_service_without_cases_stays_unmeasured(world: World) -> None:
    assert complaint_signals(world.moments) == {}
    assert all(h.score is None for h in moment_health(world.moments).values())


def test_a_case_without_a_moment_still_marks_the_service_as_measured(world: World) -> None:
    builders.complaint(world)
    signals = complaint_signals(world.moments)
    assert {m.pk for m in world.moments} == set(signals)
    assert all(s["complaints"].badness == 0.0 for s in signals.values())


def test_only_the_last_90_days_count(world: World) -> None:
    first = world.moments[0]
    with time_machine.travel(timezone.now() - timedelta(days=91), tick=False):
        builders.complaint(world, moment_id=first.pk)
    assert complaint_signals(world.moments) == {}
    with time_machine.travel(timezone.now() - timedelta(days=89), tick=False):
        builders.complaint(world, moment_id=first.pk)
    assert complaint_signals(world.moments)[first.pk]["complaints"].value == 1


def test_a_single_moment_is_judged_against_its_whole_service(world: World) -> None:
    first, second, _third = world.moments
    for _ in range(2):
        builders.complaint(world, moment_id=first.pk)
    builders.complaint(world, moment_id=second.pk)
    # the moment page asks about one moment only: its badness must match the wheel's
    assert complaint_signals([second])[second.pk]["complaints"].badness == 0.5


def test_one_scale_across_the_services_of_the_organization_and_no_other(world: World) -> None:
    other_service = factories.service(world.admin, world.owner_team, "Installation")
    other_moment = factories.moment(world.admin, other_service, name="Fitting")
    for _ in range(5):
        builders.complaint(world, service_id=other_service.pk, moment_id=other_moment.pk)
    builders.complaint(world, moment_id=world.moments[0].pk)
    outsider_world = factories.world()
    builders.complaint(outsider_world, moment_id=outsider_world.moments[0].pk)
    signals = complaint_signals([*world.moments, other_moment])
    # judged against the worst moment of the whole organization (5 at Fitting), not of its own service
    assert signals[world.moments[0].pk]["complaints"].badness == 0.2
    assert signals[other_moment.pk]["complaints"].value == 5
    assert signals[other_moment.pk]["complaints"].badness == 1.0
    assert outsider_world.moments[0].pk not in signals
    # the wheel of one service alone shows the same figure as the organization-wide set
    assert complaint_signals(world.moments)[world.moments[0].pk]["complaints"].badness == 0.2
    # another organization's worse moment does not change this organization's scale
    for _ in range(9):
        builders.complaint(outsider_world, moment_id=outsider_world.moments[0].pk)
    assert complaint_signals([other_moment])[other_moment.pk]["complaints"].badness == 1.0


def test_one_query_whatever_the_number_of_moments_and_cases(world: World, django_assert_num_queries: Any) -> None:
    for moment in world.moments:
        builders.complaint(world, moment_id=moment.pk)
    with django_assert_num_queries(1):
        complaint_signals(world.moments)


def test_the_wheel_colours_the_moments_and_the_moment_page_explains_the_colour(world: World, client_for: Any) -> None:
    first = world.moments[0]
    for _ in range(3):
        builders.complaint(world, moment_id=first.pk)
    client = client_for("viewer")
    cycle = client.get(reverse("cycle", kwargs={"service_id": world.service.pk})).content.decode()
    assert 'class="heat"' in cycle
    assert "The outer ring shows each moment" in cycle
    detail = client.get(reverse("moment-detail", kwargs={"service_id": world.service.pk, "pk": first.pk}))
    body = detail.content.decode()
    assert "Complaints (90 days)" in body
    assert "0.00" in body  # the worst moment of the service

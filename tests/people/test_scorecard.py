"""Scorecards: promises kept, CSAT of the person's cases and training status, against hand-computed figures,
in a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from servicecycle.cases import actions as case_actions
from servicecycle.people import actions, queries
from servicecycle.people.queries import DUE_SOON, OVERDUE, UP_TO_DATE
from servicecycle.promises import actions as promise_actions
from tests import factories
from tests.cases import builders as case_builders
from tests.factories import World
from tests.people import builders
from tests.promises import builders as promise_builders


def _promises(w: World, kept: int, broken: int) -> None:
    """Promises given by the world's agent: some kept, some broken at their deadline."""
    for _ in range(kept):
        promise_actions.mark_kept(acting_user=w.agent.user, promise=promise_builders.given(w))
    for _ in range(broken):
        promise = promise_builders.given(w)
        promise_actions.handle_promise_deadline(promise_id=promise.pk, now=promise.due_at + timedelta(minutes=1))


def _rated_case(w: World, score: int) -> None:
    """A complaint the agent handled, closed and rated by the customer."""
    created = case_builders.public_complaint(w)
    case_builders.closed(w, created.case)
    assert created.status_token is not None
    case_actions.rate_satisfaction(token=created.status_token, score=score)


def test_scorecard_figures_match_hand_computed(world: World) -> None:
    _promises(world, kept=3, broken=1)
    for score in (5, 4, 2, 1, 5):
        _rated_case(world, score)
    unrated = case_builders.public_complaint(world)
    case_builders.closed(world, unrated.case)  # closed but never rated: not counted
    course = builders.course(world, "Welcome", refresher_months=12)
    actions.record_completions(
        acting_user=world.manager.user,
        course=course,
        staff_ids=[world.agent.pk],
        completed_on=queries.add_months(builders.today(), -12) + timedelta(days=10),  # refresher due in 10 days
    )
    (agent, lead) = queries.scorecards(world.org, [world.agent, world.lead], 90, builders.today())
    assert (agent.given, agent.kept, agent.broken) == (4, 3, 1)
    assert agent.kept_rate == pytest.approx(3 / 4) and agent.kept_percent == 75
    assert (agent.rated, agent.satisfied) == (5, 3)  # 5, 4 and 5 are satisfied
    assert agent.csat == pytest.approx(3 / 5) and agent.csat_percent == 60
    assert agent.csat_mean == pytest.approx((5 + 4 + 2 + 1 + 5) / 5)
    assert agent.training is not None and agent.training.overall == DUE_SOON
    # the lead made no promise and handled no case; the course is required and never taken
    assert (lead.given, lead.kept_rate, lead.rated, lead.csat) == (0, None, 0, None)
    assert lead.training is not None and lead.training.overall == OVERDUE


def test_nothing_required_is_up_to_date(world: World) -> None:
    (line,) = queries.scorecards(world.org, [world.agent], 30, builders.today())
    assert line.training is not None and line.training.overall == UP_TO_DATE and line.training.lines == []


def test_the_scorecard_page_shows_the_figures(world: World, client_for: Any) -> None:
    _promises(world, kept=1, broken=1)
    _rated_case(world, 4)
    page = client_for("agent").get(reverse("people-scorecard", args=[world.agent.pk])).content.decode()
    assert "50 %" in page and "100 %" in page
    assert "1 kept, 1 broken of 2 promises due in the period." in page
    assert client_for("lead").get(reverse("people-scorecard", args=[world.agent.pk])).status_code == 403


def _grow(w: World, n: int) -> None:
    """More staff in the agent's team, each with completions of several courses, promises and rated cases."""
    courses = [
        builders.course(w, f"Course {len(list(w.org.teams.all()))}-{i}-{n}", refresher_months=6) for i in range(2)
    ]
    people = [factories.staff(w.org, "agent", [w.other_team]) for _ in range(n)]
    for course in courses:
        actions.record_completions(
            acting_user=w.manager.user,
            course=course,
            staff_ids=[p.pk for p in people],
            completed_on=builders.today() - timedelta(days=300),
        )
    _promises(w, kept=1, broken=1)
    _rated_case(w, 3)


@pytest.mark.parametrize(
    ("role", "url_name", "args", "most"),
    [
        # about 7 of each are the session, user, staff, notifications and messages of every page
        ("manager", "people-team-scorecard", [], 14),
        ("lead_other", "people-team-scorecard", [], 15),
        ("manager", "people-training-overdue", [], 10),
        ("agent", "people-scorecard", ["agent"], 13),
        ("manager", "people-staff-training", ["agent"], 12),
        ("manager", "people-courses", [], 9),
        ("agent", "people-home", [], 10),
    ],
)
def test_pages_take_the_same_number_of_queries_with_more_data(
    world: World, client_for: Any, role: str, url_name: str, args: list[str], most: int
) -> None:
    client = client_for(role)
    url = reverse(url_name, args=[world.by_role[a].pk for a in args])
    _grow(world, 2)
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _grow(world, 6)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]
    assert len(small) <= most


def test_team_scorecard_filters_by_team_and_lead_sees_only_theirs(world: World, client_for: Any) -> None:
    page = client_for("manager").get(reverse("people-team-scorecard") + f"?team={world.owner_team.pk}")
    body = page.content.decode()
    assert str(world.lead) in body and str(world.agent) not in body
    lead_page = client_for("lead_other").get(reverse("people-team-scorecard")).content.decode()
    assert f'data-staff="{world.agent.pk}"' in lead_page and f'data-staff="{world.lead_other.pk}"' in lead_page
    assert f'data-staff="{world.lead.pk}"' not in lead_page
    # a lead cannot pick another team: the filter falls back to their own people
    other = client_for("lead_other").get(reverse("people-team-scorecard") + f"?team={world.owner_team.pk}")
    assert f'data-staff="{world.lead.pk}"' not in other.content.decode()

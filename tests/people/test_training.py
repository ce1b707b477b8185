"""Refresher dates, course status and the overdue list."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from servicecycle.people import actions, queries
from servicecycle.people.queries import DUE_SOON, MISSING, OVERDUE, UP_TO_DATE
from tests.factories import World
from tests.people import builders


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),  # a shorter month: its last day
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2024, 2, 29), 12, date(2025, 2, 28)),  # 29 February, a year on
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2025, 3, 31), 1, date(2025, 4, 30)),
        (date(2025, 11, 15), 2, date(2026, 1, 15)),  # across the year end
        (date(2025, 12, 31), 12, date(2026, 12, 31)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),  # backwards too
    ],
)
def test_add_months_keeps_the_day_or_takes_the_months_last(day: date, months: int, expected: date) -> None:
    assert queries.add_months(day, months) == expected


def test_no_interval_means_no_refresher() -> None:
    assert queries.refresher_due(date(2020, 1, 1), None) is None
    assert queries.refresher_due(None, 12) is None
    assert queries.course_status(date(2010, 1, 1), None, date(2026, 1, 1)) == (UP_TO_DATE, None)
    assert queries.course_status(None, None, date(2026, 1, 1)) == (MISSING, None)


def test_status_around_the_due_date() -> None:
    done = date(2025, 1, 31)  # refresher every 12 months: due 31 January 2026
    due = date(2026, 1, 31)
    assert queries.course_status(done, 12, due) == (DUE_SOON, due)  # due today: not yet overdue
    assert queries.course_status(done, 12, due + timedelta(days=1)) == (OVERDUE, due)
    assert queries.course_status(done, 12, due - timedelta(days=30)) == (DUE_SOON, due)
    assert queries.course_status(done, 12, due - timedelta(days=31)) == (UP_TO_DATE, due)


def _days_ago(n: int) -> date:
    return builders.today() - timedelta(days=n)


def test_overdue_list_front_line_first_missing_and_past_refreshers(world: World) -> None:
    welcome = builders.course(world, "Welcome", front_line_only=True, refresher_months=12)
    safety = builders.course(world, "Safety", refresher_months=1)
    builders.course(world, "Retired one").delete()  # gone courses count for nobody
    manager = world.manager.user
    # the agent took the welcome course long ago (refresher past due) and safety recently
    actions.record_completions(
        acting_user=manager, course=welcome, staff_ids=[world.agent.pk], completed_on=_days_ago(400)
    )
    actions.record_completions(
        acting_user=manager, course=safety, staff_ids=[world.agent.pk], completed_on=_days_ago(3)
    )
    # the manager took safety two months ago: past its monthly refresher; welcome is not required of them
    actions.record_completions(
        acting_user=manager, course=safety, staff_ids=[world.manager.pk], completed_on=_days_ago(62)
    )
    # the lead took both, but failed the welcome course: a failed attempt does not count
    actions.record_completions(
        acting_user=manager, course=welcome, staff_ids=[world.lead.pk], completed_on=_days_ago(2), passed=False
    )
    actions.record_completions(acting_user=manager, course=safety, staff_ids=[world.lead.pk], completed_on=_days_ago(2))
    rows = queries.overdue_list(world.manager, builders.today())
    found = [(str(r.staff), r.course.name, r.status) for r in rows]
    front = [f for f in found if f[0] in {str(world.agent), str(world.lead), str(world.lead_other)}]
    assert found[: len(front)] == front, "the front line comes first"
    assert (str(world.agent), "Welcome", OVERDUE) in found
    assert (str(world.agent), "Safety", OVERDUE) not in found
    assert (str(world.lead), "Welcome", MISSING) in found
    assert (str(world.lead_other), "Welcome", MISSING) in found
    assert (str(world.manager), "Safety", OVERDUE) in found
    assert (str(world.manager), "Welcome", MISSING) not in found  # front line only
    assert all(r.staff.pk != world.viewer.pk for r in rows), "viewers take no courses"
    agent_row = next(r for r in rows if r.staff.pk == world.agent.pk)
    assert agent_row.due == queries.add_months(_days_ago(400), 12)
    assert agent_row.days_overdue == (builders.today() - agent_row.due).days


def test_a_team_lead_sees_only_their_teams(world: World) -> None:
    builders.course(world, "Welcome", front_line_only=True)
    rows = queries.overdue_list(world.lead_other, builders.today())
    assert {r.staff.pk for r in rows} == {world.agent.pk, world.lead_other.pk}


def test_the_latest_counted_completion_sets_the_refresher(world: World) -> None:
    course = builders.course(world, "Safety", refresher_months=6)
    for days in (500, 20):
        actions.record_completions(
            acting_user=world.manager.user, course=course, staff_ids=[world.agent.pk], completed_on=_days_ago(days)
        )
    status = queries.training_statuses([world.agent], [course], builders.today())[world.agent.pk]
    assert status.lines[0].completed_on == _days_ago(20)
    assert status.overall == UP_TO_DATE


def test_the_next_refresher_is_one_still_ahead(world: World) -> None:
    old = builders.course(world, "Safety", refresher_months=1)
    later = builders.course(world, "Welcome", refresher_months=12)
    for course, days in ((old, 90), (later, 10)):
        actions.record_completions(
            acting_user=world.manager.user, course=course, staff_ids=[world.agent.pk], completed_on=_days_ago(days)
        )
    status = queries.training_statuses([world.agent], [old, later], builders.today())[world.agent.pk]
    assert status.overall == OVERDUE
    assert status.next_due == queries.add_months(_days_ago(10), 12)  # not the overdue safety refresher

"""The per-day kept-rate summary (promises/figures.py) stays equal to a recount after every write.

``assert_exact`` recounts the summary from the promises in plain Python (its own rules, not the app's queries)
and compares every row: day in the organization's time zone, dimension, key and every figure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from servicecycle.promises import actions, figures, queries
from servicecycle.promises.models import Promise, PromiseFigures, State
from tests.factories import World
from tests.promises import builders

pytestmark = pytest.mark.django_db

KEYS = {"team": "fulfilling_team_id", "staff": "promiser_id", "service": "service_id", "moment": "moment_id"}
Row = tuple[int, int, int, int, int, int]


def recount(organization_id: int) -> dict[tuple[date, str, int], Row]:
    """The summary as it must be, from the promises themselves, by a plain loop."""
    from servicecycle.accounts.models import Organization

    zone = ZoneInfo(Organization.objects.get(pk=organization_id).time_zone)
    sums: dict[tuple[date, str, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    for p in Promise.objects.filter(organization_id=organization_id):
        if p.state == State.DRAFT:
            continue
        if p.state == State.WITHDRAWN and p.requested_at is None and p.given_at is None:
            continue
        day = p.due_at.astimezone(zone).date()
        for dimension, key in KEYS.items():
            key_id = getattr(p, key)
            if key_id is None:
                continue
            row = sums[(day, dimension, key_id)]
            row[0] += p.given_at is not None
            row[1] += p.state == State.KEPT
            row[2] += p.state == State.BROKEN
            row[3] += p.given_unconfirmed
            if p.requested_at is not None and p.confirmed_at is not None:
                row[4] += (p.confirmed_at - p.requested_at) // timedelta(microseconds=1)
                row[5] += 1
    return {k: (v[0], v[1], v[2], v[3], v[4], v[5]) for k, v in sums.items()}


def stored(organization_id: int) -> dict[tuple[date, str, int], Row]:
    return {
        (f.day, f.dimension, f.key_id): (
            f.given,
            f.kept,
            f.broken,
            f.unconfirmed,
            f.confirm_microseconds,
            f.confirm_count,
        )
        for f in PromiseFigures.objects.filter(organization_id=organization_id)
    }


def assert_exact(world: World, when: str = "") -> None:
    assert stored(world.org.pk) == recount(world.org.pk), when


def _local(world: World, day_offset: int, hour: int, minute: int = 0) -> datetime:
    """An instant on the organization's wall clock, ``day_offset`` days after today."""
    zone = ZoneInfo(world.org.time_zone)
    day = timezone.now().astimezone(zone).date() + timedelta(days=day_offset)
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def _in_zone(world: World, name: str) -> None:
    world.org.time_zone = name
    world.org.save(update_fields=["time_zone"])


# Every write path ------------------------------------------------------------------------------------------


def _walk(world: World) -> list[str]:
    """Every step of ``actions.TRANSITIONS`` (and the deadline's break and postpone), with the summary compared
    to a recount after each; due times next to local midnight, moved across days. Returns the steps done."""
    agent, lead = world.agent.user, world.lead.user
    done: list[str] = []

    def step(name: str, run: Callable[[], Any]) -> Any:
        result = run()
        done.append(name)
        assert_exact(world, f"after {name}")
        return result

    late = _local(world, 2, 23, 50)  # ten minutes before a local midnight
    first = step("create", lambda: builders.draft(world, due_at=late, moment_id=world.moments[0].pk))
    first = step("request_confirmation", lambda: actions.request_confirmation(acting_user=agent, promise=first))
    alternative = _local(world, 3, 0, 10)  # the next local day
    first = step(
        "decline",
        lambda: actions.decline(
            acting_user=lead,
            promise=first,
            reason="No van",
            alternative_text="Thursday",
            alternative_due_at=alternative,
        ),
    )
    first = step("accept_alternative", lambda: actions.accept_alternative(acting_user=agent, promise=first))
    assert Promise.objects.get(pk=first.pk).due_at == alternative
    first = step("give", lambda: actions.give(acting_user=agent, promise=first))
    step("mark_kept", lambda: actions.mark_kept(acting_user=agent, promise=first))

    second = builders.awaiting(world, due_at=_local(world, 2, 0, 5), by=world.lead)
    second = step("confirm", lambda: actions.confirm(acting_user=world.lead.user, promise=second))
    second = actions.give(acting_user=world.lead.user, promise=second)
    step(
        "break", lambda: actions.handle_promise_deadline(promise_id=second.pk, now=second.due_at + timedelta(minutes=1))
    )
    broken = Promise.objects.select_related("organization").get(pk=second.pk)
    step(
        "record_recovery",
        lambda: actions.record_recovery(
            acting_user=world.lead.user, promise=broken, recovery="new_date", new_due_at=_local(world, 9, 12)
        ),
    )

    third = builders.awaiting(world, due_at=_local(world, 1, 12), fulfilling_team_id=world.other_team.pk)
    step("withdraw", lambda: actions.withdraw(acting_user=agent, promise=third, reason="Customer cancelled"))
    unconfirmed = builders.draft(world, due_at=_local(world, 4, 8))
    step("give", lambda: actions.give(acting_user=agent, promise=unconfirmed, unconfirmed_reason="In a hurry"))

    # the sweep postpones a promise it failed on: its due time moves, possibly to the next local day
    fourth = builders.confirmed(world, due_at=_local(world, 1, 23, 58))
    step("postpone", lambda: actions.postpone(fourth.pk, fourth.due_at + timedelta(minutes=1)))
    assert figures.local_day(Promise.objects.get(pk=fourth.pk).due_at, ZoneInfo(world.org.time_zone)) != (
        figures.local_day(fourth.due_at, ZoneInfo(world.org.time_zone))
    )
    return done


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Auckland", "America/Los_Angeles"])
def test_the_summary_equals_a_recount_after_every_step(world: World, zone: str) -> None:
    _in_zone(world, zone)
    done = _walk(world)
    # a new step in actions.TRANSITIONS must be walked here too (and so checked against the recount)
    assert set(actions.TRANSITIONS) <= set(done), set(actions.TRANSITIONS) - set(done)
    assert {"break", "postpone"} <= set(done)
    assert PromiseFigures.objects.filter(organization=world.org, dimension="moment").exists()


def test_a_rolled_back_write_leaves_the_summary_as_it_was(world: World) -> None:
    promise = builders.given(world)
    before = stored(world.org.pk)
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.mark_kept(acting_user=world.agent.user, promise=promise)
        assert stored(world.org.pk) != before  # refreshed inside the transaction...
        raise RuntimeError("the request failed later on")
    assert stored(world.org.pk) == before  # ...and rolled back with it
    assert_exact(world)


@pytest.mark.django_db(transaction=True)
def test_refreshing_outside_a_transaction_is_refused(world: World) -> None:
    assert not connection.in_atomic_block
    with pytest.raises(RuntimeError):
        figures.refresh_figures(world.org, [date(2026, 3, 2)])


def test_days_follow_the_organizations_midnight(world: World) -> None:
    """Two promises four hours apart in UTC fall on different days in Auckland, on the same day in UTC."""
    _in_zone(world, "Pacific/Auckland")
    zone = ZoneInfo("Pacific/Auckland")
    before_midnight = _local(world, 3, 22)
    after_midnight = before_midnight + timedelta(hours=4)
    for due in (before_midnight, after_midnight):
        actions.mark_kept(acting_user=world.agent.user, promise=builders.given(world, due_at=due))
    assert_exact(world)
    days = set(PromiseFigures.objects.filter(organization=world.org).values_list("day", flat=True))
    assert days == {before_midnight.date(), after_midnight.astimezone(zone).date()}
    team = world.owner_team.pk
    # "since" counts the promises due on or after the local day of the instant given
    assert [r.kept for r in queries.kept_rates(world.org, since=after_midnight.astimezone(UTC))] == [1]
    assert [r.kept for r in queries.kept_rates(world.org, since=before_midnight.date())] == [2]
    assert [r.key_id for r in queries.kept_rates(world.org, since=after_midnight.date() + timedelta(days=1))] == []
    assert queries.kept_rates(world.org)[0].key_id == team


# Repairs ---------------------------------------------------------------------------------------------------


def test_rows_written_outside_the_app_are_repaired(world: World) -> None:
    soon = builders.given(world, due_at=_local(world, 1, 12))
    later = builders.given(world, due_at=_local(world, 40, 12))
    # manual SQL: the summary does not know
    Promise.objects.filter(pk__in=[soon.pk, later.pk]).update(state=State.KEPT)
    assert stored(world.org.pk) != recount(world.org.pk)
    # the daily reconciliation recounts recent days and the days of recently updated promises
    assert figures.reconcile_recent() >= 5
    assert_exact(world)
    PromiseFigures.objects.all().delete()
    out = StringIO()
    call_command("rebuild_promise_figures", organization=world.org.slug, stdout=out)
    assert "summary rows" in out.getvalue()
    assert_exact(world)
    # a row for a day without any promise any more goes away on a rebuild
    PromiseFigures.objects.create(organization=world.org, day=date(2020, 1, 1), dimension="team", key_id=1, kept=9)
    figures.rebuild_figures()
    assert_exact(world)


def test_the_reconciliation_is_a_registered_daily_task() -> None:
    from servicecycle.core import periodic
    from servicecycle.promises import tasks

    found = {p.name: p.every for p in periodic.registered()}
    assert found[tasks.reconcile_promise_figures.module_path] == timedelta(days=1)


# Reads -------------------------------------------------------------------------------------------------------


def test_the_scorecard_sums_the_summary_in_three_queries(world: World, django_assert_num_queries: Any) -> None:
    for _ in range(2):
        actions.mark_kept(acting_user=world.agent.user, promise=builders.given(world))
    broken = builders.given(world)
    actions.handle_promise_deadline(promise_id=broken.pk, now=broken.due_at + timedelta(minutes=1))
    with django_assert_num_queries(3):  # the person's figures, the organization's rate, the latest promises
        card = queries.staff_scorecard(world.agent)
    assert (card.figures.given, card.figures.kept, card.figures.broken) == (3, 2, 1)
    assert card.organization_kept_rate == pytest.approx(2 / 3)
    assert card.figures.median_or_mean_minutes_to_confirm is not None


@pytest.mark.parametrize("count", [2, 12])
def test_the_scorecard_page_reads_the_same_number_of_queries_whatever_the_count(
    world: World, client_for: Any, django_assert_num_queries: Any, count: int
) -> None:
    for i in range(count):
        actions.mark_kept(acting_user=world.agent.user, promise=builders.given(world, due_at=_local(world, 1 + i, 12)))
    client = client_for("agent")
    url = reverse("staff-scorecard", kwargs={"pk": world.agent.pk})
    client.get(url)  # warm the session
    # session, user, staff + organization, the person, unread notifications (header bell), the scorecard's three
    # queries, and the session saved on every request (savepoint, update, release)
    with django_assert_num_queries(11):
        assert client.get(url).status_code == 200


def test_the_dashboard_names_its_first_local_day(world: World, client_for: Any) -> None:
    _in_zone(world, "Pacific/Auckland")
    with time_machine.travel(datetime(2026, 3, 2, 12, 0, tzinfo=UTC), tick=False):  # 3 March, 01:00 in Auckland
        body = client_for("manager").get(reverse("promise-dashboard") + "?since=30").content.decode()
        assert "Pacific/Auckland" in body
        assert "Feb. 1, 2026" in body or "1 February 2026" in body or "February 1, 2026" in body
        everything = client_for("manager").get(reverse("promise-dashboard") + "?since=all").content.decode()
        assert "Counting every promise" in everything


def test_a_new_time_zone_recounts_the_days(world: World) -> None:
    """Kept at 22:00 UTC: that is the next day in Auckland, so moving the organization there moves the figures."""
    from servicecycle.accounts import actions as accounts

    due = datetime.combine(timezone.now().date() + timedelta(days=3), time(22), tzinfo=UTC)
    actions.mark_kept(acting_user=world.agent.user, promise=builders.given(world, due_at=due))
    assert set(PromiseFigures.objects.filter(organization=world.org).values_list("day", flat=True)) == {due.date()}
    accounts.update_organization(acting_user=world.admin.user, organization=world.org, time_zone="Pacific/Auckland")
    days = set(PromiseFigures.objects.filter(organization=world.org).values_list("day", flat=True))
    assert days == {due.astimezone(ZoneInfo("Pacific/Auckland")).date()}
    assert_exact(world)

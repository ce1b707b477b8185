"""Reads of promises: access, lists, the kept-rate figures (one query, equal to a plain recount) and moment health."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.http import Http404
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicecycle.core.changes import hash_token
from servicecycle.core.errors import PermissionDenied
from servicecycle.cycles.queries import moment_health
from servicecycle.promises import actions, figures, queries
from servicecycle.promises.models import Promise, State
from tests import factories
from tests.factories import World
from tests.promises import builders

pytestmark = pytest.mark.django_db


def test_staff_of_another_organization_get_a_404(world: World) -> None:
    promise = builders.draft(world)
    assert queries.get_promise_for_user(world.viewer.user, promise.pk) == promise
    for bad in (world.outsider.user, None):
        with pytest.raises(Http404):
            queries.get_promise_for_user(bad, promise.pk)
    with pytest.raises(Http404):
        queries.get_promise_for_user(world.agent.user, "nope")
    with pytest.raises(Http404):
        queries.get_promise_for_user(world.agent.user, 2**70)


def test_viewers_read_but_may_not_write(world: World) -> None:
    promise = builders.draft(world)
    with pytest.raises(PermissionDenied):
        queries.get_promise_for_user(world.viewer.user, promise.pk, write=True)
    assert queries.get_promise_for_user(world.agent.user, promise.pk, write=True) == promise


def test_scopes_mine_team_and_all(world: World) -> None:
    by_agent = builders.draft(world)
    by_lead_for_counter = builders.draft(world, by=world.lead, fulfilling_team_id=world.other_team.pk)
    agent = world.agent.user
    assert list(queries.promises_for_user(agent, scope="mine")) == [by_agent]
    assert list(queries.promises_for_user(agent, scope="team")) == [by_lead_for_counter]  # the agent is on Counter
    assert set(queries.promises_for_user(agent, scope="all")) == {by_agent, by_lead_for_counter}
    assert list(queries.promises_for_user(world.outsider.user, scope="all")) == []
    assert list(queries.promises_for_user(agent, scope="all", search="TILES")) == [by_agent, by_lead_for_counter]
    assert list(queries.promises_for_user(agent, scope="all", search="nothing like it")) == []
    assert list(queries.promises_for_user(agent, scope="all", state=State.AWAITING)) == []


def test_confirmation_requests_are_those_of_the_users_teams(world: World) -> None:
    waiting = builders.awaiting(world)
    builders.draft(world)
    assert list(queries.confirmation_requests_for(world.lead.user)) == [waiting]
    assert list(queries.confirmation_requests_for(world.lead_other.user)) == []


def test_a_forged_status_token_is_a_404(world: World) -> None:
    promise = builders.draft(world)
    assert queries.get_promise_by_token(actions.status_token(promise)) == promise
    for forged in ("", "x" * 43, actions.status_token(promise)[:-1], "a" * 500):
        with pytest.raises(Http404):
            queries.get_promise_by_token(forged)
    assert promise.status_token_hash == hash_token(actions.status_token(promise))


def test_promises_of_a_case(world: World) -> None:
    from tests.cases import builders as case_builders

    case = case_builders.complaint(world).case
    on_case = builders.draft(world, case_id=case.pk)
    builders.draft(world)
    assert list(queries.promises_for_case(case)) == [on_case]


# Kept-rate figures -----------------------------------------------------------------------------------------


def _resolved_spread(world: World) -> None:
    """Two kept and one broken promise by the agent for Warehouse, one kept by the lead for Counter."""
    base = timezone.now()
    for _ in range(2):
        actions.mark_kept(acting_user=world.agent.user, promise=builders.given(world, moment_id=world.moments[0].pk))
    broken = builders.given(world, moment_id=world.moments[0].pk, due_at=base + timedelta(hours=1))
    actions.handle_promise_deadline(promise_id=broken.pk, now=base + timedelta(hours=2))
    counter = builders.draft(world, by=world.lead, fulfilling_team_id=world.other_team.pk)
    counter = actions.give(acting_user=world.lead.user, promise=counter, unconfirmed_reason="The customer was leaving")
    actions.mark_kept(acting_user=world.lead.user, promise=counter)
    builders.draft(world)  # a draft is not counted


@pytest.mark.parametrize("by", ["team", "staff", "service", "moment"])
def test_each_kept_rate_table_is_one_query(world: World, django_assert_num_queries: Any, by: str) -> None:
    _resolved_spread(world)
    # one query: SELECT key, label, COUNT(...) FILTER ..., AVG(...) FROM promise JOIN <label table> GROUP BY key
    with django_assert_num_queries(1):
        rates = queries.kept_rates(world.org, by=by)
    assert sum(r.kept for r in rates) + sum(r.broken for r in rates) == (4 if by != "moment" else 3)


def test_kept_rates_by_team_and_staff(world: World) -> None:
    _resolved_spread(world)
    by_team = {r.key_id: r for r in queries.kept_rates(world.org, by="team")}
    warehouse = by_team[world.owner_team.pk]
    assert (warehouse.given, warehouse.kept, warehouse.broken, warehouse.unconfirmed) == (3, 2, 1, 0)
    assert warehouse.kept_rate == pytest.approx(2 / 3)
    assert warehouse.unconfirmed_share == 0
    assert warehouse.median_or_mean_minutes_to_confirm is not None
    counter = by_team[world.other_team.pk]
    assert (counter.given, counter.kept, counter.unconfirmed, counter.unconfirmed_share) == (1, 1, 1, 1.0)
    assert counter.median_or_mean_minutes_to_confirm is None
    by_staff = {r.key_id: r for r in queries.kept_rates(world.org, by="staff")}
    assert by_staff[world.agent.pk].label == str(world.agent)
    assert by_staff[world.lead.pk].kept_rate == 1.0
    assert queries.kept_rates(world.outsider.organization, by="team") == []
    with pytest.raises(ValueError):
        queries.kept_rates(world.org, by="weather")


def test_staff_scorecard(world: World) -> None:
    _resolved_spread(world)
    card = queries.staff_scorecard(world.agent)
    assert (card.figures.kept, card.figures.broken, card.figures.given) == (2, 1, 3)
    assert card.organization_kept_rate == pytest.approx(3 / 4)
    assert len(card.recent) == 4  # the draft is among the person's latest promises


STATES = list(State.values)
ZONES = ["UTC", "Pacific/Auckland", "America/Los_Angeles", "America/Santiago", "Asia/Kolkata"]


@st.composite
def promise_rows(draw: Any) -> list[dict[str, Any]]:
    return draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "team": st.integers(0, 1),
                    "staff": st.integers(0, 2),
                    "moment": st.sampled_from([None, 0, 1, 2]),
                    "state": st.sampled_from(STATES),
                    "given": st.booleans(),
                    "unconfirmed": st.booleans(),
                    "requested_after": st.one_of(st.none(), st.integers(0, 5000)),
                    "confirm_minutes": st.one_of(st.none(), st.integers(0, 3000)),
                    "due_days": st.integers(-60, 30),
                    "due_minutes": st.integers(0, 24 * 60 - 1),
                }
            ),
            max_size=25,
        )
    )


def _recount(promises: list[Promise], key: str, since: date | None, zone: ZoneInfo) -> dict[int, tuple[Any, ...]]:
    """The same figures by a plain loop over the rows (``since``: the first local due day counted)."""
    groups: dict[int, list[Promise]] = defaultdict(list)
    for p in promises:
        if p.state == State.DRAFT:
            continue
        if p.state == State.WITHDRAWN and p.requested_at is None and p.given_at is None:
            continue
        if since is not None and p.due_at.astimezone(zone).date() < since:
            continue
        group = getattr(p, key)
        if group is not None:
            groups[group].append(p)
    out = {}
    for group, rows in groups.items():
        given = sum(1 for p in rows if p.given_at is not None)
        kept = sum(1 for p in rows if p.state == State.KEPT)
        broken = sum(1 for p in rows if p.state == State.BROKEN)
        unconfirmed = sum(1 for p in rows if p.given_unconfirmed)
        waits = [
            (p.confirmed_at - p.requested_at).total_seconds() / 60
            for p in rows
            if p.confirmed_at is not None and p.requested_at is not None
        ]
        out[group] = (
            given,
            kept,
            broken,
            unconfirmed,
            kept / (kept + broken) if kept + broken else None,
            unconfirmed / given if given else None,
            round(sum(waits) / len(waits), 1) if waits else None,
        )
    return out


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])  # rows reset per input
@given(rows=promise_rows(), use_since=st.booleans(), zone_name=st.sampled_from(ZONES))
def test_kept_rates_equal_a_plain_recount(
    world: World, rows: list[dict[str, Any]], use_since: bool, zone_name: str
) -> None:
    """Rows bulk inserted (bypassing the actions), the summary rebuilt, then the figures read from the summary
    equal a plain loop over the rows, in any time zone, with or without a first due day."""
    Promise.objects.all().delete()
    world.org.time_zone = zone_name
    world.org.save(update_fields=["time_zone"])
    zone = ZoneInfo(zone_name)
    teams = [world.owner_team, world.other_team]
    staff = [world.agent, world.lead, world.manager]
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    made = []
    for i, row in enumerate(rows):
        requested = now - timedelta(minutes=row["requested_after"]) if row["requested_after"] is not None else None
        confirmed = (
            requested + timedelta(minutes=row["confirm_minutes"])
            if requested is not None and row["confirm_minutes"] is not None
            else None
        )
        made.append(
            Promise(
                organization=world.org,
                promiser=staff[row["staff"]],
                service=world.service,
                moment=world.moments[row["moment"]] if row["moment"] is not None else None,
                fulfilling_team=teams[row["team"]],
                text=f"promise {i}",
                due_at=now + timedelta(days=row["due_days"], minutes=row["due_minutes"]),
                state=row["state"],
                requested_at=requested,
                confirmed_at=confirmed,
                given_at=now if row["given"] else None,
                given_unconfirmed=row["unconfirmed"],
                unconfirmed_reason="in a hurry" if row["unconfirmed"] else "",
                status_token_hash=f"h{i}-{id(rows)}",
            )
        )
    Promise.objects.bulk_create(made)
    figures.rebuild_figures(world.org.pk)
    since_instant = now - timedelta(days=20) if use_since else None
    since = since_instant.astimezone(zone).date() if since_instant is not None else None
    for by, key in (("team", "fulfilling_team_id"), ("staff", "promiser_id"), ("moment", "moment_id")):
        got = {
            r.key_id: (
                r.given,
                r.kept,
                r.broken,
                r.unconfirmed,
                r.kept_rate,
                r.unconfirmed_share,
                r.median_or_mean_minutes_to_confirm,
            )
            for r in queries.kept_rates(world.org, by=by, since=since_instant)
        }
        expected = _recount(made, key, since, zone)
        assert got.keys() == expected.keys()
        for group, counted in expected.items():
            assert got[group][:4] == counted[:4]
            for mine, theirs in zip(got[group][4:], counted[4:], strict=True):
                assert (mine is None) == (theirs is None)
                if mine is not None:
                    assert mine == pytest.approx(theirs, abs=0.051)


# Moment health -----------------------------------------------------------------------------------------------


def test_broken_promises_feed_the_moment_health_in_one_query(world: World, django_assert_num_queries: Any) -> None:
    _resolved_spread(world)
    moments = world.moments
    with django_assert_num_queries(1):
        signals = queries.broken_promises_health(moments)
    assert set(signals) == {moments[0].pk}
    signal = signals[moments[0].pk]["broken_promises"]
    assert signal.value == pytest.approx(1 / 3) and signal.badness == pytest.approx(1 / 3)
    health = moment_health(moments)
    assert health[moments[0].pk].components["broken_promises"] == signal
    assert health[moments[1].pk].components.get("broken_promises") is None


def test_promises_resolved_long_ago_do_not_count_for_health(world: World) -> None:
    old = timezone.now() - timedelta(days=200)
    import time_machine

    with time_machine.travel(old, tick=False):
        actions.mark_kept(acting_user=world.agent.user, promise=builders.given(world, moment_id=world.moments[1].pk))
    assert queries.broken_promises_health(world.moments) == {}


def test_health_and_evidence_count_the_same_promises_at_the_window_edge(world: World) -> None:
    """The figure (a sum over the per-day summary) and the evidence page (the promises themselves) take the same
    promises: due on or after the first day of the window in the organization's zone, kept or broken."""
    import time_machine

    world.org.time_zone = "Asia/Kuala_Lumpur"  # UTC+8: the local due day differs from the UTC one at night
    world.org.save(update_fields=["time_zone"])
    figures.rebuild_figures(world.org.pk)
    moment = world.moments[1]
    first = queries.health_first_day()
    zone = ZoneInfo("Asia/Kuala_Lumpur")
    inside = datetime(first.year, first.month, first.day, 0, 30, tzinfo=zone)  # the window's first local day
    outside = inside - timedelta(hours=1)  # 23:30 local the day before (15:30 UTC, a day inside in UTC terms)
    with time_machine.travel(inside - timedelta(days=2), tick=False):
        broken = builders.given(world, moment_id=moment.pk, due_at=inside)
    with time_machine.travel(inside + timedelta(hours=2), tick=False):
        actions.handle_promise_deadline(promise_id=broken.pk, now=inside + timedelta(hours=2))
    with time_machine.travel(outside - timedelta(days=2), tick=False):
        actions.mark_kept(
            acting_user=world.agent.user, promise=builders.given(world, moment_id=moment.pk, due_at=outside)
        )
    states = sorted(Promise.objects.filter(moment=moment).values_list("state", flat=True))
    assert states == [State.BROKEN, State.KEPT]
    signal = queries.broken_promises_health([moment])[moment.pk]["broken_promises"]
    assert signal.value == 1.0  # the kept one, due the local day before the window, does not count
    evidence = queries.broken_promises_evidence(moment, 0, 10)
    assert evidence.total == 1 and len(evidence.items) == 1
    assert evidence.items[0].when == inside


def test_the_team_calendar_lists_what_is_due_in_the_window(world: World) -> None:
    soon = builders.confirmed(world, due_at=timezone.now() + timedelta(days=2))
    builders.draft(world, due_at=timezone.now() + timedelta(days=2))  # drafts were never asked of the team
    builders.confirmed(world, due_at=timezone.now() + timedelta(days=20))
    start = timezone.now()
    assert list(queries.team_calendar(world.owner_team, start, start + timedelta(days=7))) == [soon]
    assert list(queries.team_calendar(factories.team(world.admin, "Empty"), start, start + timedelta(days=7))) == []

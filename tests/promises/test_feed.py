"""The team's private iCalendar feed: it parses back, has stable UIDs, and a forged token gets a 404."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from servicecycle.promises import actions
from tests.factories import World
from tests.promises import builders

pytestmark = pytest.mark.django_db


def _feed(client: Client, token: str) -> Any:
    return client.get(reverse("team-calendar-feed", kwargs={"token": token}))


def test_the_feed_lists_the_teams_due_promises_and_parses_back(world: World) -> None:
    confirmed = builders.confirmed(world, due_at=timezone.now() + timedelta(days=1))
    unconfirmed = actions.give(
        acting_user=world.agent.user,
        promise=builders.draft(world, text="Deliver the sand today", due_at=timezone.now() + timedelta(days=2)),
        unconfirmed_reason="The customer had to leave",
    )
    builders.draft(world)  # never asked of the team: not in its calendar
    builders.awaiting(world, fulfilling_team_id=world.other_team.pk)  # another team's
    token = actions.issue_calendar_token(acting_user=world.lead.user, team=world.owner_team)
    response = _feed(Client(), token)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {
        f"promise-{confirmed.pk}@{world.org.pk}.servicecycle",
        f"promise-{unconfirmed.pk}@{world.org.pk}.servicecycle",
    }
    first = events[f"promise-{confirmed.pk}@{world.org.pk}.servicecycle"]
    assert first.decoded("dtstart") == confirmed.due_at.replace(microsecond=0)
    assert str(first["x-servicecycle-unconfirmed"]) == "FALSE"
    assert "Confirmed by the team" in str(first["description"])
    flagged = events[f"promise-{unconfirmed.pk}@{world.org.pk}.servicecycle"]
    assert str(flagged["summary"]).startswith("[unconfirmed]")
    assert str(flagged["x-servicecycle-unconfirmed"]) == "TRUE"
    assert str(flagged["status"]) == "TENTATIVE"
    # the UID stays the same when the promise changes, so calendar apps update the event in place
    actions.mark_kept(acting_user=world.lead.user, promise=unconfirmed)
    again = Calendar.from_ical(_feed(Client(), token).content)
    assert {str(e["uid"]) for e in again.walk("VEVENT")} == set(events)


@pytest.mark.parametrize("forged", ["forged-token", "x" * 43, "%00", "a" * 300])
def test_a_forged_token_gets_a_404(world: World, forged: str) -> None:
    actions.issue_calendar_token(acting_user=world.lead.user, team=world.owner_team)
    assert Client().get(f"/p/calendar/{forged}.ics").status_code == 404


def test_an_old_token_stops_working_when_a_new_one_is_issued(world: World) -> None:
    old = actions.issue_calendar_token(acting_user=world.lead.user, team=world.owner_team)
    new = actions.issue_calendar_token(acting_user=world.lead.user, team=world.owner_team)
    assert _feed(Client(), old).status_code == 404
    assert _feed(Client(), new).status_code == 200


def test_guessing_tokens_is_rate_limited(world: World, one_rate_window: None) -> None:
    client = Client()
    codes = [client.get(f"/p/calendar/guess-{i}.ics").status_code for i in range(65)]
    assert codes[:60] == [404] * 60
    assert codes[-1] == 429

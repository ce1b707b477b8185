"""The people pages through the test client: forms, errors shown on the right field, empty states."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.urls import reverse

from servicecycle.people.content import CRITERIA
from servicecycle.people.models import Candidate, Course, PulseRound, TrainingRecord
from tests.factories import World
from tests.people import builders


def test_empty_states(world: World, client_for: Any) -> None:
    client = client_for("manager")
    assert "No candidate assessed yet" in client.get(reverse("people-candidates")).content.decode()
    assert "No course yet" in client.get(reverse("people-courses")).content.decode()
    assert "Nothing overdue" in client.get(reverse("people-training-overdue")).content.decode()
    assert "No round yet" in client.get(reverse("people-pulse")).content.decode()
    assert (
        "No completion recorded yet."
        in client.get(reverse("people-staff-training", args=[world.agent.pk])).content.decode()
    )


def test_assessing_a_candidate_through_the_form(world: World, client_for: Any) -> None:
    client = client_for("manager")
    url = reverse("people-candidate-create")
    data = {
        "name": "Robin Hart",
        "role_applied": "Counter seller",
        "assessed_on": (builders.today() - timedelta(days=1)).isoformat(),
        "interviewer": world.manager.pk,
        **{f"score_{c.key}": "5" for c in CRITERIA},
        "note_listens": "Waited for the whole question.",
    }
    bad = client.post(url, data | {"score_listens": "7", "assessed_on": "2999-01-01"})
    assert bad.status_code == 200 and not Candidate.objects.exists()
    body = bad.content.decode()
    assert "Select a valid choice" in body
    response = client.post(url, data)
    candidate = Candidate.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "people-candidate-detail", args=[candidate.pk]
    )
    page = client.get(response["Location"]).content.decode()
    assert "Recommend" in page and "5.00" in page and "Waited for the whole question." in page
    future = client.post(url, data | {"assessed_on": "2999-01-01", "name": "Another"})
    assert "Interview date cannot be in the future." in future.content.decode()
    assert Candidate.objects.count() == 1
    deleted = client.post(reverse("people-candidate-delete", args=[candidate.pk]))
    assert deleted.status_code == 302 and not Candidate.objects.exists()


def test_bulk_completion_through_the_form(world: World, client_for: Any) -> None:
    client = client_for("manager")
    created = client.post(
        reverse("people-course-create"), {"name": "Welcome", "refresher_months": "12", "is_active": "on"}
    )
    assert created.status_code == 302
    course = Course.objects.get()
    url = reverse("people-course-record", args=[course.pk])
    future = client.post(
        url,
        {"staff": [world.agent.pk, world.lead.pk], "completed_on": (builders.today() + timedelta(days=2)).isoformat()},
    )
    assert "Completion date cannot be in the future." in future.content.decode()
    unknown = client.post(
        url, {"staff": [world.agent.pk, world.outsider.pk], "completed_on": builders.today().isoformat()}
    )
    assert f"Unknown staff members: {world.outsider.pk}." in unknown.content.decode()
    assert not TrainingRecord.objects.exists()
    done = client.post(
        url,
        {
            "staff": [world.agent.pk, world.lead.pk],
            "completed_on": builders.today().isoformat(),
            "score": "90",
            "passed": "yes",
        },
    )
    assert done.status_code == 302
    assert set(TrainingRecord.objects.values_list("staff_id", "passed")) == {
        (world.agent.pk, True),
        (world.lead.pk, True),
    }
    page = client_for("agent").get(reverse("people-staff-training", args=[world.agent.pk])).content.decode()
    assert "Welcome" in page and "up to date" in page


def test_opening_and_closing_a_round(world: World, client_for: Any) -> None:
    client = client_for("manager")
    response = client.post(
        reverse("people-pulse-create"),
        {"title": "Winter pulse", "closes_on": (builders.today() + timedelta(days=7)).isoformat()},
    )
    pulse = PulseRound.objects.get()
    assert response.status_code == 302
    home = client_for("agent").get(reverse("people-home")).content.decode()
    assert "Winter pulse" in home
    client.post(reverse("people-pulse-close", args=[pulse.pk]))
    pulse.refresh_from_db()
    assert pulse.closed_at is not None
    closed = client_for("agent").get(reverse("people-pulse-answer", args=[pulse.pk])).content.decode()
    assert "This round is closed." in closed


def test_nav_link_for_members_who_serve(world: World, client_for: Any) -> None:
    link = f'href="{reverse("people-home")}"'
    assert link in client_for("agent").get(reverse("home")).content.decode()
    assert link not in client_for("viewer").get(reverse("home")).content.decode()


def test_a_course_form_names_every_mistake_at_once(world: World, client_for: Any) -> None:

    response = client_for("manager").post(reverse("people-course-create"), {"name": "", "refresher_months": "-3"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Give the course a name." in body
    assert "The refresher interval is a whole number of months from 1 to 120." in body
    assert not Course.objects.exists()

"""Closing the loop: a detractor's or an unsatisfied customer's answer opens one follow-up case, through the cases
app's intake, linked from the response and shown on the case page and in the results' comments."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from servicecycle.cases.models import Case
from servicecycle.core.models import AuditEvent
from servicecycle.surveys import actions
from servicecycle.surveys.closed_loop import open_follow_up
from servicecycle.surveys.models import Question, Response, Survey
from servicecycle.surveys.tasks import follow_up_response
from tests.factories import World
from tests.surveys import builders
from tests.surveys.mailing import customer, drain

K = Question.Kind


def _survey(world: World, service: bool = True) -> tuple[Survey, Question, Question, Question]:
    s = builders.survey(world.admin, "After delivery", service_id=world.service.pk if service else None)
    nps = builders.question(world.admin, s, K.NPS, "Would you recommend us?")
    csat = builders.question(world.admin, s, K.CSAT, "How satisfied are you?")
    why = builders.question(world.admin, s, K.TEXT, "What should we do better?", required=False)
    return builders.open_survey(world.admin, s), nps, csat, why


def _respond(world: World, survey: Survey, person: Any, nps: int, csat: int, comment: str = "") -> Response:
    """Answer through the customer's personal link, as the respondent pages do (which queue the check)."""
    _inv, token = actions.create_invitation(acting_user=world.admin.user, survey=survey, customer_id=person.pk)
    url = reverse("survey-invitation", kwargs={"token": token})
    client = Client()
    body = client.get(url).content.decode()
    submission = body.split('name="submission" value="')[1].split('"')[0]
    questions = {q.kind: q for q in survey.questions.all()}
    data = {
        "submission": submission,
        "move": "submit",
        f"q{questions[K.NPS].pk}": str(nps),
        f"q{questions[K.CSAT].pk}": str(csat),
        f"q{questions[K.TEXT].pk}": comment,
    }
    page = client.post(url + "?page=1", data)
    assert 'data-outcome="thanks"' in page.content.decode(), page.content.decode()[:2000]
    return Response.objects.get(customer=person, survey=survey)


def test_a_detractor_gets_one_follow_up_case_for_the_services_owner_team(
    world: World, run_tasks: Any, django_capture_on_commit_callbacks: Any, client_for: Any
) -> None:
    survey, _nps, _csat, _why = _survey(world)
    ana = customer(world, "Ana Ruiz", "ana@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        response = _respond(world, survey, ana, nps=3, csat=4, comment="The driver was rude.")
    drain(run_tasks, django_capture_on_commit_callbacks)
    response.refresh_from_db()
    case = Case.objects.get()
    assert response.follow_up_case == case
    assert (case.customer, case.service, case.kind, case.status) == (ana, world.service, "complaint", "received")
    assert case.team == world.owner_team  # the service's owner team handles it
    assert "After delivery" in case.subject and "The driver was rude." in case.description
    assert "Would you recommend us?: 3" in case.description
    assert AuditEvent.objects.filter(verb="response.follow_up_opened", object_id=response.pk).exists()

    # once per response: the task run again, or the check run by hand, makes no second case
    with django_capture_on_commit_callbacks(execute=True):
        follow_up_response.enqueue(response_id=response.pk)
    drain(run_tasks, django_capture_on_commit_callbacks)
    assert open_follow_up(response.pk) == case
    assert Case.objects.count() == 1

    # shown on the case page and beside the comment in the results
    page = client_for("agent").get(reverse("case-detail", args=[case.pk])).content.decode()
    assert f'data-follow-up-of="{response.pk}"' in page and "After delivery" in page
    results = client_for("viewer").get(reverse("survey-results", args=[survey.pk])).content.decode()
    assert reverse("case-detail", args=[case.pk]) in results and case.reference in results


@pytest.mark.parametrize(
    ("nps", "csat", "opens"), [(3, 5, True), (9, 2, True), (9, 1, True), (7, 3, False), (10, 5, False)]
)
def test_which_answers_open_a_case(
    world: World, run_tasks: Any, django_capture_on_commit_callbacks: Any, nps: int, csat: int, opens: bool
) -> None:
    survey, *_questions = _survey(world)
    ana = customer(world, "Ana Ruiz", "ana@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        response = _respond(world, survey, ana, nps=nps, csat=csat)
    drain(run_tasks, django_capture_on_commit_callbacks)
    response.refresh_from_db()
    assert (response.follow_up_case_id is not None) is opens
    assert Case.objects.count() == (1 if opens else 0)


def test_no_case_without_consent_to_be_contacted_or_without_a_service(
    world: World, run_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    survey, *_questions = _survey(world)
    unreachable = customer(world, "Cy No", "cy@example.test", contact=False)
    with django_capture_on_commit_callbacks(execute=True):
        _respond(world, survey, unreachable, nps=0, csat=1)
    no_service, *_more = _survey(world, service=False)
    ana = customer(world, "Ana Ruiz", "ana@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        _respond(world, no_service, ana, nps=0, csat=1)
    drain(run_tasks, django_capture_on_commit_callbacks)
    assert Case.objects.count() == 0
    assert not Response.objects.filter(follow_up_case__isnull=False).exists()

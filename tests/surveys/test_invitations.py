"""Invitations by email: rounds for an audience, sent once; one reminder; the contact rule; invitations after a
case is closed or a promise kept; the pages to invite, to set it up and to follow the invitations."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from servicecycle.core import periodic
from servicecycle.core.errors import DomainError, PermissionDenied
from servicecycle.core.models import AuditEvent
from servicecycle.surveys import actions
from servicecycle.surveys.actions import invitations
from servicecycle.surveys.models import Invitation, Question, Response, Survey
from servicecycle.surveys.tasks import send_due_reminders
from tests.cases import builders as cases
from tests.factories import World
from tests.promises import builders as promises
from tests.surveys import builders
from tests.surveys.mailing import customer, drain, link_in

K = Question.Kind


def _survey(world: World, **settings: Any) -> tuple[Survey, Question]:
    s = builders.survey(world.admin, "Delivery check", languages=["en", "es"], default_language="en")
    q = builders.question(world.admin, s, K.CSAT, "How satisfied are you?")
    s = builders.open_survey(world.admin, s)
    if settings:
        s = invitations.update_invitation_settings(acting_user=world.admin.user, survey=s, **settings)
    return s, q


def _answer(url: str, q: Question, value: str, client: Client | None = None) -> Any:
    client = client or Client()
    body = client.get(url).content.decode()
    submission = body.split('name="submission" value="')[1].split('"')[0]
    data = {"submission": submission, "move": "submit", f"q{q.pk}": value}
    return client, data, client.post(url + "?page=1", data)


def test_a_round_mails_each_person_once_in_their_language(
    world: World, run_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    survey, q = _survey(world)
    ana = customer(world, "Ana Ruiz", "ana@example.test", "es")
    ben = customer(world, "Ben Lee", "ben@example.test", "en")
    customer(world, "Cy No", "cy@example.test", surveys=False)  # no consent: not in the audience
    customer(world, "Di Nomail", "")  # no address: counted
    with django_capture_on_commit_callbacks(execute=True):
        plan = invitations.start_round(acting_user=world.admin.user, survey=survey, audience="consented")
    assert (plan.count, plan.skipped_no_email, plan.skipped_recent) == (2, 1, 0)
    assert mail.outbox == [] and Invitation.objects.count() == 0  # made and sent by the task
    drain(run_tasks, django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.test", "ben@example.test"]
    by_address = {m.to[0]: m for m in mail.outbox}
    assert by_address["ana@example.test"].extra_headers["Content-Language"] == "es"
    assert "Ana Ruiz" in by_address["ana@example.test"].body
    invitation = Invitation.objects.get(customer=ana)
    assert invitation.language == "es" and invitation.sent_at is not None
    assert Invitation.objects.get(customer=ben).language == "en"

    # the round's task run again (a retry, a second worker): nothing new is made or sent
    source = invitation.source
    round_key = source.split(":")[0][1:]
    with django_capture_on_commit_callbacks(execute=True):
        counts = invitations.send_round(
            survey_id=survey.pk, wave_id=None, round_key=round_key, customer_ids=[ana.pk, ben.pk], emails=[]
        )
    assert counts["already"] == 2 and counts["sent"] == 0
    drain(run_tasks, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2 and Invitation.objects.count() == 2

    # the mailed link is the personal single-use link; only its hash is stored
    url = link_in(by_address["ana@example.test"].body)
    path = url[url.index("/s/i/") :]
    assert path.split("/")[3] not in invitation.token_hash
    client, data, page = _answer(path, q, "5")
    assert 'data-outcome="thanks"' in page.content.decode()
    # a double submit and a retried POST are one response
    again = client.post(path + "?page=1", data)
    assert 'data-outcome="thanks"' in again.content.decode()
    assert Response.objects.filter(customer=ana).count() == 1
    assert Invitation.objects.get(customer=ana).used_at is not None


def test_pasted_addresses_invite_customers_on_file_and_others(
    world: World, run_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    survey, _q = _survey(world)
    ana = customer(world, "Ana Ruiz", "Ana@Example.test", "es")
    with django_capture_on_commit_callbacks(execute=True):
        plan = invitations.start_round(
            acting_user=world.admin.user,
            survey=survey,
            audience="pasted",
            emails="ana@example.test\n\nwalk-in@example.test\nWALK-IN@example.test\n",
        )
    assert plan.customer_ids == [ana.pk] and plan.emails == ["walk-in@example.test"]
    drain(run_tasks, django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.test", "walk-in@example.test"]
    assert Invitation.objects.get(customer=ana).language == "es"
    assert Invitation.objects.get(customer=None).language == "en"


def test_audiences_by_language_and_by_service(world: World) -> None:
    survey, _q = _survey(world)
    ana = customer(world, "Ana Ruiz", "ana@example.test", "es")
    ben = customer(world, "Ben Lee", "ben@example.test", "en")
    cases.complaint(world, customer_id=ben.pk)
    by_language = invitations.plan_round(
        acting_user=world.admin.user, survey=survey, audience="language", language="es"
    )
    assert by_language.customer_ids == [ana.pk]
    by_service = invitations.plan_round(
        acting_user=world.admin.user, survey=survey, audience="service", service_id=world.service.pk
    )
    assert by_service.customer_ids == [ben.pk]


@pytest.mark.parametrize(
    ("audience", "extra", "field", "words"),
    [
        ("pasted", {"emails": "ok@example.test\nnot an address"}, "emails", "Line 2"),
        ("pasted", {"emails": "cy@example.test"}, "emails", "Cy No has not agreed"),
        ("pasted", {"emails": "  \n"}, "emails", "at least one"),
        ("service", {"service_id": 999999}, "service", "Unknown service"),
        ("language", {"language": "xx"}, "language", "language"),
        ("everyone", {}, "audience", "who to invite"),
    ],
)
def test_bad_audiences_are_refused_and_nothing_is_saved(
    world: World,
    run_tasks: Any,
    django_capture_on_commit_callbacks: Any,
    audience: str,
    extra: dict[str, Any],
    field: str,
    words: str,
) -> None:
    survey, _q = _survey(world)
    customer(world, "Cy No", "cy@example.test", surveys=False)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError) as raised:
        invitations.start_round(acting_user=world.admin.user, survey=survey, audience=audience, **extra)
    assert raised.value.field == field and words in raised.value.message
    drain(run_tasks, django_capture_on_commit_callbacks)
    assert Invitation.objects.count() == 0 and mail.outbox == []


def test_a_closed_or_draft_survey_sends_no_invitation(world: World) -> None:
    customer(world, "Ana Ruiz", "ana@example.test")
    survey, _q = _survey(world)
    actions.set_survey_status(acting_user=world.admin.user, survey=survey, status=Survey.Status.CLOSED)
    with pytest.raises(DomainError) as raised:
        invitations.start_round(acting_user=world.admin.user, survey=survey, audience="consented")
    assert raised.value.field == "survey"
    draft = builders.survey(world.admin, "Not yet open")
    with pytest.raises(DomainError):
        invitations.plan_round(acting_user=world.admin.user, survey=draft, audience="consented")
    with pytest.raises(PermissionDenied):
        invitations.plan_round(acting_user=world.agent.user, survey=survey, audience="consented")
    assert Invitation.objects.count() == 0


def test_the_contact_rule_leaves_out_customers_invited_recently(
    world: World, run_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    earlier, _ = _survey(world)
    survey, _q = _survey(world, contact_gap_days=30)
    ana = customer(world, "Ana Ruiz", "ana@example.test")
    ben = customer(world, "Ben Lee", "ben@example.test")
    # Ana was invited to another survey 5 days ago, Ben 40 days ago
    recent, _token = actions.create_invitation(acting_user=world.admin.user, survey=earlier, customer_id=ana.pk)
    old, _token = actions.create_invitation(acting_user=world.admin.user, survey=earlier, customer_id=ben.pk)
    Invitation.objects.filter(pk=recent.pk).update(created_at=timezone.now() - dt.timedelta(days=5))
    Invitation.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=40))
    plan = invitations.plan_round(acting_user=world.admin.user, survey=survey, audience="consented")
    assert plan.customer_ids == [ben.pk] and plan.skipped_recent == 1
    # the page shows the count of those left out, not an error
    page = Client()
    page.force_login(world.admin.user)
    body = page.post(reverse("survey-invite", args=[survey.pk]), {"audience": "consented", "move": "preview"})
    text = body.content.decode()
    assert 'data-invite-count="1"' in text and "1 left out: invited too recently." in text
    with django_capture_on_commit_callbacks(execute=True):
        sent = page.post(reverse("survey-invite", args=[survey.pk]), {"audience": "consented", "move": "send"})
    assert sent.status_code == 302
    drain(run_tasks, django_capture_on_commit_callbacks)
    assert [m.to[0] for m in mail.outbox] == ["ben@example.test"]
    # enforced again when the task runs: Ana invited between the plan and the send is skipped
    counts = invitations.send_round(
        survey_id=survey.pk, wave_id=None, round_key="late", customer_ids=[ana.pk], emails=[]
    )
    assert counts["recent"] == 1


def test_one_reminder_after_the_days_to_those_who_have_not_answered(
    world: World, run_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    survey, q = _survey(world, remind_after_days=7)
    customer(world, "Ana Ruiz", "ana@example.test")
    customer(world, "Ben Lee", "ben@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        invitations.start_round(acting_user=world.admin.user, survey=survey, audience="consented")
    drain(run_tasks, django_capture_on_commit_callbacks)
    first = {m.to[0]: link_in(m.body) for m in mail.outbox}
    url = first["ben@example.test"]
    _answer(url[url.index("/s/i/") :], q, "4")  # Ben answers
    mail.outbox.clear()
    # not yet due
    with django_capture_on_commit_callbacks(execute=True):
        assert invitations.remind_due() == 0
    Invitation.objects.update(sent_at=timezone.now() - dt.timedelta(days=8))
    with django_capture_on_commit_callbacks(execute=True):
        send_due_reminders.enqueue()
    drain(run_tasks, django_capture_on_commit_callbacks)
    assert [m.to[0] for m in mail.outbox] == ["ana@example.test"]
    # the reminder carries the same personal link
    assert link_in(mail.outbox[0].body) == first["ana@example.test"]
    assert Invitation.objects.get(customer__name="Ana Ruiz").reminded_at is not None
    # once: the periodic task running again sends nothing
    with django_capture_on_commit_callbacks(execute=True):
        assert invitations.remind_due() == 0
    drain(run_tasks, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    # the worker's beat queues the reminders periodically
    assert any(p.task is send_due_reminders for p in periodic.registered())


def test_a_closed_case_invites_its_customer_to_the_survey_set_for_it(
    world: World, run_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    survey, _q = _survey(world, trigger=Survey.Trigger.CASE_CLOSED, contact_gap_days=30)
    ana = customer(world, "Ana Ruiz", "ana@example.test", "es")
    cy = customer(world, "Cy No", "cy@example.test", surveys=False)
    first = cases.complaint(world, customer_id=ana.pk).case
    second = cases.complaint(world, customer_id=ana.pk).case
    refused = cases.complaint(world, customer_id=cy.pk).case
    with django_capture_on_commit_callbacks(execute=True):
        cases.closed(world, first)
        cases.closed(world, refused)
    drain(run_tasks, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get(survey=survey)
    assert (invitation.customer, invitation.source, invitation.language) == (ana, f"case:{first.pk}", "es")
    assert [m for m in mail.outbox if m.to == ["ana@example.test"] and "/s/i/" in m.body]
    assert not Invitation.objects.filter(customer=cy).exists()  # no consent to surveys
    # the contact rule: the second case closed a day later invites nobody
    with django_capture_on_commit_callbacks(execute=True):
        cases.closed(world, second)
    drain(run_tasks, django_capture_on_commit_callbacks)
    assert Invitation.objects.filter(survey=survey).count() == 1
    # the same event handled twice (a retried task) makes one invitation and one mail
    sent_before = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        assert invitations.invite_for_event(survey_id=survey.pk, customer_id=ana.pk, source=f"case:{first.pk}") == (
            "already"
        )
    drain(run_tasks, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == sent_before


def test_a_kept_promise_invites_its_customer(
    world: World, run_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    survey, _q = _survey(world, trigger=Survey.Trigger.PROMISE_KEPT)
    other, _ = _survey(world)  # not set for the event
    mia = customer(world, "Mia Tan", "mia@example.test")
    from servicecycle.promises import actions as promise_actions

    promise = promises.given(world, customer_id=mia.pk)
    with django_capture_on_commit_callbacks(execute=True):
        promise_actions.mark_kept(acting_user=world.lead.user, promise=promise)
    drain(run_tasks, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get(customer=mia)
    assert invitation.survey == survey and invitation.source == f"promise:{promise.pk}"
    assert not Invitation.objects.filter(survey=other).exists()


def test_settings_are_checked_and_saved_with_an_audit_entry(world: World) -> None:
    survey, _q = _survey(world)
    for bad in ({"remind_after_days": 0}, {"contact_gap_days": "many"}, {"recur_months": 99}, {"trigger": "rain"}):
        with pytest.raises(DomainError):
            invitations.update_invitation_settings(acting_user=world.admin.user, survey=survey, **bad)
    survey.refresh_from_db()
    assert (survey.remind_after_days, survey.contact_gap_days, survey.trigger) == (7, None, "")
    client = Client()
    client.force_login(world.manager.user)
    url = reverse("survey-invitation-settings", args=[survey.pk])
    assert client.get(url).status_code == 200
    page = client.post(url, {"remind_after_days": "3", "contact_gap_days": "60", "trigger": "case_closed"})
    assert page.status_code == 302
    survey.refresh_from_db()
    assert (survey.remind_after_days, survey.contact_gap_days, survey.trigger) == (3, 60, "case_closed")
    assert AuditEvent.objects.filter(verb="survey.invitation_settings_changed", object_id=survey.pk).exists()
    detail = client.get(reverse("survey-detail", args=[survey.pk])).content.decode()
    assert 'id="invitations"' in detail and "A case of the customer is closed" in detail


def test_the_invitation_list_shows_states_pages_and_an_empty_state(
    world: World, client_for: Any, django_assert_num_queries: Any
) -> None:
    survey, _q = _survey(world)
    client = client_for("viewer")
    url = reverse("survey-invitations", args=[survey.pk])
    assert "No invitation yet." in client.get(url).content.decode()
    counts = []
    for total in (3, 30):
        while Invitation.objects.count() < total:
            n = Invitation.objects.count()
            person = customer(world, f"Person {n}", f"p{n}@example.test")
            actions.create_invitation(acting_user=world.admin.user, survey=survey, customer_id=person.pk)
        Invitation.objects.filter(pk=Invitation.objects.order_by("pk").first().pk).update(sent_at=timezone.now())  # type: ignore[union-attr]
        # session, user, staff + organization, unread notifications (header); the survey; the summary; the count
        # and the page's rows; 3 for the session save (savepoint, update, release)
        with django_assert_num_queries(11) as captured:
            page = client.get(url)
        assert page.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
    body = client.get(url + "?status=sent").content.decode()
    assert body.count("<tr>") == 2  # the header and the one mailed invitation
    assert "Page 1 of 2" in client.get(url).content.decode()
    assert "No invitation in this state." in client.get(url + "?status=answered").content.decode()


def test_unknown_customers_and_foreign_waves_are_refused_and_nothing_is_saved(
    world: World, run_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    survey, _q = _survey(world)
    other_survey, _ = _survey(world)
    foreign_wave = actions.add_wave(
        acting_user=world.admin.user, survey=other_survey, name="Spring", starts_on=timezone.localdate()
    )
    customer(world, "Ana Ruiz", "ana@example.test")
    stranger = customer(world, "Ola Other", "ola@example.test")
    stranger.organization = world.outsider.organization
    stranger.save()
    with pytest.raises(DomainError) as raised:
        actions.create_invitation(acting_user=world.admin.user, survey=survey, customer_id=stranger.pk)
    assert raised.value.field == "customer" and raised.value.message == "Unknown customer."
    with pytest.raises(DomainError) as raised:
        actions.create_invitation(acting_user=world.admin.user, survey=survey, customer_id="999999")
    assert raised.value.field == "customer"
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError) as raised:
        invitations.start_round(
            acting_user=world.admin.user, survey=survey, audience="consented", wave_id=foreign_wave.pk
        )
    assert raised.value.field == "wave"
    # an event naming a customer of another organization invites nobody
    with django_capture_on_commit_callbacks(execute=True):
        assert invitations.invite_for_event(survey_id=survey.pk, customer_id=stranger.pk, source="case:1") == "unknown"
    drain(run_tasks, django_capture_on_commit_callbacks)
    assert Invitation.objects.count() == 0 and mail.outbox == []
    assert not AuditEvent.objects.filter(verb="survey.invitations_queued").exists()

"""Case mail delivered through a real SMTP server on loopback (aiosmtpd), as the worker sends it in production.

Each test runs the step inside ``django_capture_on_commit_callbacks`` (the mail is queued on commit), then the
``run_tasks`` fixture runs the delivery task like the worker, which talks SMTP to the server started here.
"""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from aiosmtpd.controller import Controller

from servicecycle.accounts import actions as accounts
from servicecycle.accounts.models import Customer
from servicecycle.cases import actions
from servicecycle.cases import mail as case_mail
from servicecycle.cases.models import Case, CaseMessage
from servicecycle.core.models import Notification
from tests.cases import builders
from tests.factories import World

LONDON = ZoneInfo("Europe/London")


class Inbox:
    """The SMTP server's handler: keeps every message it accepts, parsed."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.messages if address in rcpt]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "Acme cases <cases@acme.test>"
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def spanish_customer(world: World, settings: Any) -> Customer:
    settings.CASE_MAILBOXES = [f"{world.org.slug}=maildir:///nonexistent?address=replies@acme.test"]
    return Customer.objects.create(
        organization=world.org, name="Ana Pérez", email="ana@example.test", preferred_language="es"
    )


def _case(world: World, customer: Customer) -> Case:
    return builders.complaint(world, customer_id=customer.pk).case


def test_public_reply_reaches_the_customer_threaded_by_reference(
    world: World, spanish_customer: Customer, smtp: Inbox, run_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = builders.to_investigating(world, _case(world, spanish_customer))
    run_tasks()  # the acknowledgement of receipt, queued with the case
    smtp.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_message(acting_user=world.agent.user, case=case, kind="internal_note", body="Check the van log.")
        reply = actions.add_message(
            acting_user=world.agent.user, case=case, kind="public_reply", body="Your parcel left our depot today."
        )
    run_tasks()
    received = smtp.to("ana@example.test")
    assert len(received) == 1, [m["Subject"] for m in received]  # the internal note sends nothing
    message = received[0]
    assert str(message["Subject"]).strip().startswith(f"[{case.reference}] ")
    assert case.subject in str(message["Subject"]).strip()
    assert message["Content-Language"] == "es"
    assert message["Message-ID"].startswith(f"<{case.reference}.")
    assert message["References"] == message["In-Reply-To"] == f"<{case.reference}.case@acme.test>"
    assert message["Reply-To"] == "replies@acme.test"
    assert "Your parcel left our depot today." in message.get_body().get_content()  # type: ignore[union-attr]
    # the reply remembers the Message-ID it went out as, so the customer's answer threads back to it
    assert CaseMessage.objects.get(pk=reply.pk).email_message_id == message["Message-ID"]


def test_communicated_response_and_closing_mail_in_the_customers_language(
    world: World, spanish_customer: Customer, smtp: Inbox, run_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = _case(world, spanish_customer)
    with django_capture_on_commit_callbacks(execute=True):
        builders.closed(world, case, outcome="upheld", remedy="apology")
    run_tasks()
    bodies = {str(m["Subject"]).strip(): m.get_body().get_content() for m in smtp.to("ana@example.test")}  # type: ignore[union-attr]
    communicated = [b for b in bodies.values() if "We will refund the delivery fee." in b]
    assert len(communicated) == 1  # the decided response, sent when communicated
    closed_mail = [b for s, b in bodies.items() if s.startswith(f"[{case.reference}]") and "Estimado" in b]
    assert len(closed_mail) == 1, bodies  # the outcome "Upheld" in Spanish
    assert "Disculpa" in closed_mail[0]  # the remedy "Apology" in Spanish
    assert "1" in closed_mail[0] and "5" in closed_mail[0]


def test_reopening_tells_the_customer(
    world: World, spanish_customer: Customer, smtp: Inbox, run_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = builders.closed(world, _case(world, spanish_customer))
    run_tasks()  # the mail of receipt and closing, queued with those steps
    smtp.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.reopen(acting_user=world.agent.user, case=case, reason="The customer says the refund never came.")
    run_tasks()
    received = smtp.to("ana@example.test")
    assert len(received) == 1
    assert str(received[0]["Subject"]).strip().startswith(f"[{case.reference}] ")
    assert received[0]["References"] == f"<{case.reference}.case@acme.test>"
    assert case.reference in received[0].get_body().get_content()  # type: ignore[union-attr]


def test_customer_who_refused_contact_gets_no_mail(
    world: World, spanish_customer: Customer, smtp: Inbox, run_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    spanish_customer.consent_contact = False
    spanish_customer.save()
    case = builders.to_investigating(world, _case(world, spanish_customer))
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_message(acting_user=world.agent.user, case=case, kind="public_reply", body="Hello")
    run_tasks()
    assert smtp.to("ana@example.test") == []


def test_assignment_tells_the_new_assignee_but_not_who_took_it_themselves(
    world: World, smtp: Inbox, run_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    world.agent.language = "es"
    world.agent.save()
    case = builders.complaint(world, by=world.lead).case
    with django_capture_on_commit_callbacks(execute=True):
        case = actions.assign(acting_user=world.lead.user, case=case, assignee_id=world.agent.pk)
        actions.assign(acting_user=world.lead.user, case=case, team_id=world.owner_team.pk)  # assignee unchanged
        other = builders.complaint(world).case
        actions.assign(acting_user=world.agent.user, case=other, assignee_id=world.agent.pk)  # took it themselves
    run_tasks()
    received = smtp.to(world.agent.user.email)
    assert len(received) == 1
    assert str(received[0]["Subject"]).strip().startswith(f"[{case.reference}] ")
    assert str(world.lead) in received[0].get_body().get_content()  # type: ignore[union-attr]
    assert Notification.objects.filter(recipient=world.agent, kind="case.assigned").count() == 1


def test_sla_warning_and_escalation_reach_the_computed_recipients_in_their_language(
    world: World, smtp: Inbox, run_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    accounts.update_organization(
        acting_user=world.admin.user, organization=world.org, time_zone="Europe/London", holiday_country="GB"
    )
    world.lead.language = "es"
    world.lead.save()
    builders.policy(world.manager, priority="high", resolution=600)
    with time_machine.travel(datetime(2026, 4, 20, 9, 0, tzinfo=LONDON), tick=False):
        created = builders.complaint(world).case
        created = actions.acknowledge(acting_user=world.agent.user, case=created)
        created = actions.assess(acting_user=world.agent.user, case=created, severity="major", priority="high")
    created.refresh_from_db()
    assert created.warn_at is not None and created.due_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        warned = actions.handle_deadline(case_id=created.pk, now=created.warn_at)
        escalated = actions.handle_deadline(case_id=created.pk, now=created.due_at)
    assert warned is not None and warned.event == "warning"
    assert escalated is not None and escalated.event == "breached" and escalated.level == 1
    run_tasks()
    # no assignee and no team: the warning goes to the owner team's lead, and so does the first escalation
    to_lead = smtp.to(world.lead.user.email)
    subjects = sorted(str(m["Subject"]).strip() for m in to_lead)
    assert len(to_lead) == 2, subjects
    assert all(s.startswith(f"[{created.reference}] ") for s in subjects)
    bodies = [m.get_body().get_content() for m in to_lead]  # type: ignore[union-attr]
    assert all("Alta" in b for b in bodies)  # the priority "High" in the lead's Spanish
    kinds = set(Notification.objects.filter(recipient=world.lead).values_list("kind", flat=True))
    assert kinds == {"case.sla_warning", "case.escalated"}


def test_manual_escalation_reaches_the_managers_with_the_reason(
    world: World, smtp: Inbox, run_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = builders.complaint(world).case
    case = actions.escalate(acting_user=world.agent.user, case=case, reason="Customer threatens to go to the press")
    with django_capture_on_commit_callbacks(execute=True):
        actions.escalate(acting_user=world.agent.user, case=case, reason="Second complaint about the same van")
    run_tasks()
    received = smtp.to(world.manager.user.email)
    assert len(received) == 1
    assert "Second complaint about the same van" in received[0].get_body().get_content()  # type: ignore[union-attr]


def test_thread_headers_point_at_the_case_root(world: World, settings: Any) -> None:
    settings.DEFAULT_FROM_EMAIL = "Acme <cases@acme.test>"
    case = builders.complaint(world).case
    headers = case_mail.thread_headers(case)
    assert headers["References"] == f"<{case.reference}.case@acme.test>"
    assert headers["Message-ID"] != case_mail.thread_headers(case)["Message-ID"]


def test_the_assignee_hears_when_the_customer_writes_on_the_status_page(
    world: World, smtp: Inbox, run_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    created = builders.public_complaint(world)
    builders.to_investigating(world, created.case)
    with django_capture_on_commit_callbacks(execute=True):
        actions.customer_add_information(token=created.status_token or "", body="The courier came back today.")
    run_tasks()
    received = smtp.to(world.agent.user.email)
    assert len(received) == 1
    assert str(received[0]["Subject"]).strip().startswith(f"[{created.case.reference}] ")
    assert "The courier came back today." in received[0].get_body().get_content()  # type: ignore[union-attr]
    assert Notification.objects.filter(recipient=world.agent, kind="case.customer_wrote").exists()

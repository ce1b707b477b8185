"""Notifications and mail: rendered in the recipient's language, sent only once the change commits."""

from __future__ import annotations

from typing import Any

from django.core import mail
from django.db import transaction
from django.urls import reverse

from servicecycle.core.models import Notification
from servicecycle.core.notify import notify_staff, send_mail
from tests.factories import World


def test_mail_is_queued_on_commit_and_delivered_by_the_worker(
    world: World, run_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        send_mail("dana@example.com", "notification", {"title": "Hello"}, language="en")
    assert mail.outbox == []  # queued, not sent inside the request
    run_tasks()
    assert [m.to for m in mail.outbox] == [["dana@example.com"]]
    assert "Hello" in mail.outbox[0].subject


def test_nothing_is_sent_when_the_change_rolls_back(world: World, run_tasks: Any) -> None:
    try:
        with transaction.atomic():
            send_mail("dana@example.com", "notification", {"title": "Hello"}, language="en")
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    run_tasks()
    assert mail.outbox == []


def test_notification_is_written_in_each_recipients_language(
    world: World, run_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    world.agent.language = "es"
    world.agent.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify_staff(
            [world.agent, world.lead, world.agent], kind="test", mail="notification", context={"title": "X"}, url="/"
        )
    notes = Notification.objects.order_by("recipient_id")
    assert notes.count() == 2
    run_tasks()
    assert len(mail.outbox) == sum(1 for s in (world.agent, world.lead) if s.user.email)
    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert bodies[world.agent.user.email].startswith("Hola")
    assert bodies[world.lead.user.email].startswith("Hello")


def test_bell_counts_unread_and_mark_all_read_clears_it(world: World, client_for: Any) -> None:
    notify_staff([world.agent], kind="test", mail="notification", context={"title": "Look at this"}, email=False)
    client = client_for("agent")
    page = client.get(reverse("notifications")).content.decode()
    assert "Look at this" in page
    assert "<mark" in page
    client.post(reverse("notifications-read"))
    assert not Notification.objects.filter(recipient=world.agent, read_at__isnull=True).exists()
    assert "<mark" not in client.get(reverse("notifications")).content.decode()

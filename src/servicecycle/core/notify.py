"""Telling people: email to customers and staff, and the bell in the header for staff, each in their own language.

Mail is rendered when the change is made (in the recipient's language, from ``templates/mail/<name>_subject.txt``
and ``<name>.txt``) and queued for the background worker in the same transaction (``core.outbox``), so a
rolled-back change never sends anything, a committed one always does, and a slow mail server never slows a
page. Delivery goes through the backend that ``EMAIL_URL`` configures.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation
from django_tasks import task

from servicecycle.accounts.models import Staff
from servicecycle.core import outbox
from servicecycle.core.models import Notification

log = logging.getLogger(__name__)


def render_mail(name: str, context: Mapping[str, Any], language: str) -> tuple[str, str]:
    """Subject (one line) and plain-text body of ``mail/<name>`` in ``language``."""
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"mail/{name}_subject.txt", dict(context)).split())
        body = render_to_string(f"mail/{name}.txt", dict(context))
    return subject, body


@task()
def deliver_mail(
    to: list[str], subject: str, body: str, headers: dict[str, str], reply_to: list[str] | None = None
) -> int:
    """Send one message; the worker retries it by running the task again if the server refuses."""
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, to, headers=headers, reply_to=reply_to)
    return message.send(fail_silently=False)


def send_mail(
    to: str | Iterable[str],
    name: str,
    context: Mapping[str, Any],
    *,
    language: str,
    headers: Mapping[str, str] | None = None,
    reply_to: list[str] | None = None,
) -> None:
    """Render ``mail/<name>`` in ``language`` now and queue its delivery with the current transaction."""
    recipients = [to] if isinstance(to, str) else [address for address in to if address]
    if not recipients:
        return
    subject, body = render_mail(name, context, language)
    extra = dict(headers or {})
    outbox.enqueue(deliver_mail, to=recipients, subject=subject, body=body, headers=extra, reply_to=reply_to)


def staff_language(staff: Staff) -> str:
    return staff.language or staff.organization.default_language or settings.LANGUAGE_CODE


def notify_staff(
    recipients: Iterable[Staff],
    *,
    kind: str,
    mail: str,
    context: Mapping[str, Any],
    url: str = "",
    email: bool = True,
) -> list[Notification]:
    """Put a notification under each recipient's bell and (by default) email it, both in their language.

    The notification's title is the mail's subject, so ``mail/<mail>_subject.txt`` is the one place the
    wording lives. Recipients are de-duplicated; staff without an email address only get the bell.
    """
    seen: set[int] = set()
    created: list[Notification] = []
    for staff in recipients:
        if staff.pk in seen:
            continue
        seen.add(staff.pk)
        language = staff_language(staff)
        full_context = {**context, "recipient": staff, "url": url}
        subject, _body = render_mail(mail, full_context, language)
        created.append(
            Notification(
                organization_id=staff.organization_id, recipient=staff, kind=kind, title=subject[:300], url=url
            )
        )
        if email and staff.user.email:
            send_mail(staff.user.email, mail, full_context, language=language)
    Notification.objects.bulk_create(created)
    return created


def absolute_url(path: str) -> str:
    """``path`` on the public address people reach the app at (``SITE_URL``), for links in mail."""
    return settings.SITE_URL.rstrip("/") + path

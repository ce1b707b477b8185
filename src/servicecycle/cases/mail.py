"""The mail a case sends: to the customer in their language, and to staff under the bell and by email.

The case actions call one function here per step, so each action shows in one line *that* someone is told and
this module says *how*. Everything is queued with ``core.notify`` and leaves only when the step's transaction
commits.

Threading: every customer message carries ``[REFERENCE]`` in its subject, a ``Message-ID`` that starts with the
reference, and ``References``/``In-Reply-To`` pointing at the case's thread root ``<REFERENCE.case@domain>``.
Mail clients thread the conversation on those headers, and ``cases.inbound`` finds the case of a reply from
them (or from the subject) when the customer answers.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from servicecycle.accounts.models import Staff
from servicecycle.cases.models import Case, CaseMessage
from servicecycle.core.notify import absolute_url, notify_staff, send_mail


def mail_domain() -> str:
    """The domain of our Message-IDs: the sender address's domain (stable across restarts, unlike the host name)."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    domain = address.rpartition("@")[2].strip().lower()
    return domain or "servicecycle.invalid"


def thread_root(case: Case) -> str:
    """The Message-ID every message about the case refers to, so it forms one thread in the customer's client."""
    return f"<{case.reference}.case@{mail_domain()}>"


def new_message_id(case: Case) -> str:
    return f"<{case.reference}.{secrets.token_hex(8)}@{mail_domain()}>"


def thread_headers(case: Case, message_id: str | None = None) -> dict[str, str]:
    """Headers of one customer mail about ``case`` (a fresh Message-ID unless given)."""
    root = thread_root(case)
    return {"Message-ID": message_id or new_message_id(case), "In-Reply-To": root, "References": root}


def customer_language(case: Case) -> str:
    """The customer's language: the case's own (when the intake recorded one), the customer's, the organization's."""
    language = getattr(case, "language", "") or ""
    if not language and case.customer is not None:
        language = case.customer.preferred_language
    return language or case.organization.default_language or settings.LANGUAGE_CODE


def customer_address(case: Case) -> str:
    """Where the customer is written to: the contact address given with the case, else the customer's email.

    A known customer who said no to being contacted about their cases gets no mail (the status page still works).
    """
    if case.customer is not None and not case.customer.consent_contact:
        return ""
    if case.contact_email:
        return case.contact_email
    return case.customer.email if case.customer is not None else ""


def reply_to_address(case: Case) -> list[str] | None:
    """The organization's case mailbox (``CASE_MAILBOXES``), so the customer's answer reaches the case."""
    from servicecycle.cases.inbound import mailbox_address

    address = mailbox_address(case.organization.slug)
    return [address] if address else None


def status_url(case: Case, token: str | None = None) -> str:
    """The customer's status page: with the raw token when at hand, else a signed token (only the hash of the
    raw one is stored)."""
    if not token:
        from servicecycle.cases.queries import signed_status_token

        token = signed_status_token(case)
    try:
        return absolute_url(reverse("case-status", args=[token]))
    except NoReverseMatch:
        return ""


def _to_customer(case: Case, name: str, context: dict[str, Any], *, message: CaseMessage | None = None) -> str:
    """Queue ``mail/<name>`` for the customer; returns the Message-ID used ("" when there is nobody to write to)."""
    address = customer_address(case)
    if not address:
        return ""
    message_id = new_message_id(case)
    language = customer_language(case)
    send_mail(
        address,
        name,
        {"case": case, "contact_name": case.contact_name or (case.customer.name if case.customer else ""), **context},
        language=language,
        headers={**thread_headers(case, message_id), "Content-Language": language},
        reply_to=reply_to_address(case),
    )
    if message is not None:
        CaseMessage.objects.filter(pk=message.pk).update(email_message_id=message_id)
        message.email_message_id = message_id
    return message_id


# To the customer -------------------------------------------------------------------------------------------


def public_reply(case: Case, message: CaseMessage) -> str:
    """A reply (or the communicated response) goes to the customer; the message keeps the Message-ID it went as."""
    return _to_customer(case, "case_reply", {"message": message, "status_url": status_url(case)}, message=message)


def case_closed(case: Case, *, status_token: str | None = None) -> str:
    """The outcome and remedy, and the question how satisfied the customer is (1 to 5) on the status page."""
    return _to_customer(case, "case_closed", {"status_url": status_url(case, status_token)})


def case_reopened(case: Case) -> str:
    return _to_customer(case, "case_reopened", {"status_url": status_url(case)})


# To staff --------------------------------------------------------------------------------------------------


def case_url(case: Case) -> str:
    try:
        return absolute_url(reverse("case-detail", args=[case.pk]))
    except NoReverseMatch:  # the staff case page is not mounted in this build
        return ""


def assigned(case: Case, *, by: Staff | None) -> None:
    """The new assignee hears of it (not when they took the case themselves)."""
    if case.assignee is None or (by is not None and by.pk == case.assignee_id):
        return
    notify_staff(
        [case.assignee],
        kind="case.assigned",
        mail="case_assigned",
        context={"case": case, "by": by},
        url=case_url(case),
    )


def sla_warning(case: Case, recipients: Iterable[Staff]) -> None:
    notify_staff(
        list(recipients),
        kind="case.sla_warning",
        mail="case_sla_warning",
        context={"case": case, "target": case.get_sla_target_display(), "due_at": case.due_at},
        url=case_url(case),
    )


def escalated(case: Case, recipients: Iterable[Staff], *, reason: str = "") -> None:
    notify_staff(
        list(recipients),
        kind="case.escalated",
        mail="case_escalated",
        context={
            "case": case,
            "target": case.get_sla_target_display(),
            "due_at": case.due_at,
            "level": case.escalation_level,
            "reason": reason,
        },
        url=case_url(case),
    )


def customer_wrote(case: Case, message: CaseMessage) -> None:
    """The customer answered (by email or on the status page): the assignee hears of it, else the case's team
    leads (the same people an SLA warning would reach)."""
    from servicecycle.cases.actions.deadlines import warned_staff

    recipients = [case.assignee] if case.assignee is not None else warned_staff(case)
    notify_staff(
        recipients,
        kind="case.customer_wrote",
        mail="case_customer_wrote",
        context={"case": case, "message": message},
        url=case_url(case),
    )

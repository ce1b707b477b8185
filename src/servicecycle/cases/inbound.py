"""Email in: read a maildir or an IMAP mailbox and turn each message into a case or a customer reply.

A message whose subject, ``In-Reply-To`` or ``References`` carries a known case reference (or the Message-ID of
one of our own mails) from the case's contact becomes a customer message on that case; any other message becomes
a new complaint (channel email) with the sender as contact. A message that cannot be used (unreadable, no sender,
too large, from a blocked or automatic sender, no text, refused attachments, a reply from a stranger) is kept
whole in the quarantine with the reason: nothing is ever dropped.

Re-reading a mailbox adds nothing twice: every message is known by its Message-ID (or, without one, by the
SHA-256 of its bytes), whether it became a case, a reply or a quarantined message.

Mailboxes are configured with ``CASE_MAILBOXES`` (see docs/deploy.md), e.g.
``acme=imaps://cases%40acme.test:secret@mail.acme.test:993/INBOX?address=cases@acme.test&service=3``.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import hashlib
import imaplib
import logging
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from servicecycle.accounts.models import Customer, Organization
from servicecycle.cases.models import Case, CaseMessage, QuarantinedMessage
from servicecycle.catalog.models import Service
from servicecycle.core import audit
from servicecycle.core.errors import DomainError

log = logging.getLogger(__name__)

REFERENCE_RE = re.compile(r"\b(C-\d{4}-\d{5,})\b")
MAX_HEADER = 300


# Configuration ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mailbox:
    """One configured source: the organization it feeds, where to read, and its public address."""

    organization: str
    url: str
    address: str = ""
    service_id: int | None = None

    @property
    def label(self) -> str:
        """The source without its password, as shown in the quarantine and the logs."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        user = unquote(parts.username or "")
        where = f"{user}@{host}" if user else host
        if parts.port:
            where += f":{parts.port}"
        return f"{parts.scheme}://{where}{parts.path}"


def parse_mailbox(organization: str, url: str) -> Mailbox:
    """``url`` is ``maildir:///path``, ``imap://`` or ``imaps://user:pass@host:port/FOLDER``; the query may add
    ``address=`` (the address customers write to, used as Reply-To) and ``service=`` (the id new cases get)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("maildir", "imap", "imaps"):
        raise ValueError(f"mailbox of {organization}: use maildir://, imap:// or imaps://, not {parts.scheme!r}")
    query = parse_qs(parts.query)
    service = (query.get("service") or [""])[0]
    if service and not service.isdigit():
        raise ValueError(f"mailbox of {organization}: service= takes the service's id")
    address = (query.get("address") or [""])[0]
    if not address and "@" in unquote(parts.username or ""):
        address = unquote(parts.username or "")
    base = parts._replace(query="").geturl()
    return Mailbox(organization.strip(), base, address, int(service) if service else None)


def configured_mailboxes() -> list[Mailbox]:
    """``settings.CASE_MAILBOXES``: entries ``<organization slug>=<url>`` (a list, or one string, comma-separated)."""
    value: Any = getattr(settings, "CASE_MAILBOXES", [])
    entries = [e for e in (value.split(",") if isinstance(value, str) else value) if str(e).strip()]
    boxes = []
    for entry in entries:
        slug, sep, url = str(entry).partition("=")
        if not sep:
            raise ValueError(f"CASE_MAILBOXES entry {entry!r}: write <organization slug>=<mailbox url>")
        boxes.append(parse_mailbox(slug, url))
    return boxes


def mailbox_address(organization_slug: str) -> str:
    """The address customers of the organization write to (the Reply-To of case mail), "" when none is set."""
    try:
        boxes = configured_mailboxes()
    except ValueError:
        return ""
    return next((b.address for b in boxes if b.organization == organization_slug and b.address), "")


def max_message_bytes() -> int:
    return int(getattr(settings, "CASE_MAIL_MAX_BYTES", 25 * 1024 * 1024))


def blocked_senders() -> list[str]:
    value: Any = getattr(settings, "CASE_MAIL_BLOCKED_SENDERS", [])
    items = value.split(",") if isinstance(value, str) else value
    return [str(i).strip().lower() for i in items if str(i).strip()]


# Reading sources --------------------------------------------------------------------------------------------


def read_maildir(path: str | Path) -> Iterator[tuple[bytes, Any]]:
    """Unseen messages of a maildir, each with a callback that marks it seen (moved to cur/ with the S flag)."""
    box = mailbox.Maildir(str(path), factory=None, create=False)
    for key in list(box.keys()):
        message = box.get_message(key)
        if "S" in message.get_flags():
            continue
        raw = box.get_bytes(key)

        def mark_seen(key: str = key) -> None:
            seen = box.get_message(key)
            seen.set_subdir("cur")
            seen.add_flag("S")
            box[key] = seen

        yield raw, mark_seen


def read_imap(url: str) -> Iterator[tuple[bytes, Any]]:
    """Unseen messages of an IMAP folder (``imaps://user:pass@host:port/FOLDER``), read without marking them;
    each comes with a callback that sets ``\\Seen`` once the message is safely stored."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    client: imaplib.IMAP4
    if parts.scheme == "imaps":
        client = imaplib.IMAP4_SSL(host, parts.port or 993)
    else:
        client = imaplib.IMAP4(host, parts.port or 143)
    try:
        client.login(unquote(parts.username or ""), unquote(parts.password or ""))
        folder = unquote(parts.path.lstrip("/")) or "INBOX"
        status, _data = client.select(f'"{folder}"')
        if status != "OK":
            raise ConnectionError(f"IMAP folder {folder!r} cannot be opened")
        status, data = client.uid("SEARCH", "UNSEEN")
        if status != "OK":
            raise ConnectionError("IMAP search failed")
        for uid in (data[0] or b"").decode().split():
            status, fetched = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((part[1] for part in fetched if isinstance(part, tuple)), None) if status == "OK" else None
            if raw is None:
                continue

            def mark_seen(uid: str = uid) -> None:
                client.uid("STORE", uid, "+FLAGS", "(\\Seen)")

            yield raw, mark_seen
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()


# Turning a message into a case ------------------------------------------------------------------------------


@dataclass
class Result:
    """What one run did, per outcome."""

    created: list[int] = field(default_factory=list)  # case ids
    replies: list[int] = field(default_factory=list)  # case ids
    quarantined: list[int] = field(default_factory=list)  # quarantined message ids
    duplicates: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "replies": len(self.replies),
            "quarantined": len(self.quarantined),
            "duplicates": self.duplicates,
        }


class Unusable(Exception):
    """The message cannot become a case or a reply; the text is the reason kept with it in the quarantine."""


@dataclass
class Parsed:
    message_id: str
    sender: str
    sender_name: str
    subject: str
    body: str
    references: list[str]
    attachments: list[SimpleUploadedFile]


def raw_message_id(raw: bytes) -> str:
    """A stand-in Message-ID for a message that has none: the hash of its bytes (so a re-read still matches)."""
    return f"<sha256.{hashlib.sha256(raw).hexdigest()}@no-message-id>"


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the parser cannot decode
        return ""
    return " ".join(str(value or "").split())


def header_message_id(raw: bytes) -> str:
    """The Message-ID of raw bytes, read as leniently as possible (for de-duplicating even unreadable mail)."""
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        value = _header(message, "Message-ID")  # type: ignore[arg-type]
    except Exception:
        value = ""
    return value[:MAX_HEADER] if value else raw_message_id(raw)


def _text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    text = str(content)
    if part.get_content_subtype() == "html":
        text = strip_tags(text)
    lines = text.replace("\r\n", "\n").split("\n")
    # the quoted history of a reply is already on the case
    kept = [line for line in lines if not line.lstrip().startswith(">")]
    return "\n".join(kept).strip()


def _is_automatic(message: EmailMessage, sender: str) -> bool:
    auto = _header(message, "Auto-Submitted").lower()
    if auto and auto != "no":
        return True
    if _header(message, "Precedence").lower() in ("bulk", "junk", "list", "auto_reply"):
        return True
    local = sender.partition("@")[0].lower()
    return local in ("mailer-daemon", "postmaster") or sender == parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()


def _is_blocked(sender: str) -> bool:
    domain = "@" + sender.rpartition("@")[2]
    return any(entry in (sender, domain) for entry in blocked_senders())


def parse(raw: bytes, *, lenient: bool = False) -> Parsed:
    """Read the message; ``Unusable`` with the reason when it cannot become a case or a reply.

    ``lenient`` (a staff member files a quarantined message as a case) skips the size, sender and text checks.
    """
    if not lenient and len(raw) > max_message_bytes():
        raise Unusable(
            _("The message is %(size)d bytes; the largest accepted is %(limit)d bytes.")
            % {"size": len(raw), "limit": max_message_bytes()}
        )
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        if not isinstance(message, EmailMessage):
            raise TypeError(type(message).__name__)
        from_header = _header(message, "From")
        subject = _header(message, "Subject")
    except Exception as exc:
        raise Unusable(_("The message could not be read: %(error)s") % {"error": exc}) from exc
    name, sender = parseaddr(from_header)
    sender = sender.strip().lower()
    if "@" not in sender:
        sender = ""
    if not lenient:
        if not sender:
            raise Unusable(_("The message has no sender address we could answer."))
        if _is_blocked(sender):
            raise Unusable(_("The sender %(sender)s is blocked.") % {"sender": sender})
        if _is_automatic(message, sender):
            raise Unusable(_("The message is an automatic reply or a delivery report."))
    try:
        body = _text_of(message)
        attachments = []
        for part in message.iter_attachments():
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                continue
            filename = part.get_filename() or "attachment"
            attachments.append(SimpleUploadedFile(filename[:255], payload, part.get_content_type()))
    except Exception as exc:  # a broken encoding or MIME structure
        raise Unusable(_("The message could not be read: %(error)s") % {"error": exc}) from exc
    if not body:
        if not lenient:
            raise Unusable(_("The message has no text we could read."))
        body = subject or _("(The email had no text.)")
    references = [_header(message, "In-Reply-To"), _header(message, "References")]
    message_id = _header(message, "Message-ID")[:MAX_HEADER] or raw_message_id(raw)
    return Parsed(
        message_id=message_id,
        sender=sender[:254],
        sender_name=name.strip()[:200],
        subject=subject[:200],
        body=body,
        references=[r for r in references if r],
        attachments=attachments,
    )


def _idempotency_key(message_id: str) -> str:
    return "email:" + hashlib.sha256(message_id.encode()).hexdigest()[:64]


def already_received(organization: Organization, message_id: str) -> bool:
    return (
        CaseMessage.objects.filter(case__organization=organization, email_message_id=message_id).exists()
        or QuarantinedMessage.objects.filter(organization=organization, message_id=message_id).exists()
        or Case.objects.filter(organization=organization, idempotency_key=_idempotency_key(message_id)).exists()
    )


def find_case(organization: Organization, parsed: Parsed) -> Case | None:
    """The case the message answers: a reference in the subject or the reply headers, or one of our Message-IDs."""
    references = set(REFERENCE_RE.findall(parsed.subject))
    ids: set[str] = set()
    for header in parsed.references:
        references.update(REFERENCE_RE.findall(header))
        ids.update(re.findall(r"<[^<>]+>", header))
    query = Q(reference__in=references) if references else Q(pk__in=[])
    if ids:
        query |= Q(pk__in=CaseMessage.objects.filter(email_message_id__in=ids).values("case_id"))
    return (
        Case.objects.filter(query, organization=organization)
        .select_related("organization", "customer")
        .order_by("-received_at")
        .first()
    )


def _case_contacts(case: Case) -> set[str]:
    addresses = {case.contact_email.lower()} if case.contact_email else set()
    if case.customer is not None and case.customer.email:
        addresses.add(case.customer.email.lower())
    return addresses


def _errors_text(exc: DomainError) -> str:
    errors = getattr(exc, "errors", None)
    if isinstance(errors, dict):
        return " ".join(str(m) for messages in errors.values() for m in messages)
    return exc.message


@transaction.atomic
def quarantine(
    *, organization: Organization, source: str, raw: bytes, reason: str, parsed: Parsed | None = None
) -> QuarantinedMessage:
    sender, subject = (parsed.sender, parsed.subject) if parsed else ("", "")
    if parsed is None:
        try:
            message = email.message_from_bytes(raw, policy=email.policy.default)
            sender = parseaddr(_header(message, "From"))[1]  # type: ignore[arg-type]
            subject = _header(message, "Subject")  # type: ignore[arg-type]
        except Exception:  # kept whole all the same; sender and subject stay empty
            log.info("quarantined message has no readable From or Subject")
    held = QuarantinedMessage.objects.create(
        organization=organization,
        source=source[:300],
        message_id=parsed.message_id if parsed else header_message_id(raw),
        sender=sender[:300],
        subject=subject[:300],
        reason=reason[:500],
        raw=raw,
    )
    audit.record(
        actor=None,
        organization_id=organization.pk,
        verb="case_mail.quarantined",
        obj=held,
        changes={"sender": held.sender, "subject": held.subject, "reason": held.reason, "source": held.source},
    )
    return held


@transaction.atomic
def add_customer_email(*, case: Case, parsed: Parsed) -> CaseMessage:
    """The customer's emailed answer becomes a customer message (with its files) on the case.

    A wait for the customer ends with it; a closed case keeps the message without reopening (reopening is the
    customer's choice on the status page, or staff's).
    """
    from servicecycle.cases import mail as case_mail
    from servicecycle.cases.actions._common import locked, save_step
    from servicecycle.cases.actions.attachments import add_attachments
    from servicecycle.cases.models import CasePause

    case = locked(case)
    now = timezone.now()
    message = CaseMessage.objects.create(
        case=case,
        kind=CaseMessage.Kind.CUSTOMER,
        author_customer=case.customer,
        body=parsed.body,
        created_at=now,
        email_message_id=parsed.message_id,
    )
    add_attachments(case=case, files=parsed.attachments, message=message, from_customer=True)
    changes: dict[str, Any] = {"message": [None, CaseMessage.Kind.CUSTOMER], "email_from": parsed.sender}
    if case.is_open and CasePause.objects.filter(case=case, ended_at__isnull=True).update(ended_at=now):
        changes["resumed_at"] = [None, now]
    save_step(acting_user=None, case=case, verb="case.customer_emailed", changes=changes, now=now, fields=[])
    case_mail.customer_wrote(case, message)
    return message


def _service_for(organization: Organization, mailbox: Mailbox | None) -> Service | None:
    services = Service.objects.filter(organization=organization)
    if mailbox is not None and mailbox.service_id is not None:
        return services.filter(pk=mailbox.service_id).first()
    return services.exclude(status=Service.Status.RETIRED).order_by("pk").first()


@transaction.atomic
def create_case_from_email(
    *, organization: Organization, parsed: Parsed, mailbox: Mailbox | None = None, acting_user: Any = None
) -> Case:
    """A new complaint (channel email) with the sender as contact, the text as description and the files kept."""
    from servicecycle.cases.actions.attachments import add_attachments
    from servicecycle.cases.actions.intake import create_case

    service = _service_for(organization, mailbox)
    if service is None:
        raise Unusable(_("The organization has no service to file the case under."))
    customer = Customer.objects.filter(organization=organization, email__iexact=parsed.sender).order_by("pk").first()
    created = create_case(
        acting_user=acting_user,
        organization=organization,
        kind=Case.Kind.COMPLAINT,
        channel=Case.Channel.EMAIL,
        service_id=service.pk,
        subject=parsed.subject,
        description=parsed.body,
        customer_id=customer.pk if customer else None,
        contact_name=parsed.sender_name,
        contact_email=parsed.sender,
        idempotency_key=_idempotency_key(parsed.message_id),
    )
    add_attachments(case=created.case, files=parsed.attachments, from_customer=True, acting_user=acting_user)
    return created.case


def receive(
    *, organization: Organization, raw: bytes, source: str, mailbox: Mailbox | None = None, result: Result
) -> None:
    """Take one message: a reply, a new case or the quarantine (or nothing, when it was taken before)."""
    message_id = header_message_id(raw)
    if already_received(organization, message_id):
        result.duplicates += 1
        return
    parsed: Parsed | None = None
    try:
        parsed = parse(raw)
        if parsed.message_id != message_id and already_received(organization, parsed.message_id):
            result.duplicates += 1
            return
        case = find_case(organization, parsed)
        if case is not None:
            if parsed.sender not in _case_contacts(case):
                raise Unusable(
                    _("The message names case %(reference)s but %(sender)s is not its contact.")
                    % {"reference": case.reference, "sender": parsed.sender}
                )
            add_customer_email(case=case, parsed=parsed)
            result.replies.append(case.pk)
        else:
            result.created.append(create_case_from_email(organization=organization, parsed=parsed, mailbox=mailbox).pk)
    except Unusable as exc:
        result.quarantined.append(
            quarantine(organization=organization, source=source, raw=raw, reason=str(exc), parsed=parsed).pk
        )
    except DomainError as exc:  # refused attachments, a text the intake rejects
        reason = _("The message could not become a case: %(error)s") % {"error": _errors_text(exc)}
        result.quarantined.append(
            quarantine(organization=organization, source=source, raw=raw, reason=reason, parsed=parsed).pk
        )


def fetch(mailbox: Mailbox) -> Result:
    """Read every unseen message of one configured mailbox into its organization's cases."""
    organization = Organization.objects.get(slug=mailbox.organization)
    parts = urlsplit(mailbox.url)
    messages = read_maildir(unquote(parts.path)) if parts.scheme == "maildir" else read_imap(mailbox.url)
    result = Result()
    for raw, mark_seen in messages:
        receive(organization=organization, raw=raw, source=mailbox.label, mailbox=mailbox, result=result)
        mark_seen()
    log.info("case mail from %s: %s", mailbox.label, result.as_dict())
    return result


# The quarantine, for staff ----------------------------------------------------------------------------------


def _held_for(acting_user: Any, message: QuarantinedMessage) -> Any:
    from django.http import Http404

    from servicecycle.accounts.permissions import require

    staff = require(acting_user, "case.configure")
    if message.organization_id != staff.organization_id:
        raise Http404
    if message.resolved_at is not None:
        raise DomainError(_("This message was already dealt with."), field="status")
    return staff


@transaction.atomic
def file_quarantined_as_case(*, acting_user: Any, message: QuarantinedMessage) -> Case:
    """A staff member decides a quarantined message is a real complaint after all: it becomes a case (the size,
    sender and text checks are waived; its attachments are still checked like any other)."""
    message = QuarantinedMessage.objects.select_for_update().get(pk=message.pk)
    staff = _held_for(acting_user, message)
    try:
        parsed = parse(bytes(message.raw), lenient=True)
    except Unusable:
        raise DomainError(
            _("This message cannot be read at all. Download it and record the case by hand."), field="raw"
        ) from None
    parsed.message_id = message.message_id or parsed.message_id
    case = create_case_from_email(organization=staff.organization, parsed=parsed, acting_user=acting_user)
    message.resolved_at, message.resolved_by, message.case = timezone.now(), staff, case
    message.save(update_fields=["resolved_at", "resolved_by", "case"])
    audit.record(
        actor=acting_user,
        organization_id=staff.organization_id,
        verb="case_mail.filed_as_case",
        obj=message,
        changes={"case": case.reference, "sender": message.sender, "subject": message.subject},
    )
    return case


@transaction.atomic
def discard_quarantined(*, acting_user: Any, message: QuarantinedMessage) -> QuarantinedMessage:
    """Mark a quarantined message as dealt with (spam, a bounce): it leaves the list but its bytes are kept."""
    message = QuarantinedMessage.objects.select_for_update().get(pk=message.pk)
    staff = _held_for(acting_user, message)
    message.resolved_at, message.resolved_by = timezone.now(), staff
    message.save(update_fields=["resolved_at", "resolved_by"])
    audit.record(
        actor=acting_user,
        organization_id=staff.organization_id,
        verb="case_mail.discarded",
        obj=message,
        changes={"sender": message.sender, "subject": message.subject, "reason": message.reason},
    )
    return message

"""Inbound email read from a real maildir (stdlib ``mailbox.Maildir`` on disk) by the ``fetch_case_mail`` command.

New complaints, replies threaded by reference (subject or In-Reply-To), attachments, and everything unusable
in the quarantine with its raw bytes; reading the mailbox again adds nothing twice.
"""

from __future__ import annotations

import io
import mailbox
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from servicecycle.cases import inbound
from servicecycle.cases.models import Case, CaseAttachment, CaseMessage, QuarantinedMessage
from servicecycle.cases.tasks import fetch_case_mail
from servicecycle.core.models import AuditEvent, Notification
from tests.cases import builders
from tests.factories import World


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _png()


def _mail(
    subject: str,
    body: str,
    sender: str = "Marta Ruiz <marta@example.test>",
    *,
    in_reply_to: str = "",
    message_id: str | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "cases@acme.test"
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="example.test")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message.set_content(body)
    return message


@pytest.fixture
def maildir(tmp_path: Path) -> mailbox.Maildir:
    return mailbox.Maildir(str(tmp_path / "cases"), create=True)


def _fetch(world: World, box: mailbox.Maildir) -> str:
    out = io.StringIO()
    call_command("fetch_case_mail", "--maildir", box._path, "--organization", world.org.slug, stdout=out)  # type: ignore[attr-defined]
    return out.getvalue()


def test_a_new_message_becomes_an_email_complaint_with_the_sender_as_contact(
    world: World, maildir: mailbox.Maildir
) -> None:
    maildir.add(_mail("Broken fridge delivered", "The fridge arrived with a dented door.\nPlease call me."))
    out = _fetch(world, maildir)
    assert "new cases: 1" in out
    case = Case.objects.get(organization=world.org)
    assert (case.kind, case.channel, case.status) == ("complaint", "email", "received")
    assert case.contact_email == "marta@example.test"
    assert case.contact_name == "Marta Ruiz"
    assert case.subject == "Broken fridge delivered"
    assert "dented door" in case.description
    assert case.service_id == world.service.pk
    assert AuditEvent.objects.filter(verb="case.created", object_id=case.pk).exists()


def test_a_reply_joins_its_case_by_subject_reference_and_by_our_message_id(
    world: World, maildir: mailbox.Maildir, settings: Any
) -> None:
    settings.DEFAULT_FROM_EMAIL = "Acme <cases@acme.test>"
    case = builders.public_complaint(world, contact_email="marta@example.test").case
    case = builders.to_investigating(world, case)
    from servicecycle.cases import actions

    reply = actions.add_message(acting_user=world.agent.user, case=case, kind="public_reply", body="Which door?")
    reply.refresh_from_db()
    assert reply.email_message_id
    # one names the reference in the subject; the other only answers our mail's Message-ID
    maildir.add(_mail(f"Re: [{case.reference}] Our reply", "The left door.\n\n> Which door?"))
    maildir.add(_mail("Re: your mail", "Also the handle is loose.", in_reply_to=reply.email_message_id))
    out = _fetch(world, maildir)
    assert "replies: 2" in out and "new cases: 0" in out
    bodies = list(case.messages.filter(kind=CaseMessage.Kind.CUSTOMER).values_list("body", flat=True))
    assert sorted(bodies) == ["Also the handle is loose.", "The left door."]  # the quoted history is left out
    assert Case.objects.filter(organization=world.org).count() == 1
    assert AuditEvent.objects.filter(verb="case.customer_emailed", object_id=case.pk).count() == 2
    # the assignee is told under the bell
    assert Notification.objects.filter(recipient=world.agent, kind="case.customer_wrote").count() == 2


def test_a_reply_from_someone_else_is_quarantined_not_added(world: World, maildir: mailbox.Maildir) -> None:
    case = builders.public_complaint(world, contact_email="marta@example.test").case
    maildir.add(_mail(f"Re: [{case.reference}]", "I am not Marta.", sender="mallory@example.test"))
    assert "quarantined: 1" in _fetch(world, maildir)
    assert not case.messages.exists()
    held = QuarantinedMessage.objects.get()
    assert case.reference in held.reason and held.sender == "mallory@example.test"


def test_attachments_are_kept_and_refused_ones_send_the_message_to_quarantine(
    world: World, maildir: mailbox.Maildir, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    good = _mail("Photo of the damage", "See the photo.")
    good.add_attachment(PNG, maintype="image", subtype="png", filename="door.png")
    bad = _mail("A program", "Run this to see.")
    bad.add_attachment(
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff",
        maintype="application",
        subtype="octet-stream",
        filename="see.exe",
    )
    maildir.add(good)
    maildir.add(bad)
    out = _fetch(world, maildir)
    assert "new cases: 1" in out and "quarantined: 1" in out
    attachment = CaseAttachment.objects.get()
    assert (attachment.original_name, attachment.content_type, attachment.size) == ("door.png", "image/png", len(PNG))
    assert attachment.case.subject == "Photo of the damage"
    held = QuarantinedMessage.objects.get()
    assert "see.exe" in held.reason
    assert held.subject == "A program"
    assert Case.objects.count() == 1  # nothing partial of the refused message


def test_unusable_messages_are_quarantined_whole_with_the_reason(
    world: World, maildir: mailbox.Maildir, settings: Any
) -> None:
    settings.CASE_MAIL_MAX_BYTES = 4000
    settings.CASE_MAIL_BLOCKED_SENDERS = ["@spam.test"]
    broken = b"\x00\xff\xfe this is not an email at all \x00\n\n\xff"
    oversized = _mail("Big", "x" * 6000)
    no_text = _mail("", "")
    blocked = _mail("Cheap pills", "Buy now", sender="offers@spam.test")
    bounce = _mail(
        "Undelivered Mail Returned to Sender",
        "The mail could not be delivered.",
        sender="MAILER-DAEMON@mail.example.test",
    )
    for message in (broken, oversized, no_text, blocked, bounce):
        maildir.add(message)
    out = _fetch(world, maildir)
    assert "quarantined: 5" in out and "new cases: 0" in out
    held = {q.raw.tobytes() if hasattr(q.raw, "tobytes") else bytes(q.raw): q for q in QuarantinedMessage.objects.all()}
    assert bytes(held[broken].raw) == broken  # kept byte for byte
    reasons = sorted(q.reason for q in held.values())
    assert any("no sender" in r for r in reasons)
    assert any("largest accepted is 4000 bytes" in r for r in reasons)
    assert any("no text" in r for r in reasons)
    assert any("offers@spam.test is blocked" in r for r in reasons)
    assert any("automatic reply" in r for r in reasons)
    assert Case.objects.count() == 0
    assert AuditEvent.objects.filter(verb="case_mail.quarantined").count() == 5


def test_reading_again_adds_nothing_twice(world: World, maildir: mailbox.Maildir) -> None:
    first = _mail("Late bus", "The 8:15 did not come.")
    maildir.add(first)
    maildir.add(b"garbage without headers")
    assert "new cases: 1" in _fetch(world, maildir)
    # read messages are marked seen (moved to cur/ with the S flag) ...
    assert all("S" in m.get_flags() for m in maildir)
    assert "already read: 0" in _fetch(world, maildir) and "new cases: 0" in _fetch(world, maildir)
    # ... and a second delivery of the same messages (or a reset mailbox) is recognised by Message-ID / content
    maildir.add(first)
    maildir.add(b"garbage without headers")
    assert "already read: 2" in _fetch(world, maildir)
    assert Case.objects.count() == 1
    assert QuarantinedMessage.objects.count() == 1


def test_configured_mailboxes_are_read_by_the_task(world: World, maildir: mailbox.Maildir, settings: Any) -> None:
    settings.CASE_MAILBOXES = [f"{world.org.slug}=maildir://{maildir._path}?address=cases@acme.test"]  # type: ignore[attr-defined]
    maildir.add(_mail("Rude driver", "The driver shouted at me."))
    results = fetch_case_mail.call()
    assert list(results.values()) == [{"created": 1, "replies": 0, "quarantined": 0, "duplicates": 0}]
    assert inbound.mailbox_address(world.org.slug) == "cases@acme.test"
    settings.CASE_MAILBOXES = [f"{world.org.slug}=maildir:///does/not/exist"]
    assert list(fetch_case_mail.call().values()) == [{"failed": 1}]  # logged, the other mailboxes still run


def test_command_refuses_unclear_options(world: World, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="--organization"):
        call_command("fetch_case_mail", "--maildir", str(tmp_path))
    with pytest.raises(CommandError, match="no organization"):
        call_command("fetch_case_mail", "--maildir", str(tmp_path), "--organization", "nope")
    with pytest.raises(CommandError, match="could not be read"):
        call_command("fetch_case_mail", "--maildir", str(tmp_path / "missing"), "--organization", world.org.slug)


def test_mailbox_urls_are_parsed_without_showing_the_password() -> None:
    box = inbound.parse_mailbox("acme", "imaps://cases%40acme.test:s3cr%2Ct@mail.acme.test:993/INBOX?service=4")
    assert box.address == "cases@acme.test" and box.service_id == 4
    assert box.label == "imaps://cases@acme.test@mail.acme.test:993/INBOX"
    assert "s3cr" not in box.label
    with pytest.raises(ValueError, match="maildir://, imap:// or imaps://"):
        inbound.parse_mailbox("acme", "pop3://x@y/")


def test_quarantine_page_lists_downloads_files_and_sets_aside(
    world: World, maildir: mailbox.Maildir, client_for: Any, settings: Any
) -> None:
    from django.urls import reverse

    settings.CASE_MAIL_BLOCKED_SENDERS = ["@spam.test"]
    maildir.add(_mail("Refund please", "My order never came.", sender="Rui <rui@spam.test>"))
    maildir.add(_mail("Win a prize", "Click here", sender="win@spam.test"))
    _fetch(world, maildir)
    real, spam = QuarantinedMessage.objects.order_by("subject")
    client = client_for("manager")
    page = client.get(reverse("case-quarantine")).content.decode()
    assert "Refund please" in page and "rui@spam.test is blocked" in page
    raw = client.get(reverse("case-quarantine-raw", args=[real.pk]))
    assert raw["Content-Type"] == "message/rfc822" and raw.content == bytes(real.raw)
    filed = client.post(reverse("case-quarantine-create", args=[real.pk]))
    case = Case.objects.get(organization=world.org)
    assert filed.status_code == 302 and filed["Location"] == reverse("case-detail", args=[case.pk])
    assert (case.channel, case.contact_email, case.subject) == ("email", "rui@spam.test", "Refund please")
    assert client.post(reverse("case-quarantine-discard", args=[spam.pk])).status_code == 302
    real.refresh_from_db()
    spam.refresh_from_db()
    assert real.case_id == case.pk and real.resolved_by == world.manager
    assert spam.resolved_at is not None and bytes(spam.raw)  # set aside, still kept
    assert "Nothing in quarantine" in client.get(reverse("case-quarantine")).content.decode()
    assert "Win a prize" in client.get(reverse("case-quarantine") + "?show=all").content.decode()
    # dealt with once only; every decision is audited
    again = client.post(reverse("case-quarantine-create", args=[real.pk]), follow=True).content.decode()
    assert "already dealt with" in again and Case.objects.count() == 1
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {"case_mail.filed_as_case", "case_mail.discarded"} <= verbs


@pytest.fixture(scope="session")
def imap_server() -> tuple[int, int]:
    """A real IMAP4 server (Twisted's, packaged by localmail) on loopback, with an SMTP side to deliver into it.

    Twisted's reactor runs once per process, so the server lives for the whole session; every test sending to it
    uses its own Message-IDs.
    """
    import threading

    localmail = pytest.importorskip("localmail")
    ready: dict[str, int] = {}
    started = threading.Event()

    def on_start(smtp_port: int, imap_port: int, http_port: int) -> None:
        ready.update(smtp=smtp_port, imap=imap_port)
        started.set()

    thread = threading.Thread(target=localmail.run, args=(0, 0, 0), kwargs={"callback": on_start}, daemon=True)
    thread.start()
    assert started.wait(20), "the IMAP server did not start"
    return ready["smtp"], ready["imap"]


def test_an_imap_mailbox_is_read_like_a_maildir(world: World, imap_server: tuple[int, int]) -> None:
    import smtplib

    smtp_port, imap_port = imap_server
    case = builders.public_complaint(world, contact_email="marta@example.test").case
    messages = [
        _mail("Wrong invoice", "I was charged twice for one delivery."),
        _mail(f"Re: [{case.reference}]", "Here is my order number: 7781."),
    ]
    with smtplib.SMTP("127.0.0.1", smtp_port) as smtp:
        for message in messages:
            smtp.send_message(message)
    url = f"imap://cases%40acme.test:secret@127.0.0.1:{imap_port}/INBOX"
    out = io.StringIO()
    call_command("fetch_case_mail", "--imap", url, "--organization", world.org.slug, stdout=out)
    assert "new cases: 1, replies: 1, quarantined: 0" in out.getvalue()
    assert case.messages.get(kind=CaseMessage.Kind.CUSTOMER).body == "Here is my order number: 7781."
    assert Case.objects.filter(subject="Wrong invoice", channel="email").exists()
    # the messages were marked \\Seen on the server: a second run finds nothing new
    again = io.StringIO()
    call_command("fetch_case_mail", "--imap", url, "--organization", world.org.slug, stdout=again)
    assert "new cases: 0, replies: 0, quarantined: 0, already read: 0" in again.getvalue()
    assert Case.objects.filter(organization=world.org).count() == 2

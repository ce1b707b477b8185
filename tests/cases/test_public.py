"""The customer's side of cases: the public intake form, the status page and the case's files."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from servicecycle.cases import actions
from servicecycle.cases.models import Case, CaseAttachment, CaseMessage, CaseSequence
from servicecycle.core.models import AuditEvent
from tests.cases import builders
from tests.factories import World

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def image(name: str = "photo.jpg", fmt: str = "JPEG", size: tuple[int, int] = (40, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, fmt)
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}[fmt]
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


def form_data(w: World, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "complaint",
        "service": str(w.service.pk),
        "moment": str(w.moments[1].pk),
        "subject": "Parcel left in the rain",
        "description": "The driver left the parcel outside in the rain; the contents are soaked.",
        "contact_name": "Ana Ruiz",
        "contact_email": "ana@example.test",
        "language": "en",
        "website": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def intake_url(w: World) -> str:
    return reverse("case-intake", kwargs={"slug": w.org.slug})


def post(client: Client, w: World, **overrides: Any) -> Any:
    return client.post(intake_url(w), form_data(w, **overrides))


def status_token(response: Any) -> str:
    match = re.search(r"/c/status/([A-Za-z0-9_-]+)/", response.content.decode())
    assert match, "no status link on the page"
    return match.group(1)


# Intake form ---------------------------------------------------------------------------------------------------


def test_the_form_shows_the_organizations_active_services_and_their_moments(world: World) -> None:
    response = Client().get(intake_url(world))
    body = response.content.decode()
    assert response.status_code == 200
    assert world.service.name in body and world.moments[0].name in body
    assert 'class="hp-field"' in body and "style=" not in body.split("<main", 1)[1]
    assert "Customers" not in body  # no staff navigation for visitors
    narrowed = Client().get(intake_url(world), {"service": world.service.pk}, HTTP_HX_REQUEST="true")
    assert narrowed.status_code == 200
    assert 'id="moment-field"' in narrowed.content.decode() and "<html" not in narrowed.content.decode()


def test_an_unknown_organization_is_a_404(db: None) -> None:
    assert Client().get(reverse("case-intake", kwargs={"slug": "nobody-here"})).status_code == 404


@pytest.mark.parametrize(
    ("kind", "extra", "channel"),
    [
        ("complaint", {}, "web_form"),
        ("claim", {"claim_request": "refund", "claim_amount": "49.90", "claim_currency": "eur"}, "web_form"),
        ("suggestion", {"contact_email": "", "contact_name": ""}, "suggestion_box"),
        ("compliment", {}, "web_form"),
        ("question", {}, "web_form"),
    ],
)
def test_each_kind_is_received_with_a_reference_and_a_working_status_link(
    world: World, kind: str, extra: dict[str, Any], channel: str
) -> None:
    response = post(Client(), world, kind=kind, **extra)
    assert response.status_code == 200
    case = Case.objects.get()
    assert (case.kind, case.channel, case.status, case.moment) == (kind, channel, "received", world.moments[1])
    body = response.content.decode()
    assert case.reference in body
    assert "http://" in body  # the status link is absolute
    status_page = Client().get(reverse("case-status", kwargs={"token": status_token(response)}))
    assert status_page.status_code == 200 and case.reference in status_page.content.decode()
    if kind == "claim":
        assert (case.claim_request, str(case.claim_amount), case.claim_currency) == ("refund", "49.90", "EUR")
    if kind == "suggestion":
        assert case.contact_email == "" and case.customer is None


def test_a_spanish_visitor_files_a_complaint_in_spanish_and_gets_the_acknowledgement_in_spanish(
    world: World, run_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    client.cookies["django_language"] = "es"
    page = client.get(intake_url(world))
    assert 'lang="es"' in page.content.decode()
    assert 'value="es" selected' in page.content.decode() or 'value="es"\n' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            intake_url(world),
            {**form_data(world, language="es", subject="Paquete mojado"), "attachments": [image()]},
        )
    assert response.status_code == 200
    run_tasks()
    case = Case.objects.get()
    assert case.attachments.count() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ana@example.test"]
    assert case.reference in message.subject
    assert status_token(response) in message.body
    # rendered in Spanish: Django's own Spanish date format names the month ("23 de noviembre de 2026")
    months = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre")
    assert any(f" de {month} de " in message.body for month in (*months, "noviembre", "diciembre"))


def test_the_acknowledgement_is_mailed_for_a_case_with_an_email_from_any_channel(
    world: World, run_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        created = builders.complaint(world, channel="email", contact_email="luis@example.test", language="en")
        builders.complaint(world, channel="hotline", hotline_caller="Someone")  # no email: nothing sent
    run_tasks()
    assert [m.to for m in mail.outbox] == [["luis@example.test"]]
    assert created.case.reference in mail.outbox[0].subject
    assert created.status_token in mail.outbox[0].body
    assert mail.outbox[0].body.startswith("Hello,")
    assert " de " not in mail.outbox[0].body.split("Received:")[1].splitlines()[0]  # English date


def test_missing_required_fields_are_named_and_nothing_is_saved(world: World) -> None:
    response = post(Client(), world, kind="", subject="", description="", contact_email="", service="")
    assert response.status_code == 400
    body = response.content.decode()
    for label in ("What would you like to send us?", "Which service is it about?", "Subject", "Your message"):
        assert label in body
    assert "Choose what you would like to send us." in body
    assert "Tell us what happened." in body
    # the summary at the top links each field in error to the field itself
    summary = body.split('id="form-errors"', 1)[1].split("</div>", 1)[0]
    links = re.findall(r'<a href="#([^"]+)">', summary)
    assert {"id_kind_0", "id_service", "id_description"} <= set(links), links
    assert all(f'id="{target}"' in body for target in links), links
    assert Case.objects.count() == 0


def test_a_complaint_needs_an_email_and_a_claim_says_what_it_asks(world: World) -> None:
    response = post(Client(), world, contact_email="")
    assert "Give your email address so we can answer you." in response.content.decode()
    response = post(Client(), world, kind="claim", claim_amount="12", claim_currency="")
    body = response.content.decode()
    assert "Say whether you ask for a refund, a replacement or compensation." in body
    assert "Give the currency of the amount." in body
    response = post(Client(), world, moment="999999")
    assert response.status_code == 400
    assert Case.objects.count() == 0


def test_a_moment_of_another_service_is_refused(world: World) -> None:
    from tests import factories

    other_service = factories.service(world.admin, world.owner_team, "Returns")
    other_moment = factories.moment(world.admin, other_service, name="Drop-off")
    response = post(Client(), world, moment=str(other_moment.pk))
    assert response.status_code == 400
    assert "Choose a moment of truth of the case&#x27;s service." in response.content.decode() or (
        "moment" in response.content.decode()
    )
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            lambda: [SimpleUploadedFile("big.pdf", PDF + b"x" * 2048, content_type="application/pdf")],
            "each file can be at most",
        ),
        (
            lambda: [SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not a picture at all \x00\x01", "image/jpeg")],
            "is not a file type we accept",
        ),
        (lambda: [SimpleUploadedFile("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00", "application/pdf")], "tool.exe"),
        (
            lambda: [SimpleUploadedFile("page.html", b"<html><script>alert(1)</script></html>", "text/plain")],
            "page.html",
        ),
        (lambda: [image("a.png", "PNG") for _ in range(3)], "at most 2 files"),
        (lambda: [image("ok.png", "PNG"), SimpleUploadedFile("empty.txt", b"", "text/plain")], "“empty.txt” is empty"),
    ],
)
def test_a_bad_attachment_is_named_and_nothing_is_saved(
    world: World, settings: Any, _media: Any, files: Any, message: str
) -> None:
    settings.CASE_ATTACHMENT_MAX_BYTES = 2048
    settings.CASE_ATTACHMENT_MAX_FILES = 2
    response = Client().post(intake_url(world), {**form_data(world), "attachments": files()})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (Case.objects.count(), CaseAttachment.objects.count(), CaseSequence.objects.count()) == (0, 0, 0)
    assert not _media.exists() or not any(p.is_file() for p in _media.rglob("*"))


def test_good_attachments_of_every_accepted_type_are_kept_under_random_names(world: World, settings: Any) -> None:
    files = [
        image("photo.jpeg", "JPEG"),
        image("screen.png", "PNG"),
        image("anim.gif", "GIF"),
        SimpleUploadedFile("receipt.pdf", PDF, content_type="application/octet-stream"),
        SimpleUploadedFile("notes.txt", "Pedido 4711 – señal débil".encode(), content_type="text/plain"),
    ]
    response = Client().post(intake_url(world), {**form_data(world), "attachments": files})
    assert response.status_code == 200
    kept = list(CaseAttachment.objects.order_by("id"))
    assert [a.original_name for a in kept] == ["photo.jpeg", "screen.png", "anim.gif", "receipt.pdf", "notes.txt"]
    assert [a.content_type for a in kept] == ["image/jpeg", "image/png", "image/gif", "application/pdf", "text/plain"]
    for attachment in kept:
        assert attachment.original_name not in attachment.file.name
        assert attachment.file.storage.exists(attachment.file.name)
    event = AuditEvent.objects.get(verb="case.attachments_added")
    assert event.changes["attachments"][0] == "photo.jpeg"


def test_a_filled_honeypot_thanks_the_robot_and_keeps_nothing(world: World) -> None:
    response = post(Client(), world, website="http://spam.example")
    assert response.status_code == 200
    assert "Thank you, we have received your message" in response.content.decode()
    assert Case.objects.count() == 0 and AuditEvent.objects.filter(verb="case.created").count() == 0


def test_sending_the_same_form_twice_files_one_case(world: World) -> None:
    client = Client()
    first = client.post(intake_url(world), {**form_data(world), "submission": "abc123"})
    again = client.post(intake_url(world), {**form_data(world), "submission": "abc123"})
    assert Case.objects.count() == 1
    reference = Case.objects.get().reference
    assert reference in first.content.decode() and reference in again.content.decode()
    assert "You had already sent this message" in again.content.decode()


def test_a_flood_of_100_submissions_from_one_address_is_stopped_after_the_limit(
    world: World, one_rate_window: None
) -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    codes = [post(client, world, subject=f"Flood {i}").status_code for i in range(100)]
    assert codes[:10] == [200] * 10
    assert set(codes[10:]) == {429}
    assert Case.objects.count() == 10
    limited = post(client, world)
    assert "Too many requests" in limited.content.decode() and limited["Retry-After"]
    # another address is not affected
    assert post(Client(REMOTE_ADDR="203.0.113.10"), world).status_code == 200


# Status page ---------------------------------------------------------------------------------------------------


def test_a_forged_or_unknown_token_is_a_404(world: World) -> None:
    builders.public_complaint(world)
    for token in ("forged-token", "x" * 43):
        assert Client().get(reverse("case-status", kwargs={"token": token})).status_code == 404
        response = Client().post(reverse("case-status", kwargs={"token": token}), {"step": "add", "add-body": "Hi"})
        assert response.status_code == 404
    assert CaseMessage.objects.count() == 0


def test_the_status_page_shows_public_replies_but_never_internal_notes(world: World) -> None:
    created = builders.public_complaint(world)
    case = builders.to_investigating(world, created.case)
    actions.add_message(acting_user=world.agent.user, case=case, kind="internal_note", body="Customer is a VIP")
    actions.add_message(acting_user=world.agent.user, case=case, kind="public_reply", body="We are on it.")
    response = Client().get(reverse("case-status", kwargs={"token": created.status_token}))
    body = response.content.decode()
    assert "We are on it." in body and "VIP" not in body
    assert "Someone is looking into your case." in body
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


def test_the_customer_adds_information_with_a_file_and_downloads_it(world: World) -> None:
    created = builders.public_complaint(world)
    url = reverse("case-status", kwargs={"token": created.status_token})
    client = Client()
    response = client.post(
        url, {"step": "add", "add-body": "Order 4711.", "add-attachments": [image("proof.png", "PNG")]}
    )
    assert response.status_code == 302
    message = CaseMessage.objects.get(kind="customer")
    attachment = CaseAttachment.objects.get()
    assert (message.body, attachment.message, attachment.from_customer) == ("Order 4711.", message, True)
    page = client.get(url).content.decode()
    assert "Order 4711." in page and "proof.png" in page
    file_url = reverse("case-status-file", kwargs={"token": created.status_token, "pk": attachment.pk})
    download = client.get(file_url)
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content).startswith(b"\x89PNG")
    # another case's token does not open this file
    other = builders.public_complaint(world)
    wrong = reverse("case-status-file", kwargs={"token": other.status_token, "pk": attachment.pk})
    assert client.get(wrong).status_code == 404


def test_adding_information_with_a_bad_file_keeps_neither_the_message_nor_the_file(world: World) -> None:
    created = builders.public_complaint(world)
    url = reverse("case-status", kwargs={"token": created.status_token})
    bad = SimpleUploadedFile("virus.pdf", b"MZ\x00\x00\x01binary", content_type="application/pdf")
    response = Client().post(url, {"step": "add", "add-body": "See file", "add-attachments": [bad]})
    assert response.status_code == 400
    assert "virus.pdf" in response.content.decode()
    assert (CaseMessage.objects.count(), CaseAttachment.objects.count()) == (0, 0)
    empty = Client().post(url, {"step": "add", "add-body": ""})
    assert "Write the information you want to add." in empty.content.decode()


def test_an_internal_file_is_not_downloadable_through_the_status_link(world: World) -> None:
    created = builders.public_complaint(world)
    case = builders.to_investigating(world, created.case)
    note = actions.add_message(acting_user=world.agent.user, case=case, kind="internal_note", body="See scan")
    [internal] = actions.add_attachments(
        case=case, files=[image("scan.png", "PNG")], message=note, from_customer=False, acting_user=world.agent.user
    )
    url = reverse("case-status-file", kwargs={"token": created.status_token, "pk": internal.pk})
    assert Client().get(url).status_code == 404
    assert (
        "scan.png" not in Client().get(reverse("case-status", kwargs={"token": created.status_token})).content.decode()
    )


def test_the_customer_disputes_the_communicated_answer_and_the_case_is_reopened(world: World) -> None:
    created = builders.public_complaint(world)
    builders.to_communicated(world, created.case)
    url = reverse("case-status", kwargs={"token": created.status_token})
    page = Client().get(url).content.decode()
    assert "Does our answer settle it?" in page and "We will refund the delivery fee." in page
    assert "reason" in Client().post(url, {"step": "dispute", "dispute-reason": ""}).content.decode()
    response = Client().post(url, {"step": "dispute", "dispute-reason": "The fee was never refunded."})
    assert response.status_code == 302
    case = builders.fresh(created.case)
    assert (case.status, case.reopen_count) == ("reopened", 1)
    assert CaseMessage.objects.filter(kind="customer", body="The fee was never refunded.").exists()
    assert AuditEvent.objects.filter(verb="case.reopened", object_id=case.pk, actor=None).exists()


def test_the_customer_accepts_the_answer_once(world: World) -> None:
    created = builders.public_complaint(world)
    builders.to_communicated(world, created.case)
    url = reverse("case-status", kwargs={"token": created.status_token})
    client = Client()
    assert client.post(url, {"step": "accept"}).status_code == 302
    page = client.get(url).content.decode()
    assert "that our answer settles it" in page
    assert 'value="accept"' not in page
    client.post(url, {"step": "accept"})
    assert AuditEvent.objects.filter(verb="case.outcome_accepted", object_id=created.case.pk).count() == 1
    assert builders.fresh(created.case).status == "communicated"


def test_accepting_before_any_answer_is_refused(world: World) -> None:
    created = builders.public_complaint(world)
    with pytest.raises(Exception, match="no response to accept"):
        actions.customer_accept_outcome(token=created.status_token or "")


def test_after_closing_the_customer_rates_the_handling_once(world: World) -> None:
    created = builders.public_complaint(world)
    builders.closed(world, created.case)
    url = reverse("case-status", kwargs={"token": created.status_token})
    client = Client()
    page = client.get(url).content.decode()
    assert "How did we do?" in page and "Add information" not in page
    assert "Choose a score from 1 to 5." in client.post(url, {"step": "rate", "rate-score": "9"}).content.decode()
    response = client.post(url, {"step": "rate", "rate-score": "4", "rate-comment": "Quick and kind"})
    assert response.status_code == 302
    case = builders.fresh(created.case)
    assert (case.satisfaction_score, case.satisfaction_comment) == (4, "Quick and kind")
    page = client.get(url).content.decode()
    assert "4 out of 5" in page and 'value="rate"' not in page
    client.post(url, {"step": "rate", "rate-score": "1"})
    assert builders.fresh(created.case).satisfaction_score == 4


def test_the_status_page_is_rate_limited(world: World, one_rate_window: None) -> None:
    client = Client(REMOTE_ADDR="203.0.113.20")
    url = reverse("case-status", kwargs={"token": "forged"})
    codes = {client.get(url).status_code for _ in range(301)}
    assert codes == {404, 429}


# Staff download ------------------------------------------------------------------------------------------------


def test_staff_download_a_case_file_of_their_organization_only(world: World, client_for: Any) -> None:
    created = builders.public_complaint(world)
    [attachment] = actions.add_attachments(case=created.case, files=[image()])
    url = reverse("case-file", kwargs={"case_pk": created.case.pk, "pk": attachment.pk})
    response = client_for("viewer").get(url)
    assert response.status_code == 200
    assert 'filename="photo.jpg"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client_for("outsider").get(url).status_code == 404
    assert Client().get(url).status_code == 302
    other = builders.public_complaint(world)
    mismatched = reverse("case-file", kwargs={"case_pk": other.case.pk, "pk": attachment.pk})
    assert client_for("admin").get(mismatched).status_code == 404


def test_later_mails_carry_a_signed_status_link_that_opens_the_case_and_dies_with_a_new_token(world: Any) -> None:
    from servicecycle.cases.mail import status_url
    from servicecycle.cases.models import Case as CaseModel

    case = builders.complaint(world).case
    url = status_url(case)
    path = url[url.index("/c/status/") :]
    assert Client().get(path).status_code == 200
    assert Client().get(path[:-3] + "xyz/").status_code == 404  # tampered signature
    CaseModel.objects.filter(pk=case.pk).update(status_token_hash="0" * 64)
    assert Client().get(path).status_code == 404

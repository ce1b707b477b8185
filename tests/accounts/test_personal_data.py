"""A customer's personal data: the export of everything held, and erasure that keeps the case statistics."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from servicecycle.accounts import actions as accounts
from servicecycle.accounts import personal_data
from servicecycle.accounts.models import Customer
from servicecycle.cases import actions
from servicecycle.cases.models import Case, CaseAttachment, CaseMessage
from servicecycle.core.errors import PermissionDenied
from servicecycle.core.models import AuditEvent
from servicecycle.promises.models import Promise
from servicecycle.surveys import actions as surveys
from servicecycle.surveys.models import Question, Response
from tests.cases import builders
from tests.factories import World
from tests.promises import builders as promise_builders
from tests.surveys import builders as survey_builders


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 120, 200)).save(buffer, "PNG")
    return SimpleUploadedFile("my-face.png", buffer.getvalue(), content_type="image/png")


def _customer_with_cases(w: World) -> tuple[Customer, Case, Case]:
    customer = accounts.create_customer(
        acting_user=w.admin.user, name="Marta Díaz", email="marta@example.test", phone="+34 600 000 000", notes="VIP"
    )
    linked = builders.complaint(w, customer_id=customer.pk, description="My neighbour Juan saw it happen.").case
    # sent through the public form with the same address, without a customer record
    created = builders.public_complaint(w, contact_email="MARTA@example.test", contact_name="Marta")
    public = created.case
    actions.add_attachments(case=public, files=[_photo()])
    actions.customer_add_information(token=created.status_token or "", body="My phone is 600 000 000.")
    closed = builders.closed(w, linked)
    assert closed.status == "closed"
    return customer, Case.objects.get(pk=linked.pk), public


def _rate(case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(satisfaction_score=2, satisfaction_comment="Marta was unhappy")


def test_the_export_holds_the_customer_and_their_cases_messages_files_and_answers(
    world: World, client_for: Any
) -> None:
    customer, linked, public = _customer_with_cases(world)
    _rate(linked)
    builders.public_complaint(world, contact_email="someone.else@example.test")  # not Marta's
    response = client_for("manager").get(reverse("customer-export", kwargs={"pk": customer.pk}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["customer"]["name"] == "Marta Díaz" and data["customer"]["phone"] == "+34 600 000 000"
    assert [c["reference"] for c in data["cases"]] == sorted([linked.reference, public.reference])
    by_reference = {c["reference"]: c for c in data["cases"]}
    assert by_reference[public.reference]["attachments"][0]["name"] == "my-face.png"
    assert any(m["text"] == "My phone is 600 000 000." for m in by_reference[public.reference]["messages"])
    assert by_reference[linked.reference]["satisfaction"]["score"] == 2
    assert AuditEvent.objects.filter(verb="customer.exported", object_id=customer.pk).count() == 1


@pytest.mark.parametrize("role", ["lead", "agent", "viewer"])
def test_only_managers_and_admins_export_or_erase(world: World, client_for: Any, role: str) -> None:
    customer, _linked, _public = _customer_with_cases(world)
    client = client_for(role)
    assert client.get(reverse("customer-export", kwargs={"pk": customer.pk})).status_code == 403
    assert client.post(reverse("customer-erase", kwargs={"pk": customer.pk}), {"confirm": "on"}).status_code == 403
    with pytest.raises(PermissionDenied):
        accounts.erase_customer(acting_user=world.by_role[role].user, customer=customer)
    assert Customer.objects.get(pk=customer.pk).name == "Marta Díaz"
    detail = client.get(reverse("customer-detail", kwargs={"pk": customer.pk})).content.decode()
    assert reverse("customer-erase", kwargs={"pk": customer.pk}) not in detail


def test_another_organization_gets_a_404(world: World, client_for: Any) -> None:
    customer, _linked, _public = _customer_with_cases(world)
    client = client_for("outsider")
    assert client.get(reverse("customer-export", kwargs={"pk": customer.pk})).status_code == 404
    assert client.post(reverse("customer-erase", kwargs={"pk": customer.pk}), {"confirm": "on"}).status_code == 404
    assert Customer.objects.get(pk=customer.pk).email == "marta@example.test"


def test_erasing_needs_a_confirmation(world: World, client_for: Any) -> None:
    customer, _linked, _public = _customer_with_cases(world)
    client = client_for("admin")
    url = reverse("customer-erase", kwargs={"pk": customer.pk})
    page = client.get(url)
    assert page.status_code == 200 and "cannot be restored" in page.content.decode()
    refused = client.post(url, {})
    assert refused.status_code == 400
    assert "Tick the box to confirm the erasure." in refused.content.decode()
    assert Customer.objects.get(pk=customer.pk).name == "Marta Díaz"


def test_erasure_anonymizes_the_customer_and_their_cases_and_keeps_the_statistics(
    world: World, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    customer, linked, public = _customer_with_cases(world)
    _rate(linked)
    [attachment] = CaseAttachment.objects.filter(case=public)
    stored = attachment.file.path
    statistics_before = list(
        Case.objects.order_by("id").values_list(
            "kind",
            "channel",
            "service",
            "moment",
            "status",
            "received_at",
            "closed_at",
            "outcome",
            "satisfaction_score",
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("manager").post(
            reverse("customer-erase", kwargs={"pk": customer.pk}), {"confirm": "on", "version": customer.version}
        )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.name == f"Erased customer #{customer.pk}"
    assert (customer.email, customer.phone, customer.notes) == ("", "", "")
    for case in Case.objects.filter(pk__in=[linked.pk, public.pk]):
        assert (case.contact_name, case.contact_email) == ("", "")
        assert case.description == personal_data.ERASED and case.subject == personal_data.ERASED
    assert Case.objects.get(pk=linked.pk).satisfaction_comment == personal_data.ERASED
    assert set(CaseMessage.objects.filter(case=public, kind="customer").values_list("body", flat=True)) == {
        personal_data.ERASED
    }
    assert CaseAttachment.objects.filter(case=public).count() == 0
    assert not __import__("os").path.exists(stored)
    statistics_after = list(
        Case.objects.order_by("id").values_list(
            "kind",
            "channel",
            "service",
            "moment",
            "status",
            "received_at",
            "closed_at",
            "outcome",
            "satisfaction_score",
        )
    )
    assert statistics_after == statistics_before
    # nothing of what was erased stays in the audit trail
    trail = json.dumps(list(AuditEvent.objects.values("changes", "object_repr")), ensure_ascii=False)
    for secret in ("Marta", "marta@example.test", "600 000 000", "my-face.png"):
        assert secret not in trail, secret
    erased = AuditEvent.objects.get(verb="customer.erased", object_id=customer.pk)
    assert erased.changes["cases"] == {"cases": 2, "files_deleted": 1}
    assert AuditEvent.objects.filter(verb="case.personal_data_erased").count() == 2
    # the other customers' cases are untouched
    assert Case.objects.exclude(pk__in=[linked.pk, public.pk]).filter(description=personal_data.ERASED).count() == 0


def test_a_failed_erasure_keeps_everything(world: World, django_capture_on_commit_callbacks: Any) -> None:
    customer, _linked, public = _customer_with_cases(world)

    def broken(customer: Customer, *, acting_user: Any = None) -> dict[str, Any]:
        raise RuntimeError("storage down")

    personal_data.register("zz-broken", collect=lambda c: [], erase=broken)
    try:
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
            accounts.erase_customer(acting_user=world.admin.user, customer=customer)
    finally:
        personal_data._sources.pop("zz-broken", None)
    assert Customer.objects.get(pk=customer.pk).name == "Marta Díaz"
    assert Case.objects.get(pk=public.pk).contact_email == "marta@example.test"
    assert CaseAttachment.objects.filter(case=public).count() == 1
    assert CaseAttachment.objects.get(case=public).file.storage.exists(
        CaseAttachment.objects.get(case=public).file.name
    )


def _promise(w: World, customer: Customer, text: str = "Replace Marta's broken tiles by Friday.") -> Promise:
    return promise_builders.draft(
        w, customer_id=customer.pk, customer_name="Marta Díaz", customer_email="marta@example.test", text=text
    )


def _survey(w: World) -> tuple[Any, Question, Question]:
    survey = survey_builders.survey(w.admin, title="After your repair")
    score = survey_builders.question(w.admin, survey, Question.Kind.NPS, "Would you recommend us?")
    comment = survey_builders.question(w.admin, survey, Question.Kind.TEXT, "Anything to add?")
    return survey_builders.open_survey(w.admin, survey), score, comment


def _respond(survey: Any, score: Question, comment: Question, customer: Customer | None, text: str) -> Response:
    return surveys.record_response(
        survey=survey,
        customer_id=customer.pk if customer else None,
        channel=Response.Channel.EMAIL,
        answers=[{"question": score.pk, "value": 9}, {"question": comment.pk, "text": text}],
    )


def _export(client: Any, customer: Customer) -> dict[str, Any]:
    response = client.get(reverse("customer-export", kwargs={"pk": customer.pk}))
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_export_holds_the_customers_promises_and_survey_responses(world: World, client_for: Any) -> None:
    customer, _linked, _public = _customer_with_cases(world)
    promise = _promise(world, customer)
    # made without the customer record, to the customer's address: theirs too
    unlinked = promise_builders.draft(world, customer_name="Marta", customer_email="MARTA@example.test")
    promise_builders.draft(world)  # Mia's, not Marta's
    survey, score, comment = _survey(world)
    answered = _respond(survey, score, comment, customer, "The fitter, Juan, was late; call me on 600 000 000.")
    _respond(survey, score, comment, None, "Someone else's comment")

    data = _export(client_for("manager"), customer)

    assert [p["id"] for p in data["promises"]] == [promise.pk, unlinked.pk]
    exported = data["promises"][0]
    assert exported["text"] == "Replace Marta's broken tiles by Friday."
    assert (exported["customer_name"], exported["customer_email"]) == ("Marta Díaz", "marta@example.test")
    assert exported["state"] == "draft" and exported["team"] == world.owner_team.name
    assert exported["service"] == world.service.name
    assert exported["due_at"] == promise.due_at.isoformat() and exported["given_at"] is None
    assert [r["id"] for r in data["surveys"]] == [answered.pk]
    [exported_response] = data["surveys"]
    assert exported_response["survey"] == "After your repair" and exported_response["channel"] == "email"
    assert exported_response["submitted_at"] == answered.submitted_at.isoformat()
    by_question = {a["question"]: a for a in exported_response["answers"]}
    assert by_question["Would you recommend us?"]["value"] == 9
    assert by_question["Anything to add?"]["text"] == "The fitter, Juan, was late; call me on 600 000 000."
    assert "Someone else's comment" not in json.dumps(data, ensure_ascii=False)
    event = AuditEvent.objects.get(verb="customer.exported", object_id=customer.pk)
    assert {"cases", "promises", "surveys"} <= set(event.changes["sources"])


def test_the_export_reads_a_bounded_number_of_queries(world: World, client_for: Any) -> None:
    customer, _linked, _public = _customer_with_cases(world)
    survey, score, comment = _survey(world)
    client = client_for("manager")
    _promise(world, customer)
    _respond(survey, score, comment, customer, "First comment")
    with CaptureQueriesContext(connection) as few:
        _export(client, customer)
    for n in range(4):
        _promise(world, customer, text=f"Promise {n}")
        _respond(survey, score, comment, customer, f"Comment {n}")
    with CaptureQueriesContext(connection) as many:
        data = _export(client, customer)
    assert len(data["promises"]) == 5 and len(data["surveys"]) == 5
    assert len(many.captured_queries) == len(few.captured_queries)


def test_erasure_reaches_the_customers_promises_and_survey_answers_and_keeps_the_figures(
    world: World, client_for: Any
) -> None:
    from servicecycle.promises import actions as promise_actions
    from servicecycle.surveys.models import Answer, Invitation, SurveyFigure

    customer, _linked, _public = _customer_with_cases(world)
    promise = _promise(world, customer)
    promise = promise_actions.withdraw(
        acting_user=world.agent.user,
        promise=promise,
        reason="Marta moved to Valencia",
        expected_version=promise.version,
    )
    unlinked = promise_builders.draft(world, customer_name="Marta", customer_email="MARTA@example.test")
    other = promise_builders.draft(world, text="Call Mia back")  # not Marta's
    survey, score, comment = _survey(world)
    answered = _respond(survey, score, comment, customer, "The fitter, Juan, was late; call me on 600 000 000.")
    stranger = _respond(survey, score, comment, None, "Someone else's comment")
    Invitation.objects.create(survey=survey, email="marta@example.test", token_hash="x" * 64)
    figures_before = sorted(SurveyFigure.objects.filter(survey=survey).values_list("question_id", "value", "n"))

    accounts.erase_customer(acting_user=world.manager.user, customer=customer)

    for erased in (Promise.objects.get(pk=promise.pk), Promise.objects.get(pk=unlinked.pk)):
        assert (erased.customer_name, erased.customer_email) == (personal_data.ERASED, "")
        assert erased.text == personal_data.ERASED
    withdrawn = Promise.objects.get(pk=promise.pk)
    assert withdrawn.withdraw_reason == personal_data.ERASED and withdrawn.state == "withdrawn"  # kept for figures
    assert Promise.objects.get(pk=other.pk).text == "Call Mia back"
    trail = json.dumps(
        list(
            AuditEvent.objects.filter(object_type="promises.promise", object_id=promise.pk).values(
                "changes", "object_repr"
            )
        ),
        ensure_ascii=False,
        default=str,
    )
    assert "Marta" not in trail and "marta@" not in trail and "Valencia" not in trail and "tiles" not in trail
    assert Answer.objects.get(response=answered, question=comment).text == personal_data.ERASED
    assert Answer.objects.get(response=answered, question=score).value == 9
    assert Answer.objects.get(response=stranger, question=comment).text == "Someone else's comment"
    assert not Invitation.objects.filter(email__iexact="marta@example.test").exists()
    assert sorted(SurveyFigure.objects.filter(survey=survey).values_list("question_id", "value", "n")) == figures_before
    assert AuditEvent.objects.filter(verb="survey.personal_data_erased", object_id=survey.pk).exists()
    event = AuditEvent.objects.get(verb="customer.erased", object_id=customer.pk)
    assert "promises" in json.dumps(event.changes) and "surveys" in json.dumps(event.changes)

"""Pages customers use without signing in (the organization's intake form and a case's status page), and the
download of a case's files for customers (through the status link) and for staff.

Every public page is rate limited per address: a flood is answered with the 429 page. Unknown organizations,
forged or unknown status tokens and files that are not the customer's answer 404.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_ratelimit.decorators import ratelimit

from servicecycle.accounts.models import Organization
from servicecycle.cases import actions
from servicecycle.cases.actions.handling import CUSTOMER_RESPONSE_STATUSES, outcome_accepted_at
from servicecycle.cases.models import Case, CaseAttachment, CaseMessage, CasePause, Status
from servicecycle.cases.public_forms import (
    KIND_HELP,
    AddInformationForm,
    DisputeForm,
    IntakeForm,
    SatisfactionForm,
)
from servicecycle.cases.queries import get_case_by_token, get_case_for_user, public_messages
from servicecycle.core.errors import DomainError
from servicecycle.core.notify import absolute_url
from servicecycle.core.views_helpers import apply_domain_error, staff_required

# per address: sending the form, and looking at pages (status pages, files, the empty form)
FORM_POST_RATE = "10/h"
PAGE_RATE = "300/h"
STATUS_POST_RATE = "30/h"

_Response = TypeVar("_Response", bound=HttpResponseBase)

STATUS_WORDS = {
    Status.RECEIVED: gettext_lazy("We have received your message. Someone will look at it soon."),
    Status.ACKNOWLEDGED: gettext_lazy("We have confirmed that we received it and will look into it."),
    Status.ASSESSED: gettext_lazy("We have assessed your case and are deciding who handles it."),
    Status.INVESTIGATING: gettext_lazy("Someone is looking into your case."),
    Status.RESPONSE_DECIDED: gettext_lazy("We have decided on our answer and will send it to you shortly."),
    Status.COMMUNICATED: gettext_lazy("We have sent you our answer. Please tell us whether it settles the matter."),
    Status.CLOSED: gettext_lazy("Your case is closed."),
    Status.REOPENED: gettext_lazy("Your case was reopened and is being looked at again."),
}


def _private(response: _Response) -> _Response:
    """Pages behind a status link: never cached, and the link never leaks to other sites through a Referer header
    ("same-origin", not "no-referrer": with that, browsers send ``Origin: null`` and the page's own forms would
    fail the CSRF origin check)."""
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


# Intake form -------------------------------------------------------------------------------------------------


@ratelimit(key="ip", rate=PAGE_RATE, method=ratelimit.ALL, block=True)
@ratelimit(key="ip", rate=FORM_POST_RATE, method="POST", block=True)
def intake(request: HttpRequest, slug: str) -> HttpResponse:
    """The organization's form for complaints, claims, suggestions, compliments and questions."""
    organization = get_object_or_404(Organization, slug=slug)
    if request.method != "POST":
        initial = {"submission": secrets.token_urlsafe(16), "service": request.GET.get("service", "")}
        form = IntakeForm(organization=organization, initial=initial)
        if getattr(request, "htmx", False) and request.GET.get("service") is not None:
            # the service changed: only the moment field is swapped in
            return render(request, "cases/public/_moment_field.html", {"form": form})
        kind = request.GET.get("kind", "")
        if kind in dict(Case.Kind.choices):
            form.initial["kind"] = kind
        return _intake_page(request, organization, form)

    form = IntakeForm(request.POST, request.FILES, organization=organization)
    if form.honeypot_filled():
        # a robot filled the hidden field: answer as usual, keep nothing
        return render(request, "cases/public/thanks.html", {"organization": organization, "case": None})
    if form.is_valid():
        submission = str(request.POST.get("submission", "")).strip()[:60]
        try:
            with transaction.atomic():
                created = actions.create_case(
                    acting_user=None,
                    organization=organization,
                    idempotency_key=f"web-{submission}" if submission else None,
                    **form.action_fields(),
                )
                if created.created:
                    actions.add_attachments(case=created.case, files=form.cleaned_data["attachments"])
        except DomainError as exc:
            apply_domain_error(form, _public_field_error(exc))
        else:
            status_url = (
                absolute_url(reverse("case-status", kwargs={"token": created.status_token}))
                if created.status_token
                else ""
            )
            return _private(
                render(
                    request,
                    "cases/public/thanks.html",
                    {
                        "organization": organization,
                        "case": created.case,
                        "status_url": status_url,
                        "repeat": not created.created,
                    },
                )
            )
    return _intake_page(request, organization, form, status=400)


def _public_field_error(exc: DomainError) -> DomainError:
    """The actions name create_case's arguments; the form names a few of them differently."""
    renames = {"service_id": "service", "moment_id": "moment", "idempotency_key": "__all__"}
    if exc.field in renames:
        return DomainError(exc.message, field=renames[exc.field])
    return exc


def _intake_page(request: HttpRequest, organization: Organization, form: IntakeForm, status: int = 200) -> HttpResponse:
    # each links to its field (a choice of radio buttons: to its first button)
    fields_in_error = [
        (form[name].id_for_label or f"{form[name].auto_id}_0", form.fields[name].label)
        for name in form.errors
        if name in form.fields
    ]
    # choosing a service narrows the moments to that service's (HTMX swaps the moment field in)
    form.fields["service"].widget.attrs.update(
        {
            "hx-get": reverse("case-intake", kwargs={"slug": organization.slug}),
            "hx-trigger": "change",
            "hx-target": "#moment-field",
            "hx-swap": "outerHTML",
        }
    )
    return render(
        request,
        "cases/public/intake.html",
        {
            "organization": organization,
            "form": form,
            "fields_in_error": fields_in_error,
            "kind_help": list(KIND_HELP.items()),
        },
        status=status,
    )


# Status page -------------------------------------------------------------------------------------------------


def _visible_attachment(attachment: CaseAttachment) -> bool:
    """The customer sees their own files and files sent with a reply to them, never those of internal notes."""
    if attachment.from_customer:
        return True
    return attachment.message is not None and attachment.message.kind == CaseMessage.Kind.PUBLIC_REPLY


def _timeline(case: Case) -> tuple[list[CaseAttachment], list[dict[str, Any]]]:
    """The customer's first message's files, and the public messages each with its files (two queries)."""
    attachments = [a for a in case.attachments.select_related("message") if _visible_attachment(a)]
    by_message: dict[int, list[CaseAttachment]] = {}
    first: list[CaseAttachment] = []
    for attachment in attachments:
        if attachment.message_id is None:
            first.append(attachment)
        else:
            by_message.setdefault(attachment.message_id, []).append(attachment)
    entries = [
        {"message": message, "attachments": by_message.get(message.pk, [])}
        for message in public_messages(case).select_related("author_staff__user")
    ]
    return first, entries


@ratelimit(key="ip", rate=PAGE_RATE, method=ratelimit.ALL, block=True)
@ratelimit(key="ip", rate=STATUS_POST_RATE, method="POST", block=True)
def status(request: HttpRequest, token: str) -> HttpResponse:
    """What happened to the case, and the customer's steps: add information, accept or dispute, rate."""
    case = get_case_by_token(token)
    forms: dict[str, Any] = {
        "add_form": AddInformationForm(prefix="add"),
        "dispute_form": DisputeForm(prefix="dispute"),
        "rate_form": SatisfactionForm(prefix="rate"),
    }
    if request.method == "POST":
        step = request.POST.get("step", "")
        handled = _customer_step(request, case, token, step, forms)
        if handled is not None:
            return handled
        case = get_case_by_token(token)
        response_status = 400
    else:
        response_status = 200
    first_files, entries = _timeline(case)
    waiting = CasePause.objects.filter(case=case, ended_at__isnull=True).exists()
    context = {
        "case": case,
        "token": token,
        "status_words": STATUS_WORDS[Status(case.status)],
        "waiting": waiting,
        "first_files": first_files,
        "entries": entries,
        "can_add": case.is_open,
        "can_respond": case.status in CUSTOMER_RESPONSE_STATUSES,
        "accepted_at": outcome_accepted_at(case) if case.status in CUSTOMER_RESPONSE_STATUSES else None,
        "can_rate": case.status == Status.CLOSED and case.satisfaction_score is None,
        **forms,
    }
    return _private(render(request, "cases/public/status.html", context, status=response_status))


def _customer_step(
    request: HttpRequest, case: Case, token: str, step: str, forms: dict[str, Any]
) -> HttpResponse | None:
    """Run one of the customer's steps; a redirect on success, None to show the page again with the errors."""
    done = redirect("case-status", token=token)
    if step == "accept":
        try:
            actions.customer_accept_outcome(token=token)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Thank you for letting us know that our answer settles it."))
        return done
    if step == "add":

        def add_information(data: dict[str, Any]) -> None:
            with transaction.atomic():
                message = actions.customer_add_information(token=token, body=data["body"])
                actions.add_attachments(case=case, files=data["attachments"], message=message)

        add_form = AddInformationForm(request.POST, request.FILES, prefix="add")
        success = _("Thank you. We have added your information to the case.")
        return _form_step(request, forms, "add_form", add_form, add_information, success, done)
    if step == "dispute":
        form = DisputeForm(request.POST, prefix="dispute")
        success = _("We have reopened your case and will look at it again.")
        return _form_step(
            request,
            forms,
            "dispute_form",
            form,
            lambda data: actions.reopen(acting_user=None, token=token, reason=data["reason"]),
            success,
            done,
        )
    if step == "rate":
        rate_form = SatisfactionForm(request.POST, prefix="rate")
        return _form_step(
            request,
            forms,
            "rate_form",
            rate_form,
            lambda data: actions.rate_satisfaction(token=token, score=data["score"], comment=data["comment"]),
            _("Thank you for your answer."),
            done,
        )
    messages.error(request, _("Choose one of the steps on this page."))
    return done


# Files ---------------------------------------------------------------------------------------------------------


def _form_step(
    request: HttpRequest,
    forms: dict[str, Any],
    key: str,
    form: Any,
    run: Callable[[dict[str, Any]], object],
    success: str,
    done: HttpResponse,
) -> HttpResponse | None:
    """Show ``form`` under ``key``; when valid, ``run`` its data: ``done`` on success, None with the errors on it."""
    forms[key] = form
    if not form.is_valid():
        return None
    try:
        run(form.cleaned_data)
    except DomainError as exc:
        apply_domain_error(form, exc)
        return None
    messages.success(request, success)
    return done


def _file_response(attachment: CaseAttachment) -> FileResponse:
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@ratelimit(key="ip", rate=PAGE_RATE, method=ratelimit.ALL, block=True)
def status_file(request: HttpRequest, token: str, pk: int) -> FileResponse:
    """One of the case's files the customer may see, through the status link."""
    case = get_case_by_token(token)
    attachment = get_object_or_404(CaseAttachment.objects.select_related("message"), pk=pk, case=case)
    if not _visible_attachment(attachment):
        raise Http404
    return _private(_file_response(attachment))


@staff_required("case.view")
def staff_file(request: HttpRequest, case_pk: int, pk: int) -> HttpResponse:
    """Any file of a case of the staff member's organization (404 for other organizations)."""
    case = get_case_for_user(request.user, case_pk)
    attachment = get_object_or_404(CaseAttachment, pk=pk, case=case)
    response = _file_response(attachment)
    response["Cache-Control"] = "private, no-store"
    return response  # type: ignore[return-value]  # a FileResponse streams, staff_required types plain responses

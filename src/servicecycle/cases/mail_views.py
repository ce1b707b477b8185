"""The quarantine of incoming case mail: what could not become a case or a reply, for staff to look at."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicecycle.accounts.permissions import staff_of
from servicecycle.cases import inbound
from servicecycle.cases.models import QuarantinedMessage
from servicecycle.core.errors import DomainError
from servicecycle.core.views_helpers import HtmxRequest, paginate, staff_required


def _held(request: HtmxRequest, pk: int) -> QuarantinedMessage:
    staff = staff_of(request.user)
    message = QuarantinedMessage.objects.filter(pk=pk, organization=staff.organization).first()  # type: ignore[union-attr]
    if message is None:
        raise Http404
    return message


@staff_required("case.configure")
def quarantine_list(request: HtmxRequest) -> HttpResponse:
    staff = staff_of(request.user)
    show_all = request.GET.get("show") == "all"
    held = (
        QuarantinedMessage.objects.filter(organization=staff.organization)  # type: ignore[union-attr]
        .defer("raw")
        .select_related("resolved_by__user", "case")
        .order_by("-received_at", "-id")
    )
    if not show_all:
        held = held.filter(resolved_at__isnull=True)
    return render(request, "cases/quarantine.html", {"page": paginate(request, held), "show_all": show_all})


@staff_required("case.configure")
def quarantine_raw(request: HtmxRequest, pk: int) -> HttpResponse:
    """The message exactly as it arrived, to open in a mail program."""
    message = _held(request, pk)
    response = HttpResponse(bytes(message.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="quarantined-{message.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@staff_required("case.configure")
def quarantine_create_case(request: HtmxRequest, pk: int) -> HttpResponse:
    message = _held(request, pk)
    try:
        case = inbound.file_quarantined_as_case(acting_user=request.user, message=message)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("case-quarantine")
    messages.success(request, _("Case %(reference)s was created from the message.") % {"reference": case.reference})
    return redirect("case-detail", pk=case.pk)


@require_POST
@staff_required("case.configure")
def quarantine_discard(request: HtmxRequest, pk: int) -> HttpResponse:
    message = _held(request, pk)
    try:
        inbound.discard_quarantined(acting_user=request.user, message=message)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The message was set aside. It is still kept and listed under “all messages”."))
    return redirect("case-quarantine")

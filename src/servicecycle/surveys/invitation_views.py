"""Staff pages for inviting by email: the audience (with its count before sending), the invitation settings
(recurrence, reminder, contact rule, event trigger) and the list of invitations with their state."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from servicecycle.core.errors import DomainError
from servicecycle.core.views_helpers import apply_domain_error, paginate, staff_required
from servicecycle.surveys.actions import invitations
from servicecycle.surveys.forms import InvitationSettingsForm, InviteForm
from servicecycle.surveys.models import Invitation, Survey
from servicecycle.surveys.queries import get_survey_for_user


def _audience(form: InviteForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "audience": data.get("audience") or "",
        "language": data.get("language") or "",
        "service_id": data["service"].pk if data.get("service") else None,
        "emails": data.get("emails") or "",
    }


@staff_required("survey.design")
def survey_invite(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose the audience; "preview" counts who would be invited and who is left out, "send" queues the round."""
    survey = get_survey_for_user(request.user, pk, write=True)
    form = InviteForm(request.POST or None, survey=survey)
    plan = None
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("move") == "send":
                sent = invitations.start_round(
                    acting_user=request.user,
                    survey=survey,
                    wave_id=form.cleaned_data["wave"].pk if form.cleaned_data.get("wave") else None,
                    **_audience(form),
                )
                message = ngettext(
                    "%(n)d invitation is on its way.", "%(n)d invitations are on their way.", sent.count
                ) % {"n": sent.count}
                if sent.skipped_recent:
                    message += " " + ngettext(
                        "%(n)d customer was left out: invited too recently.",
                        "%(n)d customers were left out: invited too recently.",
                        sent.skipped_recent,
                    ) % {"n": sent.skipped_recent}
                if sent.skipped_no_email:
                    message += " " + ngettext(
                        "%(n)d customer has no email address.",
                        "%(n)d customers have no email address.",
                        sent.skipped_no_email,
                    ) % {"n": sent.skipped_no_email}
                messages.success(request, message)
                return redirect(reverse("survey-invitations", args=[survey.pk]))
            plan = invitations.plan_round(acting_user=request.user, survey=survey, **_audience(form))
        except DomainError as exc:
            apply_domain_error(form, exc)
    return render(
        request,
        "surveys/invite.html",
        {
            "survey": survey,
            "form": form,
            "plan": plan,
            "title": _("Invite by email"),
            "back_url": reverse("survey-detail", args=[survey.pk]),
        },
    )


@staff_required("survey.design")
def survey_invitation_settings(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_survey_for_user(request.user, pk, write=True)
    form = InvitationSettingsForm(
        request.POST or None,
        initial={
            "recur_months": survey.recur_months,
            "remind_after_days": survey.remind_after_days,
            "contact_gap_days": survey.contact_gap_days,
            "trigger": survey.trigger,
            "version": survey.version,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitations.update_invitation_settings(
                acting_user=request.user,
                survey=survey,
                recur_months=data.get("recur_months"),
                remind_after_days=data.get("remind_after_days"),
                contact_gap_days=data.get("contact_gap_days"),
                trigger=data.get("trigger") or "",
                expected_version=data.get("version"),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Invitation settings saved."))
            return redirect(reverse("survey-detail", args=[survey.pk]) + "#invitations")
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": _("Invitation settings of “%(survey)s”") % {"survey": survey},
            "intro": _(
                "How often the survey repeats, when those who have not answered get their one reminder, how often a "
                "customer may be invited, and the event after which a customer is invited automatically."
            ),
            "back_url": reverse("survey-detail", args=[survey.pk]),
        },
    )


STATUS_FILTERS = {
    "answered": {"used_at__isnull": False},
    "reminded": {"used_at__isnull": True, "reminded_at__isnull": False},
    "sent": {"used_at__isnull": True, "reminded_at__isnull": True, "sent_at__isnull": False},
    "link": {"used_at__isnull": True, "sent_at__isnull": True},
}


@staff_required("survey.view")
def survey_invitations(request: HttpRequest, pk: int) -> HttpResponse:
    """The survey's invitations, newest first, with their state; filtered by state; 25 a page."""
    survey: Survey = get_survey_for_user(request.user, pk)
    status = request.GET.get("status", "")
    rows = Invitation.objects.filter(survey=survey).select_related("customer", "wave").order_by("-created_at", "-pk")
    if status in STATUS_FILTERS:
        rows = rows.filter(**STATUS_FILTERS[status])
    else:
        status = ""
    return render(
        request,
        "surveys/invitations.html",
        {
            "survey": survey,
            "page": paginate(request, rows),
            "status": status,
            "statuses": [
                ("", _("All")),
                ("sent", _("Sent")),
                ("reminded", _("Reminded")),
                ("answered", _("Answered")),
                ("link", _("Link made by hand")),
            ],
            "summary": invitations.invitation_summary(survey),
            "title": _("Invitations"),
        },
    )

"""Field parsing for the staff case pages; the rules themselves (and their messages) live in cases.actions.

Fields the actions check are not required here, so the action's exact message is the one shown; their labels
carry the required mark through ``marked_required``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from servicecycle.accounts.models import LANGUAGE_CHOICES, Customer, Organization, Staff, Team
from servicecycle.cases.models import Case, CaseMessage, Category, Kind, Priority
from servicecycle.catalog.models import Service
from servicecycle.core.validation import LONG_TEXT
from servicecycle.cycles.models import Moment

BLANK = [("", "—")]


def _choices(choices: Any) -> list[tuple[str, Any]]:
    return [*BLANK, *choices]


class StepForm(forms.Form):
    """Every step form carries the version of the case the user saw (optimistic locking)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    marked_required: tuple[str, ...] = ()


class AssessForm(StepForm):
    severity = forms.ChoiceField(label=_("severity"), choices=_choices(Case.Severity.choices), required=False)
    priority = forms.ChoiceField(label=_("priority"), choices=Priority.choices, required=False)
    category = forms.ChoiceField(label=_("category"), required=False)
    service = forms.ChoiceField(label=_("service"), required=False)
    moment = forms.ChoiceField(label=_("moment of truth"), required=False)
    marked_required = ("severity", "priority")

    def __init__(
        self,
        *args: Any,
        categories: list[Category],
        services: list[Service],
        moments: list[Moment],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _choices((str(c.pk), c.name) for c in categories)  # type: ignore[attr-defined]
        self.fields["service"].choices = [(str(s.pk), s.name) for s in services]  # type: ignore[attr-defined]
        self.fields["moment"].choices = _choices(  # type: ignore[attr-defined]
            (str(m.pk), f"{m.service.name} · {m.name}") for m in moments
        )


class AssignForm(StepForm):
    assignee = forms.ChoiceField(label=_("assignee"), required=False)
    team = forms.ChoiceField(label=_("team"), required=False)

    def __init__(self, *args: Any, workers: list[Staff], teams: list[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = _choices((str(s.pk), s.user.get_full_name() or s.user.email) for s in workers)  # type: ignore[attr-defined]
        self.fields["team"].choices = _choices((str(t.pk), t.name) for t in teams)  # type: ignore[attr-defined]


class MessageForm(StepForm):
    kind = forms.ChoiceField(
        label=_("kind of message"),
        choices=[
            (CaseMessage.Kind.PUBLIC_REPLY, CaseMessage.Kind.PUBLIC_REPLY.label),
            (CaseMessage.Kind.INTERNAL_NOTE, CaseMessage.Kind.INTERNAL_NOTE.label),
        ],
        widget=forms.RadioSelect,
        required=False,
    )
    body = forms.CharField(
        max_length=LONG_TEXT, label=_("message"), widget=forms.Textarea(attrs={"rows": 6}), required=False
    )
    marked_required = ("body",)


class DecideForm(StepForm):
    decision = forms.CharField(
        max_length=LONG_TEXT,
        label=_("decided response"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("What the organization will do; it is sent to the customer when communicated."),
    )
    marked_required = ("decision",)


class CommunicateForm(StepForm):
    body = forms.CharField(
        max_length=LONG_TEXT,
        label=_("message to the customer"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=_("Leave empty to send the decided response as it is."),
    )


class CloseForm(StepForm):
    outcome = forms.ChoiceField(label=_("outcome"), choices=_choices(Case.Outcome.choices), required=False)
    remedy = forms.ChoiceField(label=_("remedy"), choices=Case.Remedy.choices, required=False)
    remedy_amount = forms.CharField(
        label=_("amount"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=_("For a refund or a compensation."),
    )
    remedy_currency = forms.CharField(
        label=_("currency"), required=False, max_length=3, widget=forms.TextInput(attrs={"size": 3})
    )


class ReasonForm(StepForm):
    reason = forms.CharField(
        max_length=LONG_TEXT, label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, required: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if required:
            self.marked_required = ("reason",)


class NewCaseForm(forms.Form):
    """A case a staff member records: a hotline call, a visit, a social media post, an email forwarded by hand."""

    STAFF_CHANNELS = [
        (Case.Channel.HOTLINE, Case.Channel.HOTLINE.label),
        (Case.Channel.IN_PERSON, Case.Channel.IN_PERSON.label),
        (Case.Channel.SOCIAL, Case.Channel.SOCIAL.label),
        (Case.Channel.EMAIL, Case.Channel.EMAIL.label),
    ]
    kind = forms.ChoiceField(label=_("kind"), choices=Kind.choices)
    channel = forms.ChoiceField(label=_("channel"), choices=STAFF_CHANNELS)
    service = forms.ChoiceField(label=_("service"), required=False)
    moment = forms.ChoiceField(label=_("moment of truth"), required=False)
    customer = forms.ChoiceField(label=_("customer"), required=False, help_text=_("Leave empty if not on file."))
    contact_name = forms.CharField(label=_("contact name"), required=False, max_length=200)
    contact_email = forms.CharField(label=_("contact email"), required=False, max_length=254)
    subject = forms.CharField(label=_("subject"), required=False, max_length=200)
    description = forms.CharField(
        max_length=LONG_TEXT, label=_("what happened"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    hotline_caller = forms.CharField(label=_("caller"), required=False, max_length=200)
    hotline_duration_minutes = forms.DecimalField(
        label=_("call duration (minutes)"), required=False, min_value=0, max_digits=6, decimal_places=1
    )
    hotline_notes = forms.CharField(
        max_length=LONG_TEXT, label=_("call notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    claim_request = forms.ChoiceField(
        label=_("what is asked"), choices=_choices(Case.ClaimRequest.choices), required=False
    )
    claim_amount = forms.CharField(label=_("amount asked"), required=False)
    claim_currency = forms.CharField(label=_("currency"), required=False, max_length=3)
    marked_required = ("service", "description")

    def __init__(
        self,
        *args: Any,
        organization: Organization,
        services: list[Service],
        moments: list[Moment],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = _choices((str(s.pk), s.name) for s in services)  # type: ignore[attr-defined]
        self.fields["moment"].choices = _choices(  # type: ignore[attr-defined]
            (str(m.pk), f"{m.service.name} · {m.name}") for m in moments
        )
        customers = Customer.objects.filter(organization=organization).order_by("name")[:500]
        self.fields["customer"].choices = _choices((str(c.pk), c.name) for c in customers)  # type: ignore[attr-defined]

    def action_fields(self) -> dict[str, Any]:
        """The cleaned data as create_case's keyword arguments."""
        data = self.cleaned_data
        minutes = data.get("hotline_duration_minutes")
        return {
            "kind": data["kind"],
            "channel": data["channel"],
            "service_id": data.get("service"),
            "moment_id": data.get("moment"),
            "customer_id": data.get("customer"),
            "contact_name": data.get("contact_name", ""),
            "contact_email": data.get("contact_email", ""),
            "subject": data.get("subject", ""),
            "description": data.get("description", ""),
            "hotline_caller": data.get("hotline_caller", ""),
            "hotline_duration_seconds": None if minutes is None else int(minutes * 60),
            "hotline_notes": data.get("hotline_notes", ""),
            "claim_request": data.get("claim_request", ""),
            "claim_amount": data.get("claim_amount"),
            "claim_currency": data.get("claim_currency", ""),
        }


class SaveViewForm(forms.Form):
    name = forms.CharField(label=_("name of the view"), max_length=80, required=False)
    shared = forms.BooleanField(label=_("share with everyone in the organization"), required=False)
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=1000)
    marked_required = ("name",)


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=120, required=False)
    is_active = forms.BooleanField(label=_("in use"), required=False, initial=True)
    marked_required = ("name",)


class SlaPolicyForm(forms.Form):
    """One row of the SLA table: the three targets of a kind and priority, in business minutes."""

    acknowledgement_minutes = forms.IntegerField(label=_("acknowledge"), required=False, min_value=0)
    first_response_minutes = forms.IntegerField(label=_("first response"), required=False, min_value=0)
    resolution_minutes = forms.IntegerField(label=_("resolve"), required=False, min_value=0)


class ReplyTemplateForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=120, required=False)
    language = forms.ChoiceField(label=_("language"), choices=LANGUAGE_CHOICES, required=False)
    body = forms.CharField(
        max_length=LONG_TEXT, label=_("text"), widget=forms.Textarea(attrs={"rows": 8}), required=False
    )
    is_active = forms.BooleanField(label=_("in use"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    marked_required = ("name", "language", "body")

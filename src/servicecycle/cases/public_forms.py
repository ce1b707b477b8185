"""Forms customers fill in without signing in: the intake form of an organization and the status-page forms.

The forms check the shape of the input (required fields, numbers, files); the rules of the domain stay in the
actions, whose errors the views put back on these fields.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from servicecycle.accounts.models import Organization
from servicecycle.cases.actions.attachments import ALLOWED_LABEL, check_files, max_bytes, max_files
from servicecycle.cases.models import Case, Kind
from servicecycle.catalog.models import Service
from servicecycle.core.errors import ValidationFailed
from servicecycle.cycles.models import Moment

KIND_HELP = {
    Kind.COMPLAINT: _("Something went wrong and you want us to know and put it right."),
    Kind.CLAIM: _("You ask for a refund, a replacement or compensation."),
    Kind.SUGGESTION: _("An idea to make things better. You may stay anonymous."),
    Kind.COMPLIMENT: _("Something went well and you want to tell us."),
    Kind.QUESTION: _("You want to know something."),
}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the list is checked as a whole by the attachments action's rules."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        files = [f for f in files if f]
        if self.required and not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return files


def attachments_field() -> MultipleFileField:
    return MultipleFileField(
        label=_("Files (optional)"),
        required=False,
        help_text=_("Up to %(count)d files, each at most %(size)s: %(types)s.")
        % {"count": max_files(), "size": filesizeformat(max_bytes()), "types": ALLOWED_LABEL},
        widget=MultipleFileInput(
            attrs={"accept": ".jpg,.jpeg,.png,.webp,.gif,.pdf,.txt,image/jpeg,image/png,image/webp,image/gif"}
        ),
    )


def clean_attachments(form: forms.Form) -> list[UploadedFile]:
    files: list[UploadedFile] = form.cleaned_data.get("attachments") or []
    try:
        check_files(files)
    except ValidationFailed as exc:
        raise forms.ValidationError(exc.errors["attachments"]) from None
    return files


class IntakeForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What would you like to send us?"),
        choices=Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what you would like to send us.")},
    )
    claim_request = forms.ChoiceField(
        label=_("What do you ask for?"), choices=[("", "—"), *Case.ClaimRequest.choices], required=False
    )
    claim_amount = forms.DecimalField(
        label=_("Amount (optional)"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    claim_currency = forms.CharField(
        label=_("Currency"),
        required=False,
        max_length=3,
        help_text=_("Three letters, such as EUR or MYR."),
        widget=forms.TextInput(attrs={"autocomplete": "transaction-currency", "size": 4}),
    )
    service = forms.ChoiceField(
        label=_("Which service is it about?"), error_messages={"required": _("Choose the service it is about.")}
    )
    moment = forms.ChoiceField(
        label=_("Where did it happen? (optional)"),
        required=False,
        help_text=_("The step of the service, if you know it."),
    )
    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
        error_messages={"required": _("Give your message a short subject.")},
    )
    description = forms.CharField(
        label=_("Your message"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20000,
        error_messages={"required": _("Tell us what happened.")},
    )
    attachments = attachments_field()
    contact_name = forms.CharField(
        label=_("Your name"), max_length=200, required=False, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    contact_email = forms.EmailField(
        label=_("Your email"),
        required=False,
        help_text=_("We send the reference and a link to follow your case here. Optional for suggestions."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    language = forms.ChoiceField(label=_("Language for our answers"), choices=settings.LANGUAGES)
    # the honeypot: hidden from people by CSS (class hp-field), filled in by form-filling robots
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    # a random value given with the empty form: sending the same form twice (double click, reload) files one case
    submission = forms.CharField(required=False, max_length=60, widget=forms.HiddenInput)

    marked_required = ("contact_email",)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.services = list(
            Service.objects.filter(organization=organization, status=Service.Status.ACTIVE).order_by("name")
        )
        service_field: forms.ChoiceField = self.fields["service"]  # type: ignore[assignment]
        service_field.choices = [("", "—"), *((str(s.pk), s.name) for s in self.services)]
        if not self.is_bound and "language" not in self.initial:
            language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
            self.initial["language"] = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        moment_field: forms.ChoiceField = self.fields["moment"]  # type: ignore[assignment]
        moment_field.choices = self.moment_choices(self.selected_service_id())

    def selected_service_id(self) -> int | None:
        raw = self.data.get("service") if self.is_bound else self.initial.get("service")
        try:
            service_id = int(raw) if raw not in (None, "") else None
        except (TypeError, ValueError):
            return None
        return service_id if any(s.pk == service_id for s in self.services) else None

    def moment_choices(self, service_id: int | None) -> list[Any]:
        """The moments of the chosen service; before one is chosen, every active service's moments by service."""
        moments = Moment.objects.filter(service__in=self.services).order_by("service__name", "position")
        if service_id is not None:
            return [("", "—"), *((str(m.pk), m.name) for m in moments if m.service_id == service_id)]
        names = {s.pk: s.name for s in self.services}
        groups: dict[int, list[tuple[str, str]]] = {}
        for moment in moments:
            groups.setdefault(moment.service_id, []).append((str(moment.pk), moment.name))
        return [("", "—"), *((names[sid], options) for sid, options in groups.items())]

    def honeypot_filled(self) -> bool:
        return bool(str(self.data.get("website", "")).strip())

    def clean_claim_currency(self) -> str:
        return str(self.cleaned_data.get("claim_currency") or "").strip().upper()

    def clean_attachments(self) -> list[UploadedFile]:
        return clean_attachments(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind != Kind.SUGGESTION and not data.get("contact_email") and "contact_email" not in self.errors:
            self.add_error("contact_email", _("Give your email address so we can answer you."))
        if kind == Kind.CLAIM:
            if not data.get("claim_request"):
                self.add_error("claim_request", _("Say whether you ask for a refund, a replacement or compensation."))
            if data.get("claim_amount") is not None and not data.get("claim_currency"):
                self.add_error("claim_currency", _("Give the currency of the amount."))
        return data

    def channel(self) -> str:
        kind = self.cleaned_data["kind"]
        return Case.Channel.SUGGESTION_BOX if kind == Kind.SUGGESTION else Case.Channel.WEB_FORM

    def action_fields(self) -> dict[str, Any]:
        """The cleaned input as create_case's keyword arguments."""
        data = self.cleaned_data
        is_claim = data["kind"] == Kind.CLAIM
        return {
            "kind": data["kind"],
            "channel": self.channel(),
            "service_id": data["service"],
            "moment_id": data.get("moment") or None,
            "subject": data["subject"],
            "description": data["description"],
            "contact_name": data.get("contact_name", ""),
            "contact_email": data.get("contact_email", ""),
            "claim_request": data.get("claim_request", "") if is_claim else "",
            "claim_amount": data.get("claim_amount") if is_claim else None,
            "claim_currency": data.get("claim_currency", "") if is_claim else "",
            "language": data["language"],
        }


class AddInformationForm(forms.Form):
    body = forms.CharField(
        label=_("What would you like to add?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20000,
        error_messages={"required": _("Write the information you want to add.")},
    )
    attachments = attachments_field()

    def clean_attachments(self) -> list[UploadedFile]:
        return clean_attachments(self)


class DisputeForm(forms.Form):
    reason = forms.CharField(
        label=_("Why does this answer not settle it for you?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": _("Tell us why the answer does not settle it for you.")},
    )


class SatisfactionForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with how we handled your case?"),
        choices=[
            ("1", _("1 – very unhappy")),
            ("2", "2"),
            ("3", "3"),
            ("4", "4"),
            ("5", _("5 – very happy")),
        ],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a score from 1 to 5."),
            "invalid_choice": _("Choose a score from 1 to 5."),
        },
    )
    comment = forms.CharField(
        label=_("Anything you want to tell us? (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

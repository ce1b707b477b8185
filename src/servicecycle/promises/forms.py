"""Forms of the promise pages. They only read input; the rules live in ``promises.actions``.

Dates and times are typed in the organization's time zone: the views render and validate these forms inside
``timezone.override(<organization's zone>)``, so Django reads a naive ``datetime-local`` value in that zone.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from servicecycle.accounts.models import Customer, Organization, Team
from servicecycle.catalog.models import Service
from servicecycle.core.widgets import DATETIME_FORMAT, LocalDateTimeInput
from servicecycle.cycles.forms import MomentOfServiceField, follow_service
from servicecycle.cycles.models import Moment
from servicecycle.promises.models import Recovery

CUSTOMER_CHOICES_SHOWN = 25  # the customer list shows the newest customers; search finds the others


def customer_label(customer: Customer) -> str:
    return f"{customer.name} · {customer.email}" if customer.email else customer.name


class VersionForm(forms.Form):
    """Every action form carries the version the user saw, so a change made meanwhile is not overwritten."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class PromiseForm(forms.Form):
    customer_search = forms.CharField(
        label=_("Find a customer on file"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
        help_text=_("Type a name, email or company; the list below shows what matches."),
    )
    customer = forms.ChoiceField(label=_("Customer on file"), required=False)
    customer_name = forms.CharField(label=_("or: customer's name"), max_length=200, required=False)
    customer_email = forms.EmailField(label=_("customer's email"), required=False)
    language = forms.ChoiceField(
        label=_("customer's language"),
        required=False,
        help_text=_("Customers on file are written to in their preferred language."),
    )
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.none())
    moment = MomentOfServiceField(label=_("Moment of truth"), queryset=Moment.objects.none(), required=False)
    case_reference = forms.CharField(
        label=_("Case reference"),
        max_length=20,
        required=False,
        help_text=_("Optional: the case this promise belongs to, for example 2026-00042."),
    )
    fulfilling_team = forms.ModelChoiceField(label=_("Team that must fulfil it"), queryset=Team.objects.none())
    text = forms.CharField(
        label=_("What exactly is promised"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Write it as you would say it to the customer."),
    )
    due_at = forms.DateTimeField(label=_("Due"), widget=LocalDateTimeInput, input_formats=[DATETIME_FORMAT])
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100, required=False)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.initial.setdefault("idempotency_key", uuid.uuid4().hex)
        self.initial.setdefault("language", organization.default_language)
        service_field = cast(forms.ModelChoiceField, self.fields["service"])
        service_field.queryset = Service.objects.filter(organization=organization).order_by("name")
        team_field = cast(forms.ModelChoiceField, self.fields["fulfilling_team"])
        team_field.queryset = Team.objects.filter(organization=organization).order_by("name")
        cast(forms.ChoiceField, self.fields["language"]).choices = list(settings.LANGUAGES)
        self.fields["customer_search"].widget.attrs.update(
            {
                "autocomplete": "off",
                "hx-get": reverse("promise-customer-options"),
                "hx-target": "#id_customer",
                "hx-trigger": "input changed delay:300ms, search",
                "hx-swap": "innerHTML",
            }
        )
        follow_service(self, organization.pk)
        cast(forms.ChoiceField, self.fields["customer"]).choices = self._customer_choices()

    def _customer_choices(self) -> list[tuple[str, str]]:
        customers = list(
            Customer.objects.filter(organization=self.organization).order_by("-created_at", "-id")[
                :CUSTOMER_CHOICES_SHOWN
            ]
        )
        chosen = self.data.get("customer") or self.initial.get("customer")
        if chosen and str(chosen).isdigit() and all(str(c.pk) != str(chosen) for c in customers):
            extra = Customer.objects.filter(organization=self.organization, pk=int(chosen)).first()
            if extra is not None:
                customers.insert(0, extra)
        return [("", str(_("— not on file: type name and email below —")))] + [
            (str(c.pk), customer_label(c)) for c in customers
        ]

    def clean_customer(self) -> Customer | None:
        value = self.cleaned_data.get("customer")
        if not value:
            return None
        customer = Customer.objects.filter(organization=self.organization, pk=int(value)).first()
        if customer is None:
            raise forms.ValidationError(_("Choose a customer of your organization."))
        return customer

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        no_customer = not data.get("customer") and not (data.get("customer_name") or "").strip()
        if no_customer and "customer_name" not in self.errors:
            self.add_error("customer_name", _("Choose a customer on file or type the customer's name."))
        moment = data.get("moment")
        service = data.get("service")
        if moment is not None and service is not None and moment.service_id != service.pk:
            self.add_error("moment", _("This moment belongs to another service."))
        return data


class GiveForm(VersionForm):
    unconfirmed_reason = forms.CharField(
        label=_("Why give it without the team's confirmation?"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, confirmed: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not confirmed:
            self.fields["unconfirmed_reason"].required = True
            self.fields["unconfirmed_reason"].help_text = _(
                "The team has not confirmed this promise. It will be shown as unconfirmed everywhere."
            )
        else:
            del self.fields["unconfirmed_reason"]


class DeclineForm(VersionForm):
    reason = forms.CharField(label=_("Why not"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    alternative_text = forms.CharField(
        label=_("What the team can do instead"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    alternative_due_at = forms.DateTimeField(
        label=_("By when instead"), required=False, widget=LocalDateTimeInput, input_formats=[DATETIME_FORMAT]
    )


class WithdrawForm(VersionForm):
    reason = forms.CharField(label=_("Why withdraw it"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class RecoveryForm(VersionForm):
    recovery = forms.ChoiceField(label=_("What was done for the customer"), choices=Recovery.choices)
    note = forms.CharField(
        label=_("Note (what was said or agreed)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    new_due_at = forms.DateTimeField(
        label=_("New date agreed"), required=False, widget=LocalDateTimeInput, input_formats=[DATETIME_FORMAT]
    )
    amount = forms.DecimalField(
        label=_("Compensation amount"), required=False, min_value=0, max_digits=12, decimal_places=2
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("recovery") == Recovery.NEW_DATE and not data.get("new_due_at"):
            self.add_error("new_due_at", _("Give the new date agreed with the customer."))
        if data.get("recovery") == Recovery.COMPENSATION and data.get("amount") is None:
            self.add_error("amount", _("Give the compensation amount."))
        return data

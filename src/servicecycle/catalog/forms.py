from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from servicecycle.accounts.models import Organization, Team
from servicecycle.catalog.actions import DECISION_FIELDS
from servicecycle.catalog.models import OfferingDecision, Service
from servicecycle.core.validation import limited_text
from servicecycle.core.widgets import DateInput


class ServiceForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        formfield_callback = limited_text
        model = Service
        fields = ["name", "description", "category", "owner_team", "status", "service_share"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "service_share": forms.NumberInput(attrs={"min": 0, "max": 100, "step": 5}),
        }

    def __init__(self, *args: object, organization: Organization | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["owner_team"].queryset = Team.objects.filter(organization=organization)  # type: ignore[attr-defined]


class DecisionForm(forms.ModelForm):
    class Meta:
        formfield_callback = limited_text
        model = OfferingDecision
        fields = list(DECISION_FIELDS)
        # the price is written and read in the user's language (49,50 in Spanish, 49.50 in English; a point is
        # also taken in a language with a decimal comma): a text field, since a number input ignores the page's
        # language and always shows a point
        localized_fields = ["price"]
        widgets = {
            "price": forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            "partner_names": forms.Textarea(attrs={"rows": 2}),
            "rationale": forms.Textarea(attrs={"rows": 3}),
            "review_date": DateInput(),
        }
        labels = {"currency": _("currency (ISO code)")}

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from servicecycle.catalog.models import Service
from servicecycle.strategy.actions import DemandRow
from servicecycle.strategy.models import DemandPeriod

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
FROM_LAUNCH_HELP = _(
    "Tick when the first period is the service's launch: periods before the first growth are its introduction."
)


def history_text(periods: list[DemandPeriod]) -> str:
    """The history as the text the edit form shows: one "period, demand" line per period."""
    return "\n".join(f"{p.period}, {_plain_number(p.demand)}" for p in periods)


def _plain_number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def rows_from_text(text: str) -> list[DemandRow]:
    """One row per non-blank line, "period, demand" (a tab or ";" also separates); numbered by line."""
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        separator = "\t" if "\t" in line else ";" if ";" in line else ","
        period, _sep, demand = line.partition(separator)
        rows.append(DemandRow(row=number, period=period.strip(), demand=demand.strip()))
    return rows


class DemandHistoryForm(forms.Form):
    history = forms.CharField(
        label=_("Demand by period"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
        help_text=_("One period per line: period, demand. For example 2024, 1250 or 2024-Q3, 310."),
    )
    from_launch = forms.BooleanField(
        label=_("The history starts at the launch"), required=False, help_text=FROM_LAUNCH_HELP
    )


class DemandUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_("The first row names the columns period and demand; the file replaces the whole history."),
    )
    from_launch = forms.BooleanField(
        label=_("The history starts at the launch"), required=False, help_text=FROM_LAUNCH_HELP
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB; a demand history fits in far less."))
        return upload


class SelfAssessmentForm(forms.Form):
    """The date and scope of an assessment; the answers are read from the item radio groups by the view."""

    taken_on = forms.DateField(label=_("Taken on"), widget=forms.DateInput(attrs={"type": "date"}))
    service = forms.ModelChoiceField(
        label=_("Scope"),
        queryset=Service.objects.none(),
        required=False,
        empty_label=_("The whole organization"),
        help_text=_("Assess the organization as a whole or one of its services."),
    )

    def __init__(self, *args: object, organization_id: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["service"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Service.objects.filter(organization_id=organization_id).order_by("name")

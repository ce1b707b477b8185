from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from servicecycle.cases.actions.attachments import max_bytes, max_files
from servicecycle.cases.public_forms import MultipleFileField, MultipleFileInput
from servicecycle.catalog.models import Service
from servicecycle.core.validation import LONG_TEXT
from servicecycle.core.widgets import DateInput
from servicecycle.cycles.models import Moment
from servicecycle.strategy.actions import DemandRow
from servicecycle.strategy.models import MAX_PARITY_MARGIN, SHOPPING_SCORE_MAX, SHOPPING_SCORE_MIN, DemandPeriod
from servicecycle.strategy.shopping import PHOTO_LABEL, ScoreInput, note_field, score_field

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
        max_length=LONG_TEXT,
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

    taken_on = forms.DateField(label=_("Taken on"), widget=DateInput())
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


class WorksheetSettingsForm(forms.Form):
    parity_margin = forms.DecimalField(
        label=_("Parity margin (points)"),
        min_value=Decimal("0"),
        max_value=MAX_PARITY_MARGIN,
        decimal_places=2,
        max_digits=3,
        help_text=_(
            "Our mean within this many points of a competitor's counts as parity; more above is a lead, more "
            "below is behind. The same margin applies to survey ratings and to comparison-shopping scores."
        ),
    )


OURS, COMPETITOR = "ours", "competitor"
PHOTO_ACCEPT = ".jpg,.jpeg,.png,.webp,.gif,image/jpeg,image/png,image/webp,image/gif"


class ShoppingAuditForm(forms.Form):
    """One visit: the outlet, whose it is, when and by whom; then a score and note per moment, and photos."""

    whose = forms.ChoiceField(
        label=_("Whose outlet"),
        choices=[(OURS, _("One of ours")), (COMPETITOR, _("A competitor's"))],
        widget=forms.RadioSelect,
        initial=OURS,
    )
    competitor_name = forms.CharField(
        label=_("Competitor"),
        max_length=120,
        required=False,
        help_text=_("The competitor who runs the outlet; use the same spelling each time."),
        widget=forms.TextInput(attrs={"list": "known-competitors", "autocomplete": "off"}),
    )
    outlet_name = forms.CharField(label=_("Outlet"), max_length=160, help_text=_("Branch, store or address visited."))
    visited_on = forms.DateField(label=_("Visited on"), widget=DateInput())
    shopper = forms.CharField(label=_("Shopper"), max_length=160)
    notes = forms.CharField(
        max_length=LONG_TEXT, label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = MultipleFileField(
        label=_("Photos (optional)"),
        required=False,
        widget=MultipleFileInput(
            attrs={"accept": ".jpg,.jpeg,.png,.webp,.gif,image/jpeg,image/png,image/webp,image/gif"}
        ),
    )

    def __init__(self, *args: Any, moments: Sequence[Moment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.moments = list(moments)
        self.fields["photos"].help_text = _("Up to %(count)d photos, each at most %(size)s: %(types)s.") % {
            "count": max_files(),
            "size": filesizeformat(max_bytes()),
            "types": PHOTO_LABEL,
        }
        choices = [("", _("Not seen"))] + [(str(v), str(v)) for v in range(SHOPPING_SCORE_MIN, SHOPPING_SCORE_MAX + 1)]
        for moment in self.moments:
            self.fields[score_field(moment.pk)] = forms.ChoiceField(
                label=moment.name,
                choices=choices,
                required=False,
                widget=forms.RadioSelect,
                error_messages={
                    "invalid_choice": _("Choose a score from %(low)d to %(high)d, or “Not seen”.")
                    % {"low": SHOPPING_SCORE_MIN, "high": SHOPPING_SCORE_MAX}
                },
            )
            self.fields[note_field(moment.pk)] = forms.CharField(
                label=_("Note on %(moment)s") % {"moment": moment.name}, max_length=500, required=False
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("whose") == COMPETITOR and not (data.get("competitor_name") or "").strip():
            self.add_error("competitor_name", _("Name the competitor whose outlet was visited."))
        if data.get("whose") == OURS:
            data["competitor_name"] = ""
        return data

    VISIT_FIELDS = ("whose", "competitor_name", "outlet_name", "visited_on", "shopper", "notes")

    def visit_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.VISIT_FIELDS]

    def checklist(self) -> list[dict[str, Any]]:
        """The moments with their bound score and note fields, in cycle order, for the template."""
        return [{"moment": m, "score": self[score_field(m.pk)], "note": self[note_field(m.pk)]} for m in self.moments]

    def score_lines(self) -> list[ScoreInput]:
        return [
            ScoreInput(
                moment_id=m.pk,
                score=self.cleaned_data.get(score_field(m.pk), ""),
                note=self.cleaned_data.get(note_field(m.pk), ""),
            )
            for m in self.moments
        ]

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.utils.translation import gettext_lazy as _

from servicecycle.accounts.actions import CUSTOMER_FIELDS
from servicecycle.accounts.models import LANGUAGE_CHOICES, Customer, Organization, Role, Team
from servicecycle.core.validation import limited_text
from servicecycle.core.widgets import DateInput

WEEKDAYS = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]


class OrganizationForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label=_("time zone"), choices=[(z, z) for z in sorted(zoneinfo.available_timezones())]
    )

    class Meta:
        model = Organization
        fields = ["name", "time_zone", "holiday_country", "holiday_subdivision", "default_language"]


class WorkingHoursForm(forms.Form):
    """One text field per weekday: intervals like `09:00-13:00, 14:00-18:00`; empty = closed."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for day, label in enumerate(WEEKDAYS):
            self.fields[f"day_{day}"] = forms.CharField(
                label=label, required=False, help_text=_("e.g. 09:00-13:00, 14:00-18:00; empty when closed")
            )

    @staticmethod
    def format_day(intervals: list[tuple[int, int]]) -> str:
        return ", ".join(f"{o // 60:02d}:{o % 60:02d}-{c // 60:02d}:{c % 60:02d}" for o, c in intervals)

    @classmethod
    def day_texts(cls, organization: Organization) -> list[str]:
        """The organization's hours as one text per weekday, Monday first ("" when closed)."""
        by_day: dict[int, list[tuple[int, int]]] = {d: [] for d in range(7)}
        for interval in organization.working_intervals.all():
            by_day[interval.weekday].append((interval.opens, interval.closes))
        return [cls.format_day(by_day[d]) for d in range(7)]

    @staticmethod
    def _minutes(text: str) -> int:
        hours, _sep, minutes = text.strip().partition(":")
        value = int(hours) * 60 + int(minutes or 0)
        if not 0 <= value <= 1440 or not 0 <= int(minutes or 0) < 60:
            raise ValueError(text)
        return value

    def intervals(self) -> list[tuple[int, int, int]]:
        rows: list[tuple[int, int, int]] = []
        for day in range(7):
            text = self.cleaned_data.get(f"day_{day}") or ""
            for part in filter(None, (p.strip() for p in text.split(","))):
                try:
                    opens_text, closes_text = part.split("-")
                    opens, closes = self._minutes(opens_text), self._minutes(closes_text)
                except ValueError:
                    self.add_error(f"day_{day}", _("Write each interval as HH:MM-HH:MM, for example 09:00-18:00."))
                    continue
                if closes <= opens:
                    self.add_error(
                        f"day_{day}",
                        _(
                            "An interval must close after it opens, on a 24-hour clock: 09:00-17:00, not 9-5 "
                            "(24:00 for midnight)."
                        ),
                    )
                    continue
                rows.append((day, opens, closes))
            # overlaps too, in the same round as the other mistakes (the action checks them again)
            spans = sorted((opens, closes) for d, opens, closes in rows if d == day)
            if any(later[0] < earlier[1] for earlier, later in pairwise(spans)):
                self.add_error(f"day_{day}", _("Two intervals of the same day overlap."))
        return rows


class CalendarDateForm(forms.Form):
    date = forms.DateField(label=_("date"), widget=DateInput())
    kind = forms.ChoiceField(
        label=_("kind"), choices=[("closed", _("closed")), ("worked", _("open despite a public holiday"))]
    )
    note = forms.CharField(label=_("note"), required=False, max_length=200)
    replace = forms.BooleanField(label=_("Replace what the calendar already has for this date"), required=False)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day = data.get("date")
        existing = self.organization.calendar_dates.filter(date=day).first() if day else None
        if existing is not None and not data.get("replace"):
            kinds = dict(self.fields["kind"].choices)  # type: ignore[attr-defined]
            self.add_error(
                "date",
                _("The calendar already has this date: %(entry)s. Tick “Replace” below to change it.")
                % {"entry": " · ".join(str(x) for x in (kinds.get(existing.kind, existing.kind), existing.note) if x)},
            )
        return data


class TeamForm(forms.ModelForm):
    class Meta:
        formfield_callback = limited_text
        model = Team
        fields = ["name", "description", "color", "email"]
        widgets = {
            "color": forms.TextInput(attrs={"type": "color"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }


class StaffCreateForm(forms.Form):
    email = forms.EmailField(label=_("email"))
    first_name = forms.CharField(label=_("first name"), max_length=150)
    last_name = forms.CharField(label=_("last name"), max_length=150, required=False)
    job_title = forms.CharField(label=_("job title"), max_length=120, required=False)
    role = forms.ChoiceField(label=_("role"), choices=Role.choices, initial=Role.AGENT)
    teams = forms.ModelMultipleChoiceField(
        label=_("teams"), queryset=Team.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    password = forms.CharField(
        label=_("initial password"),
        required=False,
        widget=forms.PasswordInput,
        help_text=_("Leave empty to let the person choose one through “Forgot password”."),
    )

    def __init__(self, *args: object, organization: Organization | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["teams"].queryset = Team.objects.filter(organization=organization)  # type: ignore[attr-defined]


class StaffEditForm(forms.Form):
    first_name = forms.CharField(label=_("first name"), max_length=150)
    last_name = forms.CharField(label=_("last name"), max_length=150, required=False)
    job_title = forms.CharField(label=_("job title"), max_length=120, required=False)
    role = forms.ChoiceField(label=_("role"), choices=Role.choices)
    teams = forms.ModelMultipleChoiceField(
        label=_("teams"), queryset=Team.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    is_active = forms.BooleanField(label=_("login active"), required=False)

    def __init__(self, *args: object, organization: Organization | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["teams"].queryset = Team.objects.filter(organization=organization)  # type: ignore[attr-defined]


class CustomerForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        formfield_callback = limited_text
        model = Customer
        fields = list(CUSTOMER_FIELDS)
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class CustomerEraseForm(forms.Form):
    """The confirmation before a customer's personal data is erased."""

    confirm = forms.BooleanField(
        label=_("I understand that the name, contact details, messages and files cannot be restored"),
        error_messages={"required": _("Tick the box to confirm the erasure.")},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class TokenForm(forms.Form):
    name = forms.CharField(label=_("token name"), max_length=100)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=LANGUAGE_CHOICES)


class StaffPasswordResetForm(PasswordResetForm):
    """Also reaches staff added without a password: the reset link is how they choose their first one."""

    def get_users(self, email: str) -> Iterator[Any]:
        return iter(get_user_model()._default_manager.filter(email__iexact=email, is_active=True))

"""Forms of the people pages. They collect input; the actions check it and report errors by field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from servicecycle.accounts.models import Staff
from servicecycle.core.validation import LONG_TEXT
from servicecycle.core.widgets import DateInput
from servicecycle.people.content import CRITERIA, PULSE_QUESTIONS, SCORE_MAX, SCORE_MIN

SCORE_CHOICES = [(str(n), str(n)) for n in range(SCORE_MIN, SCORE_MAX + 1)]


def _score_field(label: Any, help_text: Any = "") -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=SCORE_CHOICES, widget=forms.RadioSelect, help_text=help_text)


class CandidateForm(forms.Form):
    name = forms.CharField(label=_("Candidate's name"), max_length=200)
    role_applied = forms.CharField(label=_("Role applied for"), max_length=120)
    assessed_on = forms.DateField(label=_("Interview date"), widget=DateInput())
    interviewer = forms.ModelChoiceField(label=_("Interviewer"), queryset=Staff.objects.none())
    notes = forms.CharField(
        max_length=LONG_TEXT, label=_("Overall notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["interviewer"].queryset = Staff.objects.filter(  # type: ignore[attr-defined]
            organization_id=organization_id
        ).select_related("user")
        for criterion in CRITERIA:
            self.fields[f"score_{criterion.key}"] = _score_field(criterion.title, criterion.hint)
            self.fields[f"note_{criterion.key}"] = forms.CharField(
                label=_("Note"), required=False, max_length=500, widget=forms.TextInput()
            )

    def head_fields(self) -> list[Any]:
        return [self[name] for name in ("name", "role_applied", "assessed_on", "interviewer", "notes")]

    def criterion_rows(self) -> list[dict[str, Any]]:
        return [{"criterion": c, "score": self[f"score_{c.key}"], "note": self[f"note_{c.key}"]} for c in CRITERIA]


class CourseForm(forms.Form):
    # checked by the action with the refresher, so an empty name and a bad interval are named together
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    marked_required = ("name",)
    description = forms.CharField(
        max_length=LONG_TEXT, label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    front_line_only = forms.BooleanField(
        label=_("Front line only"),
        required=False,
        help_text=_("Required only for agents and team leads; otherwise required for every member but viewers."),
    )
    refresher_months = forms.IntegerField(
        label=_("Refresher every (months)"),
        required=False,
        help_text=_("Leave empty when the course is taken once."),
    )
    is_active = forms.BooleanField(label=_("Required"), required=False, initial=True)


PASSED_CHOICES = [("", _("not recorded")), ("yes", _("passed")), ("no", _("not passed"))]


class CompletionForm(forms.Form):
    staff = forms.ModelMultipleChoiceField(
        label=_("Staff who completed it"), queryset=Staff.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    completed_on = forms.DateField(label=_("Completed on"), widget=DateInput())
    score = forms.IntegerField(label=_("Score (%)"), required=False)
    passed = forms.ChoiceField(label=_("Result"), choices=PASSED_CHOICES, required=False)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=500)

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = people  # type: ignore[attr-defined]

    def passed_value(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data.get("passed") or "")


class RoundForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    closes_on = forms.DateField(label=_("Closes on"), widget=DateInput())


class PulseAnswerForm(forms.Form):
    manager = forms.ChoiceField(label=_("The manager you are rating"))

    def __init__(self, *args: Any, managers: list[Staff], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["manager"].choices = [(str(m.pk), f"{m} ({m.get_role_display()})") for m in managers]  # type: ignore[attr-defined]
        for question in PULSE_QUESTIONS:
            self.fields[question.key] = _score_field(question.text)

    def question_fields(self) -> list[Any]:
        return [self[q.key] for q in PULSE_QUESTIONS]


MAX_UPLOAD_BYTES = 2 * 1024 * 1024


class CompletionImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: staff (e-mail address), course (name), completed_on (YYYY-MM-DD), and optionally score "
            "(0-100), passed (yes or no) and notes. Nothing is saved unless every row is right."
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        return upload

"""Field parsing for the survey builder; every rule lives in ``surveys.actions``.

Texts are edited in each of the survey's languages side by side: one field per language, named
``<name>_<language>``, gathered back into the {language: text} the actions take.
"""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicecycle.accounts.models import LANGUAGE_CHOICES, Customer, Organization
from servicecycle.catalog.models import Service
from servicecycle.core.validation import LONG_TEXT
from servicecycle.core.widgets import DateInput
from servicecycle.cycles.forms import MomentOfServiceField, follow_service
from servicecycle.cycles.models import Moment
from servicecycle.surveys.actions.design import ATTRIBUTE_KINDS, CHOICE_KINDS, CHOSEN_SCALES, CONDITION_SOURCE_KINDS
from servicecycle.surveys.blueprints import BLUEPRINTS
from servicecycle.surveys.models import Attribute, Question, Survey, Wave, text_in

LANGUAGE_NAMES = dict(LANGUAGE_CHOICES)
BLUEPRINT_LABELS = {
    "servqual": gettext_lazy("SERVQUAL: 22 expectation/perception pairs and 100 points among the five dimensions"),
    "importance": gettext_lazy("Importance of candidate services (your planned services)"),
    "post_resolution": gettext_lazy("Satisfaction after a case is resolved (CSAT, effort, what to improve)"),
    "staff": gettext_lazy("Internal staff survey: staff rate their own manager"),
}


def _language_name(code: str) -> str:
    return str(LANGUAGE_NAMES.get(code, code))


class ActionForm(forms.Form):
    """A form whose errors come from the actions: skip model validation, keep the action's wording."""

    marked_required: tuple[str, ...] = ()


def add_text_fields(
    form: forms.BaseForm,
    name: str,
    label: str,
    survey_languages: list[str],
    default_language: str,
    *,
    textarea: bool = False,
    max_length: int = 2000,
) -> None:
    """One text field per language; the default language's is marked required (the action checks it)."""
    for lang in survey_languages:
        widget = forms.Textarea(attrs={"rows": 2}) if textarea else forms.TextInput()
        widget.attrs["lang"] = lang
        field = forms.CharField(
            label=f"{label} ({_language_name(lang)})", required=False, max_length=max_length, widget=widget
        )
        if lang == default_language:
            field.widget.attrs["aria-required"] = "true"
        form.fields[f"{name}_{lang}"] = field
    if default_language in survey_languages:
        marked = (*getattr(form, "marked_required", ()), f"{name}_{default_language}")
        setattr(form, "marked_required", marked)  # noqa: B010  (forms that are not ActionForms too)


def texts_from(data: dict[str, Any], name: str, languages: list[str]) -> dict[str, str]:
    return {lang: data.get(f"{name}_{lang}") or "" for lang in languages}


def initial_texts(name: str, texts: dict[str, str]) -> dict[str, str]:
    return {f"{name}_{lang}": text for lang, text in texts.items()}


class SurveyCreateForm(ActionForm):
    start = forms.ChoiceField(
        label=gettext_lazy("Start from"),
        widget=forms.RadioSelect,
        initial="blank",
    )
    title = forms.CharField(
        label=gettext_lazy("Title"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("In the default language; a template brings its own title in every language."),
    )
    languages = forms.MultipleChoiceField(
        label=gettext_lazy("Languages of the survey"),
        choices=LANGUAGE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=["en"],
        required=False,
    )
    default_language = forms.ChoiceField(label=gettext_lazy("Default language"), choices=LANGUAGE_CHOICES)
    service = forms.ModelChoiceField(
        label=gettext_lazy("Service surveyed"), queryset=Service.objects.none(), required=False
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["start"]).choices = [("blank", _("An empty survey"))] + [
            (key, BLUEPRINT_LABELS[key]) for key in BLUEPRINTS
        ]
        cast(forms.ModelChoiceField, self.fields["service"]).queryset = Service.objects.filter(
            organization=organization
        ).order_by("name")
        self.fields["default_language"].initial = organization.default_language


class SurveyEditForm(ActionForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    languages = forms.MultipleChoiceField(
        label=gettext_lazy("Languages of the survey"), choices=LANGUAGE_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    default_language = forms.ChoiceField(label=gettext_lazy("Default language"), choices=LANGUAGE_CHOICES)
    service = forms.ModelChoiceField(
        label=gettext_lazy("Service surveyed"), queryset=Service.objects.none(), required=False
    )

    def __init__(self, *args: Any, survey: Survey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["service"]).queryset = Service.objects.filter(
            organization_id=survey.organization_id
        ).order_by("name")
        # every language can get a title here; the ones not chosen are ignored
        all_languages = [code for code, _label in LANGUAGE_CHOICES]
        add_text_fields(self, "title", _("Title"), all_languages, survey.default_language, max_length=200)


def parse_values(raw: str) -> list[int] | None:
    """ "0-6" or "1, 2, 5" or "9-10, 3" as a list of whole numbers; None when it cannot be read."""
    values: list[int] = []
    for part in re.split(r"[,\s;]+", raw.strip()):
        if not part:
            continue
        match = re.fullmatch(r"(\d{1,3})(?:-(\d{1,3}))?", part)
        if match is None:
            return None
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if high < low or high - low > 100:
            return None
        values.extend(range(low, high + 1))
    return values


class QuestionForm(ActionForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind of question"), choices=Question.Kind.choices)
    scale_min = forms.IntegerField(label=gettext_lazy("Lowest answer"), required=False)
    scale_max = forms.IntegerField(label=gettext_lazy("Highest answer"), required=False)
    required = forms.BooleanField(label=gettext_lazy("An answer is required"), required=False, initial=True)
    service = forms.ModelChoiceField(label=gettext_lazy("Service"), queryset=Service.objects.none(), required=False)
    moment = MomentOfServiceField(label=gettext_lazy("Moment of truth"), queryset=Moment.objects.none(), required=False)
    dimension = forms.ChoiceField(
        label=gettext_lazy("SERVQUAL dimension"), choices=[("", "—"), *Question.Dimension.choices], required=False
    )
    item_number = forms.IntegerField(label=gettext_lazy("Item number"), required=False)
    competitor_name = forms.CharField(
        label=gettext_lazy("Competitor rated beside us"),
        required=False,
        max_length=120,
        help_text=gettext_lazy("Importance/performance grids only: respondents also rate this competitor."),
    )
    condition_question = forms.TypedChoiceField(
        label=gettext_lazy("Show only when the answer to"), coerce=int, required=False, empty_value=None
    )
    condition_values = forms.CharField(
        label=gettext_lazy("is one of"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Scores or option numbers, for example 0-6 or 1, 2."),
    )

    def __init__(
        self, *args: Any, survey: Survey, questions: list[Question], question: Question | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.survey = survey
        self.question = question
        languages = survey.languages
        if question is not None:
            self.fields["kind"].disabled = True
            self.fields["kind"].required = False
        add_text_fields(self, "text", _("Question"), languages, survey.default_language, textarea=True)
        kind = question.kind if question is not None else (self.data.get("kind") or self.initial.get("kind"))
        if kind not in Question.Kind.values:
            kind = Question.Kind.NPS
        self.question_kind = kind
        if question is None:  # chosen on the page before: carried along hidden
            self.fields["kind"].widget = forms.HiddenInput()
        # only the fields this kind of question uses
        if kind not in CHOSEN_SCALES:
            del self.fields["scale_min"], self.fields["scale_max"]
        if kind != Question.Kind.SERVQUAL_PAIR:
            del self.fields["dimension"], self.fields["item_number"]
        if kind != Question.Kind.IPA_GRID:
            del self.fields["competitor_name"]
        if kind in CHOICE_KINDS:
            for lang in languages:
                self.fields[f"choices_{lang}"] = forms.CharField(
                    label=_("Options, one per line (%(language)s)") % {"language": _language_name(lang)},
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 3, "lang": lang}),
                    help_text=_("Choice questions only. Line 1 is option 1 in every language."),
                )
        organization_id = survey.organization_id
        cast(forms.ModelChoiceField, self.fields["service"]).queryset = Service.objects.filter(
            organization_id=organization_id
        ).order_by("name")
        if question is None:
            self.initial.setdefault("service", survey.service_id)  # most questions are about the survey's service
        follow_service(self, organization_id)
        earlier = [
            q
            for q in questions
            if q.kind in CONDITION_SOURCE_KINDS and (question is None or q.position < question.position)
        ]
        cast(forms.ChoiceField, self.fields["condition_question"]).choices = [("", _("(always shown)"))] + [
            (q.pk, f"{q.position}. {text_in(q.texts, survey.default_language)[:70]}") for q in earlier
        ]
        texts_first = [f"text_{lang}" for lang in languages] + [f"choices_{lang}" for lang in languages]
        self.order_fields(["version", "kind", *[n for n in texts_first if n in self.fields]])

    def choices_data(self) -> list[dict[str, Any]]:
        per_language = {
            lang: [
                line.strip() for line in (self.cleaned_data.get(f"choices_{lang}") or "").splitlines() if line.strip()
            ]
            for lang in self.survey.languages
        }
        count = max((len(lines) for lines in per_language.values()), default=0)
        return [
            {
                "code": index + 1,
                "texts": {lang: lines[index] for lang, lines in per_language.items() if index < len(lines)},
            }
            for index in range(count)
        ]

    def condition_data(self) -> dict[str, Any] | None:
        source = self.cleaned_data.get("condition_question")
        if source is None:
            return None
        return {"question": source, "values": parse_values(self.cleaned_data.get("condition_values") or "") or []}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("condition_question") is not None and not parse_values(data.get("condition_values") or ""):
            self.add_error("condition_values", _("List the answers that show this question, for example 0-6."))
        return data

    def action_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kind = self.question_kind
        kwargs: dict[str, Any] = {
            "texts": texts_from(data, "text", self.survey.languages),
            "required": data.get("required", False),
            "service_id": data["service"].pk if data.get("service") else None,
            "moment_id": data["moment"].pk if data.get("moment") else None,
            "dimension": data.get("dimension") or "",
            "item_number": data.get("item_number"),
            "competitor_name": data.get("competitor_name") or "",
            "condition": self.condition_data(),
        }
        if kind in CHOSEN_SCALES:
            kwargs["scale_min"], kwargs["scale_max"] = data.get("scale_min"), data.get("scale_max")
        if kind in CHOICE_KINDS:
            kwargs["choices"] = self.choices_data()
        return kwargs


def question_initial(question: Question) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "version": question.version,
        "kind": question.kind,
        "scale_min": question.scale_min,
        "scale_max": question.scale_max,
        "required": question.required,
        "service": question.service_id,
        "moment": question.moment_id,
        "dimension": question.dimension,
        "item_number": question.item_number,
        "competitor_name": question.competitor_name,
        **initial_texts("text", question.texts),
    }
    for lang in question.survey.languages:
        initial[f"choices_{lang}"] = "\n".join(c["texts"].get(lang, "") for c in question.choices)
    if question.condition:
        initial["condition_question"] = question.condition["question"]
        initial["condition_values"] = ", ".join(str(v) for v in question.condition["values"])
    return initial


class AttributeForm(ActionForm):
    service = forms.ModelChoiceField(label=gettext_lazy("Service"), queryset=Service.objects.none(), required=False)
    moment = MomentOfServiceField(label=gettext_lazy("Moment of truth"), queryset=Moment.objects.none(), required=False)
    dimension = forms.ChoiceField(
        label=gettext_lazy("SERVQUAL dimension"), choices=[("", "—"), *Question.Dimension.choices], required=False
    )

    def __init__(self, *args: Any, survey: Survey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.survey = survey
        self.is_new = not self.initial  # an edited attribute comes with its values (attribute_initial)
        add_text_fields(self, "text", _("Attribute"), survey.languages, survey.default_language)
        # put the texts first
        self.order_fields([f"text_{lang}" for lang in survey.languages])
        cast(forms.ModelChoiceField, self.fields["service"]).queryset = Service.objects.filter(
            organization_id=survey.organization_id
        ).order_by("name")
        if self.is_new:  # most attributes are about the survey's service
            self.initial["service"] = survey.service_id
        follow_service(self, survey.organization_id)

    def action_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "texts": texts_from(data, "text", self.survey.languages),
            "service_id": data["service"].pk if data.get("service") else None,
            "moment_id": data["moment"].pk if data.get("moment") else None,
            "dimension": data.get("dimension") or "",
        }


def attribute_initial(attribute: Attribute) -> dict[str, Any]:
    return {
        "service": attribute.service_id,
        "moment": attribute.moment_id,
        "dimension": attribute.dimension,
        **initial_texts("text", attribute.texts),
    }


class WaveForm(ActionForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120, required=False)
    starts_on = forms.DateField(label=gettext_lazy("Starts on"), widget=DateInput())
    ends_on = forms.DateField(label=gettext_lazy("Ends on"), widget=DateInput(), required=False)
    marked_required = ("name",)


class InvitationForm(ActionForm):
    customer = forms.ModelChoiceField(label=gettext_lazy("Customer"), queryset=Customer.objects.none(), required=False)
    email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    language = forms.ChoiceField(label=gettext_lazy("Language they answer in"), required=False)
    wave = forms.ModelChoiceField(label=gettext_lazy("Wave"), queryset=Wave.objects.none(), required=False)

    def __init__(self, *args: Any, survey: Survey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["customer"]).queryset = Customer.objects.filter(
            organization_id=survey.organization_id
        ).order_by("name")
        cast(forms.ModelChoiceField, self.fields["wave"]).queryset = Wave.objects.filter(survey=survey)
        cast(forms.ChoiceField, self.fields["language"]).choices = [
            ("", _("The customer's language, else the default"))
        ] + [(lang, _language_name(lang)) for lang in survey.languages]


class PublicLinkForm(ActionForm):
    enabled = forms.BooleanField(label=gettext_lazy("Anyone with the link may answer"), required=False)
    one_per_browser = forms.BooleanField(label=gettext_lazy("One response per browser"), required=False)


ATTRIBUTE_KIND_VALUES = ATTRIBUTE_KINDS


class InviteForm(ActionForm):
    """Who a round of mailed invitations goes to; the action checks the choices."""

    audience = forms.ChoiceField(
        label=gettext_lazy("Who to invite"),
        widget=forms.RadioSelect,
        choices=[
            ("consented", gettext_lazy("Every customer who agreed to receive surveys")),
            ("language", gettext_lazy("Those of them who prefer a language")),
            ("service", gettext_lazy("Those of them who had a case or a promise about a service")),
            ("pasted", gettext_lazy("The email addresses I paste")),
        ],
        initial="consented",
    )
    language = forms.ChoiceField(label=gettext_lazy("Language"), required=False)
    service = forms.ModelChoiceField(label=gettext_lazy("Service"), queryset=Service.objects.none(), required=False)
    emails = forms.CharField(
        max_length=LONG_TEXT,
        label=gettext_lazy("Email addresses, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy(
            "Customers on file must have agreed to receive surveys; other addresses are invited as given."
        ),
    )
    wave = forms.ModelChoiceField(
        label=gettext_lazy("Wave"),
        queryset=Wave.objects.none(),
        required=False,
        help_text=gettext_lazy("Empty: the wave running when each invitation is made."),
    )

    def __init__(self, *args: Any, survey: Survey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["service"]).queryset = Service.objects.filter(
            organization_id=survey.organization_id
        ).order_by("name")
        cast(forms.ModelChoiceField, self.fields["wave"]).queryset = Wave.objects.filter(survey=survey)
        cast(forms.ChoiceField, self.fields["language"]).choices = [("", "—")] + [
            (code, str(label)) for code, label in LANGUAGE_CHOICES
        ]


class InvitationSettingsForm(ActionForm):
    recur_months = forms.IntegerField(
        label=gettext_lazy("Repeat the survey every (months)"),
        required=False,
        min_value=1,
        max_value=24,
        help_text=gettext_lazy("Each period is a wave of its own; the next one opens when the current one ends."),
    )
    remind_after_days = forms.IntegerField(
        label=gettext_lazy("Remind those who have not answered after (days)"),
        required=False,
        min_value=1,
        max_value=365,
        help_text=gettext_lazy("One reminder at most. Empty: no reminder."),
    )
    contact_gap_days = forms.IntegerField(
        label=gettext_lazy("Invite a customer at most once every (days)"),
        required=False,
        min_value=1,
        max_value=365,
        help_text=gettext_lazy("Counts invitations of every survey; customers invited more recently are left out."),
    )
    trigger = forms.ChoiceField(
        label=gettext_lazy("Invite the customer automatically after"),
        required=False,
        choices=[("", gettext_lazy("No event")), *Survey.Trigger.choices],
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

"""Survey design: surveys, their waves, questions and attributes, with the checks shared by responses.

A survey's questions are edited while it is a draft; once it opens its structure is fixed, so every
wave of a recurring survey asks the same questions and the waves' results stay comparable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _

from servicecycle.accounts.models import LANGUAGE_CHOICES
from servicecycle.accounts.permissions import require
from servicecycle.catalog.models import Service
from servicecycle.core import audit
from servicecycle.core.changes import check_version
from servicecycle.core.errors import NotFound
from servicecycle.core.validation import check, fail
from servicecycle.cycles.models import Moment
from servicecycle.surveys.models import VALUE_MAX, Attribute, Question, Survey, Wave

K = Question.Kind
LANGUAGES = tuple(code for code, _label in LANGUAGE_CHOICES)

# Kinds whose scale is part of their definition.
FIXED_SCALES: dict[str, tuple[int, int]] = {
    K.NPS: (0, 10),
    K.CSAT: (1, 5),
    K.CES: (1, 7),
    K.SERVQUAL_PAIR: (1, 7),
    K.ALLOCATION: (0, 100),  # points per attribute; every response's points add up to the top
}
# Kinds whose scale the author chooses: from 0 or 1, with 2 to 11 points. An IPA grid starts at 1 so its
# midpoint crosshair is (1 + top) / 2.
CHOSEN_SCALES = frozenset({K.RATING, K.IPA_GRID})
MIN_POINTS, MAX_POINTS = 2, 11
CHOICE_KINDS = frozenset({K.SINGLE_CHOICE, K.MULTIPLE_CHOICE})
ATTRIBUTE_KINDS = frozenset({K.IPA_GRID, K.ALLOCATION})
# Kinds a display condition can test: their answer is a score or option codes.
CONDITION_SOURCE_KINDS = frozenset({K.NPS, K.CSAT, K.CES, K.RATING, K.SINGLE_CHOICE, K.MULTIPLE_CHOICE})

MAX_TITLE = 200
MAX_TEXT = 2000
MAX_QUESTIONS = 200
MAX_ATTRIBUTES = 60
MAX_CHOICES = 60
SURVEY_FIELDS = ("titles", "kind", "languages", "default_language", "status", "service")
QUESTION_FIELDS = (
    "position",
    "kind",
    "texts",
    "scale_min",
    "scale_max",
    "choices",
    "required",
    "service",
    "moment",
    "dimension",
    "item_number",
    "competitor_name",
    "condition",
)
ATTRIBUTE_FIELDS = ("position", "texts", "service", "moment", "dimension")
# The status changes a survey may make.
STATUS_MOVES = {
    (Survey.Status.DRAFT, Survey.Status.OPEN),
    (Survey.Status.OPEN, Survey.Status.CLOSED),
    (Survey.Status.CLOSED, Survey.Status.OPEN),
}


# Shared checks -----------------------------------------------------------------------------------------


def _clean_languages(languages: Any, default_language: str) -> list[str]:
    if not isinstance(languages, list | tuple) or not languages:
        raise fail("languages", _("Choose at least one language for the survey."))
    cleaned: list[str] = []
    for code in languages:
        if code not in LANGUAGES:
            raise fail("languages", _("Unknown language %(code)s: choose among en, ru, ms and es.") % {"code": code})
        if code in cleaned:
            raise fail("languages", _("Each language may be listed only once."))
        cleaned.append(code)
    if default_language not in cleaned:
        raise fail("default_language", _("The default language must be one of the survey's languages."))
    return cleaned


def _clean_texts(texts: Any, survey: Survey, field: str, max_length: int = MAX_TEXT) -> dict[str, str]:
    """{language: text} in the survey's languages, with the default language present."""
    if not isinstance(texts, Mapping):
        raise fail(field, _("Give the text as {language: text}."))
    cleaned: dict[str, str] = {}
    for lang, raw in texts.items():
        if lang not in survey.languages:
            raise fail(field, _("%(lang)s is not one of this survey's languages.") % {"lang": lang})
        text = raw.strip() if isinstance(raw, str) else ""
        if len(text) > max_length:
            raise fail(field, _("A text may have at most %(n)d characters.") % {"n": max_length})
        if text:
            cleaned[lang] = text
    if survey.default_language not in cleaned:
        raise fail(
            field,
            _("Write the text in the survey's default language (%(lang)s).") % {"lang": survey.default_language},
        )
    return cleaned


def _service_of(organization_id: int, service_id: Any) -> Service | None:
    if service_id in (None, ""):
        return None
    try:
        return Service.objects.get(organization_id=organization_id, pk=int(service_id))
    except (Service.DoesNotExist, TypeError, ValueError):
        raise fail("service", _("Unknown service: choose one of your organization's services.")) from None


def _moment_of(organization_id: int, moment_id: Any, service: Service | None) -> Moment | None:
    if moment_id in (None, ""):
        return None
    try:
        moment = Moment.objects.get(service__organization_id=organization_id, pk=int(moment_id))
    except (Moment.DoesNotExist, TypeError, ValueError):
        raise fail("moment", _("Unknown moment of truth: choose one of your services' moments.")) from None
    if service is not None and moment.service_id != service.pk:
        raise fail("moment", _("The moment of truth must belong to the chosen service."))
    return moment


def _editable_survey(acting_user: Any, survey: Survey) -> Survey:
    """The survey, locked, when the user may edit it and it is still a draft."""
    staff = require(acting_user, "survey.design")
    locked = Survey.objects.select_for_update().filter(pk=survey.pk, organization_id=staff.organization_id).first()
    if locked is None:
        raise NotFound(_("Survey not found."))
    if locked.status != Survey.Status.DRAFT:
        raise fail("survey", _("Questions can be changed only while the survey is a draft."))
    return locked


def _whole(raw: Any) -> int | None:
    """``raw`` as an int when it is a whole number (int, integral float, digits in a string), else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str):
        try:
            return int(raw.strip())
        except ValueError:
            return None
    return None


# Surveys and waves -------------------------------------------------------------------------------------


@transaction.atomic
def create_survey(
    *,
    acting_user: Any,
    titles: Mapping[str, str],
    kind: str = Survey.Kind.CUSTOM,
    languages: Sequence[str] | None = None,
    default_language: str | None = None,
    service_id: Any = None,
) -> Survey:
    """A new draft survey; its title must be written at least in its default language."""
    staff = require(acting_user, "survey.design")
    default_language = default_language or staff.organization.default_language
    survey = Survey(
        organization=staff.organization,
        kind=kind,
        default_language=default_language,
        languages=_clean_languages(list(languages) if languages is not None else [default_language], default_language),
        service=_service_of(staff.organization_id, service_id),
        created_by=acting_user,
    )
    survey.titles = _clean_texts(titles, survey, "titles", MAX_TITLE)
    check(survey, exclude=["created_by"])
    survey.save()
    audit.record(
        actor=acting_user,
        organization_id=survey.organization_id,
        verb="survey.created",
        obj=survey,
        changes=audit.snapshot(survey, SURVEY_FIELDS),
    )
    return survey


@transaction.atomic
def set_survey_status(*, acting_user: Any, survey: Survey, status: str, expected_version: int | None = None) -> Survey:
    """Open a draft, close an open survey, or reopen a closed one."""
    staff = require(acting_user, "survey.design")
    locked = Survey.objects.select_for_update().filter(pk=survey.pk, organization_id=staff.organization_id).first()
    if locked is None:
        raise NotFound(_("Survey not found."))
    check_version(locked, expected_version)
    if locked.status == status:
        return locked
    if (locked.status, status) not in STATUS_MOVES:
        raise fail("status", _("A survey cannot go from %(old)s to %(new)s.") % {"old": locked.status, "new": status})
    if status == Survey.Status.OPEN and not locked.questions.exists():
        raise fail("status", _("Add at least one question before opening the survey."))
    old = locked.status
    locked.status = status
    locked.version = F("version") + 1
    locked.save(update_fields=["status", "version", "updated_at"])
    locked.refresh_from_db(fields=["version"])
    audit.record(
        actor=acting_user,
        organization_id=locked.organization_id,
        verb="survey.status_changed",
        obj=locked,
        changes={"status": [old, status]},
    )
    return locked


@transaction.atomic
def add_wave(
    *, acting_user: Any, survey: Survey, name: str, starts_on: dt.date, ends_on: dt.date | None = None
) -> Wave:
    """A new run of the survey; responses recorded in it are reported apart from the other waves'."""
    staff = require(acting_user, "survey.design")
    if survey.organization_id != staff.organization_id:
        raise NotFound(_("Survey not found."))
    wave = Wave(survey=survey, name=(name or "").strip(), starts_on=starts_on, ends_on=ends_on)
    if not wave.name:
        raise fail("name", _("Give the wave a name, for example the quarter it covers."))
    if ends_on is not None and ends_on < starts_on:
        raise fail("ends_on", _("A wave cannot end before it starts."))
    if Wave.objects.filter(survey=survey, name=wave.name).exists():
        raise fail("name", _("This survey already has a wave with this name."))
    check(wave, exclude=["survey"])
    wave.save()
    audit.record(
        actor=acting_user,
        organization_id=survey.organization_id,
        verb="wave.added",
        obj=wave,
        scope=survey,
        changes=audit.snapshot(wave, ("name", "starts_on", "ends_on")),
    )
    return wave


# Questions and attributes ------------------------------------------------------------------------------


def _scale(kind: str, scale_min: Any, scale_max: Any) -> tuple[int | None, int | None]:
    if kind in FIXED_SCALES:
        fixed = FIXED_SCALES[kind]
        if (scale_min is not None and scale_min != fixed[0]) or (scale_max is not None and scale_max != fixed[1]):
            raise fail(
                "scale_max",
                _("This kind of question always uses the scale %(low)d-%(high)d.")
                % {"low": fixed[0], "high": fixed[1]},
            )
        return fixed
    if kind in CHOSEN_SCALES:
        low, high = _whole(scale_min), _whole(scale_max)
        if low is None or high is None:
            raise fail("scale_max", _("Give the lowest and the highest answer of the scale."))
        if low not in ((1,) if kind == K.IPA_GRID else (0, 1)):
            raise fail(
                "scale_min",
                _("The scale must start at 1.") if kind == K.IPA_GRID else _("The scale must start at 0 or 1."),
            )
        if not MIN_POINTS <= high - low + 1 <= MAX_POINTS:
            raise fail(
                "scale_max",
                _("A rating scale has from %(a)d to %(b)d points.") % {"a": MIN_POINTS, "b": MAX_POINTS},
            )
        return low, high
    if scale_min is not None or scale_max is not None:
        raise fail("scale_max", _("This kind of question has no scale."))
    return None, None


def _clean_choices(kind: str, choices: Any, survey: Survey) -> list[dict[str, Any]]:
    if kind not in CHOICE_KINDS:
        if choices:
            raise fail("choices", _("Only choice questions have options."))
        return []
    if not isinstance(choices, list | tuple) or len(choices) < 2:
        raise fail("choices", _("Give at least two options."))
    if len(choices) > MAX_CHOICES:
        raise fail("choices", _("A question may have at most %(n)d options.") % {"n": MAX_CHOICES})
    cleaned: list[dict[str, Any]] = []
    for index, option in enumerate(choices, start=1):
        if not isinstance(option, Mapping):
            raise fail("choices", _("Option %(i)d must be {code, texts}.") % {"i": index})
        code = _whole(option.get("code", index))
        if code is None or not 1 <= code <= VALUE_MAX:
            raise fail(
                "choices",
                _("Option %(i)d: its code must be a whole number from 1 to %(max)d.") % {"i": index, "max": VALUE_MAX},
            )
        if any(c["code"] == code for c in cleaned):
            raise fail("choices", _("Option %(i)d: the code %(code)d is used twice.") % {"i": index, "code": code})
        cleaned.append({"code": code, "texts": _clean_texts(option.get("texts"), survey, "choices")})
    return cleaned


def _clean_condition(condition: Any, survey: Survey) -> dict[str, Any] | None:
    """{"question": id of an existing question of this survey, "values": [answers that show this one]}."""
    if condition in (None, {}):
        return None
    if not isinstance(condition, Mapping) or set(condition) != {"question", "values"}:
        raise fail("condition", _('Write the condition as {"question": id, "values": [answers]}.'))
    source = survey.questions.filter(pk=_whole(condition["question"]) or 0).first()
    if source is None:
        raise fail("condition", _("The condition must refer to an earlier question of this survey."))
    if source.kind not in CONDITION_SOURCE_KINDS:
        raise fail("condition", _("A condition can test only a scored or a choice question."))
    values = condition["values"]
    if not isinstance(values, list | tuple) or not values:
        raise fail("condition", _("List the answers that show this question."))
    cleaned: list[int] = []
    for raw in values:
        value = _whole(raw)
        if value is None or not _value_allowed(source, value):
            raise fail(
                "condition",
                _("%(value)s is not a possible answer to question %(n)d.") % {"value": raw, "n": source.position},
            )
        cleaned.append(value)
    return {"question": source.pk, "values": sorted(set(cleaned))}


def _value_allowed(question: Question, value: int) -> bool:
    if question.kind in CHOICE_KINDS:
        return any(option["code"] == value for option in question.choices)
    return (
        question.scale_min is not None
        and question.scale_max is not None
        and (question.scale_min <= value <= question.scale_max)
    )


def _question_fields(
    kind: str, scale_min: Any, scale_max: Any, dimension: Any, item_number: Any, competitor_name: Any
) -> tuple[int | None, int | None, int | None, str]:
    """The checks shared by adding and editing a question: scale, SERVQUAL dimension, item number, competitor."""
    low, high = _scale(kind, scale_min, scale_max)
    if kind == K.SERVQUAL_PAIR:
        if dimension not in Question.Dimension.values:
            raise fail("dimension", _("Choose the SERVQUAL dimension this item belongs to."))
    elif dimension:
        raise fail("dimension", _("Only SERVQUAL items belong to a dimension."))
    number = _whole(item_number)
    if item_number is not None and (number is None or not 1 <= number <= 999):
        raise fail("item_number", _("The item number must be a whole number from 1 to 999."))
    competitor_name = (competitor_name or "").strip()
    if competitor_name and kind != K.IPA_GRID:
        raise fail("competitor_name", _("Only an importance/performance grid can rate a competitor."))
    return low, high, number, competitor_name


@transaction.atomic
def add_question(
    *,
    acting_user: Any,
    survey: Survey,
    kind: str,
    texts: Mapping[str, str],
    scale_min: int | None = None,
    scale_max: int | None = None,
    choices: Sequence[Mapping[str, Any]] | None = None,
    required: bool = True,
    service_id: Any = None,
    moment_id: Any = None,
    dimension: str = "",
    item_number: int | None = None,
    competitor_name: str = "",
    condition: Mapping[str, Any] | None = None,
) -> Question:
    """Append a question to a draft survey, with the scale its kind uses.

    NPS is 0-10, CSAT 1-5, CES 1-7, SERVQUAL pairs 1-7 and allocations share 100 points; a rating
    scale or an IPA grid chooses 2 to 11 points (the grid from 1). Texts need the default language.
    """
    survey = _editable_survey(acting_user, survey)
    if kind not in K.values:
        raise fail("kind", _("Unknown kind of question."))
    if survey.questions.count() >= MAX_QUESTIONS:
        raise fail("kind", _("A survey can hold at most %(n)d questions.") % {"n": MAX_QUESTIONS})
    low, high, number, competitor_name = _question_fields(
        kind, scale_min, scale_max, dimension, item_number, competitor_name
    )
    service = _service_of(survey.organization_id, service_id)
    last = survey.questions.aggregate(last=Max("position"))["last"] or 0
    question = Question(
        survey=survey,
        position=last + 1,
        kind=kind,
        texts=_clean_texts(texts, survey, "texts"),
        scale_min=low,
        scale_max=high,
        choices=_clean_choices(kind, choices, survey),
        required=bool(required),
        service=service,
        moment=_moment_of(survey.organization_id, moment_id, service),
        dimension=dimension,
        item_number=number,
        competitor_name=competitor_name,
        condition=_clean_condition(condition, survey),
    )
    check(question, exclude=["survey"])
    question.save()
    audit.record(
        actor=acting_user,
        organization_id=survey.organization_id,
        verb="question.added",
        obj=question,
        scope=survey,
        changes=audit.snapshot(question, QUESTION_FIELDS),
    )
    return question


@transaction.atomic
def add_attribute(
    *,
    acting_user: Any,
    question: Question,
    texts: Mapping[str, str],
    service_id: Any = None,
    moment_id: Any = None,
    dimension: str = "",
) -> Attribute:
    """Append an attribute (a grid row, or a thing points go to) to a question of a draft survey."""
    survey = _editable_survey(acting_user, question.survey)
    question = Question.objects.get(pk=question.pk)
    if question.kind not in ATTRIBUTE_KINDS:
        raise fail("question", _("Only importance/performance grids and allocations have attributes."))
    existing = list(question.attributes.all())
    if len(existing) >= MAX_ATTRIBUTES:
        raise fail("texts", _("A question can hold at most %(n)d attributes.") % {"n": MAX_ATTRIBUTES})
    cleaned = _clean_texts(texts, survey, "texts")
    for other in existing:
        if any(other.texts.get(lang) == text for lang, text in cleaned.items()):
            raise fail("texts", _("This question already has an attribute with this text."))
    if dimension and (question.kind != K.ALLOCATION or dimension not in Question.Dimension.values):
        raise fail("dimension", _("Only an allocation among the SERVQUAL dimensions names a dimension."))
    service = _service_of(survey.organization_id, service_id)
    attribute = Attribute(
        question=question,
        position=max((a.position for a in existing), default=0) + 1,
        texts=cleaned,
        service=service,
        moment=_moment_of(survey.organization_id, moment_id, service),
        dimension=dimension,
    )
    check(attribute, exclude=["question"])
    attribute.save()
    audit.record(
        actor=acting_user,
        organization_id=survey.organization_id,
        verb="attribute.added",
        obj=attribute,
        scope=survey,
        changes={"question": question.position, **audit.snapshot(attribute, ATTRIBUTE_FIELDS)},
    )
    return attribute

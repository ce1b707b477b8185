"""Changing a draft survey: its titles and languages, its questions (edit, remove, move) and attributes.

The rules are those of ``design``: structure changes only while the survey is a draft, texts must be in
the survey's languages with the default one present, and a display condition refers to an earlier
question, so moving or removing a question never leaves a condition pointing forward or at nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from servicecycle.accounts.permissions import require
from servicecycle.core import audit
from servicecycle.core.changes import apply_changes, check_version
from servicecycle.core.errors import NotFound
from servicecycle.core.validation import check, fail
from servicecycle.surveys.actions.design import (
    ATTRIBUTE_FIELDS,
    MAX_TITLE,
    QUESTION_FIELDS,
    K,
    Question,
    _clean_choices,
    _clean_condition,
    _clean_languages,
    _clean_texts,
    _editable_survey,
    _moment_of,
    _question_fields,
    _service_of,
)
from servicecycle.surveys.models import Attribute, Survey

RENUMBER_OFFSET = 10000  # positions are small integers; moved out of the way first so none clashes


def _bump(obj: Any) -> None:
    obj.version = F("version") + 1


def _prune(texts: Mapping[str, str], languages: Sequence[str]) -> dict[str, str]:
    return {lang: text for lang, text in texts.items() if lang in languages}


@transaction.atomic
def update_survey(
    *,
    acting_user: Any,
    survey: Survey,
    titles: Mapping[str, str],
    languages: Sequence[str],
    default_language: str,
    service_id: Any = None,
    expected_version: int | None = None,
) -> Survey:
    """Change a draft's title, languages and service. Texts in a language taken off the survey are dropped."""
    locked = _editable_survey(acting_user, survey)
    check_version(locked, expected_version)
    before = audit.snapshot(locked, ("titles", "languages", "default_language", "service"))
    cleaned_languages = _clean_languages(list(languages), default_language)
    locked.languages = cleaned_languages
    locked.default_language = default_language
    new_titles = _clean_texts(titles, locked, "titles", MAX_TITLE)
    service = _service_of(locked.organization_id, service_id)
    locked.titles = new_titles
    locked.service = service
    check(locked, exclude=["created_by"])
    after = audit.snapshot(locked, ("titles", "languages", "default_language", "service"))
    changes = audit.diff(before, after)
    if "languages" in changes:
        # a language taken off the survey: its texts go too, so every kept text is one the survey can show
        for question in locked.questions.all():
            question.texts = _prune(question.texts, cleaned_languages) or question.texts
            question.choices = [
                {**c, "texts": _prune(c["texts"], cleaned_languages) or c["texts"]} for c in question.choices
            ]
            question.save(update_fields=["texts", "choices"])
        for attribute in Attribute.objects.filter(question__survey=locked):
            attribute.texts = _prune(attribute.texts, cleaned_languages) or attribute.texts
            attribute.save(update_fields=["texts"])
    if changes:
        _bump(locked)
        locked.save()
        locked.refresh_from_db(fields=["version"])
        audit.record(
            actor=acting_user,
            organization_id=locked.organization_id,
            verb="survey.updated",
            obj=locked,
            changes=changes,
        )
    return locked


@transaction.atomic
def set_public_link(*, acting_user: Any, survey: Survey, enabled: bool, one_per_browser: bool = False) -> Survey:
    """Give the survey a public link (a new random key), or take it away; optionally one answer per browser."""
    staff = require(acting_user, "survey.design")
    locked = Survey.objects.select_for_update().filter(pk=survey.pk, organization_id=staff.organization_id).first()
    if locked is None:
        raise NotFound(_("Survey not found."))
    old = (locked.public_key is not None, locked.one_per_browser)
    if enabled and locked.public_key is None:
        locked.public_key = secrets.token_urlsafe(12)
    elif not enabled:
        locked.public_key = None
    locked.one_per_browser = bool(one_per_browser)
    new = (locked.public_key is not None, locked.one_per_browser)
    if old != new:
        locked.save(update_fields=["public_key", "one_per_browser", "updated_at"])
        audit.record(
            actor=acting_user,
            organization_id=locked.organization_id,
            verb="survey.public_link_changed",
            obj=locked,
            changes={"public_link": [old[0], new[0]], "one_per_browser": [old[1], new[1]]},
        )
    return locked


def _question_of(survey: Survey, question: Question) -> Question:
    current = Question.objects.select_for_update().filter(pk=question.pk, survey=survey).first()
    if current is None:
        raise NotFound(_("Question not found."))
    return current


@transaction.atomic
def update_question(
    *,
    acting_user: Any,
    question: Question,
    texts: Mapping[str, str],
    expected_version: int | None = None,
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
    """Change a question of a draft survey (its kind stays); the same rules as when it was added."""
    survey = _editable_survey(acting_user, question.survey)
    current = _question_of(survey, question)
    check_version(current, expected_version)
    kind = current.kind
    low, high, number, competitor_name = _question_fields(
        kind, scale_min, scale_max, dimension, item_number, competitor_name
    )
    cleaned_condition = _clean_condition(condition, survey)
    if cleaned_condition is not None:
        source = survey.questions.get(pk=cleaned_condition["question"])
        if source.position >= current.position:
            raise fail("condition", _("The condition must refer to an earlier question of this survey."))
    service = _service_of(survey.organization_id, service_id)
    changes = apply_changes(
        current,
        QUESTION_FIELDS,
        {
            "texts": _clean_texts(texts, survey, "texts"),
            "scale_min": low,
            "scale_max": high,
            "choices": _clean_choices(kind, choices, survey),
            "required": bool(required),
            "service": service,
            "moment": _moment_of(survey.organization_id, moment_id, service),
            "dimension": dimension,
            "item_number": number,
            "competitor_name": competitor_name,
            "condition": cleaned_condition,
        },
    )
    if "choices" in changes:
        codes = {c["code"] for c in current.choices}
        for other in survey.questions.filter(condition__question=current.pk):
            if not set((other.condition or {}).get("values", [])) <= codes:
                raise fail(
                    "choices",
                    _("Question %(n)d shows only after an option removed here; change its condition first.")
                    % {"n": other.position},
                )
    if changes:
        check(current, exclude=["survey"])
        _bump(current)
        current.save()
        current.refresh_from_db(fields=["version"])
        audit.record(
            actor=acting_user,
            organization_id=survey.organization_id,
            verb="question.updated",
            obj=current,
            scope=survey,
            changes=changes,
        )
    return current


def _renumber_questions(survey: Survey, ordered_ids: Sequence[int]) -> None:
    Question.objects.filter(survey=survey).update(position=F("position") + RENUMBER_OFFSET)
    Question.objects.bulk_update(
        [Question(id=pk, position=index) for index, pk in enumerate(ordered_ids, start=1)], ["position"]
    )


@transaction.atomic
def remove_question(*, acting_user: Any, question: Question) -> None:
    """Take a question off a draft survey; refused while a later question's condition tests it."""
    survey = _editable_survey(acting_user, question.survey)
    current = _question_of(survey, question)
    dependent = survey.questions.filter(condition__question=current.pk).order_by("position").first()
    if dependent is not None:
        raise fail(
            "question",
            _("Question %(n)d is shown only after an answer to this one; change its condition first.")
            % {"n": dependent.position},
        )
    snapshot = audit.snapshot(current, ("position", "kind", "texts"))
    current.delete()
    _renumber_questions(survey, list(survey.questions.order_by("position").values_list("id", flat=True)))
    audit.record(
        actor=acting_user,
        organization_id=survey.organization_id,
        verb="question.removed",
        obj=survey,
        changes=snapshot,
    )


@transaction.atomic
def reorder_questions(*, acting_user: Any, survey: Survey, question_ids: Sequence[int]) -> list[int]:
    """Put the questions in this order; a display condition must still test an earlier question."""
    survey = _editable_survey(acting_user, survey)
    questions = list(survey.questions.order_by("position"))
    current = [q.pk for q in questions]
    wanted = [int(pk) for pk in question_ids]
    if sorted(wanted) != sorted(current) or len(set(wanted)) != len(wanted):
        raise fail(
            "order", _("The new order must list every question of this survey exactly once. Reload and try again.")
        )
    place = {pk: index for index, pk in enumerate(wanted)}
    for q in questions:
        if q.condition and place[q.condition["question"]] >= place[q.pk]:
            raise fail(
                "order",
                _("Question “%(text)s” is shown after an answer to another one, which must stay before it.")
                % {"text": _short(q)},
            )
    if wanted != current:
        _renumber_questions(survey, wanted)
        audit.record(
            actor=acting_user,
            organization_id=survey.organization_id,
            verb="survey.questions_reordered",
            obj=survey,
            changes={"order": [current, wanted]},
        )
    return wanted


def _short(question: Question) -> str:
    from servicecycle.surveys.models import text_in

    text = text_in(question.texts, question.survey.default_language if question.survey_id else None)
    return text if len(text) <= 60 else text[:57] + "..."


def move_question(*, acting_user: Any, question: Question, direction: str) -> list[int]:
    """Move a question one place earlier ("up") or later ("down")."""
    if direction not in ("up", "down"):
        raise fail("direction", _("Move a question up or down."))
    order = list(question.survey.questions.order_by("position").values_list("id", flat=True))
    index = order.index(question.pk)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(order):
        order[index], order[target] = order[target], order[index]
    return reorder_questions(acting_user=acting_user, survey=question.survey, question_ids=order)


@transaction.atomic
def update_attribute(
    *,
    acting_user: Any,
    attribute: Attribute,
    texts: Mapping[str, str],
    service_id: Any = None,
    moment_id: Any = None,
    dimension: str = "",
) -> Attribute:
    survey = _editable_survey(acting_user, attribute.question.survey)
    current = Attribute.objects.select_related("question").filter(pk=attribute.pk, question__survey=survey).first()
    if current is None:
        raise NotFound(_("Attribute not found."))
    cleaned = _clean_texts(texts, survey, "texts")
    for other in current.question.attributes.exclude(pk=current.pk):
        if any(other.texts.get(lang) == text for lang, text in cleaned.items()):
            raise fail("texts", _("This question already has an attribute with this text."))
    if dimension and (current.question.kind != K.ALLOCATION or dimension not in Question.Dimension.values):
        raise fail("dimension", _("Only an allocation among the SERVQUAL dimensions names a dimension."))
    service = _service_of(survey.organization_id, service_id)
    changes = apply_changes(
        current,
        ATTRIBUTE_FIELDS,
        {
            "texts": cleaned,
            "service": service,
            "moment": _moment_of(survey.organization_id, moment_id, service),
            "dimension": dimension,
        },
    )
    if changes:
        current.save()
        audit.record(
            actor=acting_user,
            organization_id=survey.organization_id,
            verb="attribute.updated",
            obj=current,
            scope=survey,
            changes=changes,
        )
    return current


@transaction.atomic
def remove_attribute(*, acting_user: Any, attribute: Attribute) -> None:
    survey = _editable_survey(acting_user, attribute.question.survey)
    current = Attribute.objects.filter(pk=attribute.pk, question__survey=survey).first()
    if current is None:
        raise NotFound(_("Attribute not found."))
    question_id = current.question_id
    snapshot = audit.snapshot(current, ("position", "texts"))
    current.delete()
    remaining = list(
        Attribute.objects.filter(question_id=question_id).order_by("position").values_list("id", flat=True)
    )
    Attribute.objects.filter(question_id=question_id).update(position=F("position") + RENUMBER_OFFSET)
    Attribute.objects.bulk_update(
        [Attribute(id=pk, position=index) for index, pk in enumerate(remaining, start=1)], ["position"]
    )
    audit.record(
        actor=acting_user,
        organization_id=survey.organization_id,
        verb="attribute.removed",
        obj=survey,
        changes=snapshot,
    )

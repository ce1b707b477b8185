"""Starting a survey from a ready-made blueprint (SERVQUAL, importance of candidate services, ...)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from servicecycle.accounts.permissions import require
from servicecycle.catalog.models import Service
from servicecycle.core.validation import fail
from servicecycle.surveys.actions.design import LANGUAGES, add_attribute, add_question, create_survey
from servicecycle.surveys.blueprints import BLUEPRINTS, choices_of
from servicecycle.surveys.models import Question, Survey


@transaction.atomic
def create_from_blueprint(
    *,
    acting_user: Any,
    blueprint: str,
    languages: Sequence[str] | None = None,
    default_language: str | None = None,
    service_id: Any = None,
) -> Survey:
    """A draft survey holding the blueprint's questions, its texts in each of the chosen languages.

    The importance blueprint lists the organization's planned services as the things to weigh.
    """
    plan = BLUEPRINTS.get(blueprint)
    if plan is None:
        raise fail("blueprint", _("Unknown survey template."))
    staff = require(acting_user, "survey.design")
    languages = list(languages) if languages else list(LANGUAGES)
    default_language = default_language or (
        staff.organization.default_language if staff.organization.default_language in languages else languages[0]
    )

    def pick(texts: dict[str, str]) -> dict[str, str]:
        return {lang: texts[lang] for lang in languages if lang in texts}

    survey = create_survey(
        acting_user=acting_user,
        titles=pick(plan.titles),
        kind=plan.kind,
        languages=languages,
        default_language=default_language,
        service_id=service_id,
    )
    created: list[Question] = []
    for q in plan.questions:
        condition = None
        if q.condition is not None:
            condition = {"question": created[q.condition[0]].pk, "values": q.condition[1]}
        question = add_question(
            acting_user=acting_user,
            survey=survey,
            kind=q.kind,
            texts=pick(q.texts),
            scale_min=q.scale[0] if q.scale else None,
            scale_max=q.scale[1] if q.scale else None,
            choices=[{**c, "texts": pick(c["texts"])} for c in choices_of(q)] or None,
            required=q.required,
            dimension=q.dimension,
            item_number=q.item_number,
            condition=condition,
        )
        created.append(question)
        for texts, dimension in q.attributes:
            add_attribute(acting_user=acting_user, question=question, texts=pick(texts), dimension=dimension)
        if q.candidate_services:
            planned = Service.objects.filter(organization_id=survey.organization_id, status=Service.Status.PLANNED)
            for service in planned.order_by("name")[:60]:
                add_attribute(
                    acting_user=acting_user,
                    question=question,
                    texts={default_language: service.name},
                    service_id=service.pk,
                )
    return survey

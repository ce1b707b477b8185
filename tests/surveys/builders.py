"""Surveys for the tests, built through the same actions the app uses."""

from __future__ import annotations

from typing import Any

from servicecycle.accounts.models import Staff
from servicecycle.surveys import actions
from servicecycle.surveys.models import Attribute, Question, Survey

IPA_ATTRIBUTES = ("Delivered on the promised day", "Goods undamaged", "Clear invoice", "Friendly driver")


def survey(author: Staff, title: str = "Delivery survey", **kwargs: Any) -> Survey:
    return actions.create_survey(acting_user=author.user, titles={"en": title}, **kwargs)


def question(author: Staff, target: Survey, kind: str, text: str | None = None, **kwargs: Any) -> Question:
    return actions.add_question(
        acting_user=author.user,
        survey=target,
        kind=kind,
        texts={"en": text or f"A {kind} question"},
        **kwargs,
    )


def grid(author: Staff, target: Survey, names: tuple[str, ...] = IPA_ATTRIBUTES, **kwargs: Any) -> Question:
    """An importance/performance grid on 1..7 with one attribute per name."""
    kwargs = {"scale_min": 1, "scale_max": 7, **kwargs}
    q = question(author, target, Question.Kind.IPA_GRID, "How important is each, and how did we do?", **kwargs)
    for name in names:
        actions.add_attribute(acting_user=author.user, question=q, texts={"en": name})
    return q


def attributes(q: Question) -> list[Attribute]:
    return list(q.attributes.order_by("position"))


def open_survey(author: Staff, target: Survey) -> Survey:
    return actions.set_survey_status(acting_user=author.user, survey=target, status=Survey.Status.OPEN)

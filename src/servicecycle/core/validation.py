"""Turn Django's model validation into the domain's ValidationFailed, field by field."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from servicecycle.core.errors import ValidationFailed


def check(obj: models.Model, *, exclude: Iterable[str] | None = None) -> None:
    """Run the model's field and constraint validation; raise ValidationFailed naming each field at fault."""
    try:
        obj.full_clean(exclude=list(exclude or []), validate_unique=True, validate_constraints=True)
    except ValidationError as exc:
        raise ValidationFailed(
            {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
        ) from exc


def fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed({field: [message]})


# The longest free text a form or the API takes (a description, a reply, notes): longer is refused on its field.
LONG_TEXT = 20_000


def limited_text(field: models.Field, **kwargs: Any) -> forms.Field | None:  # type: ignore[type-arg]
    """A ModelForm's ``Meta.formfield_callback``: a model's text field becomes a box of at most LONG_TEXT
    characters (the model's TextField has no limit of its own)."""
    if isinstance(field, models.TextField):
        kwargs.setdefault("max_length", LONG_TEXT)
    return field.formfield(**kwargs)

"""Turn Django's model validation into the domain's ValidationFailed, field by field."""

from __future__ import annotations

from collections.abc import Iterable

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

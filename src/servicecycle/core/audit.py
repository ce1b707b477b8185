"""Record changes made through actions, and read an object's timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Q

from servicecycle.core.models import AuditEvent


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value changed, as {field: [old, new]}."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def record(
    *,
    actor: Any,
    organization_id: int,
    verb: str,
    obj: models.Model,
    changes: dict[str, Any] | None = None,
    scope: models.Model | None = None,
) -> AuditEvent:
    actor_name = ""
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_name = actor.get_full_name() or actor.get_username()
    return AuditEvent.objects.create(
        organization_id=organization_id,
        actor=actor if actor_name else None,
        actor_name=actor_name,
        verb=verb,
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        object_repr=str(obj)[:300],
        changes={k: _plain(v) for k, v in (changes or {}).items()},
        scope_type=scope._meta.label_lower if scope is not None else "",
        scope_id=scope.pk if scope is not None else None,
    )


def timeline(obj: models.Model, limit: int = 50) -> list[AuditEvent]:
    """Events on the object and on the objects scoped to it, newest first (one query)."""
    label = obj._meta.label_lower
    return list(
        AuditEvent.objects.filter(
            Q(object_type=label, object_id=obj.pk) | Q(scope_type=label, scope_id=obj.pk)
        ).order_by("-at", "-id")[:limit]
    )

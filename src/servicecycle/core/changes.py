"""Helpers every action uses: apply field changes with their audit diff, check versions, hash tokens."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from servicecycle.core import audit
from servicecycle.core.errors import Conflict
from servicecycle.core.validation import fail


def apply_changes(obj: Any, fields: Sequence[str], changes: dict[str, Any]) -> dict[str, list[Any]]:
    """Set the changed fields on the object; return {field: [old, new]} for those that really changed."""
    unknown = set(changes) - set(fields)
    if unknown:
        raise fail(sorted(unknown)[0], _("This field cannot be changed here."))
    before = audit.snapshot(obj, changes)
    for name, value in changes.items():
        setattr(obj, name, value)
    return audit.diff(before, audit.snapshot(obj, changes))


def check_version(obj: Any, expected_version: int | None) -> None:
    """Optimistic locking: refuse the change when someone saved the object since the caller read it."""
    if expected_version is not None and expected_version != obj.version:
        raise Conflict(
            _(
                "Someone else changed this record while you were editing it. "
                "Reload to see their changes, then apply yours again."
            ),
            field="version",
        )


def hash_token(raw: str) -> str:
    """The SHA-256 hex digest under which a secret token is stored (the raw token never is)."""
    return hashlib.sha256(raw.encode()).hexdigest()


def fingerprint(payload: Any) -> str:
    """A digest of what a request asked for, to tell a true repeat of an idempotent create from another request
    reusing its key."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()

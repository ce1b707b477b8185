"""The ``Idempotency-Key`` of the API's create endpoints, declared and read the same way everywhere.

A client sends any unique string of its own with a POST that creates something; repeating the request with
the same key and the same body answers 200 with what the first request created, and the same key with another
body answers 409. Where the key is kept depends on the object (cases and promises have a column for it, a
survey response keeps it in its one-use token hash); these helpers are the parts that do not.
"""

from typing import Any

from ninja import Header

from servicecycle.core.changes import fingerprint

__all__ = ["MAX_IDEMPOTENCY_KEY", "clean_key", "created_status", "fingerprint", "idempotency_header"]

MAX_IDEMPOTENCY_KEY = 100


def idempotency_header(thing: str) -> Any:
    """The optional ``Idempotency-Key`` header parameter of an endpoint creating a ``thing`` ("case", ...)."""
    return Header(
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_IDEMPOTENCY_KEY,
        description=f"Any unique string of yours: the same key and body again answers 200 with the same {thing}; "
        "the same key with another body answers 409.",
    )


def clean_key(raw: str | None) -> str | None:
    """The key without surrounding spaces; None when none was sent (or only spaces)."""
    return (raw or "").strip() or None


def created_status(created: bool) -> int:
    """201 for a new object, 200 for the one an earlier request with the same key created."""
    return 201 if created else 200

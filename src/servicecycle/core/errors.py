"""Domain errors raised by actions; views turn them into form errors, the API into 4xx answers."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain was broken. `field` names the input at fault when there is one."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(DomainError):
    """Input is not acceptable; nothing was saved."""

    status = 422

    def __init__(self, errors: dict[str, list[str]]) -> None:
        first_field, messages = next(iter(errors.items()))
        super().__init__(messages[0], field=first_field)
        self.errors = errors


class PermissionDenied(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    """Somebody else changed the object first (version check) or the state moved on."""

    status = 409

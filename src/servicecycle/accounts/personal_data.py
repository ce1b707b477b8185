"""What each capability holds about a customer: the registry the personal-data export and erasure go through.

accounts owns customers but must not import the apps that keep data about them (cases, promises, surveys...).
Each of those registers one *source* when Django starts (in its ``AppConfig.ready()``)::

    from servicecycle.accounts import personal_data

    personal_data.register("cases", collect=cases_personal_data.collect, erase=cases_personal_data.anonymize)

- ``collect(customer) -> dict | list``: everything the app holds about the customer, as JSON-ready values
  (strings, numbers, booleans, None, lists, dicts; dates as ISO text). It becomes the ``name`` key of the export.
- ``erase(customer, *, acting_user) -> dict``: remove or replace the customer's personal data while keeping what
  statistics need (kinds, dates, scores, links to services and moments), record an audit event on every object it
  changes, and return a small summary (e.g. ``{"cases": 3, "files_deleted": 2}``) for the erasure's own audit event.
  Erasers run inside the erasure's transaction, before the customer record itself is anonymized, so they may still
  match on the customer's email address. Files deleted from storage cannot come back with a rollback, so delete
  them in ``transaction.on_commit``.

Sources run in registration order; registering a name twice replaces the earlier source (tests, reloads).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from servicecycle.accounts.models import Customer

Collector = Callable[[Customer], Any]
Eraser = Callable[..., dict[str, Any]]

# what replaces erased free text everywhere (it is data, so it stays the same in every language)
ERASED = "[erased]"


@dataclass(frozen=True)
class Source:
    name: str
    collect: Collector
    erase: Eraser


_sources: dict[str, Source] = {}


def register(name: str, *, collect: Collector, erase: Eraser) -> None:
    _sources[name] = Source(name=name, collect=collect, erase=erase)


def sources() -> list[Source]:
    return list(_sources.values())


def iso(value: Any) -> Any:
    """A date or time as the export writes it (ISO text); anything else as it is."""
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else value


def scrub_audit(obj: Any, keys: Iterable[str], object_repr: str) -> None:
    """An eraser's pass over one object's audit trail: who did what and when stays; the values under ``keys``
    (what the customer wrote, who they are) become ERASED and every event names the object as ``object_repr``."""
    from servicecycle.core.models import AuditEvent

    for event in AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=obj.pk):
        changes = dict(event.changes or {})
        touched = False
        for key in keys:
            if key in changes and changes[key] not in (None, "", [], [None, ""]):
                changes[key] = ERASED
                touched = True
        if touched or event.object_repr != object_repr:
            AuditEvent.objects.filter(pk=event.pk).update(changes=changes, object_repr=object_repr)


def erased_name(customer: Customer) -> str:
    return f"Erased customer #{customer.pk}"
